"""Reproducible images: the same tree, copied to two places created in
different orders (different readdir order and inodes) with different
mtimes and permissions, built from different working directories with
relative and absolute manifest paths, under different locale, time zone
and umask, gives identical image bytes."""
import os
import random
import shutil
import tempfile
import unittest

from romfs_testlib import trees
from romfs_testlib.image_reader import parse
from romfs_testlib.tool import ScratchTestCase, run, readb, yaml_str as q


def the_tree():
    rng = random.Random(77)
    t = trees.random_tree(1977, n_files=90, n_dirs=14, max_depth=4, max_size=4000,
                          exts=("", ".txt", ".bin", ".py", ".tflite"))
    # Names whose order depends on how they are compared.
    edge = {n: n.encode() for n in ["B", "a", "\u00e9", "e", "E", "_x", "Z", "z", "10", "9",
                                    "\u00c9cole", "ecole", "\U0001F600", "\u65e5"]}
    t["edge"] = edge
    t["models"] = {f"m{i}.tflite": rng.randbytes(rng.randint(1, 999)) for i in range(6)}
    t["empty"] = {"nested_empty": {}}
    return t


MANIFEST_ENTRIES = [
    ("tree/edge", "edge", ""),
    ("tree/models", "m", "    align: 32\n"),
    ("tree", "all", ""),
    ("tree/empty", "e", ""),
]


def manifest_text(root_expr, order, image_first=True):
    parts = ["version: 1\n"]
    image = "image:\n  align: 4\n"
    rules = ('rules:\n  - match: "*.bin"\n    align: 16\n'
             '  - match: "edge/*"\n    align: 8\n')
    body = "files:\n"
    for i in order:
        src, dst, keys = MANIFEST_ENTRIES[i]
        body += f"  - src: {q(root_expr + src)}\n    dst: {q(dst)}\n" + keys
    parts += [image, rules] if image_first else [rules, image]
    parts.append(body)
    return "".join(parts)


class Determinism(ScratchTestCase):
    def setUp(self):
        super().setUp()
        self.tree = the_tree()
        # Copy A: creation in dict order, old mtimes.
        self.a = self.path("A")
        trees.write_tree(os.path.join(self.a, "tree"), self.tree, mtime=1_000_000_000)
        # Copy B: reverse then shuffled creation order, with files created
        # and deleted in between to move inodes and directory slots; new
        # mtimes and other permissions.
        # On tmpfs (when there is one) readdir gives reverse creation order;
        # ext4 lists by name hash, the same for both copies.
        self.b_on_tmpfs = os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK)
        base = tempfile.mkdtemp(prefix="romfs-determinism.", dir="/dev/shm") \
            if self.b_on_tmpfs else self.path("B")
        if self.b_on_tmpfs:
            self.addCleanup(shutil.rmtree, base, ignore_errors=True)
        self.b = os.path.join(base, "deeper", "place")
        btree = os.path.join(self.b, "tree")
        os.makedirs(btree)
        for i in range(30):
            with open(os.path.join(btree, f"junk{i}"), "wb") as f:
                f.write(b"j" * i)
        trees.write_tree(btree, self.tree, reverse=True, shuffle_seed=5, mtime=1_900_000_000)
        for i in range(30):
            os.unlink(os.path.join(btree, f"junk{i}"))
        for dirpath, _, filenames in os.walk(btree):
            for n in filenames:
                os.chmod(os.path.join(dirpath, n), 0o600)
        os.utime(btree, (1_900_000_000, 1_900_000_000))

    def test_copies_differ_on_disk(self):
        """The precondition: the two copies really list in different orders."""
        ta, tb = os.path.join(self.a, "tree"), os.path.join(self.b, "tree")
        self.assertEqual(trees.diff_trees(ta, tb), [])
        self.assertNotEqual(os.stat(ta).st_ino, os.stat(tb).st_ino)
        if self.b_on_tmpfs:
            differ = [d for d, _, _ in os.walk(ta)
                      if os.listdir(d) != os.listdir(os.path.join(tb, os.path.relpath(d, ta)))]
            self.assertGreater(len(differ), 3)
        self.assertNotEqual(os.stat(os.path.join(ta, "edge", "a")).st_mtime,
                            os.stat(os.path.join(tb, "edge", "a")).st_mtime)

    def build_a(self, out_rel="out/a.img"):
        with open(os.path.join(self.a, "m.yaml"), "w", encoding="utf-8") as f:
            f.write(manifest_text("", [0, 1, 2, 3]))
        os.makedirs(os.path.join(self.a, "out"), exist_ok=True)
        run("build", "m.yaml", "-o", out_rel, "--quiet", cwd=self.a, check=0,
            env={"LC_ALL": "C", "LANG": "C", "TZ": "UTC"})
        return readb(os.path.join(self.a, out_rel))

    def build_b(self):
        conf = os.path.join(self.b, "conf")
        os.makedirs(conf, exist_ok=True)
        m = os.path.join(conf, "manifest.yaml")
        with open(m, "w", encoding="utf-8") as f:
            f.write(manifest_text("${ROOT}/", [3, 2, 0, 1], image_first=False))
        elsewhere = self.path("elsewhere")
        os.makedirs(elsewhere, exist_ok=True)
        out = self.path("b-output.img")
        old = os.umask(0o077)
        try:
            run("build", m, "-o", out, "-D", f"ROOT={self.b}", "--quiet", cwd=elsewhere,
                check=0, env={"LC_ALL": "C.UTF-8", "LANG": "C.UTF-8", "LANGUAGE": "fr",
                              "TZ": "America/New_York"})
        finally:
            os.umask(old)
        return readb(out)

    def test_build_is_reproducible(self):
        a = self.build_a()
        b = self.build_b()
        self.assertEqual(len(a), len(b))
        self.assertEqual(a.hex(), b.hex())
        # And the image really holds the tree (so equality is not vacuous).
        img = parse(a)
        self.assertEqual(trees.diff_trees(img.tree()["all"], self.tree), [])
        self.assertEqual(trees.diff_trees(img.tree()["edge"], self.tree["edge"]), [])
        # Building again over an existing output changes nothing.
        self.assertEqual(self.build_a(), a)
        self.assertEqual(self.build_a("other-name.img"), a)

    def test_pack_dir_is_reproducible(self):
        outs = []
        for i, (cwd, src, env, mask) in enumerate([
                (self.a, "tree", {"LC_ALL": "C", "TZ": "UTC"}, 0o022),
                (self.path(), os.path.join(self.b, "tree"),
                 {"LC_ALL": "C.UTF-8", "LANG": "C.UTF-8", "TZ": "Asia/Kolkata"}, 0o077)]):
            out = self.path(f"pack{i}.img")
            old = os.umask(mask)
            try:
                run("pack-dir", src, "-o", out, cwd=cwd, env=env, check=0)
            finally:
                os.umask(old)
            outs.append(readb(out))
        self.assertEqual(outs[0].hex(), outs[1].hex())
        self.assertEqual(trees.diff_trees(parse(outs[0]).tree(), self.tree), [])


if __name__ == "__main__":
    unittest.main()
