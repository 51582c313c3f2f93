"""A build killed with SIGKILL at any moment: the output path must always
hold either the old image or a complete new one, no temporary file may
stay visible, and the next normal build must give exactly what a build
from scratch gives.

Exact kill points come from tests/hooks/fs_hook.so (LD_PRELOAD), which
can SIGKILL romfs just before or just after it links or renames one of
its outputs into place; the other kills come at random moments of a
build that takes a while. test_output_safety.py covers races between
builds, a damaged cache and outputs that cannot be written."""
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import unittest

from romfs_testlib.fs_hook import HOOK, hook_env
from romfs_testlib.outputs import TIMEOUT, OutputCase, has_o_tmpfile, romfs, temp_leftovers
from romfs_testlib.tool import ROMFS

KILLS = 30


class RandomKills(OutputCase):
    FILE_SIZE = 1 << 20  # 17 MB of sources: a build long enough to kill at random moments

    def timed_build(self):
        """Runs the normal build to the end; returns how long it took."""
        t0 = time.monotonic()
        status, err = romfs(*self.args(), cwd=self.out)
        self.assertEqual(status, 0, err)
        return time.monotonic() - t0

    def killed_build(self, delay, label):
        """Starts the normal build and SIGKILLs it `delay` seconds later (it
        may have ended by then, with status 0); returns its process id."""
        proc = subprocess.Popen([ROMFS, *self.args()], cwd=self.out,
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)
        time.sleep(delay)
        proc.kill()
        _, err = proc.communicate(timeout=TIMEOUT)
        if proc.returncode not in (0, -signal.SIGKILL):
            self.fail(f"{label}: romfs exited {proc.returncode}: {err.decode('utf-8', 'replace')}")
        return proc.pid

    def test_sigkill_at_random_moments(self):
        old_tmpfile = not has_o_tmpfile(self.out)
        x, y = self.fresh(1)["out.img"], self.fresh(2)["out.img"]
        images = {1: x, 2: y}
        # How long a build that rewrites the image takes here.
        durations = []
        for v in (1, 2):
            self.set_variant(v)
            durations.append(self.timed_build())
        current = 2
        span = max(durations) * 1.3
        rng = random.Random(20240611)
        outcomes = {"old": 0, "new": 0}
        named_leftovers = []
        for i in range(KILLS):
            target = 2 if current == 1 else 1
            self.set_variant(target)
            pid = self.killed_build(rng.uniform(0, span), f"kill {i}")
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
                    if old_tmpfile or f".{pid}." in name:
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
        span = self.timed_build() * 1.3
        rng = random.Random(7)
        for i in range(6):
            for name in os.listdir(self.out):
                os.unlink(os.path.join(self.out, name))
            shutil.rmtree(self.cache, ignore_errors=True)
            self.killed_build(rng.uniform(0, span), f"kill {i}")
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


if __name__ == "__main__":
    unittest.main()
