"""The repository stands on its own: no file cites a path outside it (the
working notes the project started from, a developer's machine), and every
relative link in its Markdown leads to a file that is there."""
import os
import re
import subprocess
import unittest

from romfs_testlib.tool import SOURCE_DIR

# What a file must not name: the notes outside the repository, and
# absolute paths of the machines it was written on.
OUTSIDE = re.compile(r"\.\./shared/|(?<![\w.])(?:FORMAT|USERS|MANIFEST)\.md|/work/main|"
                     r"/work/\.mirror")
TEXT_SUFFIXES = (".c", ".h", ".py", ".md", ".txt", ".cmake", ".in", ".yaml", ".yml", ".js",
                 ".css", ".ld", ".S", ".sh", ".csv", ".json", "")
LINK = re.compile(r"\]\(([^)\s#]+)(?:#[^)]*)?\)")


def tracked_files():
    try:
        out = subprocess.run(["git", "-C", SOURCE_DIR, "ls-files", "-z"], check=True,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout
        return [p for p in out.decode().split("\0") if p]
    except (OSError, subprocess.CalledProcessError):
        found = []
        for root, dirs, files in os.walk(SOURCE_DIR):
            dirs[:] = [d for d in dirs if not d.startswith((".git", "build"))]
            found += [os.path.relpath(os.path.join(root, f), SOURCE_DIR) for f in files]
        return found


def text_of(rel):
    path = os.path.join(SOURCE_DIR, rel)
    if not os.path.isfile(path) or os.path.splitext(rel)[1] not in TEXT_SUFFIXES:
        return None
    with open(path, "rb") as f:
        data = f.read()
    if b"\0" in data:
        return None
    return data.decode("utf-8", "replace")


class Repository(unittest.TestCase):
    def test_no_file_cites_a_path_outside_the_repository(self):
        faults = []
        for rel in tracked_files():
            if rel == "tests/test_repository.py":
                continue
            text = text_of(rel)
            for n, line in enumerate((text or "").splitlines(), 1):
                if OUTSIDE.search(line):
                    faults.append(f"{rel}:{n}: {line.strip()}")
        self.assertEqual(faults, [])

    def test_every_relative_markdown_link_leads_to_a_file(self):
        faults = []
        for rel in tracked_files():
            if not rel.endswith(".md"):
                continue
            for n, line in enumerate(text_of(rel).splitlines(), 1):
                for target in LINK.findall(line):
                    if re.match(r"^[a-z]+:", target):
                        continue  # a URL
                    where = os.path.normpath(os.path.join(SOURCE_DIR, os.path.dirname(rel),
                                                          target))
                    if not os.path.exists(where):
                        faults.append(f"{rel}:{n}: {target}")
        self.assertEqual(faults, [])

    def test_the_check_catches_what_it_names(self):
        self.assertTrue(OUTSIDE.search("see ../shared/FORMAT.md"))
        self.assertTrue(OUTSIDE.search("the notes in FORMAT.md say"))
        self.assertFalse(OUTSIDE.search("docs/format.md and manifests/README.md"))
        self.assertEqual(LINK.findall("[a](docs/format.md#x) [b](https://e.org)"),
                         ["docs/format.md", "https://e.org"])
