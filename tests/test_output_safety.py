"""What romfs leaves on disk when things go wrong around it: two builds
racing for one output, a damaged cache, an output path that cannot be
written. The output path must always hold either the old image or a
complete new one, no temporary file may stay visible, and the next
normal build must give exactly what a build from scratch gives.
test_output_kills.py covers builds killed with SIGKILL.

Races between builds are made exact, where they can be, with
tests/hooks/fs_hook.so (LD_PRELOAD)."""
import os
import random
import shutil
import subprocess
import unittest

from romfs_testlib.fs_hook import HOOK, hook_env
from romfs_testlib.outputs import (TIMEOUT, OutputCase, aged_tree, romfs, temp_leftovers,
                                   variant_files, wait_until_aged, write_variant)
from romfs_testlib.tool import OLD_IMAGE, ROMFS, ScratchTestCase


class Concurrent(OutputCase):
    ROUNDS = 6
    FILE_SIZE = 256 << 10  # long enough for the two builds to overlap

    def setUp(self):
        super().setUp()
        self.write("mB.yaml", "version: 1\nfiles:\n  - src: srcB\n    dst: .\n")
        write_variant(self.path("srcB"), 3, self.FILE_SIZE)

    def expected_b(self):
        d = self.path("freshB")
        if not os.path.isdir(d):
            os.makedirs(d)
            status, err = romfs("build", self.path("mB.yaml"), "-o", "out.img", "--cache-dir",
                                os.path.join(d, "cache"), "-q", cwd=d)
            self.assertEqual(status, 0, err)
        with open(os.path.join(d, "out.img"), "rb") as f:
            return f.read()

    def race(self, manifests):
        procs = [subprocess.Popen([ROMFS, "build", m, "-o", "out.img", "-q"], cwd=self.out,
                                  stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE) for m in manifests]
        results = []
        for p in procs:
            _, err = p.communicate(timeout=TIMEOUT)
            results.append((p.returncode, err.decode("utf-8", "replace")))
        return results

    def check_round(self, results, allowed):
        for status, err in results:
            if status == 0:
                self.assertEqual(err, "")
            else:
                self.assertEqual(status, 1, err)
                lines = err.splitlines()
                self.assertEqual(len(lines), 1, err)
                self.assertTrue(lines[0].startswith("romfs: error: "), err)
        self.assertTrue(any(s == 0 for s, _ in results), f"both builds failed: {results}")
        self.assertTrue(self.out_bytes() in allowed, "out.img is not one of the two images")
        status, err = romfs("verify", "out.img", cwd=self.out)
        self.assertEqual(status, 0, err)
        self.assertEqual(temp_leftovers(self.out), [])
        self.assertEqual(temp_leftovers(os.path.join(self.out, ".romfs-cache", "state")), [])

    def test_different_inputs(self):
        a = self.fresh(1)["out.img"]
        self.set_variant(1)
        b = self.expected_b()
        ma, mb = self.path("m.yaml"), self.path("mB.yaml")
        for i in range(self.ROUNDS):
            with self.subTest(round=i):
                results = self.race([ma, mb] if i % 2 else [mb, ma])
                self.check_round(results, (a, b))
                # Whatever the race left, a plain build of A now gives A.
                status, err = romfs("build", ma, "-o", "out.img", "-q", cwd=self.out)
                self.assertEqual(status, 0, err)
                self.assertTrue(self.out_bytes() == a,
                                "a build after the race left the other build's image")

    def test_same_inputs(self):
        a = self.fresh(1)["out.img"]
        self.set_variant(1)
        m = self.path("m.yaml")
        for i in range(self.ROUNDS):
            with self.subTest(round=i):
                if i % 3 == 0:
                    shutil.rmtree(self.out)
                    os.makedirs(self.out)
                self.check_round(self.race([m, m]), (a,))

    @unittest.skipUnless(HOOK, "fs_hook.so not built")
    def test_other_build_lands_between_rename_and_state(self):
        """Build A renames its image into place; build B (other inputs, same
        output) then runs to the end; then A saves its state. A plain build
        of A afterwards must give A's image, not call B's "up to date"."""
        a = self.fresh(1)["out.img"]
        self.set_variant(1)
        b = self.expected_b()
        other = f"{ROMFS} build {self.path('mB.yaml')} -o out.img -q"
        status, err = romfs("build", self.path("m.yaml"), "-o", "out.img", "-q", cwd=self.out,
                            env=hook_env("rename", "*out.img", "run", ROMFS_HOOK_CMD=other))
        self.assertEqual(status, 0, err)
        self.assertTrue(self.out_bytes() == b, "the other build did not run")
        status, err = romfs("build", self.path("m.yaml"), "-o", "out.img", cwd=self.out)
        self.assertEqual(status, 0, err)
        self.assertTrue(self.out_bytes() == a,
                        f"out.img still holds the other build's image; romfs said: {err.strip()}")


def setUpModule():
    # Made (or found from an earlier run) first, so that the wait for their
    # ctimes to age overlaps the classes that run before DamagedState.
    DamagedState.make_trees()


class DamagedState(OutputCase):
    """The state file records each source's hash only once the source is
    more than a second old (mtime and ctime), so the two source trees here
    are aged ones (romfs_testlib.outputs.aged_tree, kept between runs, as
    a ctime cannot be set back), shared by the tests; a variant is chosen
    by pointing the manifest at one of them."""

    trees = {}

    @classmethod
    def make_trees(cls):
        for v in (1, 2):
            cls.trees[v] = aged_tree(f"output_safety-v{v}", variant_files(v, cls.FILE_SIZE))

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.make_trees()
        wait_until_aged(*cls.trees.values())

    def assert_state_holds_hashes(self):
        """The sources were old enough: the state names each of them."""
        with open(self.state_file(), "rb") as f:
            state = f.read()
        for rel in variant_files(1, 0):
            self.assertIn(os.path.join(self.src, rel).encode() + b"\0", state,
                          "a source is missing from the state: not aged?")

    def set_variant(self, v):
        self.src = self.trees[v]
        self.write("m.yaml", f"version: 1\nfiles:\n  - src: {self.src}\n    dst: .\n")

    def state_file(self):
        names = os.listdir(os.path.join(self.cache, "state"))
        self.assertEqual(len(names), 1, names)
        return os.path.join(self.cache, "state", names[0])

    def damage_cases(self):
        def flip(offsets):
            def f(data):
                b = bytearray(data)
                for o in offsets:
                    b[o % len(b)] ^= 0x5A
                return bytes(b)
            return f
        rng = random.Random(99)
        return {
            "flip one byte in the middle": lambda d: flip([len(d) // 2])(d),
            "flip the key": flip([16, 17, 18]),
            "flip the checksum": flip([-1]),
            "truncate to half": lambda d: d[:len(d) // 2],
            "truncate to nothing": lambda d: b"",
            "drop the checksum": lambda d: d[:-8],
            "garbage of the same size": lambda d: rng.randbytes(len(d)),
            "1 MiB of garbage": lambda d: rng.randbytes(1 << 20),
        }

    def test_damaged_state_files(self):
        self.fresh(1), self.fresh(2)
        for i, (name, damage) in enumerate(self.damage_cases().items()):
            # With the sources unchanged and with them changed, in turn.
            for next_variant in ((1, 2) if i < 2 else (1 + i % 2,)):
                with self.subTest(damage=name, sources_changed=next_variant == 2):
                    shutil.rmtree(self.cache, ignore_errors=True)
                    self.normal_build(1)
                    self.assert_state_holds_hashes()
                    path = self.state_file()
                    with open(path, "rb") as f:
                        data = f.read()
                    with open(path, "wb") as f:
                        f.write(damage(data))
                    self.normal_build(next_variant)

    def test_state_of_another_image(self):
        """The state romfs saved for another image, another build of this one,
        or this one's before the sources changed, put in its place."""
        self.fresh(1), self.fresh(2)
        # Another output path's state (another image, other sources).
        other = self.path("other")
        os.makedirs(other)
        self.set_variant(2)
        self.assertEqual(romfs("build", self.path("m.yaml"), "-o", "other.img", "--cache-dir",
                               self.cache, "-q", cwd=other)[0], 0)
        other_state = [n for n in os.listdir(os.path.join(self.cache, "state"))
                       if n.startswith("other.img-")]
        self.assertEqual(len(other_state), 1)
        with open(os.path.join(self.cache, "state", other_state[0]), "rb") as f:
            foreign = f.read()
        os.unlink(os.path.join(self.cache, "state", other_state[0]))
        for v in (1, 2):
            with self.subTest(case="another image's state", variant=v):
                self.normal_build(1)
                with open(self.state_file(), "wb") as f:
                    f.write(foreign)
                self.normal_build(v)
        # This image's own earlier state, from before the sources changed.
        self.normal_build(1)
        with open(self.state_file(), "rb") as f:
            earlier = f.read()
        self.normal_build(2)
        with open(self.state_file(), "wb") as f:
            f.write(earlier)
        self.normal_build(2)
        self.normal_build(1)

    def test_image_changed_behind_romfs(self):
        """An intact state but an image someone else rewrote, truncated or
        replaced: the next build restores the right image."""
        x = self.fresh(1)["out.img"]
        img = os.path.join(self.out, "out.img")
        for how in ("rewrite in place", "truncate", "replace", "remove"):
            with self.subTest(how=how):
                shutil.rmtree(self.cache, ignore_errors=True)
                self.normal_build(1)
                st = os.stat(img)
                if how == "rewrite in place":
                    with open(img, "r+b") as f:
                        f.seek(len(x) // 2)
                        f.write(b"\xff" * 16)
                    os.utime(img, ns=(st.st_atime_ns, st.st_mtime_ns))
                elif how == "truncate":
                    os.truncate(img, len(x) // 3)
                    os.utime(img, ns=(st.st_atime_ns, st.st_mtime_ns))
                elif how == "replace":
                    shutil.copy2(img, img + ".new")
                    os.replace(img + ".new", img)
                else:
                    os.unlink(img)
                self.normal_build(1)


class BadOutputPaths(ScratchTestCase):
    def setUp(self):
        super().setUp()
        self.write("src/a.txt", "hello\n")
        self.write("m.yaml", "version: 1\nfiles:\n  - src: src\n    dst: .\n")

    def expect_failure(self, *args, line, as_user=None, image="out.img"):
        """romfs build m.yaml ARGS fails with exactly `line`; the old image
        (planted at `image`, when that can be a file) is untouched and
        nothing else appears."""
        img = self.path(image) if image is not None else None
        if image is not None and not os.path.isdir(img) and os.path.isdir(os.path.dirname(img)):
            self.plant_old_image(image)
        before = self.names()
        status, err = romfs("build", "m.yaml", *args, cwd=self.tmp, as_user=as_user)
        self.assertEqual(status, 1, err)
        self.assertEqual(err, line + "\n")
        if image is not None and os.path.isfile(img):
            self.assert_old_image(image)
        self.assertEqual(self.names(), before, "something was left behind")

    def test_onto_a_directory(self):
        os.mkdir(self.path("out.img"))
        self.expect_failure("-o", "out.img",
                            line="romfs: error: out.img: cannot write the output: it is a "
                                 "directory")

    def test_into_a_missing_directory(self):
        self.expect_failure("-o", "missing/out.img", image=None,
                            line="romfs: error: missing/out.img: cannot write the output: "
                                 "No such file or directory")

    def test_into_a_read_only_directory(self):
        os.mkdir(self.path("ro"))
        user = None
        if os.geteuid() == 0:  # root writes anywhere: run as nobody
            user = 65534
            os.chmod(self.tmp, 0o777)
            for p in ("m.yaml", "src", "src/a.txt"):
                os.chmod(self.path(p), 0o755 if os.path.isdir(self.path(p)) else 0o644)
        self.write("ro/out.img", OLD_IMAGE)
        os.chmod(self.path("ro"), 0o555)
        self.addCleanup(os.chmod, self.path("ro"), 0o755)
        self.expect_failure("-o", "ro/out.img", "--cache-dir", self.path("cache"), as_user=user,
                            image="ro/out.img",
                            line="romfs: error: ro/out.img: cannot write the output: "
                                 "Permission denied")

    def test_depfile_or_listing_that_cannot_be_written(self):
        """A build that fails on its depfile or listing fails as a whole:
        the image, written first, must not be left changed either."""
        os.mkdir(self.path("adir"))
        for opt, path, why in (("--depfile", "missing/out.d", "No such file or directory"),
                               ("--listing", "missing/out.lst", "No such file or directory"),
                               ("--listing", "adir", "it is a directory"),
                               ("--depfile", "adir", "it is a directory")):
            with self.subTest(option=opt, path=path):
                what = opt[2:]
                self.expect_failure("-o", "out.img", opt, path,
                                    line=f"romfs: error: {path}: cannot write the {what}: {why}")

    def test_unusable_cache_directory(self):
        """A cache directory that cannot be made is an error, found before
        anything is written: exit 1, one line naming the directory, and the
        old image (or the absence of one) as it was."""
        self.write("afile", "x")
        for cache in ("afile", "afile/sub"):
            for old_image in (True, False):
                with self.subTest(cache=cache, old_image=old_image):
                    if os.path.exists(self.path("out.img")):
                        os.unlink(self.path("out.img"))
                    shown = os.path.join(os.path.realpath(self.tmp), cache)
                    self.expect_failure("-o", "out.img", "--cache-dir", cache,
                                        image="out.img" if old_image else None,
                                        line=f"romfs: error: {shown}: cannot use this cache "
                                             f"directory: Not a directory")


if __name__ == "__main__":
    unittest.main()
