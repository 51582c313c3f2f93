"""Running the romfs binary under test, and scratch directories."""
import json
import os
import shutil
import subprocess
import tempfile
import unittest

ROMFS = os.environ.get("ROMFS_BIN", "romfs")
SOURCE_DIR = os.environ.get(  # tests/romfs_testlib/tool.py -> the repository
    "ROMFS_SOURCE_DIR",
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
BINARY_DIR = os.environ.get("ROMFS_BINARY_DIR", os.path.join(SOURCE_DIR, "build"))
TMP_ROOT = os.environ.get("ROMFS_TEST_TMP") or tempfile.gettempdir()


def run(*args, cwd=None, check=None, env=None, input=None):
    """Runs `romfs ARGS...`; returns the CompletedProcess (bytes stdout,
    text stderr). check=N asserts the exit status is N."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    proc = subprocess.run([ROMFS, *map(str, args)], cwd=cwd, env=full_env, input=input,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stderr = proc.stderr.decode("utf-8", "replace")
    if check is not None and proc.returncode != check:
        raise AssertionError(
            f"romfs {' '.join(map(str, args))}: exit {proc.returncode}, wanted {check}\n"
            f"stderr:\n{proc.stderr}")
    return proc


class ScratchTestCase(unittest.TestCase):
    """A test case with self.tmp, a fresh directory removed afterwards."""

    def setUp(self):
        os.makedirs(TMP_ROOT, exist_ok=True)
        self.tmp = tempfile.mkdtemp(prefix=type(self).__name__ + ".", dir=TMP_ROOT)
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)

    def path(self, *parts):
        return os.path.join(self.tmp, *parts)

    def write(self, rel, data=b"", mode=None):
        """Creates self.tmp/rel (parents too) holding data (bytes or str)."""
        p = self.path(rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(data.encode() if isinstance(data, str) else data)
        if mode is not None:
            os.chmod(p, mode)
        return p

    def read(self, rel):
        with open(self.path(rel), "rb") as f:
            return f.read()


def builtin_need(path):
    """The alignment romfs's built-in rules ask of the file at `path` in an
    image (MANIFEST.md): 16 for a .tflite model, else none (1)."""
    return 16 if path.endswith(".tflite") else 1


def readb(path):
    """The bytes of a file."""
    with open(path, "rb") as f:
        return f.read()


def yaml_str(s):
    """`s` (a str or path) as a double-quoted YAML scalar: JSON strings are."""
    return json.dumps(os.fspath(s), ensure_ascii=False)


def _asan_built():
    """Whether the binary under test is built with AddressSanitizer, which
    reserves terabytes of shadow memory (so no RLIMIT_AS or RLIMIT_DATA can
    be put on it) and must come first among preloaded libraries."""
    try:
        with open(ROMFS, "rb") as f:
            return b"__asan_init" in f.read()
    except OSError:
        return False


ASAN_BUILT = _asan_built()


def run_bounded(*args, cwd=None, cpu_seconds=1.0, mem_mib=64, env=None, input=None):
    """Runs `romfs ARGS...` as a resource bound: it must finish within
    `cpu_seconds` of CPU time (ten times that under ASan, whose checks cost
    time) in an address space of `mem_mib` MiB (not under ASan, which
    reserves terabytes). Returns the CompletedProcess and the CPU seconds
    it used; exceeding either bound fails (RLIMIT_CPU stops a runaway)."""
    import resource
    import time
    limit = cpu_seconds * (10 if ASAN_BUILT else 1)

    def limits():
        hard = int(limit * 3) + 2
        resource.setrlimit(resource.RLIMIT_CPU, (hard, hard))
        if not ASAN_BUILT:
            resource.setrlimit(resource.RLIMIT_AS, (mem_mib << 20, mem_mib << 20))

    full_env = dict(os.environ)
    full_env.update(env or {})
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    proc = subprocess.run([ROMFS, *map(str, args)], cwd=cwd, env=full_env, input=input,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=limits,
                          timeout=limit * 20 + 30)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    used = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    proc.stderr = proc.stderr.decode("utf-8", "replace")
    proc.cpu_seconds, proc.wall_seconds = used, time.monotonic() - start
    if proc.returncode < 0 or used > limit:
        raise AssertionError(f"romfs {' '.join(map(str, args))[:200]}: {used:.2f} s of CPU "
                             f"(bound {limit} s), exit {proc.returncode}; stderr:\n"
                             f"{proc.stderr[:2000]}")
    return proc
