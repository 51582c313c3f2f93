"""`build --base OLD`: the block-keeping layout. Every image passes the
test's own reader and `verify`, holds every file exactly and aligned,
keeps every unchanged file's data where the base had it, over many edits
in a row; the same inputs and the same base give the same bytes; a base
that is not a block-keeping image, or a capacity the layout would
outgrow, is said, and the image is still sound."""
import os
import random
import shutil

from romfs_testlib import image_reader, trees
from romfs_testlib.tool import ScratchTestCase, builtin_need, readb, run

BLOCK = 4096


def blocks_differing(a, b, block=BLOCK):
    n = max(len(a), len(b))
    return sum(1 for at in range(0, n, block) if a[at:at + block] != b[at:at + block])


class KeepLayout(ScratchTestCase):
    CAPACITY = "4M"

    def setUp(self):
        super().setUp()
        self.tree = {}

    def build(self, out, base=None, capacity=None, check=0, layout=None):
        src = self.path("src")
        shutil.rmtree(src, ignore_errors=True)
        trees.write_tree(src, self.tree)
        self.write("m.yaml", f"version: 1\nimage:\n  size: {capacity or self.CAPACITY}\n"
                             'rules:\n  - match: "*.bin"\n    align: 32\n'
                             'files:\n  - src: src\n    dst: "."\n')
        args = ["build", self.path("m.yaml"), "-o", self.path(out), "--cache-dir",
                self.path("cache")]
        if base:
            args += ["--base", self.path(base)]
        if layout:
            args += ["--layout", layout]
        return run(*args, check=check)

    def assert_sound(self, image):
        data = readb(self.path(image))
        img = image_reader.parse(data)
        files = {p: e for p, e in img.files.items()}
        self.assertEqual({p: e.data for p, e in files.items()}, trees.files_of(self.tree))
        for path, e in files.items():
            need = 32 if path.endswith(".bin") else builtin_need(path)
            if e.size:
                self.assertEqual(e.offset % need, 0, f"{path} at {e.offset} needs {need}")
        run("verify", self.path(image), "--manifest", self.path("m.yaml"), "-q", check=0)
        return data, img

    def random_edit(self, rng):
        flat = list(trees.files_of(self.tree))
        kind = rng.choice(["same", "grow", "shrink", "add", "remove", "rename", "big"])
        path = rng.choice(flat) if flat else None
        if kind == "add" or path is None:
            trees.set_path(self.tree, f"d{rng.randint(0, 5)}/n{rng.randint(0, 10**6)}"
                                      f"{rng.choice(['.txt', '.bin', '.tflite', ''])}",
                           rng.randbytes(rng.randint(0, 3000)))
        elif kind == "remove":
            self.remove(path)
        elif kind == "rename":
            data = trees.files_of(self.tree)[path]
            self.remove(path)
            trees.set_path(self.tree, f"moved/{rng.randint(0, 10**6)}-{os.path.basename(path)}",
                           data)
        else:
            old = trees.files_of(self.tree)[path]
            size = {"same": len(old), "grow": len(old) + rng.randint(1, 500),
                    "shrink": len(old) // 2, "big": rng.randint(20000, 80000)}[kind]
            trees.set_path(self.tree, path, rng.randbytes(size))
        return kind, path

    def remove(self, path):
        *dirs, name = path.split("/")
        node = self.tree
        for d in dirs:
            node = node[d]
        del node[name]

    def test_many_edits_in_a_row_keep_unchanged_files_in_place(self):
        rng = random.Random(11)
        self.tree = trees.random_tree(501, n_files=120, n_dirs=15, max_size=6000,
                                      exts=("", ".txt", ".bin", ".tflite", ".json"))
        self.build("canon.img")
        proc = self.build("0.img", base="canon.img")
        self.assertIn("laid out afresh: the base is not a block-keeping image", proc.stderr)
        prev_data, prev = self.assert_sound("0.img")
        for step in range(1, 41):
            before = trees.files_of(self.tree)
            kind, path = self.random_edit(rng)
            with self.subTest(step=step, kind=kind, path=path):
                self.build(f"{step}.img", base=f"{step - 1}.img")
                data, img = self.assert_sound(f"{step}.img")
                self.assertTrue(any(e.indirect for e in img.files.values() if e.size),
                                "not the block-keeping layout")
                after = trees.files_of(self.tree)
                for p, content in after.items():
                    if before.get(p) == content and content:
                        self.assertEqual(img.files[p].offset, prev.files[p].offset,
                                         f"{p} moved though unchanged")
                if kind in ("same", "shrink"):
                    # Rewritten in place: its own blocks, and the tree's
                    # block when its size changed.
                    spans = img.files[path].size // BLOCK + 2
                    self.assertLessEqual(blocks_differing(prev_data, data), spans + 1, kind)
                prev_data, prev = data, img
                os.unlink(self.path(f"{step - 1}.img"))

    def test_same_inputs_and_base_give_the_same_bytes(self):
        self.tree = trees.random_tree(502, n_files=60, n_dirs=8)
        self.build("canon.img")
        self.build("base.img", base="canon.img")
        trees.set_path(self.tree, "extra/new.txt", b"new file\n")
        self.build("a.img", base="base.img")
        shutil.rmtree(self.path("cache"))
        self.build("b.img", base="base.img")
        self.assertEqual(readb(self.path("a.img")), readb(self.path("b.img")))

    def test_without_base_the_build_stays_canonical(self):
        self.tree = trees.random_tree(503, n_files=40, n_dirs=6)
        self.build("canon.img")
        self.build("kept.img", base="canon.img")
        self.build("again.img")
        self.assertEqual(readb(self.path("again.img")), readb(self.path("canon.img")))
        img = image_reader.parse(readb(self.path("again.img")))
        self.assertFalse(any(e.indirect for e in img.files.values()))

    def test_a_capacity_the_layout_would_outgrow_falls_back_to_canonical(self):
        self.tree = {"a.bin": b"\1" * 30000, "b.txt": b"\2" * 30000}
        self.build("canon.img", capacity="80K")
        self.build("base.img", base="canon.img", capacity="80K")
        self.tree["a.bin"] = b"\3" * 40000  # cannot be rewritten in place
        proc = self.build("next.img", base="base.img", capacity="80K")
        self.assertRegex(proc.stderr, r"the block-keeping layout would take \d+ bytes, over the "
                                      r"81920 of the capacity; laid out canonically instead "
                                      r"\(the whole image changes\)")
        data, img = self.assert_sound("next.img")
        self.assertFalse(any(e.indirect for e in img.files.values()))
        self.assertLessEqual(len(data), 81920)

    def test_a_fresh_block_keeping_image_leaves_room_for_files_to_grow(self):
        rng = random.Random(3)
        self.tree = {"models": {f"m{i}.tflite": rng.randbytes(200_000) for i in range(3)},
                     "config.json": b"{}\n"}
        proc = self.build("fresh.img", layout="keep", capacity="1M")
        self.assertRegex(proc.stderr, r"the block-keeping layout, afresh: data area \d+ bytes, "
                                      r"\d+ of them room to grow")
        _, fresh = self.assert_sound("fresh.img")
        grown = self.tree["models"]["m1.tflite"] + rng.randbytes(10_000)
        self.tree["models"]["m1.tflite"] = grown
        proc = self.build("next.img", base="fresh.img", capacity="1M")
        self.assertIn("1 rewritten in place", proc.stderr)
        data, img = self.assert_sound("next.img")
        self.assertEqual(img.files["models/m1.tflite"].offset,
                         fresh.files["models/m1.tflite"].offset)
        # Its old bytes and the tree stay; the 10 000 new bytes take three
        # or four blocks, the tree's record one more.
        self.assertLessEqual(blocks_differing(readb(self.path("fresh.img")), data), 5)

    def test_layout_options_that_contradict_are_usage_errors(self):
        self.tree = {"a.txt": b"a"}
        self.build("canon.img")
        proc = run("build", self.path("m.yaml"), "-o", self.path("x.img"), "--layout", "tidy",
                   check=2)
        self.assertEqual(proc.stderr.strip(),
                         "romfs: error: --layout must be canonical or keep, not 'tidy'")
        proc = run("build", self.path("m.yaml"), "-o", self.path("x.img"), "--layout",
                   "canonical", "--base", self.path("canon.img"), check=2)
        self.assertEqual(proc.stderr.strip(),
                         "romfs: error: --base OLD asks for the block-keeping layout; it cannot "
                         "go with --layout canonical")
