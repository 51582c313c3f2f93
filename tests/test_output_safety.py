"""What romfs leaves on disk when things go wrong around it: a build
killed with SIGKILL at any moment, two builds racing for one output, a
damaged cache, an output path that cannot be written. The output path
must always hold either the old image or a complete new one, no
temporary file may stay visible, and the next normal build must give
exactly what a build from scratch gives.

Exact kill points come from tests/hooks/fs_hook.so (LD_PRELOAD), which
can SIGKILL romfs just before or just after it links or renames one of
its outputs into place."""
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

from romfs_testlib.fs_hook import HOOK, hook_env
from romfs_testlib.tool import ROMFS, TMP_ROOT, ScratchTestCase, ASAN_BUILT
from romfs_testlib.trees import read_tree

TIMEOUT = 60  # seconds, for one romfs run; expiry fails the test
KILLS = 30


def full_env(env):
    e = dict(os.environ)
    e.update(env or {})
    return e


def romfs(*args, cwd, env=None, as_user=None):
    """Runs romfs to the end; returns (status, stderr text)."""
    cmd = [ROMFS, *map(str, args)]
    if as_user is not None:
        cmd = ["setpriv", f"--reuid={as_user}", f"--regid={as_user}", "--clear-groups", *cmd]
    try:
        proc = subprocess.run(cmd, cwd=cwd, env=full_env(env), stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"romfs {' '.join(map(str, args))}: still running after "
                             f"{TIMEOUT} s") from None
    return proc.returncode, proc.stderr.decode("utf-8", "replace")


def has_o_tmpfile(directory):
    """Whether unnamed temporary files can be made in `directory` (romfs
    then leaves no named temporary file even when killed mid-write)."""
    flag = getattr(os, "O_TMPFILE", None)
    if flag is None or not os.access("/proc/self/fd", os.X_OK):
        return False
    try:
        fd = os.open(directory, flag | os.O_WRONLY, 0o600)
    except OSError:
        return False
    os.close(fd)
    return True


def temp_leftovers(directory):
    """Names in `directory` that look like romfs temporary files."""
    if not os.path.isdir(directory):
        return []
    return sorted(n for n in os.listdir(directory) if re.search(r"\.tmp", n))


def write_variant(root, variant, file_size):
    """The sources: 16 files of file_size bytes, toggle.bin and small/v.txt
    over a few directories; the last two (size and bytes) depend on
    `variant`."""
    rng = random.Random(1234)
    for i in range(16):
        path = os.path.join(root, f"d{i % 4}", f"f{i:02d}.bin")
        if not os.path.exists(path):
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(rng.randbytes(file_size))
    vr = random.Random(variant)
    with open(os.path.join(root, "toggle.bin"), "wb") as f:
        f.write(vr.randbytes(file_size // 2 + 1000 * variant))
    os.makedirs(os.path.join(root, "small"), exist_ok=True)
    with open(os.path.join(root, "small", "v.txt"), "w") as f:
        f.write(f"variant {variant}\n" * (variant + 1))


class OutputCase(ScratchTestCase):
    """self.tmp/src holds the sources, self.tmp/out the outputs (out.img,
    out.lst, out.d), self.tmp/cache the cache directory."""

    FILE_SIZE = 64 << 10  # 1 MB of sources in all

    def setUp(self):
        super().setUp()
        self.src = self.path("src")
        self.out = self.path("out")
        self.cache = self.path("cache")
        os.makedirs(self.out)
        self.write("m.yaml", "version: 1\nfiles:\n  - src: src\n    dst: .\n")
        self.expected = {}

    # -- helpers

    def args(self):
        return ("build", self.path("m.yaml"), "-o", "out.img", "--listing", "out.lst",
                "--depfile", "out.d", "--cache-dir", self.cache, "-q")

    def set_variant(self, v):
        write_variant(self.src, v, self.FILE_SIZE)

    def fresh(self, v):
        """The outputs of a build from scratch of variant v (in a directory of
        their own, with a cache of their own): {name: bytes}."""
        if v not in self.expected:
            self.set_variant(v)
            d = self.path(f"fresh{v}")
            os.makedirs(d)
            status, err = romfs("build", self.path("m.yaml"), "-o", "out.img", "--listing",
                                "out.lst", "--depfile", "out.d", "--cache-dir",
                                os.path.join(d, "cache"), "-q", cwd=d)
            self.assertEqual(status, 0, err)
            got = {}
            for name in ("out.img", "out.lst", "out.d"):
                with open(os.path.join(d, name), "rb") as f:
                    got[name] = f.read()
            status, err = romfs("verify", "out.img", cwd=d)
            self.assertEqual(status, 0, err)
            status, err = romfs("extract", "out.img", "x", cwd=d)
            self.assertEqual(status, 0, err)
            self.assertEqual(read_tree(os.path.join(d, "x")), read_tree(self.src))
            shutil.rmtree(d)
            self.expected[v] = got
        return self.expected[v]

    def out_bytes(self, name="out.img"):
        p = os.path.join(self.out, name)
        if not os.path.exists(p):
            return None
        with open(p, "rb") as f:
            return f.read()

    def normal_build(self, v):
        """Builds variant v normally and checks all three outputs equal a
        build from scratch, and that no temporary file is left anywhere."""
        want = self.fresh(v)
        self.set_variant(v)
        status, err = romfs(*self.args(), cwd=self.out)
        self.assertEqual(status, 0, err)
        for name, data in want.items():
            self.assertTrue(self.out_bytes(name) == data,
                            f"{name} differs from a build from scratch")
        self.assertEqual(temp_leftovers(self.out), [], "temporary files left in the output "
                                                       "directory")
        self.assertEqual(temp_leftovers(os.path.join(self.cache, "state")), [],
                         "temporary files left in the cache")


class RandomKills(OutputCase):
    FILE_SIZE = 2 << 20  # 34 MB of sources: a build that takes a while

    def test_sigkill_at_random_moments(self):
        old_tmpfile = not has_o_tmpfile(self.out)
        x, y = self.fresh(1)["out.img"], self.fresh(2)["out.img"]
        images = {1: x, 2: y}
        # How long a build that rewrites the image takes here.
        durations = []
        for v in (1, 2):
            self.set_variant(v)
            t0 = time.monotonic()
            status, err = romfs(*self.args(), cwd=self.out)
            durations.append(time.monotonic() - t0)
            self.assertEqual(status, 0, err)
        current = 2
        span = max(durations) * 1.3
        rng = random.Random(20240611)
        outcomes = {"old": 0, "new": 0}
        named_leftovers = []
        for i in range(KILLS):
            target = 2 if current == 1 else 1
            self.set_variant(target)
            proc = subprocess.Popen([ROMFS, *self.args()], cwd=self.out,
                                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.PIPE)
            time.sleep(rng.uniform(0, span))
            proc.kill()
            _, err = proc.communicate(timeout=TIMEOUT)
            err = err.decode("utf-8", "replace")
            if proc.returncode not in (0, -signal.SIGKILL):
                self.fail(f"kill {i}: romfs exited {proc.returncode}: {err}")
            data = self.out_bytes()
            if data == images[current]:
                outcomes["old"] += 1
            elif data == images[target]:
                outcomes["new"] += 1
                current = target
            else:
                self.fail(f"kill {i} after {span:.3f} s at most: out.img is neither the old "
                          f"image nor the new one ({'missing' if data is None else len(data)} "
                          f"bytes)")
            for d in (self.out, os.path.join(self.cache, "state")):
                for name in temp_leftovers(d):
                    # The one window O_TMPFILE cannot close: the complete file
                    # linked under a temporary name, not yet renamed. It must
                    # carry the killed process's id (and go at the next build,
                    # which test_kill_between_link_and_rename checks).
                    if old_tmpfile or f".{proc.pid}." in name:
                        named_leftovers.append(name)
                        os.unlink(os.path.join(d, name))
                    else:
                        self.fail(f"kill {i}: temporary file {name} left in {d}")
            if i == KILLS // 2:
                self.normal_build(current)
        self.normal_build(current)
        if old_tmpfile:
            print(f"\nnote: no O_TMPFILE in {self.out}: named temporary files were allowed "
                  f"after a kill ({len(named_leftovers)} seen)", file=sys.stderr)
        if os.environ.get("ROMFS_TEST_VERBOSE"):
            print(f"\n{KILLS} kills within {span:.3f} s: {outcomes}; named temporary files "
                  f"left between link and rename: {named_leftovers}; O_TMPFILE: "
                  f"{not old_tmpfile}")

    def test_killed_first_build_leaves_nothing_or_a_whole_image(self):
        image = self.fresh(1)["out.img"]
        self.set_variant(1)
        t0 = time.monotonic()
        self.assertEqual(romfs(*self.args(), cwd=self.out)[0], 0)
        span = (time.monotonic() - t0) * 1.3
        rng = random.Random(7)
        for i in range(6):
            for name in os.listdir(self.out):
                os.unlink(os.path.join(self.out, name))
            shutil.rmtree(self.cache, ignore_errors=True)
            proc = subprocess.Popen([ROMFS, *self.args()], cwd=self.out,
                                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
            time.sleep(rng.uniform(0, span))
            proc.kill()
            proc.wait(timeout=TIMEOUT)
            data = self.out_bytes()
            self.assertTrue(data in (None, image), f"kill {i}: a partial image")
            self.assertEqual(temp_leftovers(self.out), [])
        self.normal_build(1)


@unittest.skipUnless(HOOK, "fs_hook.so not built (set ROMFS_FS_HOOK, or add tests/hooks to "
                           "the build)")
class ExactKills(OutputCase):
    """SIGKILL just before or just after each output is linked or renamed
    into place: the image, the listing, the depfile and the build state."""

    POINTS = [
        # (call, pattern on the new name, action)
        ("link", "*/.out.img.*", "kill"),
        ("rename", "*out.img", "kill"),
        ("rename", "*out.img", "kill-after"),
        ("link", "*/.out.lst.*", "kill"),
        ("rename", "*out.lst", "kill"),
        ("rename", "*out.lst", "kill-after"),
        ("link", "*/.out.d.*", "kill"),
        ("rename", "*out.d", "kill"),
        ("rename", "*out.d", "kill-after"),
        ("link", "*/state/.out.img-*", "kill"),
        ("rename", "*/state/out.img-*", "kill"),
        ("rename", "*/state/out.img-*", "kill-after"),
    ]

    def test_kill_at_each_commit_point(self):
        x, y = self.fresh(1), self.fresh(2)
        tmpfile = has_o_tmpfile(self.out)
        for call, pattern, action in self.POINTS:
            if call == "link" and not tmpfile:
                continue  # without O_TMPFILE romfs links nothing
            with self.subTest(call=call, pattern=pattern, action=action):
                self.one_kill(call, pattern, action, x, y)

    def one_kill(self, call, pattern, action, x, y):
        shutil.rmtree(self.cache, ignore_errors=True)
        for name in os.listdir(self.out):
            os.unlink(os.path.join(self.out, name))
        self.normal_build(1)
        self.set_variant(2)
        log = self.path("hook.log")
        if os.path.exists(log):
            os.unlink(log)
        status, err = romfs(*self.args(), cwd=self.out, env=hook_env(call, pattern, action,
                                                                     log=log))
        with open(log) as f:
            self.assertIn(action, f.read(), "the hook never fired")
        self.assertEqual(status, -signal.SIGKILL, err)
        self.assertTrue(self.out_bytes() in (x["out.img"], y["out.img"]),
                        "out.img is neither the old image nor the new one")
        for name in ("out.lst", "out.d"):
            self.assertTrue(self.out_bytes(name) in (x[name], y[name]), f"{name} is torn")
        # The next build is right, and leaves no temporary file behind:
        # neither its own nor one the killed build could not remove.
        self.normal_build(2)
        # ...and so is the one after it, from the state that build saved.
        self.normal_build(1)

    def test_kill_between_link_and_rename(self):
        """Killed after the complete image was linked under its temporary
        name and before the rename: the old image stays, and the named
        temporary file (the one thing O_TMPFILE cannot hide) must not
        outlive the next build."""
        x, y = self.fresh(1), self.fresh(2)
        self.normal_build(1)
        self.set_variant(2)
        status, err = romfs(*self.args(), cwd=self.out,
                            env=hook_env("rename", "*out.img", "kill"))
        self.assertEqual(status, -signal.SIGKILL, err)
        self.assertEqual(self.out_bytes(), x["out.img"])
        left = temp_leftovers(self.out)
        self.normal_build(2)
        self.assertEqual(temp_leftovers(self.out), [],
                         f"{left} left by the killed build and still there after the next one")
        del y


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


class DamagedState(OutputCase):
    """The state file records each source's hash only once the source is
    more than a second old, so the two source trees here are made once and
    aged; a variant is chosen by pointing the manifest at one of them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        os.makedirs(TMP_ROOT, exist_ok=True)
        cls.trees = tempfile.mkdtemp(prefix="DamagedState.trees.", dir=TMP_ROOT)
        for v in (1, 2):
            write_variant(os.path.join(cls.trees, f"src{v}"), v, cls.FILE_SIZE)
        time.sleep(2.1)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.trees, ignore_errors=True)
        super().tearDownClass()

    def set_variant(self, v):
        self.src = os.path.join(self.trees, f"src{v}")
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
    SENTINEL = b"\xd2\xcd\x31\x00"

    def setUp(self):
        super().setUp()
        self.write("src/a.txt", "hello\n")
        self.write("m.yaml", "version: 1\nfiles:\n  - src: src\n    dst: .\n")

    def expect_failure(self, *args, line, as_user=None, image="out.img"):
        """romfs build m.yaml ARGS fails with exactly `line`; the old image
        (self.SENTINEL at `image`, when it is a file) is untouched and
        nothing else appears."""
        img = self.path(image) if image is not None else None
        if image is not None and not os.path.isdir(img) and os.path.isdir(os.path.dirname(img)):
            self.write(image, self.SENTINEL)
            os.utime(img, (1_000_000_000, 1_000_000_000))
        before = self.snapshot()
        status, err = romfs("build", "m.yaml", *args, cwd=self.tmp, as_user=as_user)
        self.assertEqual(status, 1, err)
        self.assertEqual(err, line + "\n")
        if image is not None and os.path.isfile(img):
            with open(img, "rb") as f:
                self.assertEqual(f.read(), self.SENTINEL, "the old image was changed")
            self.assertEqual(os.stat(img).st_mtime, 1_000_000_000)
        self.assertEqual(self.snapshot(), before, "something was left behind")

    def snapshot(self):
        found = set()
        for root, dirs, files in os.walk(self.tmp):
            for n in dirs + files:
                found.add(os.path.relpath(os.path.join(root, n), self.tmp))
        return found

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
        self.write("ro/out.img", self.SENTINEL)
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
