"""`-` as the image (the first-use issue, item 12): ls, cat, extract and
verify read the image from standard input; build and pack-dir write it to
standard output, keep no state and write no depfile unless asked, never
leave a cache behind, never put part of an image on the stream when the
build fails, and refuse to write binary to a terminal."""
import os
import pty
import subprocess
import unittest

from romfs_testlib import trees
from romfs_testlib.fs_hook import HOOK, hook_env
from romfs_testlib.image_reader import parse
from romfs_testlib.tool import ROMFS, SOURCE_DIR, ScratchTestCase, readb, run

TREE = {"a.txt": b"alpha\n", "m.tflite": b"\x01" * 100, "d": {"b.bin": bytes(range(256)),
                                                              "e": {}}}
STANDIN = os.path.join(SOURCE_DIR, "tests", "mpy_cross_standin.py")


class Stdio(ScratchTestCase):
    def setUp(self):
        super().setUp()
        trees.write_tree(self.path("src"), TREE)
        self.write("m.yaml", "version: 1\nfiles:\n  - src: src\n    dst: .\n")
        self.write("work/.keep", "")
        run("build", "m.yaml", "-o", "ref.img", "--quiet", cwd=self.tmp, check=0)
        self.ref = self.read("ref.img")

    def test_build_to_stdout_gives_the_same_bytes_and_keeps_nothing(self):
        os.mkdir(self.path("tmp"))
        env = {"TMPDIR": self.path("tmp")}
        proc = run("build", "../m.yaml", "-o", "-", cwd=self.path("work"), env=env, check=0)
        self.assertEqual(proc.stdout, self.ref)
        self.assertIn("romfs: <stdout>: 3 files, 2 directories", proc.stderr)
        self.assertEqual(os.listdir(self.path("work")), [".keep"])  # no .romfs-cache, no depfile
        self.assertEqual(os.listdir(self.path("tmp")), [])          # the temporary cache is gone

    def test_depfile_when_asked(self):
        proc = run("build", "m.yaml", "-o", "-", "--depfile", "out.d", "-q", cwd=self.tmp, check=0)
        self.assertEqual(proc.stdout, self.ref)
        self.assertTrue(self.read("out.d").startswith(b"-: \\\n"))

    def test_pack_dir_to_stdout(self):
        want = run("pack-dir", "src", "-o", "p.img", "--align", "1", "-q", cwd=self.tmp, check=0)
        self.assertEqual(want.stdout, b"")
        proc = run("pack-dir", "src", "-o", "-", "--align", "1", "-q", cwd=self.path("work"),
                   check=1)  # from work/, src is not there
        proc = run("pack-dir", "../src", "-o", "-", "--align", "1", "-q", cwd=self.path("work"),
                   check=0)
        self.assertEqual(proc.stdout, self.read("p.img"))
        self.assertEqual(os.listdir(self.path("work")), [".keep"])

    def test_mpy_compiles_with_a_temporary_cache(self):
        trees.write_tree(self.path("py"), {"app.py": b"x = 1\n", "lib": {"u.py": b"y = 2\n"}})
        self.write("py.yaml", f"version: 1\nimage:\n  mpy: true\n  mpy_cross: {STANDIN}\n"
                              "files:\n  - src: py\n    dst: .\n")
        os.mkdir(self.path("tmp"))
        proc = run("build", "py.yaml", "-o", "-", "-q", cwd=self.tmp,
                   env={"TMPDIR": self.path("tmp")}, check=0)
        self.assertEqual(set(parse(proc.stdout).files), {"app.mpy", "lib/u.mpy"})
        self.assertEqual(os.listdir(self.path("tmp")), [])

    @unittest.skipIf(HOOK is None, "tests/hooks/fs_hook.so not built")
    def test_a_failed_build_puts_nothing_on_the_stream(self):
        env = hook_env("open", "*/src/d/b.bin", "append")
        proc = run("build", "m.yaml", "-o", "-", cwd=self.tmp, env=env, check=1)
        self.assertEqual(proc.stdout, b"")
        self.assertIn("file grew while it was being packed", proc.stderr)

    def test_not_to_a_terminal(self):
        leader, follower = pty.openpty()
        try:
            proc = subprocess.run([ROMFS, "build", "m.yaml", "-o", "-"], cwd=self.tmp,
                                  stdout=follower, stderr=subprocess.PIPE, text=True)
        finally:
            os.close(follower)
            os.close(leader)
        self.assertEqual(proc.returncode, 2)
        self.assertEqual(proc.stderr, "romfs: error: not writing an image to a terminal: redirect "
                                      "stdout, or give -o FILE\n")

    def test_inspecting_from_stdin(self):
        self.assertEqual(run("ls", "-", "--json", input=self.ref, check=0).stdout,
                         run("ls", self.path("ref.img"), "--json", check=0).stdout)
        self.assertEqual(run("cat", "-", "d/b.bin", input=self.ref, check=0).stdout,
                         bytes(range(256)))
        proc = run("verify", "-", input=self.ref, check=0)
        self.assertTrue(proc.stdout.startswith(b"-: ok: 3 files, 2 directories"), proc.stdout)
        run("extract", "-", self.path("out"), "-q", input=self.ref, check=0)
        trees.assert_same_tree(self, self.path("out"), TREE)

    def test_stdin_faults_say_stdin(self):
        proc = run("verify", "-", input=self.ref[:-4], check=1)
        self.assertEqual(proc.stderr, f"romfs: error: <stdin>: offset 0x3: truncated image: its "
                                      f"length runs past the end of the file "
                                      f"({len(self.ref) - 4} bytes)\n")
        proc = run("ls", "-", input=b"", check=1)
        self.assertEqual(proc.stderr, "romfs: error: <stdin>: not a ROMFS image (too short)\n")

    def test_a_partition_dump_is_read_no_further_than_its_image(self):
        dump = self.ref + b"\xff" * 4096
        proc = run("ls", "-", "--json", input=dump, check=0)
        self.assertEqual(proc.stdout, run("ls", self.path("ref.img"), "--json", check=0).stdout)


if __name__ == "__main__":
    unittest.main()
