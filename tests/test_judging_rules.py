"""Which alignment an image is judged by (the first-use issue, items 8 to
10): `ls` has a header and shows the alignment each file needs beside the
one it has, `--json` adds it as `align_needed`; `ls` and `verify` take the
rules of `--manifest M` or `--target T` (else the built-ins) and `verify`
says which it applied; `verify --manifest` judges every file by exactly
the decision `build` made (the same source collection), so the two cases
where a second copy of the policy disagreed with build pass, and files
the manifest would not pack, or that the image lacks, are faults."""
import json
import os
import unittest

from romfs_testlib.image_reader import parse
from romfs_testlib.tool import SOURCE_DIR, ScratchTestCase, readb, run

STANDIN = os.path.join(SOURCE_DIR, "tests", "mpy_cross_standin.py")


def text_rows(stdout):
    """The text listing as {path: (needs, has)} for files, checking the header."""
    header, *lines = stdout.decode().splitlines()
    assert header.split() == ["PATH", "SIZE", "OFFSET", "NEEDS", "HAS"], header
    rows = {}
    for line in lines:
        fields = line.split()
        if not fields[0].endswith("/"):
            rows[fields[0]] = (int(fields[3]), int(fields[4]))
    return rows


class Rules(ScratchTestCase):
    def setUp(self):
        super().setUp()
        self.write("assets/config.json", "{}\n" * 10)
        self.write("assets/model.tflite", b"\x11" * 300)
        self.write("big.bin", b"\x22" * 200)

    def build(self, manifest, name="img"):
        self.write(name + ".yaml", manifest)
        run("build", name + ".yaml", "-o", name + ".romfs", "--quiet", cwd=self.tmp, check=0)
        return self.path(name + ".romfs")

    def test_ls_shows_needed_and_actual_alignment(self):
        img = self.build("version: 1\nfiles:\n  - src: assets\n    dst: .\n")
        offsets = {p: e.offset for p, e in parse(readb(img)).files.items()}
        builtin = text_rows(run("ls", img, check=0).stdout)
        self.assertEqual(builtin, {"config.json": (1, offsets["config.json"] & -offsets["config.json"]),
                                   "model.tflite": (16, offsets["model.tflite"] & -offsets["model.tflite"])})
        by_manifest = text_rows(run("ls", img, "--manifest", "img.yaml", cwd=self.tmp,
                                    check=0).stdout)
        self.assertEqual({p: n for p, (n, _) in by_manifest.items()},
                         {"config.json": 4, "model.tflite": 16})
        n6 = text_rows(run("ls", img, "--target", "n6", check=0).stdout)
        self.assertEqual(n6["model.tflite"][0], 32)
        entries = json.loads(run("ls", img, "--json", "--target", "n6", check=0).stdout)["entries"]
        files = {e["path"]: e for e in entries if e["type"] == "file"}
        self.assertEqual({p: e["align_needed"] for p, e in files.items()},
                         {"config.json": 1, "model.tflite": 32})
        self.assertEqual({p: e["align"] for p, e in files.items()},
                         {p: o & -o for p, o in offsets.items()})

    def test_ls_flags_a_file_short_of_its_alignment(self):
        img = self.build("version: 1\nfiles:\n  - src: assets\n    dst: .\n")
        out = run("ls", img, "--target", "n6", check=0).stdout.decode()
        model = [l for l in out.splitlines() if l.startswith("model.tflite")][0]
        offset = parse(readb(img)).files["model.tflite"].offset
        self.assertEqual(model.endswith("MISALIGNED"), offset % 32 != 0, model)
        config = [l for l in out.splitlines() if l.startswith("config.json")][0]
        self.assertFalse(config.endswith("MISALIGNED"))

    def test_verify_says_which_rules_it_applied(self):
        img = self.build("version: 1\nimage:\n  target: n6\nfiles:\n  - src: assets\n"
                         "    dst: .\n")
        out = run("verify", img, check=0).stdout.decode()
        self.assertIn("alignment by the built-in rules (*.tflite: 16)", out)
        self.assertTrue(out.rstrip().endswith("the most 16"), out)
        out = run("verify", img, "--target", "n6", check=0).stdout.decode()
        self.assertIn("alignment by the built-in rules of target n6 (*.tflite: 32)", out)
        self.assertTrue(out.rstrip().endswith("the most 32"), out)
        out = run("verify", img, "--manifest", "img.yaml", cwd=self.tmp, check=0).stdout.decode()
        self.assertIn("alignment by the manifest img.yaml", out)
        self.assertTrue(out.rstrip().endswith("the most 32"), out)

    def test_manifest_and_target_together_is_a_usage_error(self):
        img = self.build("version: 1\nfiles:\n  - src: assets\n    dst: .\n")
        for cmd in ("ls", "verify"):
            proc = run(cmd, img, "--manifest", "img.yaml", "--target", "n6", cwd=self.tmp,
                       check=2)
            self.assertEqual(proc.stderr, "romfs: error: --manifest and --target both say which "
                                          "rules apply; give one\n")
        proc = run("ls", img, "--target", "n7", check=2)
        self.assertEqual(proc.stderr, "romfs: error: --target must be one of: n6; not 'n7'\n")

    def test_two_entries_on_the_root_are_judged_each_by_its_own(self):
        """A second copy of the policy took the later entry's align: 64 for
        every file of `assets` (the first-use issue, item 10)."""
        manifest = ("version: 1\nfiles:\n  - src: assets\n    dst: \".\"\n"
                    "  - src: big.bin\n    dst: \".\"\n    align: 64\n")
        img = self.build(manifest)
        files = parse(readb(img)).files
        self.assertEqual(files["big.bin"].offset % 64, 0)
        self.assertNotEqual(files["config.json"].offset % 64, 0, "the case needs it unaligned")
        proc = run("verify", img, "--manifest", "img.yaml", cwd=self.tmp, check=0)
        self.assertEqual(proc.stderr, "")

    def test_a_mpy_rule_with_compiled_files(self):
        """Build judges a compiled .py by its .py path; a `*.mpy` rule
        applies to .mpy files packed as they are (item 10)."""
        self.write("py/app.py", "x = 1\n" * 30)
        self.write("py/pre.mpy", b"M\x06\x00\x1f" + b"\x00" * 40)
        manifest = (f"version: 1\nimage:\n  mpy: true\n  mpy_cross: {json.dumps(STANDIN)}\n"
                    "rules:\n  - match: \"*.mpy\"\n    align: 64\nfiles:\n  - src: py\n"
                    "    dst: lib\n")
        img = self.build(manifest)
        files = parse(readb(img)).files
        self.assertEqual(files["lib/pre.mpy"].offset % 64, 0)
        self.assertNotEqual(files["lib/app.mpy"].offset % 64, 0, "the case needs it unaligned")
        proc = run("verify", img, "--manifest", "img.yaml", cwd=self.tmp, check=0)
        self.assertEqual(proc.stderr, "")
        needs = text_rows(run("ls", img, "--manifest", "img.yaml", cwd=self.tmp, check=0).stdout)
        self.assertEqual((needs["lib/app.mpy"][0], needs["lib/pre.mpy"][0]), (4, 64))

    def test_verify_manifest_reports_what_the_image_should_not_hold_or_lacks(self):
        img = self.build("version: 1\nfiles:\n  - src: assets\n    dst: .\n")
        self.write("other.yaml", "version: 1\nfiles:\n  - src: assets/model.tflite\n"
                                 "  - src: big.bin\n")
        record = parse(readb(img)).files["config.json"].record_offset
        proc = run("verify", img, "--manifest", "other.yaml", cwd=self.tmp, check=1)
        self.assertEqual(proc.stderr.splitlines(), [
            f"romfs: error: {img}: offset 0x{record:x}: config.json: file is not in the image the "
            "manifest other.yaml would build",
            f"romfs: error: {img}: big.bin: missing: the manifest other.yaml would put it in "
            "the image",
        ])
        self.assertEqual(proc.stdout, b"")

    def test_verify_manifest_finds_a_file_short_of_its_rule(self):
        img = self.build("version: 1\nfiles:\n  - src: assets\n    dst: .\n")
        offset = parse(readb(img)).files["config.json"].offset
        self.assertNotEqual(offset % 64, 0)
        self.write("strict.yaml", "version: 1\nrules:\n  - match: \"*.json\"\n    align: 64\n"
                                  "files:\n  - src: assets\n    dst: .\n")
        proc = run("verify", img, "--manifest", "strict.yaml", cwd=self.tmp, check=1)
        self.assertEqual(proc.stderr,
                         f"romfs: error: {img}: offset 0x{offset:x}: config.json: data at offset "
                         f"{offset} is {offset & -offset}-byte aligned, but it needs 64-byte "
                         "alignment (from the manifest)\n")


if __name__ == "__main__":
    unittest.main()
