"""romfs_add_image() in real nested CMake builds, Ninja and Unix Makefiles:
the image is rebuilt exactly when it should be, and nothing downstream
runs when its bytes did not change.

The table runs on a copy of the packer under test (ROMFS_EXECUTABLE), so
that "the packer changed" is a change to that copy; the packer built by
the same build (the `romfs` target) is test_cmake_packer_rebuild's."""
import os
import shutil
import unittest

from romfs_testlib.cmake_project import (Project, copy_romfs_sources, mtime_ns_and_inode,
                                         newer_than, packer_runs, steps_run)
from romfs_testlib.image_reader import parse
from romfs_testlib.tool import ROMFS, ScratchTestCase

CONSUMER = """\
cmake_minimum_required(VERSION 3.20)
project(consumer C)
{romfs}

set(LABEL_NAME "labels.txt" CACHE STRING "where the labels land in the image")
romfs_add_image(assets MANIFEST assets.yaml ALL DEFINES LABEL_NAME=${{LABEL_NAME}})

# A consumer of the image: it depends on the target (so the packing rule
# is not repeated in its own Makefile) and on the file (so it reruns when
# the bytes change), and logs each run.
add_custom_command(OUTPUT consumer.bin
    COMMAND ${{CMAKE_COMMAND}} -E copy $<TARGET_PROPERTY:assets,ROMFS_IMAGE> consumer.bin
    COMMAND ${{CMAKE_COMMAND}} -DLOG=${{CMAKE_CURRENT_BINARY_DIR}}/consumer.log -P
            ${{CMAKE_CURRENT_SOURCE_DIR}}/log.cmake
    DEPENDS assets $<TARGET_PROPERTY:assets,ROMFS_IMAGE>)
add_custom_target(consumer ALL DEPENDS consumer.bin)
"""

MANIFEST = """\
version: 1
files:
  - src: assets/model.tflite
  - src: assets/labels.txt
    dst: ${LABEL_NAME}
  - src: assets/web
    dst: web
"""

PACKING = "Packing ROMFS image assets"


class ConsumerCase(ScratchTestCase):
    """A consumer project and its checks; subclasses bring romfs in
    (bring_in_romfs) and name the generator."""

    generator = None

    def setUp(self):
        super().setUp()
        if shutil.which("ninja" if self.generator == "Ninja" else "make") is None:
            self.skipTest(f"{self.generator} not installed")
        self.write("consumer/CMakeLists.txt", CONSUMER.format(romfs=self.bring_in_romfs()))
        self.write("consumer/log.cmake", 'file(APPEND "${LOG}" "consumer\\n")\n')
        self.write("consumer/assets.yaml", MANIFEST)
        self.write("consumer/assets/model.tflite", b"TFL3" * 40)
        self.write("consumer/assets/labels.txt", "cat\ndog\n")
        self.write("consumer/assets/web/index.html", "<h1>hi</h1>\n")
        self.write("consumer/assets/web/css/site.css", "h1{}\n")
        self.project = Project(self.path("consumer"), self.path("build"), self.generator)
        self.image = self.path("build", "assets.romfs")

    # Helpers ------------------------------------------------------------

    def build(self):
        return self.project.build_all(parallel=2)

    def files(self):
        with open(self.image, "rb") as f:
            img = parse(f.read())
        return {e.path: e.data for e in img.entries if e.kind == "file"}

    def consumer_runs(self):
        with open(self.path("build", "consumer.log")) as f:
            return len(f.read().splitlines())

    def changed(self, *paths):
        """Says that these sources were just changed: past every output."""
        newer_than(self.path("build"), *(self.path("consumer", p) for p in paths))

    def assert_nothing_to_do(self, output, what, packer_may_rerun=False):
        """`output`, a build's, shows no step run. With Make the packer
        reruns after a touch for as long as the image stays older than the
        touched file (it is left alone: make cannot restat), finding it up
        to date; that one step may run then, and nothing else."""
        allowed = [PACKING] if packer_may_rerun and self.generator != "Ninja" else []
        self.assertIn(steps_run(output), ([], allowed), f"{what}:\n{output}")
        if self.generator == "Ninja":
            self.assertIn("no work to do", self.project.ninja_dry_run(), what)

    def assert_image_untouched(self, before, what):
        self.assertEqual(mtime_ns_and_inode(self.image), before, what + ": image was rewritten")


class IncrementalBuild(ConsumerCase):
    """The table of the CMake issue, in order."""

    def bring_in_romfs(self):
        # A copy of the packer, so that the test may change it.
        self.packer = self.path("bin", "romfs")
        os.makedirs(os.path.dirname(self.packer))
        shutil.copy2(ROMFS, self.packer)
        return f"include({copy_romfs_sources(self.path('romfs-src'))}/cmake/Romfs.cmake)"

    def test_rebuilds_exactly_when_needed(self):
        self.project.configure(f"-DROMFS_EXECUTABLE={self.packer}")
        out = self.build()
        self.assertEqual(packer_runs(out), 1, out)
        self.assertEqual(self.consumer_runs(), 1)
        self.assertEqual(self.files(), {
            "model.tflite": b"TFL3" * 40, "labels.txt": b"cat\ndog\n",
            "web/index.html": b"<h1>hi</h1>\n", "web/css/site.css": b"h1{}\n"})
        listing = self.path("build", "assets.romfs.txt")
        with open(listing) as f:
            self.assertIn("model.tflite", f.read())
        stamp = mtime_ns_and_inode(self.image)

        # Build again: nothing to do, Make included.
        self.assert_nothing_to_do(self.build(), "second build")
        self.assert_image_untouched(stamp, "second build")
        self.assertEqual(self.consumer_runs(), 1)

        # Touch every asset, no content change: image and consumer untouched.
        touched = []
        for root, _, names in os.walk(self.path("consumer/assets")):
            for n in names:
                os.utime(os.path.join(root, n))
                touched.append(os.path.relpath(os.path.join(root, n), self.path("consumer")))
        self.changed(*touched)
        out = self.build()
        self.assertEqual(steps_run(out), [PACKING], out)
        self.assert_image_untouched(stamp, "touch")
        self.assertEqual(self.consumer_runs(), 1)
        self.assert_nothing_to_do(self.build(), "build after touch", packer_may_rerun=True)

        # Edit an asset: new bytes in the image, consumer rebuilt.
        self.write("consumer/assets/labels.txt", "cat\ndog\nbird\n")
        self.changed("assets/labels.txt")
        self.build()
        self.assertEqual(self.files()["labels.txt"], b"cat\ndog\nbird\n")
        self.assertEqual(self.consumer_runs(), 2)
        self.assert_nothing_to_do(self.build(), "build after edit")

        # Add a file inside a directory entry.
        self.write("consumer/assets/web/new.js", "x()\n")
        self.changed("assets/web/new.js", "assets/web")
        self.build()
        self.assertEqual(self.files()["web/new.js"], b"x()\n")

        # Remove a file, rename another.
        os.unlink(self.path("consumer/assets/web/new.js"))
        os.rename(self.path("consumer/assets/web/css/site.css"),
                  self.path("consumer/assets/web/css/main.css"))
        self.changed("assets/web", "assets/web/css", "assets/web/css/main.css")
        self.build()
        files = self.files()
        self.assertNotIn("web/new.js", files)
        self.assertNotIn("web/css/site.css", files)
        self.assertEqual(files["web/css/main.css"], b"h1{}\n")

        # Edit the manifest.
        self.write("consumer/assets.yaml", MANIFEST + "  - src: assets/labels.txt\n"
                                                      "    dst: copy/labels.txt\n")
        self.changed("assets.yaml")
        self.build()
        self.assertEqual(self.files()["copy/labels.txt"], b"cat\ndog\nbird\n")

        # Change a DEFINE (the packer's argument file is rewritten).
        self.project.configure("-DLABEL_NAME=classes.txt")
        newer_than(self.path("build"), self.path("build", "assets.romfs.args"))
        self.build()
        files = self.files()
        self.assertIn("classes.txt", files)
        self.assertNotIn("labels.txt", files)
        runs = self.consumer_runs()
        self.assert_nothing_to_do(self.build(), "build after DEFINE change")

        # A new packer, as a rebuilt or upgraded one: the image is rebuilt
        # (the packer keys its cache on its own bytes).
        stamp = mtime_ns_and_inode(self.image)
        with open(self.packer, "ab") as f:
            f.write(b"\0rebuilt by a test\0")
        newer_than(self.path("build"), self.packer)
        out = self.build()
        self.assertNotEqual(mtime_ns_and_inode(self.image), stamp, "packer change: " + out)
        self.assertIn("classes.txt", self.files())
        self.assert_nothing_to_do(self.build(), "build after the packer changed")

        # Delete the hash cache: the next build is still correct.
        shutil.rmtree(self.path("build", "romfs-cache"))
        self.write("consumer/assets/web/index.html", "<h1>bye</h1>\n")
        self.changed("assets/web/index.html")
        self.build()
        self.assertEqual(self.files()["web/index.html"], b"<h1>bye</h1>\n")
        self.assertGreater(self.consumer_runs(), runs)
        self.assert_nothing_to_do(self.build(), "build after deleting the cache")


class Ninja(IncrementalBuild):
    generator = "Ninja"


class UnixMakefiles(IncrementalBuild):
    generator = "Unix Makefiles"


del IncrementalBuild  # only the concrete generators run

if __name__ == "__main__":
    unittest.main()
