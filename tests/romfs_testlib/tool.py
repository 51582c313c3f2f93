"""Running the romfs binary under test, and scratch directories."""
import collections
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import unittest

ROMFS = os.environ.get("ROMFS_BIN", "romfs")
SOURCE_DIR = os.environ.get(  # tests/romfs_testlib/tool.py -> the repository
    "ROMFS_SOURCE_DIR",
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
BINARY_DIR = os.environ.get("ROMFS_BINARY_DIR", os.path.join(SOURCE_DIR, "build"))
TMP_ROOT = os.environ.get("ROMFS_TEST_TMP") or tempfile.gettempdir()
MPY_STANDIN = os.path.join(SOURCE_DIR, "tests", "mpy_cross_standin.py")


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


def run_bounded(*args, cwd, env=None, as_user=None, timeout=60, mem_limit=None):
    """Runs `romfs ARGS...` with stdin closed, for at most `timeout`
    seconds (longer fails the test) and, when mem_limit is given and the
    binary is not sanitized, in that many bytes of address space; as the
    user id `as_user` when given (through setpriv). Returns (exit status,
    stderr text); the status is -N for a signal N."""
    cmd = [ROMFS, *map(str, args)]
    if as_user is not None:
        cmd = ["setpriv", f"--reuid={as_user}", f"--regid={as_user}", "--clear-groups", *cmd]
    full_env = dict(os.environ)
    full_env.update(env or {})

    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (mem_limit, mem_limit))

    try:
        proc = subprocess.run(cmd, cwd=cwd, env=full_env, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout,
                              preexec_fn=limit if mem_limit and not ASAN_BUILT else None)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"romfs {' '.join(map(str, args))}: still running after "
                             f"{timeout} s") from None
    return proc.returncode, proc.stderr.decode("utf-8", "replace")


# An image already at the output path, that a failed build must leave as
# it was: an empty image, dated OLD_TIME.
OLD_IMAGE = b"\xd2\xcd\x31\x00"
OLD_TIME = 1_000_000_000


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

    def plant_old_image(self, rel="out.img"):
        """self.tmp/rel holding OLD_IMAGE, its mtime OLD_TIME."""
        p = self.write(rel, OLD_IMAGE)
        os.utime(p, (OLD_TIME, OLD_TIME))
        return p

    def assert_old_image(self, rel="out.img"):
        """self.tmp/rel is still plant_old_image()'s: same bytes, same mtime."""
        self.assertEqual(self.read(rel), OLD_IMAGE, "the old image was changed")
        self.assertEqual(os.stat(self.path(rel)).st_mtime, OLD_TIME, "the old image was touched")

    def names(self):
        """Every path under self.tmp (relative, sorted), to compare before
        and after a command that must leave nothing behind."""
        found = []
        for root, dirs, files in os.walk(self.tmp):
            found += [os.path.relpath(os.path.join(root, n), self.tmp) for n in dirs + files]
        return sorted(found)


def ls_json_entries(entries):
    """What `romfs ls --json` must list under "entries" for `entries`,
    image_reader Entry objects or (path, kind, size, offset) tuples in
    image order: a directory's path and type, a file's size, data offset,
    the alignment that offset has, and the one the built-in rules ask of
    it."""
    out = []
    for e in entries:
        path, kind, size, offset = (e.path, e.kind, e.size, e.offset) if hasattr(e, "path") else e
        if kind == "dir":
            out.append({"path": path, "type": "dir"})
        else:
            out.append({"path": path, "type": "file", "size": size, "offset": offset,
                        "align": offset & -offset, "align_needed": builtin_need(path)})
    return out


def error_lines(stderr):
    """The `romfs: error:` lines of a command's stderr."""
    return [l for l in stderr.splitlines() if l.startswith("romfs: error:")]


# `romfs verify`'s line for a file whose data is not on its alignment
# (tool/inspect/image_check.c).
_MISALIGNED = re.compile(
    r"^romfs: error: (?P<image>.+?): offset 0x(?P<at>[0-9a-f]+): (?P<path>.+): "
    r"data at offset (?P<offset>[0-9]+) is (?P<got>[0-9]+)-byte aligned, "
    r"but it needs (?P<need>[0-9]+)-byte alignment(?: \((?P<why>[^()]*)\))?$")

Misaligned = collections.namedtuple("Misaligned", "path at offset got need why")


def misaligned_files(stderr):
    """Each error line of `stderr`, in order: a Misaligned(path, at,
    offset, got, need, why) for a line about a file's alignment (`at` the
    offset the line starts with, `offset` the data offset, `got` the
    alignment it has, `need` the one it needs, all ints; `why` the reason
    in parentheses, or None), the line itself for any other."""
    out = []
    for line in error_lines(stderr):
        m = _MISALIGNED.match(line)
        out.append(line if m is None else Misaligned(
            m["path"], int(m["at"], 16), int(m["offset"]), int(m["got"]), int(m["need"]),
            m["why"]))
    return out


def install_mpy_standin(dest):
    """Copies tests/mpy_cross_standin.py to `dest`, executable, to be run
    by the interpreter running the tests, with -S. Its own first line,
    `#!/usr/bin/env python3`, takes whatever python3 PATH finds (a pyenv
    shim costs a few hundred milliseconds a call), and the site module
    costs more than the stand-in's work; the script is the same."""
    with open(MPY_STANDIN, encoding="utf-8") as f:
        text = f.read()
    first, rest = text.split("\n", 1)
    if first != "#!/usr/bin/env python3":
        raise AssertionError(f"{MPY_STANDIN} starts with {first!r}")
    exe = os.path.realpath(sys.executable)
    if exe and not any(c.isspace() for c in exe) and len(exe) < 200:
        first = f"#!{exe} -S"
    with open(dest, "w", encoding="utf-8") as f:
        f.write(first + "\n" + rest)
    os.chmod(dest, 0o755)
    return dest


def builtin_need(path):
    """The alignment romfs's built-in rules ask of the file at `path` in an
    image (manifests/README.md): 16 for a .tflite model, else none (1)."""
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


def run_within(*args, cwd=None, cpu_seconds=1.0, mem_mib=64, env=None, input=None):
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
