"""Hostile source trees: symlink cycles and escapes, FIFOs, sockets and
devices, file names that cannot be MicroPython names, and files that
change or vanish while romfs packs them. The races are made exact with
tests/hooks/fs_hook.so (LD_PRELOAD): when romfs opens a given path for
the Nth time, the shim first appends to, truncates, rewrites, replaces
or removes it."""
import os
import shutil
import socket
import stat
import unittest

from romfs_testlib.image_reader import parse
from romfs_testlib.fs_hook import HOOK, hook_env
from romfs_testlib.tool import ScratchTestCase, run_bounded
from romfs_testlib.trees import read_tree

TIMEOUT = 20  # seconds; a build that blocks (on a FIFO, say) fails the test


def romfs(*args, cwd, env=None):
    """Runs romfs under the time limit; returns (status, stderr text)."""
    return run_bounded(*args, cwd=cwd, env=env, timeout=TIMEOUT)


def fired(log):
    """Whether the hook acted (its log has a line naming an action)."""
    try:
        with open(log) as f:
            return any(len(line.split(" ")) >= 4 for line in f.read().splitlines())
    except FileNotFoundError:
        return False


class TreeCase(ScratchTestCase):
    MANIFEST = "version: 1\nfiles:\n  - src: tree\n"

    def setUp(self):
        super().setUp()
        self.write("tree/a.txt", "hello\n")
        self.write("tree/sub/b.txt", "b\n")
        self.write("m.yaml", self.MANIFEST)

    def expect_error(self, line, manifest="m.yaml"):
        """The build fails with exactly `line`, the old image untouched and
        nothing new in the scratch directory."""
        self.plant_old_image()
        before = self.names()
        status, err = romfs("build", manifest, "-o", "out.img", "--depfile", "out.d",
                            cwd=self.tmp)
        self.assertEqual(status, 1, err)
        self.assertEqual(err, line + "\n")
        self.assert_old_image()
        self.assertEqual(self.names(), before, "a file was left behind")

    def build_ok(self, *extra):
        status, err = romfs("build", "m.yaml", "-o", "out.img", *extra, cwd=self.tmp)
        self.assertEqual(status, 0, err)
        return err


class Symlinks(TreeCase):
    def test_cycle_to_the_parent(self):
        os.symlink("..", self.path("tree/sub/up"))
        self.expect_error("romfs: error: m.yaml:3:10: tree/sub/up: symlink cycle: this "
                          "directory is tree again")

    def test_cycle_to_the_entry_root(self):
        os.symlink(os.path.realpath(self.path("tree")), self.path("tree/sub/root"))
        self.expect_error("romfs: error: m.yaml:3:10: tree/sub/root: symlink cycle: this "
                          "directory is tree again")
        os.unlink(self.path("tree/sub/root"))
        os.symlink(".", self.path("tree/here"))
        self.expect_error("romfs: error: m.yaml:3:10: tree/here: symlink cycle: this "
                          "directory is tree again")

    def test_cycle_of_two_links(self):
        os.symlink("b", self.path("tree/a"))
        os.symlink("a", self.path("tree/b"))
        self.expect_error("romfs: error: m.yaml:3:10: tree/a: symlink cycle: following 'b' "
                          "never reaches a file")

    def test_link_to_itself(self):
        os.symlink("s", self.path("tree/sub/s"))
        self.expect_error("romfs: error: m.yaml:3:10: tree/sub/s: symlink cycle: following 's' "
                          "never reaches a file")

    def test_src_is_a_link_cycle(self):
        os.symlink("loop", self.path("loop"))
        self.write("m.yaml", "version: 1\nfiles:\n  - src: loop\n")
        self.expect_error(f"romfs: error: m.yaml:3:10: src 'loop': Too many levels of symbolic "
                          f"links (looked for {os.path.realpath(self.tmp)}/loop)")

    def test_links_out_of_the_tree(self):
        outside = self.write("outside/secret.txt", "secret")
        os.symlink("../../outside/secret.txt", self.path("tree/sub/file"))
        self.expect_error(f"romfs: error: m.yaml:3:10: tree/sub/file: symlink leads out of the "
                          f"directory entry's tree (to {os.path.realpath(outside)}); copy the "
                          f"file in or add it as an entry of its own")
        os.unlink(self.path("tree/sub/file"))
        os.symlink(os.path.realpath(self.path("outside")), self.path("tree/dir"))
        self.expect_error(f"romfs: error: m.yaml:3:10: tree/dir: symlink leads out of the "
                          f"directory entry's tree (to {os.path.realpath(self.path('outside'))}"
                          f"); copy the file in or add it as an entry of its own")
        os.unlink(self.path("tree/dir"))
        # A sibling whose name starts with the tree's name is still outside.
        self.write("tree2/x.txt", "x")
        os.symlink("../tree2/x.txt", self.path("tree/x"))
        self.expect_error(f"romfs: error: m.yaml:3:10: tree/x: symlink leads out of the "
                          f"directory entry's tree (to {os.path.realpath(self.path('tree2'))}"
                          f"/x.txt); copy the file in or add it as an entry of its own")

    def test_dangling(self):
        os.symlink("nowhere", self.path("tree/sub/gone"))
        self.expect_error("romfs: error: m.yaml:3:10: tree/sub/gone: dangling symlink: its "
                          "target 'nowhere' does not exist")

    def test_links_inside_the_tree_are_followed(self):
        os.symlink("sub/b.txt", self.path("tree/link.txt"))
        os.symlink("sub", self.path("tree/linkdir"))
        self.build_ok()
        files = parse(self.read("out.img")).files
        self.assertEqual(files["tree/link.txt"].data, b"b\n")
        self.assertEqual(files["tree/linkdir/b.txt"].data, b"b\n")


class SpecialFiles(TreeCase):
    """Reading a FIFO would block and a device has no fixed contents: romfs
    skips them inside a tree with a warning (and refuses one named as a
    src), and never blocks."""

    def expect_skipped(self, name):
        err = self.build_ok()
        self.assertEqual(err.splitlines()[0],
                         f"romfs: warning: m.yaml:3:10: tree/{name}: not a regular file or "
                         f"directory; skipped")
        self.assertNotIn("error", err)
        img = parse(self.read("out.img"))
        self.assertEqual(sorted(img.files), ["tree/a.txt", "tree/sub/b.txt"])

    def test_fifo(self):
        os.mkfifo(self.path("tree/fifo"))
        self.expect_skipped("fifo")

    def test_fifo_behind_a_symlink(self):
        os.mkfifo(self.path("tree/sub/fifo"))
        os.symlink("sub/fifo", self.path("tree/link"))
        err = self.build_ok()
        self.assertIn("romfs: warning: m.yaml:3:10: tree/link: not a regular file or directory; "
                      "skipped\n", err)
        self.assertIn("romfs: warning: m.yaml:3:10: tree/sub/fifo: not a regular file or "
                      "directory; skipped\n", err)

    def test_unix_socket(self):
        path = self.path("tree/sock")
        if len(os.fsencode(path)) >= 108:
            self.skipTest(f"{path} is too long for a Unix socket address")
        s = socket.socket(socket.AF_UNIX)
        self.addCleanup(s.close)
        s.bind(path)
        self.expect_skipped("sock")

    def test_device_node(self):
        try:
            os.mknod(self.path("tree/null"), stat.S_IFCHR | 0o666, os.makedev(1, 3))
        except (PermissionError, OSError) as e:
            self.skipTest(f"cannot create a device node here: {e}")
        self.expect_skipped("null")

    def test_fifo_as_a_src(self):
        os.mkfifo(self.path("fifo"))
        self.write("m.yaml", "version: 1\nfiles:\n  - src: fifo\n")
        self.expect_error("romfs: error: m.yaml:3:10: src 'fifo' is not a regular file or "
                          "directory")


class BadNames(TreeCase):
    def check(self, raw_name, shown, why, is_dir=False):
        path = os.path.join(os.fsencode(self.path("tree/sub")), raw_name)
        if is_dir:
            os.mkdir(path)
            with open(os.path.join(path, b"inner.txt"), "wb") as f:
                f.write(b"x")
        else:
            with open(path, "wb") as f:
                f.write(b"x")
        try:
            self.expect_error(f"romfs: error: m.yaml:3:10: tree/sub/{shown}: {why}")
        finally:
            shutil.rmtree(path) if is_dir else os.unlink(path)

    def test_control_characters(self):
        for raw, shown, code in ((b"new\nline.txt", "new\\nline.txt", "0a"),
                                 (b"tab\there.txt", "tab\\there.txt", "09"),
                                 (b"cr\r.txt", "cr\\x0d.txt", "0d"),
                                 (b"esc\x1b[31m.txt", "esc\\x1b[31m.txt", "1b"),
                                 (b"bell\x07", "bell\\x07", "07"),
                                 (b"del\x7f.txt", "del\\x7f.txt", "7f")):
            with self.subTest(name=raw):
                self.check(raw, shown, f"file name contains control character 0x{code}; "
                                       f"rename it")
        with self.subTest(name="a directory"):
            self.check(b"dir\nname", "dir\\nname",
                       "file name contains control character 0x0a; rename it", is_dir=True)

    def test_not_utf8(self):
        why = "file name is not valid UTF-8 (MicroPython names are str); rename it"
        for raw, shown in ((b"latin1-\xe9.txt", "latin1-\\xe9.txt"),
                           (b"ff-\xff.txt", "ff-\\xff.txt"),
                           (b"overlong-\xc0\xaf.txt", "overlong-\\xc0\\xaf.txt"),
                           (b"surrogate-\xed\xa0\x80.txt", "surrogate-\\xed\\xa0\\x80.txt"),
                           (b"cut-\xe2\x82", "cut-\\xe2\\x82")):
            with self.subTest(name=raw):
                self.check(raw, shown, why)
        with self.subTest(name="a directory"):
            self.check(b"dir-\xff", "dir-\\xff", why, is_dir=True)

    def test_a_file_entry_with_a_bad_name(self):
        with open(os.path.join(os.fsencode(self.tmp), b"bad\nname.txt"), "wb") as f:
            f.write(b"x")
        self.write("m.yaml", 'version: 1\nfiles:\n  - src: "bad\\nname.txt"\n')
        self.expect_error("romfs: error: m.yaml:3:10: file name 'bad\\nname.txt' contains a "
                          "control character")


@unittest.skipUnless(HOOK, "fs_hook.so not built (set ROMFS_FS_HOOK, or add tests/hooks to "
                           "the build)")
class ChangingFiles(TreeCase):
    """A source that changes between the walk (which fixes the layout) and
    the copy, or between hashing it and copying it, must never give a
    corrupt image: romfs fails, naming the file, and the old image stays."""

    BIG = 1_200_000  # more than the writer's 1 MiB buffer

    def setUp(self):
        super().setUp()
        self.content = bytes((i * 7 + i // 251) & 0xFF for i in range(self.BIG))
        self.write("tree/a.txt", self.content)

    def prepare(self, with_old_image):
        """With an old image: build once, then change a.txt so the next build
        opens it twice (hash to compare with the old image, then copy).
        Without: no image and no state, a.txt is opened once (the copy)."""
        shutil.rmtree(self.path(".romfs-cache"), ignore_errors=True)
        for name in ("out.img", "out.d", "hook.log", "tree/a.txt"):
            if os.path.lexists(self.path(name)):
                os.unlink(self.path(name))
        self.write("tree/a.txt", self.content)
        if with_old_image:
            self.build_ok()
            self.write("tree/a.txt", self.content[::-1] + b"changed\n")
        return self.read("out.img") if with_old_image else None

    def hooked_build(self, action, n):
        log = self.path("hook.log")
        env = hook_env("open", "*/tree/a.txt", action, n, log)
        status, err = romfs("build", "m.yaml", "-o", "out.img", "--depfile", "out.d",
                            cwd=self.tmp, env=env)
        return status, err, fired(log)

    FAILURES = {
        "append": "file grew while it was being packed; build again",
        "truncate": "file shrank while it was being packed; build again",
        "shrink": "file shrank while it was being packed; build again",
        "unlink": "cannot read: No such file or directory",
        "fifo": "is no longer a regular file; build again",
    }

    def test_a_file_that_changes_size_or_vanishes(self):
        for with_old in (True, False):
            for action, why in self.FAILURES.items():
                for n in (1, 2):
                    with self.subTest(old_image=with_old, action=action, open_number=n):
                        self.one_failing_race(with_old, action, n, why)

    def one_failing_race(self, with_old, action, n, why):
        old = self.prepare(with_old)
        st = os.stat(self.path("out.img")) if with_old else None
        before = sorted(os.listdir(self.tmp))
        status, err, hit = self.hooked_build(action, n)
        if not hit:
            # romfs opened a.txt fewer than n times: nothing happened to it.
            self.assertEqual(n, 2, f"the hook never fired; stderr:\n{err}")
            self.assertEqual(status, 0, err)
            return
        self.assertEqual(status, 1, err)
        self.assertEqual(err, f"romfs: error: tree/a.txt: {why}\n")
        if with_old:
            self.assertEqual(self.read("out.img"), old, "the old image was changed")
            st2 = os.stat(self.path("out.img"))
            self.assertEqual((st2.st_ino, st2.st_mtime_ns), (st.st_ino, st.st_mtime_ns))
        else:
            self.assertFalse(os.path.exists(self.path("out.img")), "an image was written")
        after = sorted(os.listdir(self.tmp))
        self.assertEqual([x for x in after if x != "hook.log"],
                         [x for x in before if x != "hook.log"], "a file was left behind")
        # Once the file holds still, the next build is right.
        if action in ("unlink", "fifo"):
            if os.path.lexists(self.path("tree/a.txt")):
                os.unlink(self.path("tree/a.txt"))
            self.write("tree/a.txt", b"back\n")
        self.build_ok()
        self.assert_image_matches_sources()

    def test_a_file_replaced_by_a_link_out_of_the_tree(self):
        """Swapped for a symlink to a file outside the tree, of the same
        size, after the walk checked it: the outside bytes must not end up
        in the image (the walk refuses such a link; the copy must too)."""
        for with_old in (True, False):
            for n in (1, 2):
                with self.subTest(old_image=with_old, open_number=n):
                    old = self.prepare(with_old)
                    size = os.path.getsize(self.path("tree/a.txt"))
                    secret = b"SECRET!\n" * (size // 8) + b"S" * (size % 8)
                    outside = self.write("outside/secret.bin", secret)
                    log = self.path("hook.log")
                    env = hook_env("open", "*/tree/a.txt", "symlink", n, log,
                                   ROMFS_HOOK_DATA=outside)
                    status, err = romfs("build", "m.yaml", "-o", "out.img", cwd=self.tmp,
                                        env=env)
                    if not fired(log):
                        self.assertEqual(n, 2, "the hook never fired")
                        continue
                    if os.path.exists(self.path("out.img")):
                        self.assertFalse(secret[:64] in self.read("out.img"),
                                         f"bytes from outside the tree were packed (exit "
                                         f"{status}, stderr: {err!r})")
                    self.assertEqual(status, 1, err)
                    self.assertRegex(err, r"^romfs: error: tree/a\.txt: [^\n]*\n\Z")
                    if with_old:
                        self.assertEqual(self.read("out.img"), old)
                    else:
                        self.assertFalse(os.path.exists(self.path("out.img")))

    def test_same_size_change_between_hash_and_copy(self):
        """Rewritten in place, same size: whichever bytes romfs copied, the
        image must hold exactly them, structurally sound, and the next
        build must agree with a build from scratch."""
        for with_old in (True, False):
            for n in (1, 2):
                with self.subTest(old_image=with_old, open_number=n):
                    self.prepare(with_old)
                    status, err, hit = self.hooked_build("rewrite", n)
                    self.assertEqual(status, 0, err)
                    if n == 1 or with_old:
                        self.assertTrue(hit, "the hook never fired")
                    status, verr = romfs("verify", "out.img", cwd=self.tmp)
                    self.assertEqual(status, 0, verr)
                    self.assert_image_matches_sources()
                    self.build_ok()
                    self.assert_image_matches_sources()

    def assert_image_matches_sources(self):
        """out.img extracts to tree/ exactly, and equals a fresh build of
        it (another output, another cache)."""
        shutil.rmtree(self.path("x"), ignore_errors=True)
        status, err = romfs("extract", "out.img", "x", cwd=self.tmp)
        self.assertEqual(status, 0, err)
        self.assertEqual(read_tree(self.path("x", "tree")), read_tree(self.path("tree")),
                         "the image does not hold the sources' bytes")
        shutil.rmtree(self.path("x"))
        fresh = self.path("fresh")
        shutil.rmtree(fresh, ignore_errors=True)
        os.mkdir(fresh)
        status, err = romfs("build", self.path("m.yaml"), "-o", os.path.join(fresh, "out.img"),
                            "--cache-dir", os.path.join(fresh, "cache"), cwd=fresh)
        self.assertEqual(status, 0, err)
        with open(os.path.join(fresh, "out.img"), "rb") as f:
            self.assertEqual(self.read("out.img"), f.read(), "differs from a fresh build")
        shutil.rmtree(fresh)


if __name__ == "__main__":
    unittest.main()
