"""Default excludes (the first-use issue, item 11): names every tree has
and no firmware wants are left out of directory entries unless
image.default_excludes is false, a rule or an entry says exclude: false,
or the file is named as an entry's src; pack-dir, like mpremote, packs
everything. The list --help and the manifest reference show is the one
the packer applies."""
import os
import re
import unittest

from romfs_testlib import trees
from romfs_testlib.image_reader import parse
from romfs_testlib.tool import SOURCE_DIR, ScratchTestCase, readb, run, yaml_str as q

UNWANTED = {
    ".DS_Store": b"mac", "Thumbs.db": b"win", "mod.pyc": b"\x00pyc", "notes.txt~": b"bak",
    ".main.py.swp": b"vim", "__pycache__": {"mod.cpython-311.pyc": b"c"},
    ".git": {"HEAD": b"ref: refs/heads/main\n", "objects": {}}, ".svn": {"entries": b"12\n"},
}
WANTED = {"main.py": b"print(1)\n", "README.md": b"hi\n", "lib": {"x.py": b"x = 1\n",
          ".DS_Store": b"deep", "__pycache__": {"x.pyc": b"c"}}}
# Names like the unwanted ones that are not on the list, or not of its kind.
KEPT = {"pyc.txt": b"1", "file~name": b"2", ".swp": b"3", "git": {"HEAD": b"4"},
        "sub": {"__pycache__": b"a file, not a directory", ".git": b"gitdir: ../.git/worktrees/x\n"}}


def image_paths(path):
    return {e.path for e in parse(readb(path)).entries}


class DefaultExcludes(ScratchTestCase):
    def setUp(self):
        super().setUp()
        tree = dict(UNWANTED)
        tree.update(WANTED)
        tree.update(KEPT)
        self.src = trees.write_tree(self.path("src"), tree)

    def build(self, body, name="m"):
        self.write(name + ".yaml", body)
        out = self.path(name + ".img")
        run("build", name + ".yaml", "-o", out, "--quiet", "--depfile", out + ".d", cwd=self.tmp,
            check=0)
        return out

    def expected(self, tree):
        return set(trees.flatten(tree))

    def test_left_out_by_default(self):
        img = self.build(f"version: 1\nfiles:\n  - src: {q(self.src)}\n    dst: .\n")
        wanted = dict(WANTED)
        wanted["lib"] = {"x.py": b"x = 1\n"}
        wanted.update(KEPT)
        self.assertEqual(image_paths(img), self.expected(wanted))
        with open(img + ".d") as f:
            deps = {line.strip(" \\") for line in f.read().splitlines()[1:]}
        for name in UNWANTED:  # nothing left out is watched either
            self.assertNotIn(os.path.join(self.src, name), deps)
        self.assertIn(os.path.join(self.src, "sub", ".git"), deps)

    def test_default_excludes_false_packs_everything(self):
        img = self.build(f"version: 1\nimage:\n  default_excludes: false\nfiles:\n"
                         f"  - src: {q(self.src)}\n    dst: .\n")
        self.assertEqual(image_paths(img), set(trees.flatten(trees.read_tree(self.src))))

    def test_a_rule_or_an_entry_can_keep_them(self):
        img = self.build(f"version: 1\nrules:\n  - match: \"*.pyc\"\n    exclude: false\n"
                         f"files:\n  - src: {q(self.src)}\n    dst: .\n")
        paths = image_paths(img)
        self.assertIn("mod.pyc", paths)
        self.assertNotIn("__pycache__", paths)  # the directory is still left out
        img = self.build(f"version: 1\nfiles:\n  - src: {q(os.path.join(self.src, 'lib'))}\n"
                         "    exclude: false\n", name="entry")
        self.assertEqual(image_paths(img), {"lib", "lib/x.py", "lib/.DS_Store", "lib/__pycache__",
                                            "lib/__pycache__/x.pyc"})

    def test_a_file_named_as_src_is_always_packed(self):
        img = self.build(f"version: 1\nfiles:\n  - src: {q(os.path.join(self.src, '.DS_Store'))}\n"
                         f"  - src: {q(os.path.join(self.src, 'mod.pyc'))}\n    dst: py/mod.pyc\n")
        self.assertEqual(parse(readb(img)).files[".DS_Store"].data, b"mac")
        self.assertEqual(image_paths(img), {".DS_Store", "py", "py/mod.pyc"})

    def test_pack_dir_packs_everything_like_mpremote(self):
        out = self.path("packed.img")
        run("pack-dir", self.src, "-o", out, "--align", "1", "--quiet", check=0)
        self.assertEqual(image_paths(out), set(trees.flatten(trees.read_tree(self.src))))

    def test_help_and_reference_name_the_list_the_packer_applies(self):
        help_text = run("build", "--help", check=0).stdout.decode()
        listed = re.search(r"exclude: false\): (.*?)\.\n", help_text, re.S).group(1)
        names = [n.strip() for n in listed.replace("\n", " ").split(",")]
        self.assertEqual(names, [".DS_Store", "Thumbs.db", "__pycache__/", "*.pyc", ".git/",
                                 ".svn/", "*~", ".*.swp"])
        with open(os.path.join(SOURCE_DIR, "manifests", "README.md"), encoding="utf-8") as f:
            reference = f.read()
        for name in names:
            self.assertIn(f"`{name}`", reference)
        self.assertIn("default_excludes", reference)


if __name__ == "__main__":
    unittest.main()
