"""Python sources compiled to .mpy: the compiler's command line, the cache
(hits and misses for every case), parallel compiles, errors, mpy: auto.

The compiler here is tests/mpy_cross_standin.py, a STAND-IN for mpy-cross
(which cannot be installed on this machine): it takes mpy-cross's command
line and writes a deterministic function of its inputs. test_mpy_real.py
checks the same plumbing against a real mpy-cross when one is available."""
import os
import pty
import shutil
import subprocess
import textwrap
import unittest

from romfs_testlib.image_reader import parse
from romfs_testlib.tool import ROMFS, ScratchTestCase, install_mpy_standin, run


class MpyTestCase(ScratchTestCase):
    def setUp(self):
        super().setUp()
        # A private copy of the stand-in, so a test may change it (a new
        # compiler version) without touching the one other tests use.
        self.compiler = self.path("bin", "mpy-cross")
        os.makedirs(os.path.dirname(self.compiler))
        install_mpy_standin(self.compiler)
        self.log = self.path("compiler.log")
        self.env = {"MPY_STANDIN_LOG": self.log}
        self.write("py/main.py", "import app\napp.run()\n")
        self.write("py/lib/app/__init__.py", "from .core import run\n")
        self.write("py/lib/app/core.py", "def run():\n    print('hi')\n")
        self.write("py/lib/app/util.py", "X = 1\n")
        self.write("py/data/readme.txt", "not python\n")

    def manifest(self, body=None, mpy_cross=True, rules=None, image=""):
        """m.yaml: by default the whole of py/ at the root, lib/**/*.py compiled."""
        settings = (f"  mpy_cross: {self.compiler}\n" if mpy_cross else "") + image
        if rules is None:
            rules = 'rules:\n  - match: "lib/**/*.py"\n    mpy: true\n'
        if body is None:
            body = 'files:\n  - src: py\n    dst: "."\n'
        self.write("m.yaml", "version: 1\n" + ("image:\n" + settings if settings else "") +
                   rules + body)

    def build(self, *extra, check=0, out="out.img", env=None):
        return run("build", "m.yaml", "-o", out, *extra, cwd=self.tmp, check=check,
                   env={**self.env, **(env or {})})

    def files(self, out="out.img"):
        with open(self.path(out), "rb") as f:
            return {p: e.data for p, e in parse(f.read()).files.items()}

    def calls(self):
        """The compiler's log since the last call: ("version",) or ("compile", name)."""
        if not os.path.exists(self.log):
            return []
        with open(self.log) as f:
            lines = f.read().splitlines()
        os.unlink(self.log)
        return [("version",) if l == "version" else ("compile", l.split()[2])
                for l in lines if l == "version" or l.startswith("start ")]

    def expected_mpy(self, src, name, *options):
        """What the compiler writes for `src` under -s `name`, run by hand."""
        out = self.path("expected.mpy")
        subprocess.run([self.compiler, "-o", out, "-s", name, *options, self.path(src)],
                       check=True)
        with open(out, "rb") as f:
            return f.read()


class Compiling(MpyTestCase):
    def test_py_lands_as_mpy_with_its_image_path_as_source_name(self):
        self.manifest()
        self.build()
        files = self.files()
        self.assertEqual(sorted(files), ["data/readme.txt", "lib/app/__init__.mpy",
                                         "lib/app/core.mpy", "lib/app/util.mpy", "main.py"])
        for name in ("__init__", "core", "util"):
            self.assertEqual(files[f"lib/app/{name}.mpy"],
                             self.expected_mpy(f"py/lib/app/{name}.py", f"lib/app/{name}.py"))
        self.assertEqual(files["main.py"], b"import app\napp.run()\n")  # no rule: stays source

    def test_command_line_carries_extra_arguments(self):
        self.compiler_args = "-march=armv7emsp -msmall-int-bits=31"
        self.write("m.yaml", textwrap.dedent(f"""\
            version: 1
            image:
              mpy_cross: {self.compiler} {self.compiler_args}
              mpy: true
            files:
              - src: py/lib/app/core.py
                dst: lib/core.py
            """))
        self.build()
        self.assertEqual(self.files()["lib/core.mpy"],
                         self.expected_mpy("py/lib/app/core.py", "lib/core.py",
                                           "-march=armv7emsp", "-msmall-int-bits=31"))

    def test_no_host_path_in_the_output(self):
        self.manifest()
        self.build()
        for path, data in self.files().items():
            self.assertNotIn(self.tmp.encode(), data, path)

    def test_mpy_in_an_entry_and_image_mpy(self):
        self.manifest(rules="", body=textwrap.dedent("""\
            files:
              - src: py/lib
                dst: lib
                mpy: true
              - src: py/main.py
            """))
        self.build()
        self.assertIn("lib/app/core.mpy", self.files())
        self.assertIn("main.py", self.files())
        self.manifest(rules="", image="  mpy: true\n")
        self.build()
        self.assertIn("main.mpy", self.files())
        self.assertNotIn("data/readme.mpy", self.files())  # only .py files compile

    def test_compiled_file_takes_the_settings_of_its_py_path(self):
        self.manifest(rules=textwrap.dedent("""\
            rules:
              - match: "lib/**/*.py"
                mpy: true
                align: 64
            """))
        self.build()
        with open(self.path("out.img"), "rb") as f:
            img = parse(f.read())
        self.assertEqual(img.files["lib/app/core.mpy"].offset % 64, 0)
        run("verify", "out.img", "--manifest", "m.yaml", cwd=self.tmp, check=0)
        # The same rule judges an image where the compiled file is misaligned.
        self.manifest(rules='rules:\n  - match: "lib/**/*.py"\n    mpy: true\n')
        self.build(out="plain.img")
        self.manifest(rules=textwrap.dedent("""\
            rules:
              - match: "lib/**/*.py"
                mpy: true
                align: 4096
            """))
        proc = run("verify", "plain.img", "--manifest", "m.yaml", cwd=self.tmp, check=1)
        self.assertIn("lib/app/core.mpy: data at offset", proc.stderr)
        self.assertIn("needs 4096-byte alignment (from the manifest)", proc.stderr)

    def test_compiler_precedence_manifest_then_define_then_path(self):
        other = self.path("other", "mpy-cross")
        os.makedirs(os.path.dirname(other))
        install_mpy_standin(other)
        path_env = {"PATH": os.path.dirname(other) + os.pathsep + os.environ["PATH"]}
        self.manifest(mpy_cross=False)
        self.build(env=path_env)  # on PATH
        self.assertIn("lib/app/core.mpy", self.files())
        self.build("-D", f"ROMFS_MPY_CROSS={self.compiler} -X", "--depfile", "out.d",
                   env=path_env)
        self.assertEqual(self.files()["lib/app/core.mpy"],
                         self.expected_mpy("py/lib/app/core.py", "lib/app/core.py", "-X"))
        with open(self.path("out.d")) as f:
            self.assertIn(self.compiler, f.read())  # a new compiler rebuilds the image
        self.manifest()  # the manifest's image.mpy_cross beats -D
        self.build("-D", f"ROMFS_MPY_CROSS={other} -X", env=path_env)
        self.assertEqual(self.files()["lib/app/core.mpy"],
                         self.expected_mpy("py/lib/app/core.py", "lib/app/core.py"))

    def test_relative_compiler_path_is_relative_to_the_manifest(self):
        os.makedirs(self.path("sub"))
        self.write("sub/m.yaml", "version: 1\nimage:\n  mpy_cross: ../bin/mpy-cross\n"
                                 "  mpy: true\nfiles:\n  - src: ../py/main.py\n")
        run("build", "sub/m.yaml", "-o", "out.img", cwd=self.tmp, check=0, env=self.env)
        self.assertIn("main.mpy", self.files())


class Cache(MpyTestCase):
    def test_every_cache_case(self):
        self.manifest()
        self.build()
        self.assertEqual(sorted(self.calls()), [
            ("compile", "lib/app/__init__.py"), ("compile", "lib/app/core.py"),
            ("compile", "lib/app/util.py"), ("version",)])

        # Warm build, nothing changed: no process at all, not even --version.
        self.build()
        self.assertEqual(self.calls(), [])

        # Touch every file (a new mtime, one second on): nothing recompiles,
        # the image stays as it was.
        stamp = os.stat(self.path("out.img")).st_mtime_ns
        for root, _, names in os.walk(self.path("py")):
            for n in names:
                p = os.path.join(root, n)
                st = os.stat(p)
                os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
        self.build()
        self.assertEqual(self.calls(), [])
        self.assertEqual(os.stat(self.path("out.img")).st_mtime_ns, stamp)

        # Edit one file: that file alone.
        self.write("py/lib/app/util.py", "X = 2\n")
        self.build()
        self.assertEqual(self.calls(), [("compile", "lib/app/util.py")])

        # Move a file inside the image: its -s name changes, so it alone.
        os.rename(self.path("py/lib/app/util.py"), self.path("py/lib/app/tools.py"))
        self.build()
        self.assertEqual(self.calls(), [("compile", "lib/app/tools.py")])
        self.assertIn(b"name=lib/app/tools.py", self.files()["lib/app/tools.mpy"])

        # Moving it back finds the earlier result in the cache.
        os.rename(self.path("py/lib/app/tools.py"), self.path("py/lib/app/util.py"))
        self.build()
        self.assertEqual(self.calls(), [])

        # Other compiler arguments: everything again.
        self.write("m.yaml", open(self.path("m.yaml")).read().replace(
            f"mpy_cross: {self.compiler}", f"mpy_cross: {self.compiler} -O2"))
        self.build()
        self.assertEqual(len([c for c in self.calls() if c[0] == "compile"]), 3)

        # A new compiler version: identified anew, and everything recompiles.
        with open(self.compiler) as f:
            text = f.read()
        with open(self.compiler, "w") as f:
            f.write(text.replace("test STAND-IN 1", "test STAND-IN 2"))
        self.build()
        self.assertEqual(sorted(self.calls()), [
            ("compile", "lib/app/__init__.py"), ("compile", "lib/app/core.py"),
            ("compile", "lib/app/util.py"), ("version",)])

    def test_the_cache_is_shared_between_build_trees(self):
        self.manifest()
        cache = self.path("shared-cache")
        self.build("--cache-dir", cache, out="a.img")
        self.calls()
        self.build("--cache-dir", cache, out="b.img")
        self.assertEqual(self.calls(), [])
        self.assertEqual(self.read("a.img"), self.read("b.img"))

    def test_deleting_the_cache_recompiles_the_same_bytes(self):
        self.manifest()
        self.build()
        first = self.read("out.img")
        shutil.rmtree(self.path(".romfs-cache"))
        self.calls()
        self.build()
        self.assertEqual(len(self.calls()), 4)
        self.assertEqual(self.read("out.img"), first)

    def test_a_damaged_cache_entry_is_never_half_used(self):
        """Entries appear by rename, so a leftover temporary file in the
        cache (a killed compile) is never taken for a result."""
        self.manifest()
        self.build()
        tmp = self.path(".romfs-cache", "mpy", "tmp")
        self.assertEqual(os.listdir(tmp), [])


class Parallel(MpyTestCase):
    def setUp(self):
        super().setUp()
        for i in range(8):
            self.write(f"py/lib/app/m{i}.py", f"N = {i}\n")
        self.manifest()

    def intervals(self):
        with open(self.log) as f:
            events = [l.split() for l in f.read().splitlines() if l != "version"]
        starts = {name: float(t) for kind, t, name in events if kind == "start"}
        ends = {name: float(t) for kind, t, name in events if kind == "end"}
        return [(starts[n], ends[n], n) for n in starts]

    def test_compiles_run_in_parallel_and_order_does_not_matter(self):
        self.env["MPY_STANDIN_SLEEP"] = "0.4"
        self.build("--jobs", "4", out="parallel.img", check=0)
        spans = self.intervals()
        self.assertEqual(len(spans), 11)
        overlap = max(sum(1 for s, e, _ in spans if s <= t < e) for t, _, _ in spans)
        self.assertGreaterEqual(overlap, 3, spans)
        # One at a time, into a fresh cache: the same bytes.
        os.unlink(self.log)
        self.env["MPY_STANDIN_SLEEP"] = "0"
        self.build("--jobs", "1", "--cache-dir", self.path("cache1"), out="serial.img")
        spans = self.intervals()
        overlap = max(sum(1 for s, e, _ in spans if s <= t < e) for t, _, _ in spans)
        self.assertEqual(overlap, 1)
        self.assertEqual(self.read("parallel.img"), self.read("serial.img"))


class Errors(MpyTestCase):
    def test_compile_error_names_the_file_and_shows_the_compiler_output(self):
        self.write("py/lib/app/bad.py", "x = 1\n!!syntax-error!!\n")
        self.manifest()
        proc = self.build("--jobs", "1", check=1)
        self.assertEqual(proc.stderr,
                         "romfs: error: py/lib/app/bad.py (lib/app/bad.py in the image): "
                         "mpy-cross failed (exit status 1):\n"
                         "  Traceback (most recent call last):\n"
                         '    File "lib/app/bad.py", line 2\n'
                         "  SyntaxError: invalid syntax\n")
        self.assertFalse(os.path.exists(self.path("out.img")))

    def test_running_compiles_finish_and_no_new_one_starts(self):
        """Compiles start in image order, so with the failing file first and
        two jobs, exactly two compiles may ever start, and both finish."""
        for i in range(6):
            self.write(f"py/lib/app/m{i}.py", f"N = {i}\n")
        self.write("py/lib/app/0bad.py", "!!syntax-error!!\n")
        self.manifest()
        self.env["MPY_STANDIN_SLEEP"] = "0.3"
        proc = self.build("--jobs", "2", check=1)
        self.assertIn("romfs: error: py/lib/app/0bad.py", proc.stderr)
        with open(self.log) as f:
            events = [l.split() for l in f.read().splitlines() if l != "version"]
        started = sorted(e[2] for e in events if e[0] == "start")
        ended = sorted(e[2] for e in events if e[0] == "end")
        self.assertEqual(started, ["lib/app/0bad.py", "lib/app/__init__.py"])
        self.assertEqual(ended, started, "a compile was left running")
        self.assertFalse(os.path.exists(self.path("out.img")))
        self.assertEqual(os.listdir(self.path(".romfs-cache", "mpy", "tmp")), [])

    def test_mpy_true_without_a_compiler_says_how_to_provide_one(self):
        self.manifest(mpy_cross=False)
        proc = self.build(check=1, env={"PATH": "/nonexistent"})
        self.assertEqual(proc.stderr,
                         "romfs: error: m.yaml:6:5: lib/app/__init__.py: mpy: true, but mpy-cross "
                         "was not found on PATH; set image.mpy_cross in the manifest, pass "
                         "-D ROMFS_MPY_CROSS=/path/to/mpy-cross (CMake: ROMFS_MPY_CROSS), put "
                         "mpy-cross on PATH, or use mpy: auto\n")
        self.assertFalse(os.path.exists(self.path("out.img")))

    def test_a_compiler_that_is_not_there(self):
        self.write("m.yaml", "version: 1\nimage:\n  mpy_cross: ./no/such/mpy-cross\n  mpy: true\n"
                             "files:\n  - src: py/main.py\n")
        proc = self.build(check=1)
        self.assertEqual(proc.stderr,
                         f"romfs: error: m.yaml:6:5: main.py: mpy: true, but image.mpy_cross names "
                         f"{os.path.realpath(self.tmp)}/./no/such/mpy-cross, which is not an "
                         f"executable file; set image.mpy_cross in the manifest, pass "
                         f"-D ROMFS_MPY_CROSS=/path/to/mpy-cross (CMake: ROMFS_MPY_CROSS), put "
                         f"mpy-cross on PATH, or use mpy: auto\n")

    def test_mpy_auto_without_a_compiler_packs_source_with_one_warning(self):
        self.manifest(mpy_cross=False, rules='rules:\n  - match: "lib/**/*.py"\n    mpy: auto\n')
        proc = self.build(env={"PATH": "/nonexistent"})
        self.assertEqual(proc.stderr.splitlines()[0],
                         "romfs: warning: 3 .py files packed as source (mpy: auto): mpy-cross was "
                         "not found on PATH")
        self.assertEqual(sum("warning" in l for l in proc.stderr.splitlines()), 1)
        self.assertIn("lib/app/core.py", self.files())
        # With a compiler, auto compiles.
        self.build(env={"PATH": os.path.dirname(self.compiler) + os.pathsep + os.environ["PATH"]})
        self.assertIn("lib/app/core.mpy", self.files())


class BesideAnExistingMpy(MpyTestCase):
    def test_follows_mpremote_keeping_the_py_and_packing_the_mpy(self):
        self.write("py/lib/app/core.mpy", b"M\x06precompiled")
        self.manifest()
        self.build()
        files = self.files()
        self.assertEqual(files["lib/app/core.py"], b"def run():\n    print('hi')\n")
        self.assertEqual(files["lib/app/core.mpy"], b"M\x06precompiled")
        self.assertNotIn(("compile", "lib/app/core.py"), self.calls())

    def test_unless_the_manifest_leaves_that_mpy_out(self):
        self.write("py/lib/app/core.mpy", b"M\x06precompiled")
        self.manifest(rules=textwrap.dedent("""\
            rules:
              - match: "lib/**/*.py"
                mpy: true
              - match: "*.mpy"
                exclude: true
            """))
        self.build()
        files = self.files()
        self.assertNotIn("lib/app/core.py", files)
        self.assertEqual(files["lib/app/core.mpy"],
                         self.expected_mpy("py/lib/app/core.py", "lib/app/core.py"))

    def test_a_compiled_file_colliding_with_another_entry_names_both(self):
        self.write("other/core.mpy", b"M\x06other")
        self.manifest(body=textwrap.dedent("""\
            files:
              - src: py
                dst: "."
              - src: other/core.mpy
                dst: lib/app/core.mpy
            """))
        proc = self.build(check=1)
        self.assertEqual(proc.stderr,
                         "romfs: error: m.yaml:10:5: 'lib/app/core.mpy' is packed twice: from "
                         "other/core.mpy and from py/lib/app/core.py (entry at line 8)\n")


class Progress(MpyTestCase):
    def test_progress_only_on_a_terminal(self):
        self.manifest()
        proc = self.build("--cache-dir", self.path("c1"))
        self.assertNotIn("compiled 3/3", proc.stderr)
        # On a terminal: the one-line indicator.
        pid, fd = pty.fork()
        if pid == 0:
            os.chdir(self.tmp)
            os.environ.update(self.env)
            os.execv(ROMFS, [ROMFS, "build", "m.yaml", "-o", "tty.img", "--cache-dir",
                             self.path("c2")])
        output = b""
        while True:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
        _, status = os.waitpid(pid, 0)
        self.assertEqual(os.waitstatus_to_exitcode(status), 0, output)
        self.assertIn(b"\rromfs: compiled 3/3", output)


if __name__ == "__main__":
    unittest.main()
