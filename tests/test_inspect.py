"""The inspection commands: `ls` (text and --json), `cat`, `extract`,
`verify`, on romfs-built and mpremote-style (reference writer) images,
checked against the independent reader; their errors; hostile images
that `extract` must refuse without writing anything; and truncated or
bit-flipped images that must never crash any command."""
import json
import os
import random
import unittest

from romfs_testlib import reference_writer, trees
from romfs_testlib.image_reader import (ImageError, dir_record, encode_varuint, file_record,
                                        image, name_field, parse, record)
from romfs_testlib.tool import (Misaligned, ScratchTestCase, builtin_need, error_lines,
                                ls_json_entries, misaligned_files, readb, run, yaml_str as q)


def inspect_tree():
    rng = random.Random(12)
    return {
        "README.txt": b"read me\n",
        "caf\u00e9 menu.txt": "cr\u00e8me br\u00fbl\u00e9e".encode(),
        "empty.bin": b"",
        "lib": {"mod.py": b"print('hi')\n", "pkg": {"__init__.py": b"", "x.mpy": rng.randbytes(300)},
                "\u65e5\u672c": {}},
        "models": {"net.tflite": rng.randbytes(1234), "small.tflite": rng.randbytes(7)},
        "model.tflite": rng.randbytes(2001),
        "data": {f"blob{i}.bin": rng.randbytes(rng.randint(0, 3000)) for i in range(12)},
        "void": {},
        "\U0001F600.txt": b"smile",
    }


class InspectCase(ScratchTestCase):
    def romfs_image(self, tree=None, tag="built"):
        tree = inspect_tree() if tree is None else tree
        src = trees.write_tree(self.path(tag + ".src"), tree)
        m = self.path(tag + ".yaml")
        with open(m, "w", encoding="utf-8") as f:
            f.write(f"""version: 1
rules:
  - match: "*.bin"
    align: 32
  - match: "lib/**"
    align: 1
files:
  - src: {q(src)}
    dst: "."
""")
        out = self.path(tag + ".img")
        run("build", m, "-o", out, "--quiet", check=0)
        return out, tree

    def reference_image(self, tree=None, tag="ref"):
        tree = inspect_tree() if tree is None else tree
        return self.write(tag + ".img", reference_writer.build_from_tree(tree)), tree

    def images(self):
        """(label, image path, tree) for both producers."""
        yield ("romfs build",) + self.romfs_image()
        yield ("reference writer",) + self.reference_image()

    def error_lines(self, stderr):
        return error_lines(stderr)


class Listing(InspectCase):
    def test_ls_json_matches_reader(self):
        for label, img, tree in self.images():
            with self.subTest(label):
                data = readb(img)
                parsed = parse(data)
                self.assertEqual(trees.diff_trees(parsed.tree(), tree), [])
                listing = json.loads(run("ls", img, "--json", check=0).stdout.decode("utf-8"))
                self.assertEqual(listing["size"], len(data))
                self.assertEqual(listing["entries"], ls_json_entries(parsed.entries))

    def test_ls_text_matches_reader(self):
        for label, img, tree in self.images():
            with self.subTest(label):
                parsed = parse(readb(img))
                out = run("ls", img, check=0).stdout.decode("utf-8")
                header, *lines = [l for l in out.splitlines() if l.strip()]
                self.assertEqual(header.split(), ["PATH", "SIZE", "OFFSET", "NEEDS", "HAS"])
                self.assertEqual(len(lines), len(parsed.entries), out)
                for line, e in zip(lines, parsed.entries):
                    flagged = line.endswith("  MISALIGNED")
                    if flagged:
                        line = line[:-len("  MISALIGNED")]
                    path, size, offset, need, has = line.rsplit(None, 4)
                    path = path.strip()
                    self.assertEqual(flagged, e.kind == "file" and e.offset % builtin_need(e.path)
                                     != 0, line)
                    if e.kind == "dir":
                        self.assertEqual((path, size, offset, need, has),
                                         (e.path + "/", "-", "-", "-", "-"), line)
                    else:
                        self.assertEqual(
                            (path, int(size), int(offset), int(need), int(has)),
                            (e.path, e.size, e.offset, builtin_need(e.path),
                             e.offset & -e.offset), line)

    def test_cat_every_file(self):
        for label, img, tree in self.images():
            with self.subTest(label):
                parsed = parse(readb(img))
                for path, content in trees.files_of(tree).items():
                    self.assertEqual(parsed.files[path].data, content)
                    proc = run("cat", img, path, check=0)
                    self.assertEqual(proc.stdout, content, path)

    def test_cat_errors(self):
        img, _ = self.romfs_image()
        for path in ["lib", "lib/pkg", "void", "missing", "lib/missing.py",
                     "README.txt/inner", "models/net.tflite.bak", "nope/net.tflite"]:
            with self.subTest(path=path):
                proc = run("cat", img, path)
                self.assertEqual(proc.returncode, 1, proc.stderr)
                self.assertTrue(self.error_lines(proc.stderr), proc.stderr)
                self.assertEqual(proc.stdout, b"")

    def test_extract_both_producers(self):
        for i, (label, img, tree) in enumerate(self.images()):
            with self.subTest(label):
                out = self.path(f"x{i}", "target")
                run("extract", img, out, check=0)
                trees.assert_same_tree(self, out, tree)


class Verify(InspectCase):
    def test_verify_accepts_good_images(self):
        img, _ = self.romfs_image()
        proc = run("verify", img, check=0)
        self.assertFalse(self.error_lines(proc.stderr), proc.stderr)
        plain = {k: v for k, v in inspect_tree().items() if not k.endswith(".tflite")}
        plain.pop("models")
        ref, _ = self.reference_image(plain, "plainref")
        run("verify", ref, check=0)

    def test_verify_names_misaligned_tflite_in_reference_image(self):
        base = inspect_tree()
        for filler in range(64):
            tree = dict(base, aaa=b"f" * filler)
            files = parse(reference_writer.build_from_tree(tree)).files
            if files["models/net.tflite"].offset % 16:
                break
        else:
            self.fail("could not misalign models/net.tflite")
        img, _ = self.reference_image(tree)
        parsed = parse(readb(img))
        misaligned = [p for p, e in parsed.files.items()
                      if p.endswith(".tflite") and e.offset % 16]
        self.assertIn("models/net.tflite", misaligned)
        proc = run("verify", img)
        self.assertEqual(proc.returncode, 1, proc.stderr)
        # One line for each misaligned model, saying where its data is, how
        # it is aligned and that it needs 16; nothing else, so the models
        # that are aligned are not blamed.
        why = "a .tflite model is read in place by the ML runtime"
        want = [Misaligned(p, at=parsed.files[p].offset, offset=parsed.files[p].offset,
                           got=parsed.files[p].offset & -parsed.files[p].offset, need=16,
                           why=why) for p in misaligned]
        self.assertEqual(sorted(misaligned_files(proc.stderr)), sorted(want), proc.stderr)
        self.assertTrue(any(p.endswith(".tflite") and e.offset % 16 == 0
                            for p, e in parsed.files.items()), "no aligned model to not blame")
        # The image itself is fine to read.
        self.assertEqual(run("cat", img, "models/net.tflite", check=0).stdout,
                         tree["models"]["net.tflite"])


def hostile_images():
    """name -> image bytes: each is structurally readable up to its one
    fault, and each fault comes after valid entries that a careless
    extractor would already have written."""
    ok = file_record("ok.txt", b"fine\n") + dir_record("okdir", file_record("f", b"1"))
    entries = {
        "dotdot file": file_record("..", b"escape"),
        "dotdot dir": dir_record("..", file_record("evil", b"x")),
        "dot dir": dir_record(".", file_record("evil", b"x")),
        "dot file": file_record(".", b"x"),
        "slash in name": file_record("a/b", b"x"),
        "slash escape": dir_record("sub", file_record("../../escape", b"x")),
        "absolute": file_record("/tmp/evil", b"x"),
        "empty name file": file_record("", b"x"),
        "empty name dir": dir_record("", file_record("x", b"x")),
        "nul in name": file_record(b"a\0b", b"x"),
        "duplicate files": file_record("x", b"1") + file_record("x", b"2"),
        "duplicate dirs": dir_record("d", file_record("p", b"1")) + dir_record("d", b""),
        "file and dir": file_record("x", b"1") + dir_record("x", b""),
        "dir and file": dir_record("x", b"") + file_record("x", b"1"),
        "nested duplicate": dir_record("n", file_record("y", b"1") + file_record("y", b"1")),
        "nested dotdot": dir_record("n", dir_record("m", file_record("..", b"1"))),
        "file without data": record(5, name_field("nodata") + record(1, b"pad")),
        "kind 0 record": record(0, b"zz"),
        "record past parent": dir_record("p", b"")[:1] + encode_varuint(40) + b"\x01p",
        "indirect outside payload": record(5, name_field("ind") +
                                           record(3, encode_varuint(50) + encode_varuint(0))),
        "truncated varuint": b"\x05\x81",
    }
    out = {}
    for name, bad in entries.items():
        out[name] = image(ok + bad)
    # Truncated: the header claims more than the buffer holds.
    full = image(ok + file_record("last", b"last data"))
    out["image past buffer"] = full[:-2]
    out["bad magic"] = b"\xd2\xcd\x30" + full[3:]
    return out


class Hostile(InspectCase):
    def test_reader_rejects_every_hostile_image(self):
        for name, data in hostile_images().items():
            with self.subTest(name):
                with self.assertRaises(ImageError):
                    parse(data)

    def test_extract_refuses_and_writes_nothing(self):
        for i, (name, data) in enumerate(hostile_images().items()):
            with self.subTest(name):
                img = self.write(f"h{i}.img", data)
                # Target does not exist yet.
                parent = self.path(f"p{i}")
                os.makedirs(os.path.join(parent, "inner"))
                self.write(os.path.join(f"p{i}", "marker"), b"marker")
                before = trees.snapshot(parent)
                proc = run("extract", img, os.path.join(parent, "inner", "target"))
                self.assertEqual(proc.returncode, 1, proc.stderr)
                self.assertTrue(self.error_lines(proc.stderr), proc.stderr)
                self.assertEqual(trees.snapshot(parent), before)
                # Target exists and is empty.
                target = os.path.join(parent, "inner")
                proc = run("extract", img, target)
                self.assertEqual(proc.returncode, 1, proc.stderr)
                self.assertEqual(trees.snapshot(parent), before)
                self.assertEqual(os.listdir(target), [])
                # Nothing escaped to the scratch directory's top either.
                self.assertFalse(os.path.exists(self.path("escape")))
                self.assertFalse(os.path.exists(self.path("evil")))

    def test_verify_rejects_hostile_images(self):
        for i, (name, data) in enumerate(hostile_images().items()):
            with self.subTest(name):
                img = self.write(f"v{i}.img", data)
                proc = run("verify", img)
                self.assertEqual(proc.returncode, 1, proc.stderr)
                self.assertTrue(self.error_lines(proc.stderr), proc.stderr)
                proc = run("ls", img, "--json")
                self.assertIn(proc.returncode, (0, 1), proc.stderr)
                if proc.returncode:
                    self.assertTrue(self.error_lines(proc.stderr), proc.stderr)


class Robustness(InspectCase):
    """Truncated and bit-flipped images: exit 0 or 1 only, never a signal;
    every failure says `romfs: error:`; when the independent reader finds
    a fault the tool does too, and when it finds none the tool reads the
    image exactly as the reader does."""

    def small_images(self):
        tree = {"a.txt": b"hello\n", "d": {"m.tflite": b"\x01\x02\x03\x04\x05", "e": {}},
                "z": b""}
        img, _ = self.romfs_image(tree, "small")
        indirect = image(record(1, b"hello") +
                         record(5, name_field("i") + record(3, b"\x05\x02")) +
                         dir_record("q", file_record("r", b"ok")))
        return [("romfs", readb(img)), ("indirect", indirect)]

    def check_one(self, data, label, n):
        img = self.write(f"c{n}.img", data)
        procs = {}
        for cmd in (("ls", img, "--json"), ("verify", img)):
            procs[cmd[0]] = proc = run(*cmd)
            self.assertIn(proc.returncode, (0, 1),
                          f"{label}: romfs {cmd[0]} exit {proc.returncode}\n{proc.stderr}")
            if proc.returncode:
                self.assertTrue(self.error_lines(proc.stderr), f"{label}: {cmd[0]}: {proc.stderr!r}")
        parent = self.path(f"x{n}")
        os.mkdir(parent)
        target = os.path.join(parent, "t")
        proc = procs["extract"] = run("extract", img, target)
        self.assertIn(proc.returncode, (0, 1), f"{label}: extract exit {proc.returncode}")
        if proc.returncode:
            self.assertTrue(self.error_lines(proc.stderr), f"{label}: extract: {proc.stderr!r}")
            self.assertEqual(os.listdir(parent), [], f"{label}: failed extract wrote files")
        return procs, target

    def cross_check(self, data, label, n):
        procs, target = self.check_one(data, label, n)
        try:
            parsed = parse(data, check_utf8=False)
        except ImageError as e:
            for cmd in ("verify", "extract"):
                self.assertEqual(procs[cmd].returncode, 1,
                                 f"{label}: reader says {e}, but {cmd} succeeded")
            return "fault"
        names_utf8 = all(_is_utf8(e.raw_path) for e in parsed.entries)
        if parsed.size != len(data) or not names_utf8:
            return "unchecked"          # trailing bytes or non-UTF-8 names: no opinion
        if any(b < 0x20 or b == 0x7f for e in parsed.entries for b in e.name):
            for cmd in ("verify", "extract"):  # control characters in a name are a fault
                self.assertEqual(procs[cmd].returncode, 1, f"{label}: {cmd} passed a control name")
            return "fault"
        self.assertEqual(procs["ls"].returncode, 0, f"{label}: {procs['ls'].stderr}")
        listing = json.loads(procs["ls"].stdout.decode("utf-8"))
        self.assertEqual(
            [(x["path"], x["type"], x.get("size"), x.get("offset")) for x in listing["entries"]],
            [(e.path, e.kind, e.size if e.kind == "file" else None,
              e.offset if e.kind == "file" else None) for e in parsed.entries], label)
        self.assertEqual(procs["extract"].returncode, 0, f"{label}: {procs['extract'].stderr}")
        self.assertEqual(trees.diff_trees(target, parsed.tree()), [], label)
        models_ok = all(e.offset % 16 == 0 for p, e in parsed.files.items()
                        if p.endswith(".tflite"))
        self.assertEqual(procs["verify"].returncode, 0 if models_ok else 1,
                         f"{label}: {procs['verify'].stderr}")
        return "ok"

    def test_truncated_images(self):
        n = 0
        for name, full in self.small_images():
            parse(full)
            for cut in range(len(full) + 1):
                n += 1
                label = f"{name} cut at {cut}/{len(full)}"
                with self.subTest(label):
                    outcome = self.cross_check(full[:cut], label, n)
                    self.assertEqual(outcome, "ok" if cut == len(full) else "fault", label)

    def test_bit_flips(self):
        n = 0
        outcomes = {}
        for name, full in self.small_images():
            for pos in range(len(full)):
                for bit in {pos % 8, (pos + 3) % 8, 7}:
                    n += 1
                    data = bytearray(full)
                    data[pos] ^= 1 << bit
                    label = f"{name}: byte {pos} bit {bit} ({full[pos]:02x}->{data[pos]:02x})"
                    with self.subTest(label):
                        outcome = self.cross_check(bytes(data), label, n)
                        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        # Both kinds of outcome occurred, so both directions were checked.
        self.assertGreater(outcomes.get("fault", 0), 20, outcomes)
        self.assertGreater(outcomes.get("ok", 0), 20, outcomes)


def _is_utf8(b):
    try:
        b.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


if __name__ == "__main__":
    unittest.main()
