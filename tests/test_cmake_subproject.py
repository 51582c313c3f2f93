"""romfs brought into a firmware project with add_subdirectory(): it leaves
the project's choices alone (build type, install rules, output
directories), compiles nothing the project does not use (no packer when
one is given, the reader only when something links it, the packer only
when an image needs it), and says where its packer is (ROMFS_PACKER)."""
import os
import re
import shutil
import unittest

from romfs_testlib.cmake_project import Project, steps_run
from romfs_testlib.tool import ROMFS, SOURCE_DIR, ScratchTestCase

HEAD = f"""\
cmake_minimum_required(VERSION 3.20)
project(firmware C)
add_subdirectory({SOURCE_DIR} romfs)
"""

IMAGE = """\
romfs_add_image(assets MANIFEST assets.yaml ALL)
file(GENERATE OUTPUT packer.txt CONTENT "$<TARGET_PROPERTY:assets,ROMFS_PACKER>")
"""

APP = """\
add_executable(app main.c)
target_link_libraries(app PRIVATE Romfs::reader)
"""

MAIN = """\
#include "romfs/reader.h"
int main(void) {
    romfs_image img;
    return romfs_open(&img, (const unsigned char *)"", 0) == ROMFS_OK;
}
"""

PROBE = """\
#include <glob.h>
#ifdef _XOPEN_SOURCE
#error "linking romfs defined _XOPEN_SOURCE"
#endif
#if __has_include("manifest/glob.h") || __has_include("pack/build.h")
#error "linking romfs put its private include directory on the path"
#endif
int probe(void) {
    glob_t g;
    return glob("*", GLOB_NOSORT, 0, &g);
}
"""

PROBE_TARGETS = """\
add_library(probe_reader OBJECT probe.c)
target_link_libraries(probe_reader PRIVATE Romfs::reader)
add_library(probe_core OBJECT probe.c)
target_link_libraries(probe_core PRIVATE romfs_core)
"""


def cache_value(build, name):
    with open(os.path.join(build, "CMakeCache.txt")) as f:
        m = re.search(rf"^{name}:\w+=(.*)$", f.read(), re.M)
    return m and m.group(1)


@unittest.skipIf(shutil.which("ninja") is None, "ninja not installed")
class Subproject(ScratchTestCase):
    def setUp(self):
        super().setUp()
        self.write("fw/assets.yaml", "version: 1\nfiles:\n  - src: a.txt\n")
        self.write("fw/a.txt", "a\n")
        self.write("fw/main.c", MAIN)
        self.build_dir = self.path("b")

    def project(self, body, *args, build_type="Release"):
        self.write("fw/CMakeLists.txt", HEAD + body)
        project = Project(self.path("fw"), self.build_dir, build_type=build_type)
        project.configure(*args)
        return project

    def test_the_build_type_is_the_projects(self):
        self.project("", f"-DROMFS_EXECUTABLE={ROMFS}", build_type=None)
        self.assertEqual(cache_value(self.build_dir, "CMAKE_BUILD_TYPE"), "")
        # Built on its own, romfs still picks one.
        Project(SOURCE_DIR, self.path("alone"), build_type=None).configure(
            "-DROMFS_BUILD_TESTS=OFF")
        self.assertEqual(cache_value(self.path("alone"), "CMAKE_BUILD_TYPE"), "RelWithDebInfo")

    def test_a_given_packer_means_no_packer_is_compiled(self):
        project = self.project(IMAGE, f"-DROMFS_EXECUTABLE={ROMFS}")
        self.assertEqual(steps_run(project.build_all()), ["Packing ROMFS image assets"])
        with open(os.path.join(self.build_dir, "build.ninja")) as f:
            ninja = f.read()
        self.assertNotIn("tool/cli/main.c", ninja)
        self.assertNotIn("romfs_core", ninja)
        with open(os.path.join(self.build_dir, "packer.txt")) as f:
            self.assertEqual(f.read(), ROMFS)

    def test_the_reader_is_built_only_when_something_links_it(self):
        reader = os.path.join(self.build_dir, "romfs", "runtime", "libromfs_reader.a")
        project = self.project("", f"-DROMFS_EXECUTABLE={ROMFS}")
        self.assertEqual(steps_run(project.build_all()), [])
        self.assertFalse(os.path.exists(reader))
        project = self.project(APP, f"-DROMFS_EXECUTABLE={ROMFS}")
        steps = steps_run(project.build_all())
        self.assertIn("Building C object romfs/runtime/CMakeFiles/romfs_reader.dir/src/reader.c.o",
                      steps)
        self.assertTrue(os.path.exists(reader))

    def test_the_packer_is_built_when_an_image_needs_it_and_stays_in_its_place(self):
        # Nothing needs it: nothing is built.
        project = self.project("")
        self.assertEqual(steps_run(project.build_all()), [])
        # An image needs it; the project's own output directory does not
        # move it.
        project = self.project("set(CMAKE_RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bin)\n"
                               + IMAGE + APP, build_type="Debug")  # -O0 compiles quicker
        steps = steps_run(project.build_all(parallel=2))
        self.assertIn("Linking C executable romfs/tool/romfs", steps)
        packer = os.path.join(self.build_dir, "romfs", "tool", "romfs")
        with open(os.path.join(self.build_dir, "packer.txt")) as f:
            self.assertEqual(f.read(), packer)
        self.assertTrue(os.path.isfile(packer))
        self.assertTrue(os.path.isfile(os.path.join(self.build_dir, "bin", "app")))

    def test_linking_romfs_brings_no_private_headers_or_feature_macros(self):
        # romfs's own include directory holds manifest/glob.h and its
        # sources want _XOPEN_SOURCE; a consumer that links the reader or
        # the packer's library must see neither, or its own <glob.h> and
        # feature set change under it.
        self.write("fw/probe.c", PROBE)
        project = self.project(PROBE_TARGETS, build_type="Debug")
        steps = steps_run(project.build_all("probe_reader", "probe_core"))
        self.assertEqual(len([s for s in steps if s.startswith("Building C object")
                              and "probe.c.o" in s]), 2, steps)

    def test_the_install_rules_are_the_projects(self):
        prefix = self.path("prefix")
        project = self.project(APP + "install(TARGETS app)\n", f"-DROMFS_EXECUTABLE={ROMFS}",
                               f"-DCMAKE_INSTALL_PREFIX={prefix}")
        project.build_all()
        project._run(["cmake", "--install", self.build_dir])
        installed = sorted(os.path.relpath(os.path.join(root, n), prefix)
                           for root, _, names in os.walk(prefix) for n in names)
        self.assertEqual(installed, ["bin/app"])


if __name__ == "__main__":
    unittest.main()
