"""The reference case (manifests/README.md): for trees without .tflite files,
`romfs pack-dir DIR --align 1` and `romfs build` of
{version: 1, image: {align: 1}, files: [{src: DIR, dst: "."}]} write
exactly what `mpremote romfs build DIR` writes (the reference writer). A
.tflite keeps its built-in 16-byte alignment unless a rule sets align 1,
which gives the reference bytes again."""
import os
import random
import unittest

from romfs_testlib import reference_writer, trees
from romfs_testlib.image_reader import parse
from romfs_testlib.tool import ScratchTestCase, run, readb, yaml_str as q

NO_TFLITE_EXTS = ("", ".txt", ".bin", ".py", ".json", ".mpy", ".tfl", ".tflite.bak")


def sort_edge_tree():
    """Names whose bytewise order differs from other plausible orders
    (case-insensitive, locale, directories first, length first)."""
    t = {}
    for name in ["a", "a.txt", "a-b", "a0", "A", "B", "_", "~", "ab", "a b", "e",
                 "\u00e9", "\u00c9", "z", "Z", "10", "9", "\u65e5", "\U0001F600", "\uff21"]:
        t[name] = name.encode() * 3
    t["dir"] = {"x": b"", "X": b"1", "dir.txt": b"2"}
    t["dir.txt"] = b"file next to dir"
    t["dir0"] = {}
    t["a_dir"] = {"sub": {}}
    return t


def varuint_edge_tree():
    """Lengths at the varuint size boundaries (127/128, 16383/16384) for
    data, names and directory records."""
    rng = random.Random(99)
    t = {
        "n" * 127: b"",
        "m" * 128: b"",
        "f127": rng.randbytes(127),
        "f128": rng.randbytes(128),
        "f16383": rng.randbytes(16383),
        "f16384": rng.randbytes(16384),
        "dir_big": {"a": rng.randbytes(9000), "b": rng.randbytes(9000)},
        "dir_small": {"c": rng.randbytes(100)},
    }
    return t


def excluded_by_default(name):
    """Whether romfs's default excludes leave out a file or directory name."""
    return (name in (".DS_Store", "Thumbs.db", "__pycache__", ".git", ".svn")
            or name.endswith((".pyc", "~")) or (name.startswith(".") and name.endswith(".swp")))


def _names(root):
    for _, dirs, files in os.walk(root):
        yield from dirs
        yield from files


class ReferenceLayout(ScratchTestCase):
    def manifest(self, src, name="m.yaml", rules="", defaults_off=None):
        """The reference case; random names may end in '~' or '.pyc', which
        the default excludes leave out (mpremote packs them), so those
        trees turn the defaults off."""
        if defaults_off is None:
            defaults_off = any(excluded_by_default(n) for n in _names(src))
        m = self.path(name)
        with open(m, "w", encoding="utf-8") as f:
            f.write("version: 1\nimage:\n  align: 1\n"
                    + ("  default_excludes: false\n" if defaults_off else "") + rules +
                    f"files:\n  - src: {q(src)}\n    dst: \".\"\n")
        return m

    def both_outputs(self, src, tag, rules=""):
        """(pack-dir --align 1 bytes, build bytes); pack-dir is None when
        rules are given (it has none)."""
        packed = None
        if not rules:
            out = self.path(tag + ".pack.img")
            run("pack-dir", src, "-o", out, "--align", "1", check=0)
            packed = readb(out)
        out = self.path(tag + ".build.img")
        run("build", self.manifest(src, tag + ".yaml", rules), "-o", out, "--quiet", check=0)
        return packed, readb(out)

    def assertSameBytes(self, got, want, label):
        if got != want:
            at = next((i for i in range(min(len(got), len(want))) if got[i] != want[i]),
                      min(len(got), len(want)))
            self.fail(f"{label}: {len(got)} bytes vs reference {len(want)}, first difference "
                      f"at offset {at}: got {got[at:at + 16].hex(' ')}, "
                      f"want {want[at:at + 16].hex(' ')}")

    def check_reference(self, tree, tag):
        src = trees.write_tree(self.path(tag), tree)
        ref = reference_writer.build_from_dir(src)
        self.assertEqual(ref, reference_writer.build_from_tree(tree))
        self.assertEqual(trees.diff_trees(parse(ref).tree(), tree), [])
        packed, built = self.both_outputs(src, tag)
        self.assertSameBytes(packed, ref, f"{tag}: pack-dir --align 1")
        self.assertSameBytes(built, ref, f"{tag}: build (image.align 1)")
        return ref

    def test_random_trees_match_reference(self):
        parities = set()
        for seed in range(8):
            with self.subTest(seed=seed):
                tree = trees.random_tree(seed * 7919, n_files=25 + seed * 5, n_dirs=3 + seed,
                                         max_depth=4, max_size=2000 + seed * 3000,
                                         exts=NO_TFLITE_EXTS)
                ref = self.check_reference(tree, f"r{seed}")
                parities.add(ref[3] == 0x80 and len(ref) > 4)
        # Both paths of the parity rule were exercised.
        self.assertEqual(parities, {True, False})

    def test_sort_order_matches_reference(self):
        self.check_reference(sort_edge_tree(), "sort")

    def test_varuint_boundaries_match_reference(self):
        self.check_reference(varuint_edge_tree(), "varuint")

    def test_empty_and_single_entry_trees(self):
        for i, tree in enumerate([{}, {"e": {}}, {"f": b""}, {"f": b"x"}, {"f": b"xy"},
                                  {"d": {"d": {"d": {}}}}]):
            with self.subTest(tree=tree):
                self.check_reference(tree, f"small{i}")

    def tflite_tree(self):
        """A tree whose .tflite files land at offsets that are not multiples
        of 16 in the reference layout."""
        rng = random.Random(3)
        base = trees.random_tree(31337, n_files=20, n_dirs=4, exts=NO_TFLITE_EXTS)
        for filler in range(1, 64):
            tree = dict(base)
            tree["aaa_filler"] = b"f" * filler
            tree["model.tflite"] = rng.randbytes(1000)
            tree["models"] = {"net.tflite": rng.randbytes(333), "readme.txt": b"hi"}
            files = parse(reference_writer.build_from_tree(tree)).files
            if files["model.tflite"].offset % 16 and files["models/net.tflite"].offset % 16:
                return tree
        raise AssertionError("no filler size misaligns both models")

    def test_tflite_is_16_aligned_unless_a_rule_says_1(self):
        tree = self.tflite_tree()
        src = trees.write_tree(self.path("tfl"), tree)
        ref = reference_writer.build_from_dir(src)
        nfiles = len(trees.files_of(tree))

        def check(label, data):
            img = parse(data)
            self.assertEqual(trees.diff_trees(img.tree(), tree), [])
            for path in ("model.tflite", "models/net.tflite"):
                self.assertEqual(img.files[path].offset % 16, 0,
                                 f"{label}: {path} at {img.files[path].offset}")
            # Only the two models needed padding.
            self.assertLessEqual(len(data) - len(ref), 2 * 15 + 3 * nfiles + 3)

        with self.subTest("pack-dir --align 1"):
            out = self.path("tfl.pack.img")
            run("pack-dir", src, "-o", out, "--align", "1", check=0)
            check("pack-dir --align 1", readb(out))
        with self.subTest("build, image.align 1"):
            out = self.path("tfl.build.img")
            run("build", self.manifest(src, "tfl.yaml"), "-o", out, "--quiet", check=0)
            check("build", readb(out))
        with self.subTest("build, rule *.tflite align 1"):
            rule = '''rules:\n  - match: "*.tflite"\n    align: 1\n'''
            _, built = self.both_outputs(src, "tfl_rule", rules=rule)
            self.assertSameBytes(built, ref, "build with rule *.tflite align 1")


if __name__ == "__main__":
    unittest.main()
