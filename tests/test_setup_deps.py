"""scripts/setup-deps, which the README's commands and .ci/run call: it
installs exactly the missing packages (through sudo when not root), is
silent and quick when nothing is missing, and fails in one line where it
cannot work. apt-get, dpkg-query, sudo and id are stand-ins here (small
scripts on a PATH of their own) so that the test never installs
anything; the real ones are exercised by .ci/run on a fresh machine."""
import os
import subprocess
import time
import unittest

from romfs_testlib.tool import SOURCE_DIR, ScratchTestCase

SCRIPT = os.path.join(SOURCE_DIR, "scripts", "setup-deps")


def packages(set_name):
    """The package list of a set, as the script itself gives it."""
    out = subprocess.run([SCRIPT, "--list", set_name], stdout=subprocess.PIPE, text=True,
                         check=True).stdout
    return out.split()


class SetupDeps(ScratchTestCase):
    def stub(self, name, body):
        self.write(f"bin/{name}", "#!/bin/sh\n" + body, mode=0o755)

    def stubs(self, installed, uid=0, sudo=True, apt=True):
        log = self.path("calls.log")
        if apt:
            self.write("installed.sh", "installed=' %s '\n" % " ".join(installed))
            # Prints "ii NAME " for each installed package asked about (the
            # stubs may use shell built-ins only: PATH holds nothing else).
            self.stub("dpkg-query", f'. {self.path("installed.sh")}\nshift 2\n'
                                    'for p in "$@"; do\n'
                                    '  case $installed in *" $p "*) printf "ii %s " "$p";; esac\n'
                                    'done\n')
            self.stub("apt-get", f'echo "apt-get $*" >> {log}\n')
        self.stub("id", f"echo {uid}\n")
        if sudo:
            self.stub("sudo", f'echo "sudo" >> {log}\nexec "$@"\n')
        return log

    def run_script(self, *args):
        env = {"PATH": self.path("bin")}
        start = time.monotonic()
        proc = subprocess.run(["/bin/sh", SCRIPT, *args], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, timeout=30)
        return proc, time.monotonic() - start

    def calls(self, log):
        if not os.path.exists(log):
            return []
        with open(log) as f:
            return f.read().splitlines()

    def test_nothing_missing_is_silent_and_quick(self):
        for set_name in ("build", "test", "ci"):
            with self.subTest(set_name):
                log = self.stubs(packages(set_name))
                proc, seconds = self.run_script(set_name)
                self.assertEqual((proc.returncode, proc.stdout, proc.stderr), (0, "", ""))
                self.assertEqual(self.calls(log), [])
                self.assertLess(seconds, 1.0)

    def test_installs_exactly_what_is_missing(self):
        want = packages("test")
        missing = ["libxxhash-dev", "qemu-system-arm", "chromium"]
        log = self.stubs([p for p in want if p not in missing])
        proc, _ = self.run_script("test")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        calls = self.calls(log)
        self.assertEqual(calls[0], "apt-get update -q")
        self.assertEqual(calls[1].split()[:5], ["apt-get", "install", "-y", "-q",
                                                "--no-install-recommends"])
        self.assertEqual(sorted(calls[1].split()[5:]), sorted(missing))
        self.assertEqual(len(calls), 2)

    def test_build_set_is_part_of_test_set(self):
        self.assertTrue(set(packages("build")) <= set(packages("test")) <= set(packages("ci")))
        for needed in ("cmake", "ninja-build", "pkg-config", "libyaml-dev", "libxxhash-dev",
                       "libelf-dev", "zlib1g-dev"):
            self.assertIn(needed, packages("build"))

    def test_not_root_goes_through_sudo(self):
        log = self.stubs([], uid=1000)
        proc, _ = self.run_script("build")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(self.calls(log)[0], "sudo")
        self.assertEqual(self.calls(log)[1], "apt-get update -q")

    def test_not_root_without_sudo_fails_in_one_line(self):
        self.stubs([], uid=1000, sudo=False)
        proc, _ = self.run_script("build")
        self.assertEqual(proc.returncode, 1)
        self.assertEqual(len(proc.stderr.splitlines()), 1, proc.stderr)
        self.assertIn("not root and no sudo", proc.stderr)
        self.assertIn("libxxhash-dev", proc.stderr)

    def test_no_apt_fails_in_one_line(self):
        self.stubs([], apt=False)
        proc, _ = self.run_script("build")
        self.assertEqual(proc.returncode, 1)
        self.assertEqual(len(proc.stderr.splitlines()), 1, proc.stderr)
        self.assertRegex(proc.stderr, r"^setup-deps: cmake is missing and this system has no "
                                      r"apt-get")

    def test_no_apt_but_tools_present_is_fine(self):
        self.stubs([], apt=False)
        for tool in ("cmake", "ninja", "cc", "pkg-config"):
            self.stub(tool, "exit 0\n")
        proc, _ = self.run_script("build")
        self.assertEqual((proc.returncode, proc.stderr), (0, ""))

    def test_unknown_set_is_a_usage_error(self):
        self.stubs([])
        proc, _ = self.run_script("everything")
        self.assertEqual(proc.returncode, 2)
        self.assertIn("usage: scripts/setup-deps [--list] [build|test|ci]", proc.stderr)

    def test_readme_and_ci_call_it(self):
        with open(os.path.join(SOURCE_DIR, "README.md")) as f:
            readme = f.read()
        block = readme.split("```sh\n", 1)[1].split("```", 1)[0].splitlines()
        self.assertTrue(block[0].startswith("scripts/setup-deps build && "), block[0])
        self.assertTrue(block[1].startswith("scripts/setup-deps test && "), block[1])
        with open(os.path.join(SOURCE_DIR, ".ci", "run")) as f:
            ci = f.read()
        self.assertIn("\nscripts/setup-deps ci\n", ci)
        self.assertNotIn("apt-get", ci)


if __name__ == "__main__":
    unittest.main()
