"""romfs_add_image() in real nested CMake builds, Ninja and Unix Makefiles:
the image is rebuilt exactly when it should be, and nothing downstream
runs when its bytes did not change."""
import os
import shutil
import textwrap
import time
import unittest

from romfs_testlib.cmake_project import (Project, copy_romfs_sources, mtime_ns_and_inode,
                                         packer_runs)
from romfs_testlib.image_reader import parse
from romfs_testlib.tool import ScratchTestCase

CONSUMER = """\
cmake_minimum_required(VERSION 3.20)
project(consumer C)
add_subdirectory({romfs} romfs)

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


class IncrementalBuild(ScratchTestCase):
    generator = None  # set by the subclasses below

    def setUp(self):
        super().setUp()
        if self.generator is None:
            self.skipTest("base class")
        if shutil.which("ninja" if self.generator == "Ninja" else "make") is None:
            self.skipTest(f"{self.generator} not installed")
        romfs = copy_romfs_sources(self.path("romfs-src"))
        self.write("consumer/CMakeLists.txt", CONSUMER.format(romfs=romfs))
        self.write("consumer/log.cmake", 'file(APPEND "${LOG}" "consumer\\n")\n')
        self.write("consumer/assets.yaml", MANIFEST)
        self.write("consumer/assets/model.tflite", b"TFL3" * 40)
        self.write("consumer/assets/labels.txt", "cat\ndog\n")
        self.write("consumer/assets/web/index.html", "<h1>hi</h1>\n")
        self.write("consumer/assets/web/css/site.css", "h1{}\n")
        self.romfs_src = romfs
        self.project = Project(self.path("consumer"), self.path("build"), self.generator)
        self.image = self.path("build", "assets.romfs")

    # Helpers ------------------------------------------------------------

    def build(self):
        return self.project.build_all()

    def files(self):
        with open(self.image, "rb") as f:
            img = parse(f.read())
        return {e.path: e.data for e in img.entries if e.kind == "file"}

    def consumer_runs(self):
        with open(self.path("build", "consumer.log")) as f:
            return len(f.read().splitlines())

    def assert_nothing_to_do(self, output, what):
        if self.generator == "Ninja":
            self.assertIn("no work to do", self.project.ninja_dry_run(), what)
        else:
            self.assertLessEqual(packer_runs(output), 1, what)

    def assert_image_untouched(self, before, what):
        self.assertEqual(mtime_ns_and_inode(self.image), before, what + ": image was rewritten")

    def tick(self):
        """Lets mtimes move on, so that a change is visible to make."""
        time.sleep(1.1)

    # The table of the CMake issue, in order -------------------------------

    def test_rebuilds_exactly_when_needed(self):
        self.project.configure()
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

        # Build again: nothing to do (make may rerun the packer; it writes nothing).
        self.tick()
        out = self.build()
        self.assert_nothing_to_do(out, "second build")
        self.assert_image_untouched(stamp, "second build")
        self.assertEqual(self.consumer_runs(), 1)

        # Touch every asset, no content change: image and consumer untouched.
        self.tick()
        for root, _, names in os.walk(self.path("consumer/assets")):
            for n in names:
                os.utime(os.path.join(root, n))
        out = self.build()
        self.assertLessEqual(packer_runs(out), 1, out)
        self.assert_image_untouched(stamp, "touch")
        self.assertEqual(self.consumer_runs(), 1)
        out = self.build()
        self.assert_nothing_to_do(out, "build after touch")

        # Edit an asset: new bytes in the image, consumer rebuilt.
        self.tick()
        self.write("consumer/assets/labels.txt", "cat\ndog\nbird\n")
        self.build()
        self.assertEqual(self.files()["labels.txt"], b"cat\ndog\nbird\n")
        self.assertEqual(self.consumer_runs(), 2)
        self.assert_nothing_to_do(self.build(), "build after edit")

        # Add a file inside a directory entry.
        self.tick()
        self.write("consumer/assets/web/new.js", "x()\n")
        self.build()
        self.assertEqual(self.files()["web/new.js"], b"x()\n")

        # Remove a file, rename another.
        self.tick()
        os.unlink(self.path("consumer/assets/web/new.js"))
        os.rename(self.path("consumer/assets/web/css/site.css"),
                  self.path("consumer/assets/web/css/main.css"))
        self.build()
        files = self.files()
        self.assertNotIn("web/new.js", files)
        self.assertNotIn("web/css/site.css", files)
        self.assertEqual(files["web/css/main.css"], b"h1{}\n")

        # Edit the manifest.
        self.tick()
        self.write("consumer/assets.yaml", MANIFEST + "  - src: assets/labels.txt\n"
                                                      "    dst: copy/labels.txt\n")
        self.build()
        self.assertEqual(self.files()["copy/labels.txt"], b"cat\ndog\nbird\n")

        # Change a DEFINE.
        self.tick()
        self.project.configure("-DLABEL_NAME=classes.txt")
        self.build()
        files = self.files()
        self.assertIn("classes.txt", files)
        self.assertNotIn("labels.txt", files)
        runs = self.consumer_runs()
        self.assert_nothing_to_do(self.build(), "build after DEFINE change")

        # Rebuild the packer with a change: the image is rebuilt.
        self.tick()
        stamp = mtime_ns_and_inode(self.image)
        with open(os.path.join(self.romfs_src, "tool", "cli", "main.c"), "a") as f:
            f.write('\nconst char *romfs_test_rebuild_note = "rebuilt by a test";\n')
        out = self.build()
        self.assertNotEqual(mtime_ns_and_inode(self.image), stamp, "packer change: " + out)
        self.assertIn("classes.txt", self.files())

        # Delete the hash cache: the next build is still correct.
        self.tick()
        shutil.rmtree(self.path("build", "romfs-cache"))
        self.write("consumer/assets/web/index.html", "<h1>bye</h1>\n")
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
