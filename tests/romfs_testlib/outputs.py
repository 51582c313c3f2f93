"""What test_output_safety.py and test_output_kills.py share: two variants
of a source tree, builds from scratch to compare with, and the checks that
no temporary file is left and that the outputs are whole."""
import hashlib
import os
import random
import re
import shutil
import tempfile
import time

from . import trees
from .tool import TMP_ROOT, ScratchTestCase, run_bounded
from .trees import read_tree

TIMEOUT = 60  # seconds, for one romfs run; expiry fails the test

# How old (mtime and ctime, whole seconds) a source must be before romfs
# saves its hash in the build state: see put_source in tool/pack/state.c.
STATE_AGE = 2


def romfs(*args, cwd, env=None, as_user=None):
    """Runs romfs to the end; returns (status, stderr text)."""
    return run_bounded(*args, cwd=cwd, env=env, as_user=as_user, timeout=TIMEOUT)


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


SHARED_FILES = [f"d{i % 4}/f{i:02d}.bin" for i in range(16)]


def variant_files(variant, file_size, shared=True):
    """{relative path: bytes} of variant `variant`: 16 files of file_size
    bytes over four directories (the same in every variant; left out
    unless `shared`), toggle.bin and small/v.txt, whose size and bytes
    depend on the variant."""
    files = {}
    if shared:
        rng = random.Random(1234)
        files = {p: rng.randbytes(file_size) for p in SHARED_FILES}
    vr = random.Random(variant)
    files["toggle.bin"] = vr.randbytes(file_size // 2 + 1000 * variant)
    files["small/v.txt"] = (f"variant {variant}\n" * (variant + 1)).encode()
    return files


def write_variant(root, variant, file_size):
    """Makes `root` hold variant `variant`. The 16 shared files are written
    only when missing, so that a change of variant changes toggle.bin and
    small/v.txt alone."""
    shared = not all(os.path.exists(os.path.join(root, p)) for p in SHARED_FILES)
    trees.write_files(root, variant_files(variant, file_size, shared))


def aged_tree(name, files):
    """A directory holding exactly `files` ({relative path: bytes}) with
    every mtime set an hour back, for wait_until_aged() to age.

    romfs saves a source's hash in its state only when both its mtime and
    its ctime are old (STATE_AGE). An mtime can be set back with os.utime,
    a ctime cannot: so the directory is kept between runs, under
    TMP_ROOT/aged/, named by `name` and a digest of `files`, and checked
    against `files` each time it is used again; only one just made has
    to be waited for."""
    digest = hashlib.sha256()
    for rel in sorted(files):
        digest.update(rel.encode() + b"\0" + hashlib.sha256(files[rel]).digest())
    parent = os.path.join(TMP_ROOT, "aged")
    root = os.path.join(parent, f"{name}-{digest.hexdigest()[:16]}")
    if os.path.isdir(root) and trees.diff_trees(root, trees.nested(files)) != []:
        shutil.rmtree(root)  # changed by someone: made again
    if not os.path.isdir(root):
        os.makedirs(parent, exist_ok=True)
        tmp = tempfile.mkdtemp(prefix=f".{name}.", dir=parent)
        trees.write_files(tmp, files)
        old = time.time() - 3600
        for d, _, names in os.walk(tmp):
            for n in names:
                os.utime(os.path.join(d, n), (old, old))
            os.utime(d, (old, old))
        try:
            os.rename(tmp, root)
        except OSError:  # another run made it first
            shutil.rmtree(tmp)
    return root


def wait_until_aged(*roots):
    """Returns once every file and directory under `roots` is STATE_AGE
    old by both its times in whole seconds (romfs trusts a source whose
    times are below now - 1): at once for trees made by an earlier run."""
    newest = 0
    for root in roots:
        for d, _, names in os.walk(root):
            for p in [d] + [os.path.join(d, n) for n in names]:
                st = os.stat(p)
                newest = max(newest, int(st.st_mtime), int(st.st_ctime))
    wait = newest + STATE_AGE - time.time()
    if wait > 0:
        time.sleep(wait + 0.01)


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
