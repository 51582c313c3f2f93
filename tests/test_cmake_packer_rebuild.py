"""The packer built by the same build (the `romfs` target, romfs added with
add_subdirectory), with Ninja and Unix Makefiles: a change to its sources
rebuilds it, then the image, and then nothing is left to do."""
import os
import unittest

from romfs_testlib.cmake_project import (copy_romfs_sources, mtime_ns_and_inode, newer_than,
                                         packer_runs)
from test_cmake_incremental import ConsumerCase


class InTreePacker(ConsumerCase):
    def bring_in_romfs(self):
        self.romfs_src = copy_romfs_sources(self.path("romfs-src"))
        return f"add_subdirectory({self.romfs_src} romfs)"

    def test_a_rebuilt_packer_rebuilds_the_image(self):
        # Debug: the packer is compiled twice here, and -O0 is quicker.
        self.project.build_type = "Debug"
        self.project.configure()
        out = self.build()
        self.assertEqual(packer_runs(out), 1, out)
        self.assert_nothing_to_do(self.build(), "second build")
        stamp = mtime_ns_and_inode(self.image)
        main_c = os.path.join(self.romfs_src, "tool", "cli", "main.c")
        with open(main_c, "a") as f:
            f.write('\nconst char *romfs_test_rebuild_note = "rebuilt by a test";\n')
        newer_than(self.path("build"), main_c)
        out = self.build()
        self.assertEqual(packer_runs(out), 1, out)
        self.assertNotEqual(mtime_ns_and_inode(self.image), stamp, "packer change: " + out)
        self.assert_nothing_to_do(self.build(), "build after the packer changed")


class InTreePackerNinja(InTreePacker):
    generator = "Ninja"


class InTreePackerUnixMakefiles(InTreePacker):
    generator = "Unix Makefiles"


del InTreePacker  # only the concrete generators run

if __name__ == "__main__":
    unittest.main()
