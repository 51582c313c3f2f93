"""Alignment of file data: every file's data offset (read back with the
independent reader, not with `romfs ls`) is a multiple of the alignment
the manifest asks for; the image size is even; padding stays within a
small bound; and the precedence rules of manifests/README.md hold (built-in <
image < rules in order < the entry's own keys)."""
import os
import random
import unittest

from romfs_testlib import reference_writer, trees
from romfs_testlib.image_reader import parse
from romfs_testlib.tool import ScratchTestCase, run, readb, yaml_str as q


def padding_bound(aligns):
    """The most padding a layout may add: sum(align - 1) + 3 per file + 3."""
    return sum(a - 1 for a in aligns) + 3 * len(aligns) + 3


class AlignmentCase(ScratchTestCase):
    def build(self, manifest_text, tag):
        m = self.path(tag + ".yaml")
        with open(m, "w", encoding="utf-8") as f:
            f.write(manifest_text)
        out = self.path(tag + ".img")
        run("build", m, "-o", out, "--quiet", check=0)
        data = readb(out)
        self.check_common(out, data, m)
        return data

    def pack_dir(self, src, tag, *extra):
        out = self.path(tag + ".img")
        run("pack-dir", src, "-o", out, *extra, check=0)
        data = readb(out)
        self.check_common(out, data)
        return data

    def check_common(self, img_path, data, manifest=None):
        self.assertEqual(len(data) % 2, 0, "image size must be even")
        img = parse(data)
        self.assertEqual(img.size, len(data))
        # Without --manifest, verify only requires .tflite data on 16.
        models_ok = all(e.offset % 16 == 0 for p, e in img.files.items()
                        if p.endswith(".tflite"))
        proc = run("verify", img_path)
        self.assertEqual(proc.returncode, 0 if models_ok else 1,
                         f"verify {img_path}: {proc.stderr}")
        if not models_ok:
            self.assertIn("romfs: error:", proc.stderr)
        if manifest:
            proc = run("verify", img_path, "--manifest", manifest)
            self.assertEqual(proc.returncode, 0, f"verify --manifest: {proc.stderr}")

    def assertAligned(self, data, want, label=""):
        """want: {image path: alignment}. Every listed file must be aligned."""
        files = parse(data).files
        bad = [f"{p}: offset {files[p].offset} not a multiple of {a}"
               for p, a in sorted(want.items()) if files[p].offset % a]
        self.assertEqual(bad, [], label)

    def assertNoPadding(self, data, tree, label=""):
        ref = reference_writer.build_from_tree(tree)
        self.assertEqual(len(data), len(ref), f"{label}: size differs from the reference layout")
        self.assertEqual(data, ref, f"{label}: bytes differ from the reference layout")

    def write_src(self, tree, name="src"):
        return trees.write_tree(self.path(name), tree)

    @staticmethod
    def dir_manifest(src, image="", rules="", entry_keys=""):
        text = "version: 1\n"
        if image:
            text += "image:\n" + image
        if rules:
            text += "rules:\n" + rules
        text += f"files:\n  - src: {q(src)}\n    dst: \".\"\n" + entry_keys
        return text

    def misaligned_in_reference(self, tree, align, suffix=""):
        files = parse(reference_writer.build_from_tree(tree)).files
        return [p for p, e in files.items() if p.endswith(suffix) and e.offset % align]


def small_tree(seed, exts, n_files=30):
    rng = random.Random(seed)
    t = trees.random_tree(seed, n_files=n_files, n_dirs=4, max_depth=3, max_size=500,
                          utf8=False, exts=exts)
    # A few guaranteed odd-sized files at the root.
    for i in range(5):
        t[f"odd{i}{exts[i % len(exts)]}"] = rng.randbytes(2 * i + 1)
    return t


class MixedAlignments(AlignmentCase):
    """About 300 files, sizes 0..70000, alignments 1/4/16/32/4096 through
    rules (globs) and entry keys."""

    def make(self):
        rng = random.Random(4242)
        src = self.path("src")
        want = {}      # image path -> alignment
        tree = {}      # the image tree

        def add(img_path, src_path, align, size=None):
            data = rng.randbytes(rng.randint(0, 70000) if size is None else size)
            self.write(os.path.join("src", src_path), data)
            want[img_path] = align
            node = tree
            parts = img_path.split("/")
            for part in parts[:-1]:
                node = node.setdefault(part, {})
            node[parts[-1]] = data

        # mixed/: alignment from the extension rules; .dat takes the image
        # default (4); .tflite its built-in 16.
        ext_align = [(".a1", 1), (".a16", 16), (".a32", 32), (".dat", 4), (".tflite", 16)]
        for i in range(150):
            ext, a = rng.choice(ext_align)
            sub = rng.choice(["", "p/", "p/q/", "w/"])
            add(f"mixed/{sub}f{i}{ext}", f"mixed/{sub}f{i}{ext}", a)
        for i in range(6):
            add(f"mixed/big{i}.a4096", f"mixed/big{i}.a4096", 4096)
        # '**' spanning one and two directories, and a non-matching sibling.
        for i in range(8):
            add(f"mixed/t/deep/z{i}.z", f"mixed/t/deep/z{i}.z", 32)
            add(f"mixed/t/u/deep/z{i}.z", f"mixed/t/u/deep/z{i}.z", 32)
            add(f"mixed/t/shallow/z{i}.z", f"mixed/t/shallow/z{i}.z", 4)
        # r/sN/: '?' rule gives 16, a later '[01]' rule gives 32 to s0, s1.
        for i in range(40):
            n = i % 10
            add(f"r/s{n}/b{i}.bin", f"r/s{n}/b{i}.bin", 32 if n in (0, 1) else 16)
        # Entry keys beat the rules and the built-in.
        for i in range(30):
            ext = rng.choice([".a4096", ".tflite", ".a32", ".a16"])
            add(f"e1/g{i}{ext}", f"e1/g{i}{ext}", 1)
        for i in range(40):
            ext = rng.choice([".a1", ".dat", ".tflite"])
            add(f"e32/h{i}{ext}", f"e32/h{i}{ext}", 32)
        for i in range(4):
            add(f"e4096/k{i}.a1", f"e4096/k{i}.a1", 4096)
        add("one/single.a1", "loose/single.a1", 16, size=12345)

        manifest = f"""version: 1
rules:
  - match: "*.a1"
    align: 1
  - match: "*.a16"
    align: 16
  - match: "*.a32"
    align: 32
  - match: "*.a4096"
    align: 4096
  - match: "**/deep/*.z"
    align: 32
  - match: "r/s?/*.bin"
    align: 16
  - match: "r/s[01]/*.bin"
    align: 32
files:
  - src: {q(src + "/mixed")}
  - src: {q(src + "/r")}
    dst: r
  - src: {q(src + "/e1")}
    align: 1
  - src: {q(src + "/e32")}
    dst: e32
    align: 32
  - src: {q(src + "/e4096")}
    align: 4096
  - src: {q(src + "/loose/single.a1")}
    dst: one/single.a1
    align: 16
"""
        forced = f"""version: 1
image:
  align: 1
rules:
  - match: "*"
    align: 1
files:
  - src: {q(src + "/mixed")}
  - src: {q(src + "/r")}
  - src: {q(src + "/e1")}
  - src: {q(src + "/e32")}
  - src: {q(src + "/e4096")}
  - src: {q(src + "/loose/single.a1")}
    dst: one/single.a1
"""
        return tree, want, manifest, forced

    def test_mixed_alignments(self):
        tree, want, manifest, forced = self.make()
        self.assertGreaterEqual(len(want), 290)
        ref = reference_writer.build_from_tree(tree)
        # The test is only meaningful if the unaligned layout misses most
        # alignments.
        ref_files = parse(ref).files
        self.assertGreater(sum(1 for p, a in want.items() if ref_files[p].offset % a), 150)

        with self.subTest("aligned build"):
            data = self.build(manifest, "aligned")
            img = parse(data)
            self.assertEqual(trees.diff_trees(img.tree(), tree), [])
            self.assertAligned(data, want)
            extra = len(data) - len(ref)
            self.assertLessEqual(extra, padding_bound(want.values()),
                                 f"padding {extra} bytes over {len(want)} files")
        with self.subTest("everything forced to align 1"):
            data = self.build(forced, "forced")
            self.assertEqual(trees.diff_trees(parse(data).tree(), tree), [])
            self.assertNoPadding(data, tree, "forced align 1")


class ManySmallTrees(AlignmentCase):
    """Many small random trees (zero-length and odd-sized files, empty
    directories, models) through pack-dir --align N: the layout must
    always be found, aligned and tight."""

    def test_many_small_trees(self):
        for seed in range(40):
            tree = trees.random_tree(seed, n_files=3 + seed % 9, n_dirs=seed % 4, max_depth=2,
                                     max_size=300, exts=("", ".bin", ".tflite", ".txt"))
            src = self.write_src(tree, f"s{seed}")
            files = trees.files_of(tree)
            for a in (2, 4, 16):
                with self.subTest(seed=seed, align=a):
                    data = self.pack_dir(src, f"s{seed}_{a}", "--align", a)
                    want = {p: max(a, 16) if p.endswith(".tflite") else a for p in files}
                    self.assertEqual(trees.diff_trees(parse(data).tree(), tree), [])
                    self.assertAligned(data, want)
                    self.assertLessEqual(len(data) - len(reference_writer.build_from_tree(tree)),
                                         padding_bound(want.values()))


class Precedence(AlignmentCase):
    def test_image_align_default_is_4(self):
        tree = small_tree(1, (".txt", ".bin", ""))
        self.assertTrue(self.misaligned_in_reference(tree, 4))
        src = self.write_src(tree)
        everything = {p: 4 for p in trees.files_of(tree)}
        with self.subTest("build without image.align"):
            data = self.build(self.dir_manifest(src), "default")
            self.assertAligned(data, everything)
            self.assertLessEqual(len(data) - len(reference_writer.build_from_tree(tree)),
                                 padding_bound(everything.values()))
        with self.subTest("pack-dir without --align"):
            self.assertAligned(self.pack_dir(src, "packdefault"), everything)

    def test_image_align_values(self):
        tree = small_tree(2, (".txt", ".bin"))
        src = self.write_src(tree)
        for a in (2, 8, 64, 4096):
            everything = {p: a for p in trees.files_of(tree)}
            with self.subTest(f"build image.align {a}"):
                data = self.build(self.dir_manifest(src, image=f"  align: {a}\n"), f"img{a}")
                self.assertAligned(data, everything)
                self.assertLessEqual(len(data) - len(reference_writer.build_from_tree(tree)),
                                     padding_bound(everything.values()))
            with self.subTest(f"pack-dir --align {a}"):
                self.assertAligned(self.pack_dir(src, f"pack{a}", "--align", a), everything)

    def test_align_1_disables_padding(self):
        plain = small_tree(3, (".txt", ".bin", ""))
        with_models = small_tree(4, (".txt", ".tflite"))
        src_plain = self.write_src(plain, "plain")
        src_models = self.write_src(with_models, "models")
        with self.subTest("image.align 1"):
            data = self.build(self.dir_manifest(src_plain, image="  align: 1\n"), "a")
            self.assertNoPadding(data, plain)
        with self.subTest("entry align 1 (also for .tflite)"):
            data = self.build(self.dir_manifest(src_models, entry_keys="    align: 1\n"), "b")
            self.assertNoPadding(data, with_models)
        with self.subTest("rule align 1 (also for .tflite)"):
            data = self.build(self.dir_manifest(
                src_models, rules='  - match: "*"\n    align: 1\n'), "c")
            self.assertNoPadding(data, with_models)

    def model_tree(self, seed=5, n=20):
        rng = random.Random(seed)
        t = {f"m{i:02d}.tflite": rng.randbytes(rng.randint(1, 300)) for i in range(n)}
        t["sub"] = {f"n{i}.tflite": rng.randbytes(rng.randint(1, 300)) for i in range(n // 2)}
        t["notes.txt"] = b"abc"
        t["x.bin"] = rng.randbytes(77)
        return t

    def tflite_paths(self, tree):
        return [p for p in trees.files_of(tree) if p.endswith(".tflite")]

    def test_target_n6_gives_tflite_32(self):
        tree = self.model_tree()
        self.assertGreater(len(self.misaligned_in_reference(tree, 32, ".tflite")), 10)
        src = self.write_src(tree)
        models = {p: 32 for p in self.tflite_paths(tree)}
        with self.subTest("target n6"):
            data = self.build(self.dir_manifest(src, image="  target: n6\n"), "n6")
            self.assertAligned(data, models)
            self.assertAligned(data, {p: 4 for p in trees.files_of(tree)})
        with self.subTest("target n6, image.align 1"):
            data = self.build(self.dir_manifest(src, image="  target: n6\n  align: 1\n"), "n6a1")
            self.assertAligned(data, models)
            aligns = [32 if p.endswith(".tflite") else 1 for p in trees.files_of(tree)]
            self.assertLessEqual(len(data) - len(reference_writer.build_from_tree(tree)),
                                 padding_bound(aligns))
        with self.subTest("target n6, rule *.tflite align 1 wins over the preset"):
            data = self.build(self.dir_manifest(
                src, image="  target: n6\n  align: 1\n",
                rules='  - match: "*.tflite"\n    align: 1\n'), "n6rule")
            self.assertNoPadding(data, tree)

    def test_image_align_does_not_change_tflite_16(self):
        tree = self.model_tree(6)
        self.assertGreater(len(self.misaligned_in_reference(tree, 16, ".tflite")), 10)
        src = self.write_src(tree)
        models = {p: 16 for p in self.tflite_paths(tree)}
        for a in (1, 4):
            with self.subTest(f"image.align {a}"):
                data = self.build(self.dir_manifest(src, image=f"  align: {a}\n"), f"t{a}")
                self.assertAligned(data, models)
        with self.subTest("pack-dir --align 1"):
            self.assertAligned(self.pack_dir(src, "tpack", "--align", "1"), models)
        with self.subTest("image.align 4096 leaves .tflite at 16"):
            only = {k: v for k, v in tree.items() if k.endswith(".tflite")}
            src_only = self.write_src(only, "only_models")
            data = self.build(self.dir_manifest(src_only, image="  align: 4096\n"), "t4096")
            self.assertAligned(data, {p: 16 for p in only})
            # Had the models taken 4096, the padding would be far larger.
            self.assertLessEqual(len(data) - len(reference_writer.build_from_tree(only)),
                                 padding_bound([16] * len(only)))

    def test_rule_beats_image_align(self):
        tree = small_tree(7, (".bin", ".txt"))
        src = self.write_src(tree)
        bins = {p: 32 for p in trees.files_of(tree) if p.endswith(".bin")}
        others = {p: 4 for p in trees.files_of(tree) if not p.endswith(".bin")}
        self.assertTrue(self.misaligned_in_reference(tree, 32, ".bin"))
        with self.subTest("rule stricter than image.align"):
            data = self.build(self.dir_manifest(
                src, image="  align: 4\n", rules='  - match: "*.bin"\n    align: 32\n'), "r32")
            self.assertAligned(data, bins)
            self.assertAligned(data, others)
        with self.subTest("rule looser than image.align"):
            data = self.build(self.dir_manifest(
                src, image="  align: 32\n", rules='  - match: "*"\n    align: 1\n'), "r1")
            self.assertNoPadding(data, tree)

    def test_later_rule_beats_earlier(self):
        tree = small_tree(8, (".bin",))
        src = self.write_src(tree)
        self.assertTrue(self.misaligned_in_reference(tree, 32))
        with self.subTest("32 then 1"):
            data = self.build(self.dir_manifest(
                src, image="  align: 1\n",
                rules='  - match: "*.bin"\n    align: 32\n  - match: "*.bin"\n    align: 1\n'),
                "later1")
            self.assertNoPadding(data, tree)
        with self.subTest("1 then 32"):
            data = self.build(self.dir_manifest(
                src, image="  align: 1\n",
                rules='  - match: "*.bin"\n    align: 1\n  - match: "*.bin"\n    align: 32\n'),
                "later32")
            self.assertAligned(data, {p: 32 for p in trees.files_of(tree)})

    def test_entry_align_beats_rules(self):
        tree = small_tree(9, (".bin", ".tflite"))
        src = self.write_src(tree)
        self.assertTrue(self.misaligned_in_reference(tree, 32))
        with self.subTest("entry 32 over rule 1"):
            data = self.build(self.dir_manifest(
                src, image="  align: 1\n", rules='  - match: "*"\n    align: 1\n',
                entry_keys="    align: 32\n"), "e32")
            self.assertAligned(data, {p: 32 for p in trees.files_of(tree)})
        with self.subTest("entry 1 over rule 4096 and the built-in"):
            data = self.build(self.dir_manifest(
                src, image="  align: 1\n", rules='  - match: "*"\n    align: 4096\n',
                entry_keys="    align: 1\n"), "e1")
            self.assertNoPadding(data, tree)


if __name__ == "__main__":
    unittest.main()
