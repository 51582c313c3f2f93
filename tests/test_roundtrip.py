"""Round trips: a source tree packed by `romfs pack-dir` and by `romfs build`
(a manifest with one directory entry) extracts back to exactly the
source; `romfs cat` of every file gives its bytes; the independent reader
sees exactly the source tree."""
import os
import random
import unittest

from romfs_testlib import trees
from romfs_testlib.image_reader import parse
from romfs_testlib.tool import ScratchTestCase, run, readb, yaml_str as q


class RoundTrip(ScratchTestCase):
    def pack_dir(self, src, out, *extra):
        run("pack-dir", src, "-o", out, *extra, check=0)
        return out

    def build(self, src, out, dst=".", name="m.yaml"):
        m = self.path(name)
        with open(m, "w", encoding="utf-8") as f:
            f.write(f"version: 1\nfiles:\n  - src: {q(src)}\n    dst: {q(dst)}\n")
        run("build", m, "-o", out, "--quiet", check=0)
        return out

    def check_image(self, img, tree, label, cat_all=True):
        data = readb(img)
        parsed = parse(data)
        self.assertEqual(parsed.size, len(data), label)
        self.assertEqual(trees.diff_trees(parsed.tree(), tree), [], f"{label}: reader view")
        out = self.path(os.path.basename(img) + ".out")
        run("extract", img, out, check=0)
        trees.assert_same_tree(self, out, tree, f"{label}: extract: ")
        if cat_all:
            for path, content in trees.files_of(tree).items():
                got = run("cat", img, path, check=0).stdout
                self.assertEqual(got, content, f"{label}: cat {path}")

    def roundtrip(self, tree, tag, cat_all=True, src=None):
        if src is None:
            src = trees.write_tree(self.path(f"{tag}.src"), tree)
        self.assertEqual(trees.diff_trees(src, tree), [])
        # Each way of packing is checked on its own, so one failure does not
        # hide the others.
        with self.subTest(mode="pack-dir"):
            img = self.pack_dir(src, self.path(f"{tag}.pack.img"))
            self.check_image(img, tree, f"{tag} pack-dir", cat_all)
        with self.subTest(mode="pack-dir --align 1"):
            img = self.pack_dir(src, self.path(f"{tag}.pack1.img"), "--align", "1")
            self.check_image(img, tree, f"{tag} pack-dir --align 1", cat_all=False)
        with self.subTest(mode="build"):
            img = self.build(src, self.path(f"{tag}.build.img"))
            self.check_image(img, tree, f"{tag} build", cat_all)

    def test_empty_directories(self):
        tree = {"e": {}, "f": {"g": {}, "h": {"i": {}, "j": {"k": {}}}},
                "x.txt": b"1", "z": {"zz": {}}}
        self.roundtrip(tree, "empty")

    def test_empty_source_directory(self):
        src = self.path("nothing")
        os.mkdir(src)
        img = self.pack_dir(src, self.path("nothing.img"), "--align", "1")
        self.assertEqual(readb(img), bytes.fromhex("d2cd3100"))
        self.roundtrip({}, "nothing", src=src)

    def test_deep_nesting(self):
        tree = trees.deep_tree(60, leaf=b"bottom\n")
        # A second chain ending in an empty directory, and files on the way.
        node = tree["d0"]
        for i in range(1, 30):
            node = node[f"d{i}"]
            node[f"f{i}.bin"] = bytes([i]) * i
        chain = {}
        tree["e0"] = chain
        for i in range(1, 55):
            chain[f"e{i}"] = {}
            chain = chain[f"e{i}"]
        self.roundtrip(tree, "deep")
        img = parse(readb(self.path("deep.pack1.img")))
        self.assertIn("/".join(f"d{i}" for i in range(60)) + "/leaf.txt", img.files)

    def test_utf8_names(self):
        tree = {
            "caf\u00e9.txt": b"accent",
            "na\u00efve": {"\u00fcber.py": b"x = 1\n", "\u00c5ngstr\u00f6m": {}},
            "\u65e5\u672c\u8a9e": {"\u6f22\u5b57.txt": "\u6f22\u5b57".encode()},
            "\U0001F600.bin": b"\xf0\x9f\x98\x80",
            "\U0001F680": {"\U0001F389 party.txt": b"tada"},
            "\u03a9": {"\u0436": {"\ud55c\uad6d\uc5b4": b"korean"}},
            "with space": b"s",
            "z": b"plain",
            "Z": b"upper",
        }
        self.roundtrip(tree, "utf8")
        names = [e.path for e in parse(readb(self.path("utf8.pack1.img"))).entries]
        top = [n for n in names if "/" not in n]
        self.assertEqual(top, sorted(top, key=lambda s: s.encode()))

    def test_zero_length_files(self):
        tree = {"empty": b"", "d": {"e1": b"", "e2": b"", "sub": {"e3": b""}},
                "x.tflite": b"", "y.bin": b"y"}
        self.roundtrip(tree, "zero")

    def test_binary_files(self):
        rng = random.Random(7)
        tree = {
            "all_bytes.bin": bytes(range(256)) * 5,
            "random.bin": rng.randbytes(9999),
            "ff.bin": b"\xff" * 1000,
            "nul.bin": b"\x00" * 777,
            "looks_like_image.bin": bytes.fromhex("d2cd31 00 05 04 01 61 02 00") * 3,
            "crlf.txt": b"a\r\nb\r\n\r\n\x1a",
            "model.tflite": rng.randbytes(4097),
        }
        self.roundtrip(tree, "binary")

    def test_multi_megabyte_file(self):
        rng = random.Random(11)
        tree = {"big.bin": rng.randbytes(3 * 1024 * 1024 + 5),
                "exact": {"two_mib.bin": rng.randbytes(2 * 1024 * 1024)},   # 81 80 80 00
                "small.txt": b"after the big ones"}
        self.roundtrip(tree, "big")

    def test_hundreds_of_random_files(self):
        tree = trees.random_tree(2024, n_files=320, n_dirs=45, max_depth=7, max_size=20000)
        nfiles, ndirs = trees.count(tree)
        self.assertGreater(nfiles, 250)
        self.roundtrip(tree, "random")

    def test_build_into_subdirectory(self):
        tree = trees.random_tree(5, n_files=30, n_dirs=6)
        src = trees.write_tree(self.path("sub.src"), tree)
        img = self.build(src, self.path("sub.img"), dst="x/y\u00e9")
        self.check_image(img, {"x": {"y\u00e9": tree}}, "build dst=x/y\u00e9")


if __name__ == "__main__":
    unittest.main()
