"""`romfs report`: the figures add up, checked against the test's own
image reader on random trees in both layouts; diffs of hand-made pairs
give exactly the expected rows; the Markdown form leads with its summary
and lists the changes largest first."""
import copy
import json
import os
import random
import shutil

from romfs_testlib import image_reader, trees
from romfs_testlib.tool import ScratchTestCase, readb, run

CAPACITY = 1 << 20
BLOCK = 4096


def blocks_differing(a, b, block=BLOCK):
    n = max(len(a), len(b))
    return sum(1 for at in range(0, n, block) if a[at:at + block] != b[at:at + block])


class ReportCase(ScratchTestCase):
    def build(self, tree, out, *extra):
        src = self.path("src")
        shutil.rmtree(src, ignore_errors=True)
        trees.write_tree(src, tree)
        self.write("m.yaml", f'version: 1\nimage:\n  size: {CAPACITY}\nfiles:\n'
                             f'  - src: src\n    dst: "."\n')
        run("build", self.path("m.yaml"), "-o", self.path(out), "-q", *extra, check=0)
        return readb(self.path(out))

    def report(self, image, *extra):
        proc = run("report", self.path(image), "--format", "json", "--manifest",
                   self.path("m.yaml"), *extra, check=0)
        return json.loads(proc.stdout)

    def assert_adds_up(self, data, r):
        img = image_reader.parse(data)
        t = r["totals"]
        self.assertEqual(t["image"], img.size)
        self.assertEqual(t["data"] + t["metadata"] + t["padding"], img.size)
        self.assertEqual(t["data"] + t["metadata"] + t["padding"] + t["free"], t["capacity"])
        self.assertEqual(t["capacity"], CAPACITY)
        files = {f["path"]: f for f in r["files"]}
        self.assertEqual(set(files), set(img.files))
        for path, e in img.files.items():
            self.assertEqual((files[path]["size"], files[path]["offset"]), (e.size, e.offset),
                             path)
            self.assertEqual(files[path]["data"], e.size, path)
        self.assertEqual(t["data"], sum(e.size for e in img.files.values()))
        dirs = {d["path"]: d for d in r["dirs"]}
        self.assertEqual(set(dirs), {""} | set(img.dirs))
        charged = sum(f["data"] + f["metadata"] + f["padding"] for f in r["files"])
        charged += sum(d["metadata"] + d["padding"] for d in r["dirs"])
        self.assertEqual(charged, img.size, "every byte is charged to exactly one entry")
        self.assertEqual(t["metadata"], sum(x["metadata"] for x in r["files"] + r["dirs"]))
        self.assertEqual(t["padding"], sum(x["padding"] for x in r["files"] + r["dirs"]))
        # A directory's total: its own records and padding, its files', and
        # its subdirectories' totals.
        for path, d in dirs.items():
            inside = [f for p, f in files.items() if os.path.dirname(p) == path]
            below = [s for p, s in dirs.items() if p and os.path.dirname(p) == path]
            self.assertEqual(d["total"], d["metadata"] + d["padding"] +
                             sum(f["data"] + f["metadata"] + f["padding"] for f in inside) +
                             sum(s["total"] for s in below), path or "(root)")
        self.assertEqual(dirs[""]["total"], img.size)


class FiguresAddUp(ReportCase):
    def test_random_trees_in_the_canonical_layout(self):
        for seed in range(8):
            with self.subTest(seed=seed):
                tree = trees.random_tree(900 + seed, n_files=60, n_dirs=12,
                                         exts=("", ".txt", ".py", ".tflite", ".json"))
                data = self.build(tree, "a.img")
                self.assert_adds_up(data, self.report("a.img"))

    def test_random_trees_in_the_block_keeping_layout_after_edits(self):
        rng = random.Random(5)
        tree = trees.random_tree(77, n_files=80, n_dirs=10, exts=("", ".bin", ".tflite"))
        self.build(tree, "base.img")
        for step in range(6):
            with self.subTest(step=step):
                flat = [(p, v) for p, v in trees.flatten(tree).items() if v is not None]
                path, _ = rng.choice(flat)
                trees.set_path(tree, path, rng.randbytes(rng.randint(0, 6000)))
                data = self.build(tree, "next.img", "--base", self.path("base.img"))
                self.assertTrue(any(e.indirect for e in image_reader.parse(data).entries),
                                "not the block-keeping layout")
                r = self.report("next.img")
                self.assert_adds_up(data, r)
                os.replace(self.path("next.img"), self.path("base.img"))


class Diffs(ReportCase):
    BASE = {"config.json": b'{"rate": 10}\n', "lib": {"app.py": b"print(1)\n",
                                                      "util.py": b"X = 1\n"},
            "models": {"net.tflite": b"\x01" * 3000}, "readme.txt": b"hello\n"}

    def diff(self, new_tree):
        old = self.build(self.BASE, "old.img")
        new = self.build(new_tree, "new.img")
        r = self.report("new.img", "--base", self.path("old.img"))
        d = r["diff"]
        self.assertEqual(d["blocks_changed"], blocks_differing(old, new))
        self.assertEqual(d["delta"], len(new) - len(old))
        return d

    def edited(self, changes=None):
        tree = copy.deepcopy(self.BASE)
        for path, value in (changes or {}).items():
            trees.set_path(tree, path, value)
        return tree

    def rows(self, d):
        return {k: d[k] for k in ("added", "removed", "changed", "renamed", "unchanged")}

    def test_nothing_changed(self):
        d = self.diff(self.BASE)
        self.assertEqual(self.rows(d), {"added": [], "removed": [], "changed": [],
                                        "renamed": [], "unchanged": 5})
        self.assertEqual(d["blocks_changed"], 0)
        self.assertEqual(d["dirs"], [])

    def test_a_file_added(self):
        d = self.diff(self.edited({"lib/new.py": b"Y = 2\n"}))
        self.assertEqual(self.rows(d), {"added": ["lib/new.py"], "removed": [], "changed": [],
                                        "renamed": [], "unchanged": 5})

    def test_a_file_removed(self):
        tree = self.edited()
        del tree["readme.txt"]
        d = self.diff(tree)
        self.assertEqual(self.rows(d), {"added": [], "removed": ["readme.txt"], "changed": [],
                                        "renamed": [], "unchanged": 4})

    def test_a_file_renamed(self):
        tree = self.edited({"lib/main.py": b"print(1)\n"})
        del tree["lib"]["app.py"]
        d = self.diff(tree)
        self.assertEqual(self.rows(d), {
            "added": ["lib/main.py"], "removed": ["lib/app.py"], "changed": [],
            "renamed": [{"from": "lib/app.py", "to": "lib/main.py"}], "unchanged": 4})

    def test_a_same_size_edit_is_found_by_content(self):
        d = self.diff(self.edited({"config.json": b'{"rate": 20}\n'}))
        self.assertEqual(self.rows(d), {
            "added": [], "removed": [], "renamed": [], "unchanged": 4,
            "changed": [{"path": "config.json", "old_size": 13, "new_size": 13}]})
        self.assertGreater(d["blocks_changed"], 0)

    def test_a_file_that_grows_and_its_directories(self):
        d = self.diff(self.edited({"models/net.tflite": b"\x01" * 3100}))
        self.assertEqual(self.rows(d), {
            "added": [], "removed": [], "renamed": [], "unchanged": 4,
            "changed": [{"path": "models/net.tflite", "old_size": 3000, "new_size": 3100}]})
        dirs = {x["path"]: x for x in d["dirs"]}
        self.assertEqual(dirs["models"]["new_total"] - dirs["models"]["old_total"],
                         dirs["models"]["delta"])
        self.assertGreaterEqual(dirs["models"]["delta"], 100)
        self.assertEqual(dirs[""]["delta"], d["delta"])

    def test_markdown_leads_with_a_summary_and_lists_the_largest_change_first(self):
        tree = self.edited({"models/net.tflite": b"\x02" * 3500, "config.json": b"{}\n",
                            "lib/new.py": b"Y=2\n"})
        del tree["readme.txt"]
        self.diff(tree)
        md = run("report", self.path("new.img"), "--base", self.path("old.img"),
                 "--format", "markdown", check=0).stdout.decode()
        lines = md.splitlines()
        self.assertTrue(lines[0].startswith(f"**romfs** `{self.path('new.img')}`: "), lines[0])
        self.assertIn("1 added, 1 removed, 2 changed", lines[0])
        rows = [l for l in lines if l.startswith("| ") and "`" in l and "→" not in l]
        first_rows = [l.split("|")[2].strip() for l in rows[:4]]
        self.assertEqual(first_rows, ["`models/net.tflite`", "`config.json`", "`readme.txt`",
                                      "`lib/new.py`"])

    def test_one_output_file_per_form_and_an_unknown_form_refused(self):
        self.build(self.BASE, "old.img")
        for form, marker in (("text", "DIRECTORY"), ("json", '"totals"'),
                             ("markdown", "**romfs**"), ("html", "<html")):
            out = self.path(f"r.{form}")
            run("report", self.path("old.img"), "--format", form, "-o", out, check=0)
            with open(out, encoding="utf-8") as f:
                self.assertIn(marker, f.read(), form)
        proc = run("report", self.path("old.img"), "--format", "pdf", check=2)
        self.assertEqual(len(proc.stderr.splitlines()), 1, proc.stderr)
        self.assertTrue(proc.stderr.startswith("romfs: error: "), proc.stderr)
