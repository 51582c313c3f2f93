"""What `romfs build` writes besides the image: the depfile (every input,
escaped as Make and Ninja read it), the listing and the alignment header
(rewritten only when their contents change), and --size."""
import os
import time
import unittest

from romfs_testlib.tool import ScratchTestCase, readb, run


def depfile_paths(text):
    """The paths of a Make-style depfile, unescaped as GNU make and Ninja do."""
    text = text.replace("\\\n", " ")
    target, _, deps = text.partition(": ")
    paths, cur, i = [], "", 0
    while i < len(deps):
        c = deps[i]
        if c == "\\" and i + 1 < len(deps) and deps[i + 1] in " #":
            cur += deps[i + 1]
            i += 2
            continue
        if c == "$" and deps[i + 1:i + 2] == "$":
            cur += "$"
            i += 2
            continue
        if c in " \n":
            if cur:
                paths.append(cur)
            cur = ""
        else:
            cur += c
        i += 1
    if cur:
        paths.append(cur)
    return target, paths


class Depfile(ScratchTestCase):
    def test_names_the_manifest_every_file_and_every_directory(self):
        self.write("assets/a.txt", "a")
        self.write("assets/sub/b.txt", "b")
        os.makedirs(self.path("assets/empty"))
        self.write("single.bin", "s")
        self.write("m.yaml", "version: 1\nfiles:\n  - src: assets\n  - src: single.bin\n")
        run("build", "m.yaml", "-o", "out.img", "--depfile", "out.d", cwd=self.tmp, check=0)
        target, paths = depfile_paths(open(self.path("out.d")).read())
        self.assertEqual(target, "out.img")
        root = os.path.realpath(self.tmp)
        self.assertEqual(sorted(paths), sorted(os.path.join(root, p) for p in (
            "m.yaml", "assets", "assets/a.txt", "assets/empty", "assets/sub",
            "assets/sub/b.txt", "single.bin")))

    def test_escapes_spaces_hashes_and_dollars(self):
        for name in ("with space.txt", "hash#tag.txt", "dollar$sign.txt", "back\\ slash.txt"):
            self.write(os.path.join("odd dir", name), name)
        self.write("m.yaml", 'version: 1\nfiles:\n  - src: "odd dir"\n')
        run("build", "m.yaml", "-o", "out.img", "--depfile", "out.d", cwd=self.tmp, check=0)
        text = open(self.path("out.d")).read()
        self.assertIn("odd\\ dir/with\\ space.txt", text)
        self.assertIn("hash\\#tag.txt", text)
        self.assertIn("dollar$$sign.txt", text)
        self.assertIn("back\\\\\\ slash.txt", text)  # a backslash before a space doubles
        _, paths = depfile_paths(text)
        root = os.path.realpath(self.tmp)
        for name in ("with space.txt", "hash#tag.txt", "dollar$sign.txt"):
            self.assertIn(os.path.join(root, "odd dir", name), paths)

    def test_written_on_every_run_even_when_nothing_changed(self):
        """Ninja reads and deletes the depfile after each run: it must come
        back even when the image is up to date."""
        self.write("assets/a.txt", "a")
        self.write("m.yaml", "version: 1\nfiles:\n  - src: assets\n")
        run("build", "m.yaml", "-o", "out.img", "--depfile", "out.d", cwd=self.tmp, check=0)
        first = readb("%s/out.d" % self.tmp)
        os.unlink(self.path("out.d"))
        proc = run("build", "m.yaml", "-o", "out.img", "--depfile", "out.d", cwd=self.tmp,
                   check=0)
        self.assertIn("up to date", proc.stderr)
        self.assertEqual(readb(self.path("out.d")), first)


class SideFiles(ScratchTestCase):
    def setUp(self):
        super().setUp()
        self.write("assets/model.tflite", b"\x01" * 100)
        self.write("assets/labels.txt", "cat\n")
        self.write("m.yaml", "version: 1\nfiles:\n  - src: assets\n    dst: .\n")

    def build(self, *extra):
        return run("build", "m.yaml", "-o", "out.img", "--listing", "out.txt",
                   "--align-header", "out.h", *extra, cwd=self.tmp, check=0)

    def test_listing_is_what_ls_prints(self):
        """The listing beside the image is `romfs ls --manifest` of it: the
        alignments it says each file needs are the build's own."""
        self.build()
        listing = readb(self.path("out.txt"))
        self.assertEqual(listing, run("ls", "out.img", "--manifest", "m.yaml", cwd=self.tmp,
                                      check=0).stdout)
        needs = {line.split()[0]: line.split()[3] for line in listing.decode().splitlines()[1:]}
        self.assertEqual(needs, {"labels.txt": "4", "model.tflite": "16"})

    def test_align_header_says_the_largest_alignment(self):
        self.build()
        self.assertIn(b"#define ROMFS_IMAGE_ALIGN 16\n", readb(self.path("out.h")))
        self.write("m.yaml", "version: 1\nimage:\n  align: 64\nfiles:\n  - src: assets\n"
                             "    dst: .\n")
        self.build()
        self.assertIn(b"#define ROMFS_IMAGE_ALIGN 64\n", readb(self.path("out.h")))

    def test_side_files_are_rewritten_only_when_they_change(self):
        self.build()
        past = time.time() - 100
        for name in ("out.txt", "out.h"):
            os.utime(self.path(name), (past, past))
        # A new image whose listing changes but whose alignment does not.
        self.write("assets/labels.txt", "cat\ndog\n")
        self.build()
        self.assertGreater(os.stat(self.path("out.txt")).st_mtime, past + 50)
        self.assertEqual(os.stat(self.path("out.h")).st_mtime, past)


class Size(ScratchTestCase):
    def setUp(self):
        super().setUp()
        self.write("assets/a.bin", b"x" * 1000)
        self.write("m.yaml", "version: 1\nimage:\n  size: 64K\nfiles:\n  - src: assets\n")

    def test_size_overrides_image_size(self):
        proc = run("build", "m.yaml", "-o", "out.img", "--size", "512", cwd=self.tmp, check=1)
        self.assertEqual(proc.stderr, "romfs: error: image is 1028 bytes, 516 bytes over --size "
                                      "(512 bytes)\n")
        proc = run("build", "m.yaml", "-o", "out.img", "--size", "2K", cwd=self.tmp, check=0)
        self.assertIn("1028 / 2048 bytes used (50.2%), 1020 bytes free", proc.stderr)

    def test_usage_errors(self):
        for args, line in ((("--size", "12Q"), "romfs: error: --size must be a byte count such "
                                               "as 131072, 0x20000, 128K or 8M, not '12Q'"),
                           (("--jobs", "0"), "romfs: error: --jobs must be a number from 1 to "
                                             "1024, not '0'")):
            with self.subTest(args=args):
                proc = run("build", "m.yaml", "-o", "out.img", *args, cwd=self.tmp, check=2)
                self.assertEqual(proc.stderr, line + "\n")
        self.assertFalse(os.path.exists(self.path("out.img")))


if __name__ == "__main__":
    unittest.main()
