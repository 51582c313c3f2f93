"""Byte vectors written out by hand from docs/format.md.

Packable vectors: the independent reader parses them as expected, the
reference writer and `romfs pack-dir --align 1` of the equivalent tree
write exactly those bytes, and `ls --json`, `cat`, `extract`, `verify`
read them back. Hand-made vectors the packer never writes (padding
records before data, unknown kinds, indirect records, padded varuints
everywhere, unsorted entries) must be read correctly by the same
commands.
"""
import json
import os
import re
import unittest

from romfs_testlib import reference_writer
from romfs_testlib.image_reader import ImageError, parse
from romfs_testlib.tool import (Misaligned, ScratchTestCase, ls_json_entries, misaligned_files,
                                readb, run)
from romfs_testlib.trees import assert_same_tree, write_tree


def h(text):
    """Hex bytes from text; '#' starts a comment to the end of the line."""
    text = re.sub(r"#[^\n]*", "", text)
    return bytes.fromhex("".join(text.split()))


NAME128 = "n" * 128
DATA16K = bytes(range(256)) * 64          # 16384 bytes

# Each: (tree, image bytes, expected entries (path, kind, size, offset)).
PACKABLE = {
    "empty": ({}, h("d2 cd 31 00"), []),

    "one_small_file": (
        {"a.txt": b"hi"},
        h("""
        d2 cd 31 0c                 # filesystem, payload 12
        05 0a 05 61 2e 74 78 74     # file, length 10, name "a.txt"
        02 02 68 69                 # data "hi"
        """),
        [("a.txt", "file", 2, 14)]),

    "odd_payload": (
        {"a": b"x"},
        h("""
        d2 cd 31 80 07              # payload 7: 3+1+7 odd -> length padded to 80 07
        05 05 01 61 02 01 78
        """),
        [("a", "file", 1, 11)]),

    "nested_dirs": (
        {"a": {"b": {"c.txt": b"x"}}, "d": {}},
        h("""
        d2 cd 31 80 17              # payload 23, image 28
        04 11 01 61                 # dir "a", length 17
          04 0d 01 62               # dir "b", length 13
            05 09 05 63 2e 74 78 74 02 01 78    # file "c.txt" = "x"
        04 02 01 64                 # empty dir "d"
        """),
        [("a", "dir", 0, 0), ("a/b", "dir", 0, 0), ("a/b/c.txt", "file", 1, 23),
         ("d", "dir", 0, 0)]),

    "sorted_bytewise_utf8": (
        {"b": b"", "\u00e9": b"e", "a": {}, "B": b"1"},
        h("""
        d2 cd 31 80 19              # payload 25, image 30
        05 05 01 42 02 01 31        # "B" = "1"
        04 02 01 61                 # dir "a"
        05 04 01 62 02 00           # "b" = ""
        05 06 02 c3 a9 02 01 65     # "\u00e9" = "e"
        """),
        [("B", "file", 1, 11), ("a", "dir", 0, 0), ("b", "file", 0, 22),
         ("\u00e9", "file", 1, 29)]),

    "name_128_bytes": (
        {NAME128: b""},
        h("d2 cd 31 81 07"             # payload 135, image 140
          "05 81 04"                   # file, length 132
          "81 00" + "6e" * 128 +       # name length 128 = 81 00
          "02 00"),
        [(NAME128, "file", 0, 140)]),

    "file_16k": (
        {"big": DATA16K},
        h("""
        d2 cd 31 81 80 0c           # payload 16396
        05 81 80 08                 # file, length 16392
        03 62 69 67                 # "big"
        02 81 80 00                 # data, 16384 = 81 80 00
        """) + DATA16K,
        [("big", "file", 16384, 18)]),
}

# The packer's own 1-byte alignment pad: one extra 80 before the data
# length (a .tflite keeps its built-in 16 even with --align 1).
TFLITE_NAME = "abcdefghijklmno.tflite"       # 22 bytes
TFLITE_PAD1 = (
    {TFLITE_NAME: b"\x01\x02\x03\x04"},
    h("d2 cd 31 20"                          # payload 32, image 36
      "05 1e 16" + TFLITE_NAME.encode().hex() +
      "02 80 04"                             # data length 4, padded by one 80
      "01 02 03 04"),                        # data at offset 32
    [(TFLITE_NAME, "file", 4, 32)])

# Hand-made vectors the packer never writes: (tree, bytes, entries).
HANDMADE = {
    "padding_and_unknown_records": (
        {"a": b"hi", "d": {"e": b"ok"}},
        h("""
        d2 cd 31 2c                 # payload 44, image 48
        7f 03 01 02 03              # unknown kind 0x7f at the root
        05 10 01 61                 # file "a", length 16
          01 03 aa bb cc            # padding record before the data
          09 01 ff                  # unknown kind 9 before the data
          02 02 68 69               # data "hi" at 23
          01 00                     # padding after the data (never read)
        04 0e 01 64                 # dir "d", length 14
          01 02 00 00               # padding record inside a directory
          05 06 01 65 02 02 6f 6b   # file "e" = "ok" at 41
        01 00                       # padding at the root
        81 00 00                    # unknown kind 128 (two-byte kind), empty
        """),
        [("a", "file", 2, 23), ("d", "dir", 0, 0), ("d/e", "file", 2, 41)]),

    "indirect_records": (
        {"i": b"hello", "j": b"ell", "k": b""},
        h("""
        d2 cd 31 80 1f              # payload 31 starts at 5, image 36
        01 05 68 65 6c 6c 6f        # padding record holding "hello" (payload offset 2)
        05 06 01 69 03 02 05 02     # "i": indirect, size 5, payload offset 2
        05 06 01 6a 03 02 03 03     # "j": indirect, size 3, payload offset 3
        05 06 01 6b 03 02 00 00     # "k": indirect, size 0, payload offset 0
        """),
        [("i", "file", 5, 7), ("j", "file", 3, 8), ("k", "file", 0, 5)]),

    "padded_varuints_everywhere": (
        {"p": b"abc", "q": {"r": b""}},
        h("""
        d2 cd 31 80 80 80 23        # payload 35 (length padded by three 80s), image 42
        80 05 80 0b                 # file, length 11
          80 01 70                  # name "p"
          80 02 80 80 03 61 62 63   # data "abc" at 19
        80 04 80 10                 # dir, length 16
          80 01 71                  # name "q"
          80 80 05 80 08            # file, length 8
            80 80 01 72             # name "r"
            80 02 80 00             # empty data at 42
        """),
        [("p", "file", 3, 19), ("q", "dir", 0, 0), ("q/r", "file", 0, 42)]),

    "unsorted_entries": (
        {"a": b"", "b": b""},
        h("""
        d2 cd 31 0c
        05 04 01 62 02 00           # "b" first
        05 04 01 61 02 00           # then "a"
        """),
        [("b", "file", 0, 10), ("a", "file", 0, 16)]),

    "tflite_aligned_by_padding_record": (
        {"m.tflite": b"\xde\xad\xbe\xef"},
        h("d2 cd 31 20"                    # payload 32, image 36
          "05 1e 08" + b"m.tflite".hex() +
          "01 0d" + "00" * 13 +            # 15-byte padding record
          "02 04 de ad be ef"),            # data at 32
        [("m.tflite", "file", 4, 32)]),
}


class VectorMixin:
    def check_reader(self, data, entries, tree):
        img = parse(data)
        self.assertEqual(img.size, len(data))
        self.assertEqual([(e.path, e.kind, e.size, e.offset) for e in img.entries], entries)
        self.assertEqual(img.tree(), tree)

    def check_tool_reads(self, data, entries, tree, where=""):
        """ls, cat, extract and verify read `data` as `entries`; the files
        go in the scratch subdirectory `where`."""
        img = self.write(os.path.join(where, "v.img"), data)
        listing = json.loads(run("ls", img, "--json", check=0).stdout)
        self.assertEqual(listing["size"], len(data))
        self.assertEqual(listing["entries"], ls_json_entries(entries))
        files = {p: v for p, v in _flat(tree).items() if v is not None}
        for path, content in files.items():
            self.assertEqual(run("cat", img, path, check=0).stdout, content, path)
        out = self.path(where, "out")
        run("extract", img, out, check=0)
        assert_same_tree(self, out, tree)
        proc = run("verify", img, check=0)
        self.assertNotIn("romfs: error:", proc.stderr)


def _flat(tree, prefix=""):
    out = {}
    for k, v in tree.items():
        if isinstance(v, dict):
            out[prefix + k] = None
            out.update(_flat(v, prefix + k + "/"))
        else:
            out[prefix + k] = v
    return out


class PackableVectors(VectorMixin, ScratchTestCase):
    def for_each_vector(self, check):
        """Runs check(i, tree, data, entries) for each packable vector inside
        a subTest of its own: a failure names its vector, and the other
        vectors still run."""
        for i, (name, (tree, data, entries)) in enumerate(PACKABLE.items()):
            with self.subTest(vector=name):
                check(i, tree, data, entries)

    def test_reader_parses_vectors(self):
        self.for_each_vector(lambda i, tree, data, entries:
                             self.check_reader(data, entries, tree))

    def test_reference_writer_writes_vectors(self):
        self.for_each_vector(lambda i, tree, data, entries: self.assertEqual(
            reference_writer.build_from_tree(tree).hex(" "), data.hex(" ")))

    def test_pack_dir_align1_writes_vectors(self):
        def check(i, tree, data, entries):
            src = write_tree(self.path(f"src{i}"), tree)
            out = self.path(f"out{i}.img")
            run("pack-dir", src, "-o", out, "--align", "1", check=0)
            self.assertEqual(readb(out).hex(" "), data.hex(" "))
        self.for_each_vector(check)

    def test_tool_reads_vectors(self):
        self.for_each_vector(lambda i, tree, data, entries:
                             self.check_tool_reads(data, entries, tree, where=f"v{i}"))

    def test_tflite_one_byte_pad_is_80_before_data_length(self):
        tree, data, entries = TFLITE_PAD1
        self.check_reader(data, entries, tree)
        src = write_tree(self.path("src"), tree)
        out = self.path("out.img")
        run("pack-dir", src, "-o", out, "--align", "1", check=0)
        with open(out, "rb") as f:
            self.assertEqual(f.read().hex(" "), data.hex(" "))
        self.check_tool_reads(data, entries, tree)


class HandMadeVectors(VectorMixin, ScratchTestCase):
    def test_reader_and_tool_read_handmade_vectors(self):
        for i, (name, (tree, data, entries)) in enumerate(HANDMADE.items()):
            with self.subTest(vector=name):
                self.check_reader(data, entries, tree)
                self.check_tool_reads(data, entries, tree, where=f"v{i}")

    def test_verify_rejects_misaligned_tflite_in_handmade_image(self):
        # Same as tflite_aligned_by_padding_record but with a 13-byte padding
        # record: the data lands at 30, not a multiple of 16.
        data = h("d2 cd 31 1e"
                 "05 1c 08" + b"m.tflite".hex() +
                 "01 0b" + "00" * 11 +
                 "02 04 de ad be ef")
        self.assertEqual(parse(data).files["m.tflite"].offset, 30)
        img = self.write("v.img", data)
        proc = run("verify", img, check=1)
        # One fault, and exactly this one: 30 is 2-aligned, 16 is needed.
        self.assertEqual(misaligned_files(proc.stderr), [Misaligned(
            "m.tflite", at=30, offset=30, got=2, need=16,
            why="a .tflite model is read in place by the ML runtime")], proc.stderr)
        # Still a valid image for reading.
        self.assertEqual(run("cat", img, "m.tflite", check=0).stdout, b"\xde\xad\xbe\xef")


class ReaderFaults(unittest.TestCase):
    """The independent reader itself must reject structural faults."""

    def assertFault(self, data, offset=None):
        with self.assertRaises(ImageError) as cm:
            parse(data)
        if offset is not None:
            self.assertEqual(cm.exception.offset, offset, str(cm.exception))

    def test_faults(self):
        good = PACKABLE["one_small_file"][1]
        parse(good)
        cases = {
            "bad magic": (h("d2 cd 32 00"), 0),
            "image past buffer": (good[:-1], 3),
            "truncated length varuint": (h("d2 cd 31 81"), 3),
            "record past parent": (h("d2 cd 31 0c 05 0b 05 61 2e 74 78 74 02 02 68 69"), None),
            "kind 0": (h("d2 cd 31 02 00 00"), 4),
            "file without data": (h("d2 cd 31 06 05 04 01 61 01 00"), 4),
            "indirect outside payload": (h("d2 cd 31 08 05 06 01 61 03 02 05 04"), 8),
            "truncated varuint in record": (h("d2 cd 31 02 05 81"), None),
            "odd size": (h("d2 cd 31 07 05 05 01 61 02 01 78"), 3),
            "dot name": (h("d2 cd 31 06 05 04 01 2e 02 00"), 4),
            "duplicate": (h("d2 cd 31 0c 05 04 01 61 02 00 05 04 01 61 02 00"), 10),
        }
        for name, (data, offset) in cases.items():
            with self.subTest(name):
                self.assertFault(data, offset)


if __name__ == "__main__":
    unittest.main()
