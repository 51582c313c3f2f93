"""The checks a build runs on what it packs: budgets, image.warn_at and
image.mpy_abi, each with its exact message; `.mpy` headers as `ls` shows
them (from the stand-in compiler: see test_mpy_real.py for a real one);
`-march` and `mpy_args` reaching the compiler; `verify --mpy-abi` on an
existing image."""
import json
import textwrap

from romfs_testlib.tool import ScratchTestCase, error_lines, install_mpy_standin, run

# Hand-made .mpy headers: 'M', version, features (sub-version | arch << 2),
# small-int bits; arch 10 is xtensawin in MicroPython's numbering.
BYTECODE_V6 = b"M\x06\x00\x1fcode"
BYTECODE_V5 = b"M\x05\x00\x1fcode"
NATIVE_62_XTENSAWIN = b"M\x06" + bytes([2 | (10 << 2)]) + b"\x1fcode"


class BuildChecks(ScratchTestCase):
    def manifest(self, text):
        self.write("m.yaml", textwrap.dedent(text))

    def build(self, check, *extra):
        return run("build", "m.yaml", "-o", "out.img", *extra, cwd=self.tmp, check=check)

    # Budgets -------------------------------------------------------------

    def budget_tree(self):
        self.write("a/models/a.tflite", b"\0" * 5000)
        self.write("a/models/b.tflite", b"\0" * 3000)
        self.write("a/lib/m.py", b"x=1\n")
        self.write("a/lib/n.py", b"y=22\n")
        self.write("a/config.json", b"{}\n")

    def test_every_budget_over_is_named_with_its_size_and_overflow(self):
        self.budget_tree()
        self.manifest("""\
            version: 1
            budgets:
              - match: "models"
                max: 6K
              - match: "*.py"
                max: 8
              - match: "config.json"
                max: 3
            files:
              - src: a
                dst: "."
            """)
        self.plant_old_image()
        proc = self.build(1)
        self.assertEqual(error_lines(proc.stderr), [
            "romfs: error: m.yaml:3:5: budget 'models' (max 6144 bytes): its 2 files hold "
            "8000 bytes, 1856 over",
            "romfs: error: m.yaml:5:5: budget '*.py' (max 8 bytes): its 2 files hold 9 bytes, "
            "1 over"])
        self.assert_old_image()

    def test_a_budget_met_exactly_passes_and_a_directory_glob_counts_once(self):
        self.budget_tree()
        self.manifest("""\
            version: 1
            budgets:
              - match: "models/**"
                max: 8000
              - match: "**"
                max: 8012
            files:
              - src: a
                dst: "."
            """)
        self.build(0)
        self.manifest("""\
            version: 1
            budgets:
              - match: "**"
                max: 8011
            files:
              - src: a
                dst: "."
            """)
        proc = self.build(1)
        self.assertEqual(error_lines(proc.stderr), [
            "romfs: error: m.yaml:3:5: budget '**' (max 8011 bytes): its 5 files hold 8012 "
            "bytes, 1 over"])

    # warn_at -------------------------------------------------------------

    def test_warn_at_warns_past_its_share_and_only_then(self):
        self.write("a/blob.bin", b"\1" * 9500)
        self.manifest("""\
            version: 1
            image:
              size: 10K
              warn_at: 90%
            files:
              - src: a
                dst: "."
            """)
        proc = self.build(0)
        size = len(self.read("out.img"))
        self.assertIn(f"romfs: warning: m.yaml:4:12: out.img: {size} of 10240 bytes, "
                      f"{100 * size / 10240:.1f}% of the capacity: past image.warn_at (90.0%)",
                      proc.stderr.splitlines())
        self.write("a/blob.bin", b"\1" * 8000)
        proc = self.build(0)
        self.assertNotIn("warn_at", proc.stderr)

    def test_warn_at_out_of_range_is_a_manifest_error(self):
        self.write("a/x", b"x")
        self.manifest("""\
            version: 1
            image:
              size: 10K
              warn_at: 120%
            files:
              - src: a
                dst: "."
            """)
        proc = self.build(1)
        lines = error_lines(proc.stderr)
        self.assertEqual(len(lines), 1, proc.stderr)
        self.assertTrue(lines[0].startswith("romfs: error: m.yaml:4:12: "), lines[0])

    # mpy_abi -------------------------------------------------------------

    def test_packed_mpy_files_that_differ_are_each_named(self):
        self.write("a/ok.mpy", BYTECODE_V6)
        self.write("a/old.mpy", BYTECODE_V5)
        self.write("a/esp.mpy", NATIVE_62_XTENSAWIN)
        self.write("a/fake.mpy", b"not an mpy")
        self.manifest("""\
            version: 1
            image:
              mpy_abi: "6.3/armv7emsp"
            files:
              - src: a
                dst: "."
            """)
        self.plant_old_image()
        proc = self.build(1)
        self.assertEqual(error_lines(proc.stderr), [
            "romfs: error: m.yaml:3:12: esp.mpy (from a/esp.mpy) is .mpy 6.2/xtensawin, but "
            "image.mpy_abi is 6.3/armv7emsp (the native sub-version differs); compile it with "
            "the firmware's mpy-cross",
            "romfs: error: m.yaml:3:12: fake.mpy (from a/fake.mpy) is not a .mpy file: it has "
            "no .mpy header",
            "romfs: error: m.yaml:3:12: old.mpy (from a/old.mpy) is .mpy 5 (bytecode only), but "
            "image.mpy_abi is 6.3/armv7emsp (the bytecode version differs); compile it with the "
            "firmware's mpy-cross"])
        self.assert_old_image()

    def test_compiled_mpy_files_are_checked_and_march_reaches_the_compiler(self):
        compiler = install_mpy_standin(self.write("bin/mpy-cross"))
        self.write("py/lib/app.py", "print('app')\n")
        self.manifest(f"""\
            version: 1
            image:
              mpy_cross: {compiler}
              mpy: true
              mpy_abi: "5.0"
            files:
              - src: py
                dst: "."
            """)
        proc = self.build(1)
        self.assertEqual(error_lines(proc.stderr), [
            f"romfs: error: m.yaml:5:12: lib/app.mpy (compiled from py/lib/app.py by "
            f"{compiler}) is .mpy 6 (bytecode only), but image.mpy_abi is 5.0 (the bytecode "
            "version differs); compile it with the firmware's mpy-cross"])
        # The architecture mpy_abi names becomes -march; image.march and
        # mpy_args win and add.
        for image, options in (('  mpy_abi: "6.3/armv7emsp"\n', b"-march=armv7emsp"),
                               ('  mpy_abi: "6.3/armv7emsp"\n  march: armv6m\n',
                                b"-march=armv6m"),
                               ('  mpy_args: "-O2 -msmall-int-bits=31"\n',
                                b"-O2 -msmall-int-bits=31")):
            with self.subTest(image=image):
                self.write("m.yaml", f"version: 1\nimage:\n  mpy_cross: {compiler}\n"
                                     f"  mpy: true\n{image}files:\n  - src: py\n"
                                     f"    dst: \".\"\n")
                self.build(0)
                data = self.read("out.img")
                self.assertIn(b"options=" + options, data)

    def test_ls_shows_each_mpy_header(self):
        compiler = install_mpy_standin(self.write("bin/mpy-cross"))
        self.write("py/main.py", "print(1)\n")
        self.write("py/esp.mpy", NATIVE_62_XTENSAWIN)
        self.manifest(f"""\
            version: 1
            image:
              mpy_cross: {compiler}
              mpy: true
            files:
              - src: py
                dst: "."
            """)
        self.build(0)
        text = run("ls", "out.img", cwd=self.tmp, check=0).stdout.decode()
        rows = {line.split()[0]: line for line in text.splitlines()[1:]}
        self.assertTrue(rows["main.mpy"].endswith("mpy 6 (bytecode only)"), rows["main.mpy"])
        self.assertTrue(rows["esp.mpy"].endswith("mpy 6.2/xtensawin"), rows["esp.mpy"])
        listing = json.loads(run("ls", "out.img", "--json", cwd=self.tmp, check=0).stdout)
        mpy = {e["path"]: e.get("mpy") for e in listing["entries"]}
        self.assertEqual(mpy["main.mpy"], {"version": 6, "sub_version": None, "arch": None,
                                           "small_int_bits": 31})
        self.assertEqual(mpy["esp.mpy"], {"version": 6, "sub_version": 2, "arch": "xtensawin",
                                          "small_int_bits": 31})


class VerifyMpyAbi(ScratchTestCase):
    def test_verify_names_every_mpy_a_firmware_would_refuse(self):
        self.write("a/ok.mpy", BYTECODE_V6)
        self.write("a/old.mpy", BYTECODE_V5)
        self.write("a/esp.mpy", NATIVE_62_XTENSAWIN)
        run("pack-dir", "a", "-o", "x.img", "-q", cwd=self.tmp, check=0)
        proc = run("verify", "x.img", "--mpy-abi", "6.2/x64", cwd=self.tmp, check=1)
        lines = [l.split(": ", 4)[-1] for l in error_lines(proc.stderr)]
        self.assertEqual(lines, [
            "esp.mpy: .mpy 6.2/xtensawin, but --mpy-abi is 6.2/x64 (the native architecture "
            "differs)",
            "old.mpy: .mpy 5 (bytecode only), but --mpy-abi is 6.2/x64 (the bytecode version "
            "differs)"])
        run("verify", "x.img", "--mpy-abi", "6.2/xtensawin", "-q", cwd=self.tmp, check=1)
        self.write("b/ok.mpy", BYTECODE_V6)
        self.write("b/esp.mpy", NATIVE_62_XTENSAWIN)
        run("pack-dir", "b", "-o", "y.img", "-q", cwd=self.tmp, check=0)
        run("verify", "y.img", "--mpy-abi", "6.2/xtensawin", "-q", cwd=self.tmp, check=0)
        # A version alone leaves native code's sub-version open.
        run("verify", "y.img", "--mpy-abi", "6/xtensawin", "-q", cwd=self.tmp, check=0)
        run("verify", "y.img", "--mpy-abi", "6", "-q", cwd=self.tmp, check=0)
        for bad in ("six", "6.", "6.9", "+6.3", "6.3x", "6.3/z80"):
            proc = run("verify", "y.img", "--mpy-abi", bad, cwd=self.tmp, check=2)
            self.assertEqual(len(error_lines(proc.stderr)), 1, bad)
        proc = run("verify", "y.img", "--mpy-abi", "6.", cwd=self.tmp, check=2)
        self.assertEqual(error_lines(proc.stderr), [
            "romfs: error: --mpy-abi must be a bytecode version such as \"6.3\" or "
            "\"6.3/armv7emsp\", not '6.'"])
