"""What test_hostile_manifests.py and test_hostile_nesting.py share: a
build of a hostile manifest over an old image, bounded in time and
memory, that must fail in one line and change nothing."""
import os

from . import tool
from .tool import ScratchTestCase

TIMEOUT = 20                     # seconds; expiry fails the test
MEM_LIMIT = 512 << 20            # address space for the tool (not under ASan)


def run_bounded(*args, cwd, as_user=None):
    """Runs romfs ARGS under the time limit and (unless sanitized) the
    memory limit; returns (exit status, stderr text)."""
    return tool.run_bounded(*args, cwd=cwd, as_user=as_user, timeout=TIMEOUT,
                            mem_limit=MEM_LIMIT)


class HostileManifestCase(ScratchTestCase):
    def setUp(self):
        super().setUp()
        self.write("assets/a.txt", "hello\n")
        self.write("assets/d/b.txt", "b\n")

    def build(self, manifest, name="m.yaml", as_user=None):
        """Writes `manifest` (str or bytes) as `name` unless it is None,
        builds it over an existing image with a depfile, and checks that
        the build failed with exit 1 and changed nothing. Returns stderr."""
        if manifest is not None:
            self.write(name, manifest)
        self.plant_old_image()
        before = self.names()
        if as_user is not None:
            os.chmod(self.tmp, 0o777)
        status, err = run_bounded("build", name, "-o", "out.img", "--depfile", "out.d",
                                  cwd=self.tmp, as_user=as_user)
        self.assertEqual(status, 1, f"exit {status}, wanted 1; stderr:\n{err[:2000]}")
        self.assert_old_image()
        self.assertEqual(self.names(), before, "a file was left behind")
        self.assertNotIn("AddressSanitizer", err)
        lines = err.splitlines()
        self.assertEqual(len(lines), 1, f"wanted one line on stderr, got:\n{err[:2000]}")
        self.assertTrue(lines[0].startswith("romfs: error: "), lines[0][:2000])
        self.assertLess(len(lines[0]), 8192, "an error line of unbounded length")
        return lines[0]

    def expect(self, manifest, line, name="m.yaml", as_user=None):
        got = self.build(manifest, name, as_user)
        self.assertEqual(got, line)

    def expect_match(self, manifest, pattern, name="m.yaml"):
        got = self.build(manifest, name)
        self.assertRegex(got, pattern)
        return got
