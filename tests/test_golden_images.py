"""Golden images: a fixed set of inputs (the examples, a scaled-down bench
tree, an .mpy tree through the stand-in compiler, every alignment case)
must keep giving exactly the bytes, and the `ls --json` fields, recorded
in tests/golden/images.json. Refactoring the packer may change nothing
here; a change that means to alter an image says so by re-recording
(ROMFS_GOLDEN_RECORD=1) in a commit of its own.

The `ls --json` check covers the fields every listing has had (path,
type, size, offset, align); fields added later are not part of it."""
import hashlib
import json
import os
import random
import sys
import unittest

from romfs_testlib import trees
from romfs_testlib.tool import SOURCE_DIR, ScratchTestCase, readb, run, yaml_str as q

GOLDEN = os.path.join(SOURCE_DIR, "tests", "golden", "images.json")
STANDIN = os.path.join(SOURCE_DIR, "tests", "mpy_cross_standin.py")
LISTING_FIELDS = ("path", "type", "size", "offset", "align")

sys.path.insert(0, os.path.join(SOURCE_DIR, "bench"))
import gen_tree  # noqa: E402  (bench/ is not a package)


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def listing_digest(stdout):
    entries = json.loads(stdout.decode("utf-8"))["entries"]
    kept = [{k: e[k] for k in LISTING_FIELDS if k in e} for e in entries]
    return sha256(json.dumps(kept, sort_keys=True).encode())


def alignment_tree():
    rng = random.Random(2024)
    tree = trees.random_tree(7, n_files=60, n_dirs=14, max_size=5000,
                             exts=("", ".txt", ".bin", ".py", ".json", ".tflite", ".dat"))
    tree["models"] = {f"m{i}.tflite": rng.randbytes(rng.randint(1, 3000)) for i in range(5)}
    tree["big"] = {"blob.bin": rng.randbytes(70000)}  # a directory past 2-byte lengths
    tree["void"] = {}
    return tree


class GoldenImages(ScratchTestCase):
    maxDiff = None

    def setUp(self):
        super().setUp()
        self.cases = {}

    def record(self, name, image):
        data = readb(image)
        listing = run("ls", image, "--json", check=0).stdout
        self.cases[name] = {"size": len(data), "image": sha256(data),
                            "listing": listing_digest(listing)}

    def build(self, name, manifest, *args, cwd=None):
        out = self.path(name + ".img")
        run("build", manifest, "-o", out, "--quiet", "--cache-dir", self.path("cache"), *args,
            cwd=cwd, check=0)
        self.record(name, out)

    def manifest(self, name, text):
        return self.write(name + ".yaml", text)

    def pack_dir(self, name, src, *args):
        out = self.path(name + ".img")
        run("pack-dir", src, "-o", out, "--quiet", *args, check=0)
        self.record(name, out)

    def make_all(self):
        self.build("example", os.path.join(SOURCE_DIR, "manifests", "example.yaml"))
        self.build("cortex-m", os.path.join(SOURCE_DIR, "examples", "cortex-m", "assets.yaml"))
        self.build("host", os.path.join(SOURCE_DIR, "examples", "host", "assets.yaml"))

        bench = gen_tree.ensure_tree(self.path("bench"), seed=3, scale=0.1, log=lambda *a: None)
        bench_tree = os.path.join(self.path("bench"), "tree")
        self.assertTrue(os.path.isdir(bench_tree), bench)
        self.build("bench", self.manifest("bench", f"version: 1\nimage:\n  align: 16\n"
                                          f"files:\n  - src: {q(bench_tree)}\n    dst: \".\"\n"))

        py = trees.write_tree(self.path("py"), {
            "app": {"main.py": b"print('main')\n", "util.py": b"x = 1\n" * 40,
                    "pkg": {"__init__.py": b"", "deep.py": b"def f():\n    return 2\n",
                            "keep.mpy": b"M\x06\x00\x1fprebuilt", "keep.py": b"# stays\n"}},
            "boot.py": b"import app\n", "data.json": b"{}\n"})
        self.build("mpy", self.manifest("mpy", f"""version: 1
image:
  mpy: true
  mpy_cross: {q(STANDIN + " -march=armv7emsp")}
rules:
  - match: "boot.py"
    mpy: false
  - match: "*.mpy"
    align: 8
files:
  - src: {q(py)}
    dst: "."
"""))

        tree = trees.write_tree(self.path("align-src"), alignment_tree())
        for align in (1, 4, 16, 32, 4096):
            self.pack_dir(f"pack-dir-align{align}", tree, "--align", str(align))
        self.build("rules", self.manifest("rules", f"""version: 1
image:
  align: 8
rules:
  - match: "*.bin"
    align: 64
  - match: "**/*.json"
    align: 2
  - match: "big/**"
    align: 4096
  - match: "*.txt"
    align: 1
files:
  - src: {q(tree)}
    dst: "."
  - src: {q(os.path.join(tree, "big", "blob.bin"))}
    dst: extra/blob.bin
    align: 32
"""))
        self.build("n6", self.manifest("n6", f"""version: 1
image:
  target: n6
files:
  - src: {q(os.path.join(tree, "models"))}
  - src: {q(os.path.join(tree, "void"))}
    dst: empty/dir
"""))
        empty = trees.write_tree(self.path("empty-src"), {})
        self.pack_dir("empty", empty)
        self.pack_dir("empty-dirs", trees.write_tree(self.path("dirs-src"),
                                                     {"a": {"b": {"c": {}}}, "d": {}}))
        deep = trees.write_tree(self.path("deep-src"), trees.deep_tree(40, leaf=b"x" * 300))
        self.pack_dir("deep", deep, "--align", "16")
        names = trees.write_tree(self.path("names-src"), trees.random_tree(11, n_files=80))
        self.pack_dir("utf8-names", names, "--align", "1")

    def test_images_keep_their_bytes(self):
        self.make_all()
        if os.environ.get("ROMFS_GOLDEN_RECORD") == "1":
            os.makedirs(os.path.dirname(GOLDEN), exist_ok=True)
            with open(GOLDEN, "w") as f:
                json.dump(self.cases, f, indent=1, sort_keys=True)
                f.write("\n")
            self.skipTest(f"recorded {len(self.cases)} golden images into {GOLDEN}")
        with open(GOLDEN) as f:
            golden = json.load(f)
        self.assertEqual(sorted(self.cases), sorted(golden), "the set of golden cases")
        for name in sorted(golden):
            with self.subTest(name):
                self.assertEqual(self.cases[name], golden[name], name)


if __name__ == "__main__":
    unittest.main()
