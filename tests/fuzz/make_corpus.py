#!/usr/bin/env python3
"""Writes the seed corpora in tests/fuzz/corpus/ (checked in; rerun only to
change them): images made by the romfs tool itself (mpremote layout,
aligned, aligned through a manifest), images built by hand for what the
tool never writes (indirect data, unknown kinds, padded varuints, trailing
partition bytes), manifests covering every key and the YAML features
that reach the loader (anchors and aliases, flow style, quoting), and
flash files made by tests/romfs_testlib/flash_files.py (Intel HEX with
linear and segment bases, UF2, DfuSe, ELF32 and ELF64 with symbols) and
ESP-IDF partition tables.

    tests/fuzz/make_corpus.py path/to/romfs

Seeds are small on purpose: libFuzzer mutates them, and a short input
runs faster and shrinks to a clearer reproducer. Reproducers of findings
live beside the seeds as finding-* files and are never rewritten here.
"""
import os
import pathlib
import subprocess
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
sys.path.insert(0, str(HERE.parent))
from romfs_testlib import flash_files as ff  # noqa: E402


def uint(v, pad=0):
    out = [v & 0x7F]
    v >>= 7
    while v:
        out.insert(0, 0x80 | (v & 0x7F))
        v >>= 7
    return b"\x80" * pad + bytes(out)


def record(kind, payload, pad=0):
    return uint(kind) + uint(len(payload), pad) + payload


def named(kind, name, body):
    return record(kind, uint(len(name)) + name + body)


def data_file(name, data):
    return named(5, name, record(2, data))


def image(payload, pad=0):
    return b"\xd2\xcd\x31" + uint(len(payload), pad) + payload


def write(target, name, data):
    d = CORPUS / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data)


def tool_images(romfs):
    """(name, bytes) of images the romfs tool writes for a small tree."""
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        src = tmp / "src"
        (src / "lib" / "mylib").mkdir(parents=True)
        (src / "empty").mkdir()
        (src / "a.txt").write_bytes(b"hello\n")
        (src / "model.tflite").write_bytes(bytes(range(40)))
        (src / "weights.bin").write_bytes(b"\x55" * 24)
        (src / "lib" / "mylib" / "__init__.py").write_bytes(b"x = 1\n")
        (src / "lib" / "mylib" / "util.mpy").write_bytes(b"M\x06\x00\x1f")
        for align in ("1", "16", "32"):
            dst = tmp / f"pack-{align}.romfs"
            subprocess.run([romfs, "pack-dir", str(src), "-o", str(dst), "--align", align],
                           check=True)
            out.append((f"tool-pack-dir-align{align}.romfs", dst.read_bytes()))
        (tmp / "m.yaml").write_text(
            "version: 1\n"
            "image:\n  align: 4\n  target: n6\n"
            "rules:\n  - match: \"*.bin\"\n    align: 64\n"
            "files:\n  - src: src\n    dst: .\n")
        dst = tmp / "manifest.romfs"
        subprocess.run([romfs, "build", str(tmp / "m.yaml"), "-o", str(dst), "--quiet"],
                       check=True)
        out.append(("tool-manifest-n6.romfs", dst.read_bytes()))
    return out


def hand_images():
    out = []
    out.append(("empty.romfs", image(b"")))
    # mpremote's layout: sorted, shortest varuints, the filesystem length
    # padded with one 0x80 to make the size even.
    body = (named(4, b"d", data_file(b"f", b"xyz")) + data_file(b"readme", b"hi"))
    out.append(("mpremote-style.romfs", image(body, pad=(3 + len(uint(len(body))) + len(body)) % 2)))
    # Padding records everywhere a reader must skip them, an unknown kind
    # with a multi-byte kind varuint, padded varuints in every position.
    body = (record(1, b"\x00" * 5)
            + record(0x7F, b"future")
            + record(0x4000, b"")
            + named(5, b"padded", record(1, b"") + record(9, b"?") + record(2, b"data", pad=3))
            + uint(4) + uint(len(uint(1, pad=2) + b"q") + 0, pad=1) + uint(1, pad=2) + b"q")
    out.append(("padding-unknown-kinds.romfs", image(body, pad=2)))
    # Indirect data into an aligned area at the end of the payload, a file
    # whose indirect record points at itself, an empty indirect file.
    area = b"\x00\x11\x22\x33\x44\x55\x66\x77"
    head = named(5, b"self", record(3, uint(3) + uint(0)))
    empty = named(5, b"empty", record(3, uint(0) + uint(0)))
    # The area sits inside a padding record, where the walk skips it.
    for gap in range(0, 16):
        before = len(head) + len(empty) + len(named(5, b"model.tflite", record(3, b"\x00" * 3)))
        offset = before + 2 + gap  # padding record header: kind, length (< 128)
        two_bytes = uint(offset, pad=1 if offset < 128 else 0)
        indirect = named(5, b"model.tflite", record(3, uint(len(area)) + two_bytes))
        payload = head + indirect + empty + record(1, b"\x00" * gap + area)
        if (3 + len(uint(len(payload))) + offset) % 16 == 0:
            break
    out.append(("indirect.romfs", image(payload)))
    # Trailing bytes after the image: the rest of a flash partition.
    out.append(("partition-tail.romfs",
                image(data_file(b"boot.py", b"print(1)\n")) + b"\xff" * 24))
    # Nesting, deep enough to need several levels of the walk's stack.
    inner = data_file(b"leaf", b"!")
    for i in range(24):
        inner = named(4, bytes([0x61 + i % 26]), inner)
    out.append(("deep.romfs", image(inner)))
    # Names a reader must still return and the tool must flag: duplicate,
    # empty, '/', '..', invalid UTF-8; a misaligned model; an odd size.
    body = (data_file(b"dup", b"1") + data_file(b"dup", b"2") + data_file(b"", b"e")
            + data_file(b"a/b", b"s") + named(4, b"..", b"") + data_file(b"\xff\xfe", b"u")
            + data_file(b"m.tflite", b"model"))
    out.append(("bad-names.romfs", image(body)))
    # More faults than `romfs verify` prints, and a path longer than the
    # walk's first path buffer.
    out.append(("many-faults.romfs", image(b"".join(data_file(b"", b"x") for _ in range(110)))))
    out.append(("long-path.romfs",
                image(named(4, b"a" * 120, named(4, b"b" * 120, data_file(b"c" * 40, b"deep"))))))
    # The three rejections the reader must make rather than guess.
    out.append(("kind0.romfs", image(record(0, b"") + data_file(b"after", b"x"))))
    out.append(("no-data.romfs", image(named(5, b"f", record(1, b"")))))
    out.append(("overrun.romfs", image(named(4, b"d", b"") + b"\x05\x7f\x01z")))
    return out


MANIFESTS = {
    "every-key.yaml": """\
version: 1
image:
  size: 0x20000
  align: 8
  target: n6
  mpy: auto
  mpy_cross: ${BUILD}/mpy-cross -march=armv7emsp
rules:
  - match: "**/*.psd"
    exclude: true
  - match: "lib/**/*.py"
    mpy: true
    align: 16
  - match: "[a-c]?.bin"
    align: 4096
files:
  - src: assets/model.tflite
  - src: assets/labels.txt
    dst: labels.txt
    align: 1
  - src: assets/templates
    dst: templates/
    exclude: ["*.tmp", "cache/**", "[!x]*.bak"]
    mpy: false
  - src: ${BUILD}/gen/config.json
    dst: config.json
  - src: python/mylib
    dst: lib/mylib
    exclude: false
  - assets/README.txt
""",
    "aliases.yaml": """\
version: 1
image: &img {align: 16, mpy: false}
rules:
  - &r {match: "*.bin", align: 32}
  - *r
files:
  - &e {src: "${SOURCE}/a", dst: a, exclude: &x ["*.o", '\\*.txt']}
  - {src: b, exclude: *x}
  - *e
""",
    "flow-and-quotes.yaml": """\
{version: 1, image: {size: 128K}, files: ['$$HOME/x', "${EMPTY}y", {src: "z", dst: "."}]}
""",
    "variables.yaml": """\
version: 1
files:
  - src: ${NAME}/${_under_9}
    dst: ${DOLLAR}
  - src: "$${literal}"
""",
    "errors-typo.yaml": """\
version: 1
image:
  alin: 4
files: []
""",
    "errors-types.yaml": """\
version: 1
image:
  align: "4"
  size: 0
rules: {match: x}
files:
  - dst: nowhere
""",
    "two-docs.yaml": """\
version: 1
files: [a]
---
version: 1
""",
    "alias-bomb.yaml": """\
version: 1
x: &a [s, s, s, s, s, s, s, s]
y: &b [*a, *a, *a, *a, *a, *a, *a, *a]
files: [*b]
""",
    "version-2.yaml": "version: 2\nfiles: 1\n",
}

DICT = """\
# Manifest keys and values (manifests/README.md), YAML punctuation and
# the variable syntax, for fuzz_manifest.
"version"
"version: 1\\x0a"
"image"
"image:"
"size"
"align"
"target"
"n6"
"mpy"
"mpy_cross"
"rules"
"match"
"exclude"
"files"
"src"
"dst"
"true"
"false"
"auto"
"null"
"~"
"128K"
"8M"
"0x20000"
"4096"
"16"
": "
"- "
"---"
"..."
"&a "
"*a"
"!!str "
"? "
"|"
">"
"{"
"}"
"["
"]"
","
"#"
"'"
"\\""
"\\x0a  "
"${"
"${BUILD}"
"${NAME}"
"${EMPTY}"
"${UNDEFINED}"
"$$"
"**/"
"*."
"[!"
"\\\\"
"%YAML 1.2"
"%TAG"
"\\xef\\xbb\\xbf"
"""


def flash_seeds():
    """(name, bytes) for fuzz_flash: one small file of each kind."""
    R = ff.ihex_record
    data = bytes(range(48))
    syms = ff.elf_symbols([(1, 0x08040000, 0, 0x10, 1), (31, 0x20000, 0, 0x10, 0xFFF1)])
    strtab = b"\0_micropy_hw_romfs_part0_start\0_micropy_hw_romfs_part0_size\0"
    return [
        ("linear.hex", ff.write_ihex({0x0800FFF0: data}, line_end="\r\n").encode()),
        ("segments.hex", (ff.write_ihex({0x1FFF8: data[:20]}, segment_base=True) .replace(
            ":00000001FF", R(3, 0, b"\0\0\0\0") + "\n:00000001FF")).encode()),
        ("blocks.uf2", ff.uf2_block(0x10000000, data * 5 + b"\xff" * 16, 0, 2, flags=0x2000,
                                    family=0xE48BFF56) +
         ff.uf2_block(0x10000103, b"abc", 1, 2, flags=0x2001, family=0xE48BFF56)),
        ("targets.dfu", ff.dfu_suffix(ff.dfuse_body([(0, "ROMFS", [(0x08020000, data),
                                                                   (0x08030000, b"x")]),
                                                     (1, None, [(0x1FFF0000, b"\xaa")])]))),
        ("symbols.elf", ff.write_elf(loads=[(0x08000000, data, None, None),
                                            (0x08000030, b"\1\2", 0x20000000, 8)],
                                     sections=[(".symtab", 2, syms, 2, 16),
                                               (".strtab", 3, strtab, 0, 0)])),
        ("wide.elf", ff.write_elf(loads=[(0x100000000, data, None, None)], wide=True,
                                  endian=">", machine=62)),
        ("partitions.csv", b"# Name, Type, SubType, Offset, Size, Flags\n"
                           b"nvs, data, nvs, 0x9000, 0x6000,\n"
                           b"factory, app, factory, , 1M\n"
                           b"romfs, data, 0x8f, , 128K, readonly\n"),
    ]


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_corpus.py path/to/romfs")
    romfs = sys.argv[1]
    images = tool_images(romfs) + hand_images()
    for name, data in images:
        write("fuzz_reader", name, data)
        write("fuzz_inspect", name, data)
    for name, text in MANIFESTS.items():
        write("fuzz_manifest", name, text.encode())
    for name, data in flash_seeds():
        write("fuzz_flash", name, data)
    (HERE / "manifest.dict").write_text(DICT)


if __name__ == "__main__":
    main()
