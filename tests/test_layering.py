"""tool/'s folders are layers (tool/README.md): a file includes only from
its own folder and the layers below, so the manifest, say, can never come
to depend on how an image is written. Checked on the sources, every
#include "..." of every .c and .h under tool/."""
import os
import re
import unittest

from romfs_testlib.tool import SOURCE_DIR

TOOL = os.path.join(SOURCE_DIR, "tool")
README = os.path.join(TOOL, "README.md")


def layer_order():
    """The layers, lowest first, as tool/README.md lists them: the line
    `Layers, lowest first: util, format, ...`."""
    with open(README, encoding="utf-8") as f:
        m = re.search(r"^Layers, lowest first: (.+)$", f.read(), re.M)
    assert m, "tool/README.md must say `Layers, lowest first: ...`"
    return [name.strip(" `.") for name in m.group(1).split(",")]


def includes():
    """(file, line number, included path) for each quoted include."""
    for folder, _, names in os.walk(TOOL):
        for name in sorted(names):
            if not name.endswith((".c", ".h", ".h.in")):
                continue
            path = os.path.join(folder, name)
            with open(path, encoding="utf-8") as f:
                for n, line in enumerate(f, 1):
                    m = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
                    if m:
                        yield os.path.relpath(path, TOOL), n, m.group(1)


def faults(found, rank):
    """The includes among `found` that go upward or name no layer."""
    out = []
    for path, line, included in found:
        here = path.split(os.sep)[0]
        if included.startswith("romfs/"):
            continue  # the runtime reader's public header, below every layer
        there = included.split("/")[0]
        if "/" not in included or there not in rank:
            out.append(f"{path}:{line}: includes \"{included}\", which names no layer")
        elif rank[there] > rank[here]:
            out.append(f"{path}:{line}: {here}/ includes {included}, a layer above it")
    return out


class Layering(unittest.TestCase):
    def test_every_folder_is_a_layer(self):
        folders = sorted(d for d in os.listdir(TOOL) if os.path.isdir(os.path.join(TOOL, d)))
        self.assertEqual(folders, sorted(layer_order()))

    def test_no_file_includes_upward(self):
        rank = {name: i for i, name in enumerate(layer_order())}
        found = list(includes())
        self.assertGreater(len(found), 100)
        self.assertEqual(faults(found, rank), [])

    def test_the_check_catches_an_upward_include(self):
        rank = {name: i for i, name in enumerate(layer_order())}
        self.assertEqual(faults([("format/layout.c", 7, "manifest/manifest.h"),
                                 ("pack/build.c", 9, "util/alloc.h"),
                                 ("util/io.c", 3, "alloc.h")], rank),
                         ['format/layout.c:7: format/ includes manifest/manifest.h, a layer above it',
                          'util/io.c:3: includes "alloc.h", which names no layer'])


if __name__ == "__main__":
    unittest.main()
