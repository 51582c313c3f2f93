"""With a real mpy-cross: the image's .mpy files are exactly what that
compiler writes for the same source and -s name.

The compiler is ROMFS_MPY_CROSS (a path, possibly with arguments) or
mpy-cross on PATH. Without one the whole module is reported as skipped
(exit status 77, which ctest shows as "Skipped"): the plumbing is covered
against a stand-in by test_mpy.py, but only a real compiler proves the
bytes."""
import json
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

    def test_headers_of_real_output_as_ls_and_mpy_abi_read_them(self):
        """Bytecode-only output carries no architecture; native code with
        -march carries the compiler's sub-version and that architecture.
        The version is the compiler's own, from `--version`."""
        version = subprocess.run([*COMPILER, "--version"], stdout=subprocess.PIPE, text=True,
                                 check=True).stdout
        abi = version.rsplit("mpy v", 1)[1].split()[0]  # "6.3"
        self.write("py/plain.py", "X = 1\n")
        self.write("py/fast.py", "@micropython.native\ndef f(x):\n    return x + 1\n")
        spec = " ".join(shlex.quote(w) for w in COMPILER)
        for target, arch in (("", None), ("armv7emsp", "armv7emsp")):
            with self.subTest(arch=arch):
                image = f"  mpy_abi: \"{abi}/{arch}\"\n" if arch else f"  mpy_abi: \"{abi}\"\n"
                self.write("m.yaml", f"version: 1\nimage:\n  mpy_cross: {spec}\n  mpy: true\n"
                                     f"{image}files:\n  - src: py\n    dst: \".\"\n")
                proc = run("build", "m.yaml", "-o", "out.img", cwd=self.tmp)
                if arch is None:
                    # Native code without -march: mpy-cross refuses it.
                    self.assertEqual(proc.returncode, 1, proc.stderr)
                    self.assertIn("fast.py", proc.stderr)
                    continue
                self.assertEqual(proc.returncode, 0, proc.stderr)
                listing = json.loads(run("ls", "out.img", "--json", cwd=self.tmp,
                                         check=0).stdout)
                mpy = {e["path"]: e.get("mpy") for e in listing["entries"]}
                major = int(abi.split(".")[0])
                self.assertEqual(mpy["plain.mpy"], {"version": major, "sub_version": None,
                                                    "arch": None, "small_int_bits": 31})
                self.assertEqual(mpy["fast.mpy"]["arch"], arch)
                self.assertEqual(f"{mpy['fast.mpy']['version']}."
                                 f"{mpy['fast.mpy']['sub_version']}", abi)
                run("verify", "out.img", "--mpy-abi", f"{abi}/{arch}", "-q", cwd=self.tmp,
                    check=0)
                proc = run("verify", "out.img", "--mpy-abi", f"{abi}/x64", cwd=self.tmp,
                           check=1)
                self.assertIn("fast.mpy: .mpy", proc.stderr)
                self.assertIn("(the native architecture differs)", proc.stderr)
                self.assertNotIn("plain.mpy", proc.stderr)


if __name__ == "__main__":
    unittest.main()
