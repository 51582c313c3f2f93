"""The three ways to use the CMake plugin (FetchContent, an installed
package, add_subdirectory while cross-compiling), and the three ways to
name a prebuilt packer (ROMFS_EXECUTABLE, PATH, the installed one), each
in a real nested CMake build that must produce the right image and say
which packer made it (ROMFS_PACKER)."""
import os
import shutil
import struct
import subprocess
import unittest

from romfs_testlib.cmake_project import (Project, copy_romfs_sources, newer_than, steps_run,
                                         tar_romfs_sources)
from romfs_testlib.image_reader import parse
from romfs_testlib.tool import ROMFS, SOURCE_DIR, ScratchTestCase

TOOLCHAIN = os.path.join(SOURCE_DIR, "examples", "cortex-m", "arm-none-eabi.cmake")

MANIFEST = """\
version: 1
image:
  align: 16
files:
  - src: assets
    dst: "."
"""


# ROMFS_PACKER, as a user reads it: in a generator expression.
PACKER_FILE = ('file(GENERATE OUTPUT packer.txt '
               'CONTENT "$<TARGET_PROPERTY:assets,ROMFS_PACKER>")\n')


def project_file(head, body="romfs_add_image(assets MANIFEST assets.yaml ALL)\n"):
    return f"cmake_minimum_required(VERSION 3.20)\nproject(user C)\n{head}\n{body}{PACKER_FILE}"


def elf_machine(path):
    """The e_machine of an ELF file: 62 is x86-64, 40 is ARM."""
    with open(path, "rb") as f:
        header = f.read(20)
    assert header[:4] == b"\x7fELF", path
    return struct.unpack_from("<H", header, 18)[0]


def target_objects(build):
    """The objects a build compiled for its target: not the host packer's,
    not CMake's compiler checks."""
    return [os.path.join(root, n) for root, _, names in os.walk(build)
            for n in names if n.endswith((".o", ".obj"))
            and "_romfs_host" not in root and "CompilerId" not in root]


class PackageCase(ScratchTestCase):
    def setUp(self):
        super().setUp()
        if shutil.which("ninja") is None:
            self.skipTest("ninja not installed")
        self.write("user/assets.yaml", MANIFEST)
        self.write("user/assets/hello.txt", "hello\n")
        self.write("user/assets/sub/data.bin", bytes(range(256)))

    def check_image(self, build_dir):
        with open(os.path.join(build_dir, "assets.romfs"), "rb") as f:
            img = parse(f.read())
        self.assertEqual({p: e.data for p, e in img.files.items()},
                         {"hello.txt": b"hello\n", "sub/data.bin": bytes(range(256))})
        for e in img.files.values():
            self.assertEqual(e.offset % 16, 0, e.path)

    def assert_packer(self, build_dir, packer):
        """ROMFS_PACKER names `packer`, the build ran it, and it reads the
        image."""
        with open(os.path.join(build_dir, "packer.txt")) as f:
            self.assertEqual(f.read(), packer)
        self.assertIn(packer, self.cmake_command_lines(build_dir))
        listing = subprocess.run([packer, "ls", os.path.join(build_dir, "assets.romfs")],
                                 stdout=subprocess.PIPE, text=True, check=True).stdout
        self.assertIn("sub/data.bin", listing)

    def build_user(self, cmakelists, *configure_args, env=None, build_type="Release"):
        """Configures and builds the user's project; a test that compiles
        the packer passes build_type="Debug", which compiles it quicker."""
        self.write("user/CMakeLists.txt", cmakelists)
        build = self.path("user-build")
        project = Project(self.path("user"), build, build_type=build_type)
        old = dict(os.environ)
        try:
            os.environ.update(env or {})
            project.configure(*configure_args)
            output = project.build_all()
        finally:
            os.environ.clear()
            os.environ.update(old)
        self.check_image(build)
        return build, output

    def cmake_command_lines(self, build=None):
        with open(os.path.join(build or self.path("user-build"), "build.ninja")) as f:
            return f.read()


class Packages(PackageCase):
    def test_fetchcontent_from_a_release_tarball(self):
        src = copy_romfs_sources(self.path("romfs"))
        tarball = tar_romfs_sources(src, self.path("romfs.tar.gz"))
        # As the README says it, DOWNLOAD_EXTRACT_TIMESTAMP included: CMake
        # warns without it.
        build, output = self.build_user(project_file(
            "include(FetchContent)\n"
            f"FetchContent_Declare(romfs URL file://{tarball} DOWNLOAD_EXTRACT_TIMESTAMP ON)\n"
            "FetchContent_MakeAvailable(romfs)\n"), build_type="Debug")
        self.assertNotIn("CMake Warning", output)
        self.assert_packer(build, os.path.join(build, "_deps", "romfs-build", "tool", "romfs"))

    def test_prebuilt_romfs_executable(self):
        build, _ = self.build_user(
            project_file(f"include({SOURCE_DIR}/cmake/Romfs.cmake)\n"),
            f"-DROMFS_EXECUTABLE={ROMFS}")
        self.assert_packer(build, ROMFS)

    def test_romfs_on_path(self):
        bindir = os.path.dirname(ROMFS)
        build, _ = self.build_user(project_file(f"include({SOURCE_DIR}/cmake/Romfs.cmake)\n"),
                                   env={"PATH": bindir + os.pathsep + os.environ["PATH"]})
        self.assert_packer(build, os.path.join(bindir, "romfs"))

    def test_no_packer_is_a_clear_configure_error(self):
        self.write("user/CMakeLists.txt",
                   project_file(f"include({SOURCE_DIR}/cmake/Romfs.cmake)\n"))
        project = Project(self.path("user"), self.path("user-build"))
        path = "/usr/bin:/bin"  # cmake is found by absolute path below
        with self.assertRaises(AssertionError) as ctx:
            project._run([shutil.which("cmake"), "-E", "env", f"PATH={path}",
                          shutil.which("cmake"), "-S", self.path("user"), "-B",
                          self.path("user-build"), "-G", "Ninja",
                          f"-DCMAKE_MAKE_PROGRAM={shutil.which('ninja')}"])
        self.assertIn("romfs: no romfs packer: set ROMFS_EXECUTABLE", str(ctx.exception))

    @unittest.skipIf(shutil.which("arm-none-eabi-gcc") is None, "arm-none-eabi-gcc not installed")
    def test_cross_compiling_builds_the_packer_for_the_host(self):
        src = copy_romfs_sources(self.path("romfs"))
        self.write("user/firmware.c", "int firmware_answer(void) { return 42; }\n")
        build, _ = self.build_user(
            project_file(f"add_subdirectory({src} romfs)\n",
                         "romfs_add_image(assets MANIFEST assets.yaml ALL)\n"
                         "add_library(firmware STATIC firmware.c)\n"
                         "target_link_libraries(firmware PRIVATE Romfs::reader)\n"),
            f"-DCMAKE_TOOLCHAIN_FILE={TOOLCHAIN}",
            "-DROMFS_HOST_BUILD_TYPE=Debug")  # compiles quicker; its speed is not tested here
        host_packer = os.path.join(build, "_romfs_host", "tool", "romfs")
        self.assertEqual(elf_machine(host_packer), elf_machine(ROMFS))  # the build host's
        self.assert_packer(build, host_packer)
        objects = target_objects(build)
        self.assertTrue([o for o in objects if "reader.c." in o], objects)
        for obj in objects:
            self.assertEqual(elf_machine(obj), 40, obj)  # ARM: the target's

        # A no-op build runs nothing, the host packer's steps included.
        project = Project(self.path("user"), build)
        self.assertEqual(steps_run(project.build_all()), [], "no-op build")
        self.assertIn("no work to do", project.ninja_dry_run())

        # A change to romfs's sources rebuilds the host packer, then the image.
        main_c = os.path.join(src, "tool", "cli", "main.c")
        with open(main_c, "a") as f:
            f.write('\nconst char *romfs_test_rebuild_note = "rebuilt by a test";\n')
        newer_than(build, main_c)
        packer_stamp = os.stat(host_packer).st_mtime_ns
        image_stamp = os.stat(os.path.join(build, "assets.romfs")).st_mtime_ns
        out = project.build_all()
        self.assertNotEqual(os.stat(host_packer).st_mtime_ns, packer_stamp, out)
        self.assertNotEqual(os.stat(os.path.join(build, "assets.romfs")).st_mtime_ns,
                            image_stamp, out)
        self.assertEqual(steps_run(project.build_all()), [], "no-op build after the change")


if __name__ == "__main__":
    unittest.main()
