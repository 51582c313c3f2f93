"""The report page's test material, shared by test_report_html (the raw
page) and test_report_html_browser (the page in Chromium): images with
awkward names, a pair for a diff, a large tree, and reading the page's
parts from its HTML."""
import html.parser
import json
import os
import random
import shutil
import tempfile

from . import trees
from .tool import SOURCE_DIR, TMP_ROOT, run, yaml_str as q

ASSETS = os.path.join(SOURCE_DIR, "tool", "outputs")

# Paths a page could get wrong: markup, entities, quotes that end an
# attribute, the end of a script element (a directory "<" holding
# "script>..."), a comment opener, URLs, template syntax, bidirectional
# and zero-width characters, a line separator that ends a JavaScript
# string literal, and a name 200 bytes long.
AWKWARD = [
    "<b>bold</b>.txt", "a&amp;b & c.txt", "\"double\".json", "'single'.py", "</script>.js",
    "</SCRIPT><script>alert(1)</script>.html", "<!--not a comment.txt", "x\" onmouseover=\"alert(1).txt",
    "http:/example.com/x.png", "javascript:alert(1).txt", "${x}{{y}}%3C.csv", "back\\slash.bin",
    "\u202eevil\u202c.txt", "zero\u200bwidth.txt", "line\u2028sep\u2029.txt", "sp ace  .dat",
    "\U0001F600 emoji.jpg", "\u65e5\u672c\u8a9e.md", "caf\u00e9.py", "n" * 196 + ".txt",
    "<odd> & \"dir\"/inner & <x>.txt", "<odd> & \"dir\"/</style>.css",
]

# What the page's colours are for each kind (report_html.css).
KIND_RGB = {"model": (0xE6, 0x9F, 0x00), "python": (0x56, 0xB4, 0xE9), "text": (0xF0, 0xE4, 0x42),
            "image": (0xCC, 0x79, 0xA7), "web": (0x00, 0x9E, 0x73), "data": (0xD5, 0x5E, 0x00)}


def awkward_tree(seed=7):
    """A random tree with UTF-8 names, and the awkward paths in it."""
    rng = random.Random(seed)
    tree = trees.random_tree(seed, n_files=60, n_dirs=14, max_size=4000, empty_dirs=False,
                             exts=("", ".txt", ".bin", ".py", ".json", ".tflite", ".png", ".html"))
    for path in AWKWARD:
        node = tree
        *dirs, name = path.split("/")
        for d in dirs:
            node = node.setdefault(d, {})
        node[name] = rng.randbytes(rng.randint(1, 900))
    return tree


def diff_trees():
    """(base, new): one file edited (it grows), one edited in place (same
    size), one added, one removed, a directory added, the rest as it was."""
    rng = random.Random(3)
    base = {
        "model.tflite": rng.randbytes(6000),
        "labels.txt": b"cat\ndog\n" * 20,
        "lib": {"app.py": b"print('v1')\n" * 30, "util.py": b"x = 1\n" * 40, "old.py": b"gone\n" * 50},
        "web": {"index.html": b"<html></html>\n" * 40, "style.css": b"body{}\n" * 30},
        "img": {f"icon{i}.png": rng.randbytes(200 + 37 * i) for i in range(6)},
    }
    new = json.loads(json.dumps(base, default=lambda b: b.hex()))  # a deep copy, bytes as hex

    def unhex(node):
        return {k: unhex(v) if isinstance(v, dict) else bytes.fromhex(v) for k, v in node.items()}

    new = unhex(new)
    new["lib"]["app.py"] = b"print('v2, longer')\n" * 60
    new["labels.txt"] = b"cow\ndog\n" * 20
    del new["lib"]["old.py"]
    new["web"]["new.js"] = b"console.log(1)\n" * 90
    new["fonts"] = {"added.bin": rng.randbytes(1500)}
    return base, new


def files_of(tree, prefix=""):
    """{path: bytes} of every file in a nested tree."""
    out = {}
    for name, value in tree.items():
        path = prefix + name
        if isinstance(value, dict):
            out.update(files_of(value, path + "/"))
        else:
            out[path] = value
    return out


def parent(path):
    return path.rsplit("/", 1)[0] if "/" in path else ""


def ancestors(d):
    """d and every directory above it, up to the root ("")."""
    out = [d]
    while d:
        d = parent(d)
        out.append(d)
    return out


class PageParts(html.parser.HTMLParser):
    """The raw file's elements: every start tag with its attributes, and
    the text of each <script> and <style>."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.scripts, self.styles = [], [], []
        self._in = None

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag in ("script", "style"):
            self._in = (tag, dict(attrs), [])

    def handle_endtag(self, tag):
        if self._in is not None and tag == self._in[0]:
            kind, attrs, text = self._in
            (self.scripts if kind == "script" else self.styles).append((attrs, "".join(text)))
            self._in = None

    def handle_data(self, data):
        if self._in is not None:
            self._in[2].append(data)


def parse_page(text):
    p = PageParts()
    p.feed(text)
    p.close()
    return p


class ReportImages:
    """Images built once for a test class, in a directory of its own."""

    @classmethod
    def make_images(cls):
        os.makedirs(TMP_ROOT, exist_ok=True)
        cls.dir = tempfile.mkdtemp(prefix=cls.__name__ + ".", dir=TMP_ROOT)
        cls.addClassCleanup(shutil.rmtree, cls.dir, ignore_errors=True)
        cls.example = os.path.join(cls.dir, "example.romfs")
        run("build", os.path.join(SOURCE_DIR, "manifests", "example.yaml"), "-o", cls.example,
            "--quiet", check=0)
        cls.awkward_tree = awkward_tree()
        cls.awkward = cls.build_tree(cls.awkward_tree, "awkward")
        base, new = diff_trees()
        cls.base_tree, cls.new_tree = base, new
        cls.base = cls.build_tree(base, "base")
        cls.new = cls.build_tree(new, "new")

    @classmethod
    def build_tree(cls, tree, tag):
        """An image of `tree` with alignments that make padding: models on
        16, .bin on 32, the rest on 4."""
        src = trees.write_tree(os.path.join(cls.dir, tag + ".src"), tree)
        manifest = os.path.join(cls.dir, tag + ".yaml")
        with open(manifest, "w", encoding="utf-8") as f:
            f.write(f"version: 1\nimage:\n  align: 4\nrules:\n  - match: \"**/*.bin\"\n"
                    f"    align: 32\nfiles:\n  - src: {q(src)}\n    dst: \".\"\n")
        out = os.path.join(cls.dir, tag + ".romfs")
        run("build", manifest, "-o", out, "--quiet", check=0)
        return out

    @classmethod
    def report(cls, image, *args, tag=None):
        """(html path, the JSON report) for `romfs report IMAGE ARGS...`."""
        tag = tag or os.path.basename(image)
        out = os.path.join(cls.dir, tag + ".html")
        run("report", image, *args, "--format", "html", "-o", out, check=0)
        data = json.loads(run("report", image, *args, "--format", "json", check=0).stdout)
        return out, data


def large_tree(n_files=40_000, seed=11):
    """n_files files in a few hundred directories, most of them small."""
    rng = random.Random(seed)
    tree, made = {}, 0
    while made < n_files:
        top = tree.setdefault(f"d{rng.randrange(60):02d}", {})
        node = top.setdefault(f"s{rng.randrange(12)}", {}) if rng.random() < 0.7 else top
        size = rng.choice((0, 5, 40, 120, 300, 900)) if rng.random() < 0.999 else rng.randint(20_000, 200_000)
        ext = rng.choice((".py", ".txt", ".png", ".bin", ".tflite", ".html"))
        name = f"f{made:05d}{ext}"
        node[name] = b"\0" * size
        made += 1
    return tree


def artifacts_dir():
    """$ROMFS_TEST_ARTIFACTS (made if missing), where screenshots are
    kept for whoever runs the tests, or None."""
    d = os.environ.get("ROMFS_TEST_ARTIFACTS")
    if d:
        os.makedirs(d, exist_ok=True)
    return d
