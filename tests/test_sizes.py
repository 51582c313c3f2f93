"""One size grammar for the packer's --size and CMake's SIZE options: the
same forms accepted with the same byte values, the same forms rejected for
the same reason. One table, checked against `romfs build --size` and
against romfs_add_image(SIZE) and romfs_embed_image(SIZE) in real CMake
configures (the value CMake computed is read back from what it generated:
the packer's argument file and the embedding assembly)."""
import concurrent.futures
import os
import re
import shutil
import unittest

from romfs_testlib.cmake_project import Project
from romfs_testlib.tool import ROMFS, SOURCE_DIR, ScratchTestCase, run

FORM = "must be a byte count such as 131072, 0x20000, 128K or 8M"
TOO_LARGE = "is too large (the most is 4096M)"
ZERO = "must be more than 0"
G = 1 << 30

ACCEPTED = {
    "1": 1,
    "131072": 131072,
    "262144": 262144,
    "08": 8,                                   # decimal: a leading zero is not octal
    "000000000000000000000000000001": 1,       # longer than any 64-bit number, still 1
    "0x40000": 0x40000,
    "0X1f": 0x1F,
    "0xabcDEF": 0xABCDEF,
    "0x0000000000000000000000000000100000000": 4 * G,
    "256K": 256 * 1024,
    "256k": 256 * 1024,
    "0008K": 8 * 1024,
    "8M": 8 << 20,
    "8m": 8 << 20,
    "4096M": 4 * G,
    "4194304K": 4 * G,
    "4294967296": 4 * G,
    "0x100000000": 4 * G,
}

REJECTED = {
    "0": ZERO,
    "0x0": ZERO,
    "0K": ZERO,
    "0000": ZERO,
    "4294967297": TOO_LARGE,
    "0x100000001": TOO_LARGE,
    "4097M": TOO_LARGE,
    "4194305K": TOO_LARGE,
    "99999999999999999999999": TOO_LARGE,      # past 64 bits
    "18446744073709551615": TOO_LARGE,         # the largest 64-bit number
    "9223372036854775807M": TOO_LARGE,         # fits 64 bits, its bytes do not
    "0xffffffffffffffffffff": TOO_LARGE,
    "1G": FORM,
    "1g": FORM,
    "0x10K": FORM,                             # no suffix on hex
    "1.5M": FORM,
    "1KB": FORM,
    "1Km": FORM,
    "K": FORM,
    "": FORM,
    " 1": FORM,
    "1 ": FORM,
    "-1": FORM,
    "+1": FORM,
    "1e3": FORM,
    "0b1": FORM,
    "0x": FORM,
    "0xg": FORM,
    "x10": FORM,
}

MANIFEST = "version: 1\nfiles:\n  - src: a.txt\n"


class PackerSizes(ScratchTestCase):
    """`romfs build --size` against the table."""

    def setUp(self):
        super().setUp()
        self.manifest = self.write("m.yaml", MANIFEST)
        self.write("a.txt", "hi\n")

    def capacity(self, form):
        """The capacity the packer read from --size, from what it says."""
        proc = run("build", self.manifest, "-o", self.path("o.romfs"), "--size", form)
        m = (re.search(r" / (\d+) bytes used", proc.stderr)
             or re.search(r"over --size \((\d+) bytes\)", proc.stderr))
        self.assertIsNotNone(m, f"--size {form!r}: exit {proc.returncode}\n{proc.stderr}")
        return int(m.group(1))

    def check_rejected(self, form, reason):
        proc = run("build", self.manifest, "-o", self.path("o.romfs"), "--size", form)
        self.assertNotEqual(proc.returncode, 0, proc.stderr)
        self.assertIn(f"--size {reason}, not '{form}'", proc.stderr)

    def test_accepted_forms(self):
        for form, value in ACCEPTED.items():
            with self.subTest(form=form):
                self.assertEqual(self.capacity(form), value)

    def test_rejected_forms(self):
        for form, reason in REJECTED.items():
            with self.subTest(form=form):
                self.check_rejected(form, reason)


ACCEPTING_PROJECT = """\
cmake_minimum_required(VERSION 3.20)
project(sizes ASM)
include({romfs}/cmake/Romfs.cmake)
set(i 0)
foreach(size IN LISTS SIZES)
    romfs_add_image(img${{i}} MANIFEST m.yaml SIZE "${{size}}")
    romfs_embed_image(img${{i}} SIZE "${{size}}" MICROPYTHON_PARTITION 0)
    math(EXPR i "${{i}} + 1")
endforeach()
"""

# No language, no compiler checks: each rejected form costs one quick
# configure per function. The form comes in a file, as -D would trim its
# spaces.
REJECTING_PROJECT = """\
cmake_minimum_required(VERSION 3.20)
project(sizes NONE)
include({romfs}/cmake/Romfs.cmake)
file(READ "${{CMAKE_BINARY_DIR}}/size.txt" SIZE)
if(CALL STREQUAL "add")
    romfs_add_image(img MANIFEST m.yaml SIZE "${{SIZE}}")
else()
    romfs_add_image(img MANIFEST m.yaml)
    romfs_embed_image(img SIZE "${{SIZE}}")
endif()
"""


@unittest.skipIf(shutil.which("ninja") is None, "ninja not installed")
class CMakeSizes(ScratchTestCase):
    """romfs_add_image(SIZE) and romfs_embed_image(SIZE) against the table."""

    def project(self, name, text):
        self.write(f"{name}/CMakeLists.txt", text.format(romfs=SOURCE_DIR))
        self.write(f"{name}/m.yaml", MANIFEST)
        return self.path(name)

    def test_accepted_forms(self):
        forms = list(ACCEPTED)
        self.assertFalse([f for f in forms if ";" in f])  # a CMake list holds them
        src = self.project("accept", ACCEPTING_PROJECT)
        build = self.path("accept-build")
        Project(src, build).configure(f"-DROMFS_EXECUTABLE={ROMFS}", "-DSIZES=" + ";".join(forms))
        for i, form in enumerate(forms):
            with self.subTest(form=form):
                with open(os.path.join(build, f"img{i}.romfs.args")) as f:
                    args = f.read().splitlines()
                self.assertEqual(args[args.index("--size") + 1], str(ACCEPTED[form]))
                asm = os.path.join(build, "romfs_embed", f"img{i}_embedded", f"img{i}_romfs.S")
                with open(asm) as f:
                    text = f.read()
                self.assertIn(f".space {ACCEPTED[form]} - ", text)
                self.assertIn(f".set _micropy_hw_romfs_part0_size, {ACCEPTED[form]}\n", text)

    def test_rejected_forms(self):
        src = self.project("reject", REJECTING_PROJECT)
        cases = [(call, form, reason) for form, reason in REJECTED.items()
                 for call in ("add", "embed")]

        def configure(case):
            call, form, reason = case
            build = self.path(f"reject-build-{cases.index(case)}")
            os.makedirs(build)
            with open(os.path.join(build, "size.txt"), "w") as f:
                f.write(form)
            project = Project(src, build)
            try:
                project.configure(f"-DROMFS_EXECUTABLE={ROMFS}", f"-DCALL={call}")
            except AssertionError as e:
                return str(e)
            return None

        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
            outputs = list(pool.map(configure, cases))
        for (call, form, reason), output in zip(cases, outputs):
            with self.subTest(call=call, form=form):
                self.assertIsNotNone(output, "configure succeeded")
                # CMake indents and wraps a message; compare the words.
                words = " ".join(output.split())
                where = "romfs_add_image(img)" if call == "add" else "romfs_embed_image(img)"
                self.assertIn(" ".join(f"{where}: SIZE {reason}, not '{form}'".split()), words)


if __name__ == "__main__":
    unittest.main()
