"""With a real mpy-cross: the image's .mpy files are exactly what that
compiler writes for the same source and -s name.

The compiler is ROMFS_MPY_CROSS (a path, possibly with arguments) or
mpy-cross on PATH. Without one the whole module is reported as skipped
(exit status 77, which ctest shows as "Skipped"): the plumbing is covered
against a stand-in by test_mpy.py, but only a real compiler proves the
bytes."""
import os
import shlex
import shutil
import subprocess
import sys
import textwrap
import unittest

from romfs_testlib.image_reader import parse
from romfs_testlib.tool import ScratchTestCase, run


def find_compiler():
    spec = os.environ.get("ROMFS_MPY_CROSS", "").strip()
    if spec:
        words = shlex.split(spec)
        return [shutil.which(words[0]) or words[0], *words[1:]]
    found = shutil.which("mpy-cross")
    return [found] if found else None


COMPILER = find_compiler()
if COMPILER is None:
    print("SKIPPED: no real mpy-cross (set ROMFS_MPY_CROSS=/path/to/mpy-cross, or put "
          "mpy-cross on PATH, to run these tests)")
    sys.exit(77)


class RealCompiler(ScratchTestCase):
    def test_image_holds_what_the_compiler_writes(self):
        sources = {
            "lib/app/__init__.py": "from .core import run\n",
            "lib/app/core.py": "def run(n=3):\n    return [i * i for i in range(n)]\n",
            "main.py": "import app\nprint(app.run())\n",
        }
        for rel, text in sources.items():
            self.write("py/" + rel, text)
        spec = " ".join(shlex.quote(w) for w in COMPILER)
        self.write("m.yaml", textwrap.dedent(f"""\
            version: 1
            image:
              mpy_cross: {spec}
              mpy: true
            files:
              - src: py
                dst: "."
            """))
        run("build", "m.yaml", "-o", "out.img", cwd=self.tmp, check=0)
        with open(self.path("out.img"), "rb") as f:
            files = {p: e.data for p, e in parse(f.read()).files.items()}
        self.assertEqual(sorted(files), ["lib/app/__init__.mpy", "lib/app/core.mpy", "main.mpy"])
        for rel in sources:
            out = self.path("expected.mpy")
            subprocess.run([COMPILER[0], "-o", out, "-s", rel, *COMPILER[1:],
                            self.path("py", rel)], check=True)
            with open(out, "rb") as f:
                self.assertEqual(files[rel[:-3] + ".mpy"], f.read(), rel)
            self.assertEqual(files[rel[:-3] + ".mpy"][:1], b"M", rel)  # an .mpy header
            self.assertNotIn(self.tmp.encode(), files[rel[:-3] + ".mpy"])


if __name__ == "__main__":
    unittest.main()
