"""Bad input: each case gets its exact one-line error, the right exit
status, and leaves no output behind (an existing image stays as it was)."""
import os
import subprocess
import textwrap
import unittest

from romfs_testlib.image_reader import encode_varuint
from romfs_testlib.tool import ROMFS, ScratchTestCase, run


class ManifestErrors(ScratchTestCase):
    def setUp(self):
        super().setUp()
        self.write("assets/a.txt", "hello\n")
        self.write("assets/d/b.txt", "b\n")

    def expect_failure(self, manifest, line, *extra, status=1):
        """Builds `manifest` (dedented YAML) and checks the whole stderr is
        `line`, with out.img untouched and no depfile or temporary file."""
        self.write("m.yaml", textwrap.dedent(manifest))
        self.plant_old_image()
        before = self.names()
        proc = run("build", "m.yaml", "-o", "out.img", "--depfile", "out.d", *extra, cwd=self.tmp)
        self.assertEqual(proc.returncode, status, proc.stderr)
        self.assertEqual(proc.stderr, line + "\n")
        self.assert_old_image()
        self.assertEqual(self.names(), before, "a file was left behind")

    def test_yaml_syntax_error(self):
        self.expect_failure(
            """\
            version: 1
            files:
              - src: assets/a.txt
                dst: [oops
            """,
            "romfs: error: m.yaml:5:1: YAML syntax error: did not find expected ',' or ']' "
            "while parsing a flow sequence")

    def test_unknown_key_suggests_the_near_one(self):
        self.expect_failure(
            """\
            version: 1
            fiels:
              - src: assets/a.txt
            """,
            "romfs: error: m.yaml:2:1: unknown key 'fiels' in the manifest (did you mean 'files'?)")
        self.expect_failure(
            """\
            version: 1
            image:
              algin: 4
            files: []
            """,
            "romfs: error: m.yaml:3:3: unknown key 'algin' in image (did you mean 'align'?)")
        self.expect_failure(
            """\
            version: 1
            files:
              - src: assets/a.txt
                colour: blue
            """,
            "romfs: error: m.yaml:4:5: unknown key 'colour' in a files entry "
            "(known keys: src, dst, exclude, align, mpy)")

    def test_wrong_types(self):
        self.expect_failure(
            """\
            version: 1
            files: assets
            """,
            "romfs: error: m.yaml:2:8: files must be a list of entries, not a string")
        self.expect_failure(
            """\
            version: 1
            files:
              - src: [a, b]
            """,
            "romfs: error: m.yaml:3:10: src must be a string, not a list")
        self.expect_failure(
            """\
            version: 1
            image: 4
            files: []
            """,
            "romfs: error: m.yaml:2:8: image must be a mapping of settings, not a string")
        self.expect_failure(
            """\
            version: 1
            files:
              - src: assets/a.txt
                mpy: maybe
            """,
            "romfs: error: m.yaml:4:10: entry.mpy must be true, false or auto, not 'maybe'")
        self.expect_failure(
            """\
            version: 1
            rules:
              - match: "*.txt"
                exclude: "yes"
            files: []
            """,
            "romfs: error: m.yaml:4:14: rule.exclude must be true or false, not a quoted string")
        self.expect_failure(
            """\
            version: 1
            image:
              size: 12Q
            files: []
            """,
            "romfs: error: m.yaml:3:9: image.size must be a byte count such as 131072, 0x20000, "
            "128K or 8M, not '12Q'")

    def test_version(self):
        self.expect_failure(
            """\
            version: 2
            files: []
            """,
            "romfs: error: m.yaml:1:10: unsupported manifest version '2' "
            "(this romfs reads version 1)")
        self.expect_failure(
            """\
            files: []
            """,
            "romfs: error: m.yaml:1:1: manifest has no 'version' (write 'version: 1')")

    def test_version_that_is_not_a_number_and_an_empty_document(self):
        self.expect_failure(
            """\
            version: [1]
            files: []
            """,
            "romfs: error: m.yaml:1:10: version must be the number 1, not a list")
        self.expect_failure("---\n", "romfs: error: m.yaml:1:1: manifest is empty (it needs "
                                      "'version: 1' and 'files')")

    def test_missing_src(self):
        self.expect_failure(
            """\
            version: 1
            files:
              - dst: x
            """,
            "romfs: error: m.yaml:3:5: entry has no 'src' (the file or directory to pack)")

    def test_src_that_does_not_exist(self):
        self.expect_failure(
            """\
            version: 1
            files:
              - src: assets/missing.txt
            """,
            f"romfs: error: m.yaml:3:10: src 'assets/missing.txt': No such file or directory "
            f"(looked for {os.path.realpath(self.tmp)}/assets/missing.txt)")

    def test_unknown_variable(self):
        self.expect_failure(
            """\
            version: 1
            files:
              - src: ${ASSETS}/a.txt
            """,
            "romfs: error: m.yaml:3:10: unknown variable ${ASSETS} in src "
            "(define it with -D ASSETS=VALUE)")
        # The column points at the reference, also inside a quoted string.
        self.expect_failure(
            """\
            version: 1
            files:
              - src: "assets/${NAME}.txt"
            """,
            "romfs: error: m.yaml:3:18: unknown variable ${NAME} in src "
            "(define it with -D NAME=VALUE)", "-D", "OTHER=1")

    def test_duplicate_destination(self):
        self.expect_failure(
            """\
            version: 1
            files:
              - src: assets/a.txt
              - src: assets/d/b.txt
                dst: a.txt
            """,
            "romfs: error: m.yaml:4:5: 'a.txt' is packed twice: from assets/d/b.txt and from "
            "assets/a.txt (entry at line 3)")

    def test_file_against_directory(self):
        self.expect_failure(
            """\
            version: 1
            files:
              - src: assets/a.txt
                dst: d
              - src: assets/d
            """,
            "romfs: error: m.yaml:5:5: 'd' would be both a directory (from assets/d) and a file "
            "(from assets/a.txt (entry at line 3))")

    def test_bad_dst(self):
        self.expect_failure(
            """\
            version: 1
            files:
              - src: assets/a.txt
                dst: ../a.txt
            """,
            "romfs: error: m.yaml:4:10: dst '../a.txt' must not contain '.' or '..' parts")
        self.expect_failure(
            """\
            version: 1
            files:
              - src: assets/a.txt
                dst: /a.txt
            """,
            "romfs: error: m.yaml:4:10: dst '/a.txt' must not start with '/' "
            "(it is a path inside the image)")
        self.expect_failure(
            """\
            version: 1
            files:
              - src: assets/a.txt
                dst: lib//a.txt
            """,
            "romfs: error: m.yaml:4:10: dst 'lib//a.txt' has an empty path part")

    def test_alignment_not_a_power_of_two(self):
        for value, col in (("3", 10), ("0", 10), ("8192", 10), ("four", 10)):
            with self.subTest(value=value):
                self.expect_failure(
                    f"""\
                    version: 1
                    image:
                      align: {value}
                    files: []
                    """,
                    f"romfs: error: m.yaml:3:{col}: image.align must be a power of two from 1 "
                    f"to 4096, not '{value}'")
        self.expect_failure(
            """\
            version: 1
            rules:
              - match: "*.bin"
                align: 24
            files: []
            """,
            "romfs: error: m.yaml:4:12: rule.align must be a power of two from 1 to 4096, "
            "not '24'")

    def test_over_capacity_says_by_how_much(self):
        # a.txt: 6 bytes of data at offset 16 (4-aligned) -> a 22-byte image.
        self.expect_failure(
            """\
            version: 1
            image:
              size: 10
            files:
              - src: assets/a.txt
            """,
            "romfs: error: m.yaml:3:9: image is 22 bytes, 12 bytes over image.size (10 bytes)")

    def test_symlink_cycle(self):
        os.symlink("..", self.path("assets/d/loop"))
        self.expect_failure(
            """\
            version: 1
            files:
              - src: assets
            """,
            "romfs: error: m.yaml:3:10: assets/d/loop: symlink cycle: this directory is "
            "assets again")

    def test_symlink_out_of_the_tree(self):
        outside = self.write("outside.txt", "secret")
        os.symlink(outside, self.path("assets/link"))
        self.expect_failure(
            """\
            version: 1
            files:
              - src: assets
            """,
            f"romfs: error: m.yaml:3:10: assets/link: symlink leads out of the directory entry's "
            f"tree (to {os.path.realpath(outside)}); copy the file in or add it as an entry of "
            f"its own")

    def test_nul_byte_and_bad_utf8_in_manifest(self):
        self.expect_failure(
            """\
            version: 1
            files:
              - src: "a\\0b"
            """,
            "romfs: error: m.yaml:3:10: src contains a NUL byte")
        os.unlink(self.path("out.img"))
        self.write("m.yaml", b'version: 1\nfiles:\n  - src: "\xff\xfe"\n')
        proc = run("build", "m.yaml", "-o", "out.img", cwd=self.tmp, check=1)
        self.assertEqual(proc.stderr, "romfs: error: m.yaml:3:11: manifest is not valid UTF-8 "
                                      "text (invalid leading UTF-8 octet)\n")
        self.assertFalse(os.path.exists(self.path("out.img")))

    def test_unreadable_file(self):
        """Needs a user that the file's mode shuts out: as root, run as nobody."""
        self.write("m.yaml", "version: 1\nfiles:\n  - src: assets/a.txt\n")
        os.chmod(self.path("assets/a.txt"), 0)
        os.chmod(self.tmp, 0o777)
        cmd = [ROMFS, "build", "m.yaml", "-o", "out.img"]
        if os.geteuid() == 0:
            cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *cmd]
        proc = subprocess.run(cmd, cwd=self.tmp, capture_output=True, text=True)
        self.assertEqual(proc.returncode, 1, proc.stderr)
        self.assertEqual(proc.stderr, "romfs: error: assets/a.txt: cannot read: Permission denied\n")
        self.assertEqual(sorted(os.listdir(self.tmp)), ["assets", "m.yaml"])


class UsageErrors(ScratchTestCase):
    def test_usage_errors_exit_2(self):
        cases = [
            ((), "romfs: error: no command given (see romfs --help)"),
            (("frobnicate",), "romfs: error: unknown command 'frobnicate' (see romfs --help)"),
            (("build", "m.yaml"), "romfs: error: usage: romfs build MANIFEST -o IMAGE [options] "
                                  "(see romfs build --help)"),
            (("build", "m.yaml", "-o", "x", "--frob"),
             "romfs: error: unknown option '--frob' (see romfs build --help)"),
            (("build", "m.yaml", "-o"), "romfs: error: option '-o' needs a value (IMAGE)"),
            (("build", "m.yaml", "-o", "x", "-o", "y"),
             "romfs: error: option --output is given twice"),
            (("build", "m.yaml", "-o", "x", "-D", "1X=2"),
             "romfs: error: -D needs NAME=VALUE with NAME made of letters, digits and '_', "
             "not '1X=2'"),
            (("pack-dir", ".", "-o", "x", "--align", "3"),
             "romfs: error: --align must be a power of two from 1 to 4096, not '3'"),
            (("cat", "x.img"), "romfs: error: usage: romfs cat IMAGE PATH (see romfs cat --help)"),
        ]
        for args, line in cases:
            with self.subTest(args=args):
                proc = run(*args, cwd=self.tmp, check=2)
                self.assertEqual(proc.stderr, line + "\n")
        self.assertEqual(os.listdir(self.tmp), [])

    def test_version_and_help(self):
        proc = run("--version", check=0)
        self.assertRegex(proc.stdout.decode(), r"^romfs \d+\.\d+\.\d+\n$")
        self.assertIn(b"pack-dir DIR -o IMAGE", run("--help", check=0).stdout)


class ImageErrors(ScratchTestCase):
    def setUp(self):
        super().setUp()
        self.write("t/a.txt", "hello\n")
        run("pack-dir", "t", "-o", "good.img", "-q", cwd=self.tmp, check=0)
        self.good = self.read("good.img")

    def expect(self, name, data, line):
        self.write(name, data)
        for cmd in (("ls", name), ("verify", name), ("cat", name, "a.txt"),
                    ("extract", name, "out")):
            with self.subTest(cmd=cmd):
                proc = run(*cmd, cwd=self.tmp, check=1)
                self.assertEqual(proc.stderr.splitlines()[0], line)
        self.assertFalse(os.path.exists(self.path("out")), "extract wrote something")

    def test_not_an_image(self):
        self.expect("x.img", b"hello world",
                    "romfs: error: x.img: not a ROMFS image (no d2 cd 31 header at offset 0)")
        self.expect("e.img", b"", "romfs: error: e.img: not a ROMFS image (too short)")

    def test_truncated(self):
        self.expect("t.img", self.good[:-5],
                    f"romfs: error: t.img: offset 0x3: truncated image: its length runs past the "
                    f"end of the file ({len(self.good) - 5} bytes)")

    def test_path_longer_than_any_file_system_takes(self):
        """2,100 nested directories named "d": a 4,200-byte path, a fault,
        so that neither a walk nor ls output can grow without bound."""
        inner = b""
        for _ in range(2100):
            payload = b"\x01d" + inner
            inner = b"\x04" + encode_varuint(len(payload)) + payload
        length = encode_varuint(len(inner))
        pad = b"\x80" if (3 + len(length) + len(inner)) % 2 else b""
        self.write("deep.img", b"\xd2\xcd\x31" + pad + length + inner)
        proc = run("verify", "deep.img", cwd=self.tmp, check=1)
        self.assertEqual(len(proc.stderr.splitlines()), 1)
        self.assertRegex(proc.stderr, r"^romfs: error: deep\.img: offset 0x[0-9a-f]+: "
                                      r"(d/)+d.*: path is longer than 4096 bytes\n$")

    def test_record_past_its_parent(self):
        bad = bytearray(self.good)
        self.assertEqual(bad[4], 5)  # the file record of a.txt
        bad[5] = 0x7f                # its length now runs past the payload
        self.write("c.img", bytes(bad))
        for cmd in (("ls", "c.img"), ("verify", "c.img")):
            proc = run(*cmd, cwd=self.tmp, check=1)
            self.assertEqual(proc.stderr,
                             "romfs: error: c.img: offset 0x4: record runs past the end of its "
                             "parent\n")
        proc = run("extract", "c.img", "out", cwd=self.tmp, check=1)
        self.assertEqual(proc.stderr,
                         "romfs: error: c.img: offset 0x4: record runs past the end of its parent; "
                         "nothing extracted (1 fault in all; romfs verify lists them)\n")
        self.assertFalse(os.path.exists(self.path("out")))


if __name__ == "__main__":
    unittest.main()
