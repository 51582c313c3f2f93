"""`romfs flash` and `build --flash` end to end (tool/deploy/): every
format's file read back by the independent readers (romfs_testlib/
flash_files.py) and by real tools (objcopy, srec_cat, srec_cmp,
dfu-suffix --check, arm-none-eabi-objcopy, readelf); the partition from an
address, from firmware ELF files that arm-none-eabi-gcc and gcc link here,
from ESP-IDF partition tables and from the manifest; the checks (fit,
alignment, firmware overlap, UF2 pages), each one exact error line;
--merge; deltas (--base) applied to the old image giving exactly the new
one, for hand-made and random edits; `ls` and `verify` of flash files."""
import os
import random
import re
import shutil
import struct
import subprocess
import unittest

from romfs_testlib import flash_files as ff
from romfs_testlib.firmware import ARM_FIRMWARE_C
from romfs_testlib.image_reader import parse
from romfs_testlib.tool import (ASAN_BUILT, SOURCE_DIR, ScratchTestCase, readb, run, run_within,
                                yaml_str)
from romfs_testlib.trees import random_tree, write_tree

EXAMPLE_MANIFEST = os.path.join(SOURCE_DIR, "examples", "cortex-m", "assets.yaml")
FORMATS = ("bin", "hex", "uf2", "dfu", "elf")
ADDRESS = 0x00100000


def have(*names):
    return all(shutil.which(n) for n in names)


def tool_run(*args):
    return subprocess.run(list(map(str, args)), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, timeout=120)


runs_of = ff.read_runs


# MicroPython's ports define the partition symbols in the linker script
# (stm32's common_*.ld: _micropy_hw_romfs_part0_start = ORIGIN(FLASH_ROMFS)).
ARM_LD = """\
ENTRY(Reset_Handler)
MEMORY {
    FLASH (rx) : ORIGIN = 0x08000000, LENGTH = 256K
    FLASH_ROMFS (r) : ORIGIN = @ROMFS@, LENGTH = @SIZE@
    RAM (rwx) : ORIGIN = 0x20000000, LENGTH = 64K
}
SECTIONS {
    .text : { *(.text*) *(.rodata*) @IN_TEXT@ } > FLASH
    .data : { *(.data*) } > RAM AT > FLASH
    .bss : { *(.bss*) } > RAM
    @SECTIONS@
}
_micropy_hw_romfs_part0_start = ORIGIN(FLASH_ROMFS);
@SIZE_SYMBOL@
"""


class FlashCase(ScratchTestCase):
    def example_image(self, name="assets.romfs"):
        out = self.path(name)
        run("build", EXAMPLE_MANIFEST, "-o", out, "-q", "--cache-dir", self.path("cache"),
            check=0)
        return out

    def flash(self, *args, status=0):
        proc = run("flash", *args)
        self.assertEqual(proc.returncode, status, proc.stderr)
        return proc

    def fails(self, args, message, status=1):
        """romfs ARGS exits `status` with exactly one line: romfs: error: MESSAGE."""
        proc = run(*args)
        self.assertEqual((proc.returncode, proc.stderr), (status, f"romfs: error: {message}\n"))

    def firmware(self, name="fw.elf", romfs="0x08040000", size="128K", in_text="",
                 sections="", size_symbol="_micropy_hw_romfs_part0_size = LENGTH(FLASH_ROMFS);",
                 extra=()):
        if not have("arm-none-eabi-gcc"):
            self.skipTest("arm-none-eabi-gcc not installed")
        ld = ARM_LD.replace("@ROMFS@", romfs).replace("@SIZE@", size)
        ld = ld.replace("@IN_TEXT@", in_text).replace("@SECTIONS@", sections)
        ld = ld.replace("@SIZE_SYMBOL@", size_symbol)
        self.write(name + ".ld", ld)
        self.write("fw.c", ARM_FIRMWARE_C)
        out = self.path(name)
        proc = tool_run("arm-none-eabi-gcc", "-mcpu=cortex-m4", "-mthumb", "-nostdlib", "-O1",
                        "-T", self.path(name + ".ld"), self.path("fw.c"), *extra, "-o", out)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        return out

    def pack(self, tree, name, *extra):
        """A canonical image of `tree` (nested dicts) at self.tmp/name."""
        src = self.path(name + ".d")
        shutil.rmtree(src, ignore_errors=True)
        write_tree(src, tree)
        out = self.path(name)
        run("pack-dir", src, "-o", out, "-q", *extra, check=0)
        return out


class RoundTrips(FlashCase):
    """The example image in every format, read back independently."""

    def test_every_format_holds_the_image_at_the_address(self):
        image = self.example_image()
        data = readb(image)
        for fmt in FORMATS:
            with self.subTest(fmt):
                out = self.path(f"assets.{fmt}")
                proc = self.flash(image, "-o", out, "--address", hex(ADDRESS), "--size", "64K")
                self.assertEqual(proc.stderr, f"romfs: {out}: {image} ({len(data)} bytes) at "
                                              f"0x00100000 in the partition (65536 bytes, "
                                              f"{65536 - len(data)} free)\n")
                got = readb(out)
                if fmt == "bin":
                    self.assertEqual(got, data)
                elif fmt == "uf2":
                    self.assertEqual(runs_of(fmt, got), ff.uf2_pages({ADDRESS: data}))
                else:
                    self.assertEqual(runs_of(fmt, got), {ADDRESS: data})

    def test_the_format_from_the_name_or_format(self):
        image = self.example_image()
        out = self.path("image.out")
        self.fails(["flash", image, "-o", out, "--address", "0x100000"],
                   f"cannot tell the format of '{out}' from its name: give --format bin, hex, "
                   f"uf2, dfu or elf", status=2)
        self.flash(image, "-o", out, "--address", "0x100000", "--format", "HEX", "-q")
        self.assertEqual(ff.read_ihex(readb(out)), {ADDRESS: readb(image)})
        proc = run("flash", image, "-o", "-", "--address", "0x100000", "--format", "dfu", "-q")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(ff.read_dfuse(proc.stdout)[0], {ADDRESS: readb(image)})

    def test_dfu_and_uf2_options(self):
        image = self.example_image()
        out = self.path("a.dfu")
        self.flash(image, "-o", out, "--address", "0x08100000", "--dfu-alt", "2",
                   "--dfu-vid-pid", "0483:DF11", "-q")
        runs, info = ff.read_dfuse(readb(out))
        self.assertEqual((info["vid"], info["pid"], info["targets"]), (0x0483, 0xdf11,
                                                                       [(2, "ROMFS")]))
        out = self.path("a.uf2")
        self.flash(image, "-o", out, "--address", "0x10100000", "--uf2-family", "rp2040", "-q")
        self.assertEqual(ff.read_uf2(readb(out))[1]["family"], 0xE48BFF56)

    def test_pad_fills_the_last_erase_block(self):
        image = self.example_image()
        data = readb(image)
        out = self.path("a.bin")
        proc = self.flash(image, "-o", out, "--address", "0x100000", "--pad")
        self.assertEqual(readb(out), data + b"\xff" * (4096 - len(data)))
        self.assertIn(", padded with 0xff to 4096 bytes\n", proc.stderr)
        self.flash(image, "-o", out, "--address", "0x100000", "--pad", "--erase-block", "1K",
                   "-q")
        self.assertEqual(readb(out), data + b"\xff" * (4096 - len(data)))
        self.flash(image, "-o", out, "--address", "0x100000", "--pad", "--erase-block", "64K",
                   "--size", "8K", "-q")  # never past the partition's end
        self.assertEqual(readb(out), data + b"\xff" * (8192 - len(data)))

    def test_same_inputs_same_bytes_and_an_unchanged_file_is_left_alone(self):
        image = self.example_image()
        for fmt in FORMATS:
            with self.subTest(fmt):
                a, b = self.path(f"a.{fmt}"), self.path(f"b.{fmt}")
                self.flash(image, "-o", a, "--address", "0x100000", "-q")
                self.flash(image, "-o", b, "--address", "0x100000", "-q")
                self.assertEqual(readb(a), readb(b))
                os.utime(a, (1_000_000_000, 1_000_000_000))
                proc = self.flash(image, "-o", a, "--address", "0x100000")
                self.assertTrue(proc.stderr.endswith("; unchanged\n"), proc.stderr)
                self.assertEqual(os.stat(a).st_mtime, 1_000_000_000)

    def test_ls_and_verify_read_every_format(self):
        image = self.example_image()
        raw_ls = run("ls", image, check=0).stdout.decode()
        raw_json = run("ls", "--json", image, check=0).stdout.decode()
        size = len(readb(image))
        for fmt in ("hex", "uf2", "dfu", "elf"):
            with self.subTest(fmt):
                out = self.path(f"a.{fmt}")
                self.flash(image, "-o", out, "--address", "0x08100000", "-q")
                where = f"a ROMFS image of {size} bytes at 0x08100000 in this {fmt} file\n"
                self.assertEqual(run("ls", out, check=0).stdout.decode(), where + raw_ls)
                self.assertEqual(run("ls", "-", input=readb(out), check=0).stdout.decode(),
                                 where + raw_ls)
                self.assertEqual(run("ls", "--json", out, check=0).stdout.decode(),
                                 raw_json.replace(f'"size": {size},\n',
                                                  f'"size": {size},\n  "format": "{fmt}",\n'
                                                  f'  "address": {0x08100000},\n', 1))
                verified = run("verify", out, check=0).stdout.decode().splitlines()
                self.assertEqual(verified[0], f"{out}: " + where.rstrip("\n"))
                self.assertTrue(verified[1].startswith(f"{out}: ok: 6 files, 3 directories, "
                                                       f"{size} bytes;"), verified)
                # ... and a flash file can be the image of romfs flash
                again = self.path(f"again-{fmt}.hex")
                self.flash(out, "-o", again, "--address", "0x08200000", "-q")
                self.assertEqual(ff.read_ihex(readb(again)), {0x08200000: readb(image)})

    def test_a_uf2_image_off_a_page_start_is_found_after_the_erased_bytes(self):
        image = self.example_image()
        hexfile = self.write("odd.hex", ff.write_ihex({0x10000010: readb(image)}))
        # A UF2 of it the way a flasher would make one: whole pages, 0xff around.
        pages = ff.uf2_pages(ff.read_ihex(readb(hexfile)))
        blocks = []
        for address, data in sorted(pages.items()):
            for i in range(0, len(data), 256):
                blocks.append((address + i, data[i:i + 256]))
        uf2 = self.write("odd.uf2", b"".join(ff.uf2_block(a, d, n, len(blocks))
                                             for n, (a, d) in enumerate(blocks)))
        self.assertEqual(run("ls", uf2, check=0).stdout.decode().splitlines()[0],
                         f"a ROMFS image of {len(readb(image))} bytes at 0x10000010 in this "
                         f"uf2 file")

    def test_flash_files_without_an_image(self):
        code = self.write("code.hex", ff.write_ihex({0x08000000: b"\x00\x20\x00\x20" * 4}))
        self.fails(["ls", code], f"{code}: no ROMFS image in this hex file: none of its 1 "
                                 f"segment (the first 0x08000000..0x0800000f) starts with d2 cd 31")
        empty = self.write("empty.hex", ":00000001FF\n")
        self.fails(["verify", empty], f"{empty}: a hex file that holds no bytes, so no ROMFS "
                                      f"image")
        image = self.example_image()
        cut = self.write("cut.hex", ff.write_ihex({0x100: readb(image)[:1000]}))
        self.fails(["verify", cut], f"{cut}: at 0x00000100: the ROMFS image says it is "
                                    f"{len(readb(image))} bytes, but the hex file holds 1000 "
                                    f"there (0x00000100..0x000004e7)")
        broken = self.write("broken.hex", ":0400000001020304F1\n")
        proc = run("ls", broken)
        self.assertEqual(proc.returncode, 1)
        self.assertEqual(len(proc.stderr.splitlines()), 1, proc.stderr)
        # A raw image is read as before; text that is not a flash file neither.
        self.fails(["ls", self.write("notes.txt", "hello")],
                   f"{self.path('notes.txt')}: not a ROMFS image (no d2 cd 31 header at offset 0)")


@unittest.skipUnless(have("objcopy", "srec_cat", "srec_cmp", "dfu-suffix", "readelf"),
                     "binutils, srecord or dfu-util not installed")
class RealTools(FlashCase):
    """Real tools read what `romfs flash` writes for the example image."""

    def setUp(self):
        super().setUp()
        self.image = self.example_image()
        self.data = readb(self.image)

    def flash_file(self, fmt, *extra):
        out = self.path(f"assets.{fmt}")
        self.flash(self.image, "-o", out, "--address", "0x08100000", "-q", *extra)
        return out

    def test_objcopy_and_srec_cat_read_the_hex(self):
        hexfile = self.flash_file("hex")
        out = self.path("objcopy.bin")
        proc = tool_run("objcopy", "-I", "ihex", "-O", "binary", hexfile, out)
        self.assertEqual((proc.returncode, proc.stderr), (0, ""))
        self.assertEqual(readb(out), self.data)
        out = self.path("srec.bin")
        proc = tool_run("srec_cat", hexfile, "-Intel", "-offset", "-0x08100000", "-o", out,
                        "-Binary")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(readb(out), self.data)
        ref = self.path("ref.hex")
        proc = tool_run("srec_cat", self.image, "-Binary", "-offset", "0x08100000", "-o", ref,
                        "-Intel")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        proc = tool_run("srec_cmp", hexfile, "-Intel", ref, "-Intel")
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)

    def test_dfu_suffix_checks_the_dfu(self):
        dfu = self.flash_file("dfu", "--dfu-vid-pid", "0483:df11")
        proc = tool_run("dfu-suffix", "--check", dfu)
        self.assertEqual((proc.returncode, proc.stderr), (0, ""))
        fields = dict(re.findall(r"^([A-Za-z ]+):\s+(\S+)$", proc.stdout, re.M))
        self.assertEqual((fields["Vendor ID"], fields["Product ID"], fields["BCD DFU"]),
                         ("0x0483", "0xDF11", "0x011A"))

    def test_objcopy_and_readelf_read_the_elf(self):
        elf = self.flash_file("elf")
        proc = tool_run("readelf", "-lW", elf)
        self.assertEqual((proc.returncode, proc.stderr), (0, ""))
        loads = re.findall(r"^\s+LOAD\s+0x[0-9a-f]+ 0x([0-9a-f]+) 0x([0-9a-f]+) 0x([0-9a-f]+)",
                           proc.stdout, re.M)
        self.assertEqual([tuple(int(x, 16) for x in l) for l in loads],
                         [(0x08100000, 0x08100000, len(self.data))])
        for objcopy in (("objcopy", "-I", "elf32-little"), ("arm-none-eabi-objcopy",)):
            if not have(objcopy[0]):
                continue
            with self.subTest(objcopy[0]):
                out = self.path(f"{objcopy[0]}.bin")
                proc = tool_run(*objcopy, "-O", "binary", elf, out)
                self.assertEqual((proc.returncode, proc.stderr), (0, ""))
                self.assertEqual(readb(out), self.data)


class Checks(FlashCase):
    def test_the_image_must_fit(self):
        image = self.example_image()
        n = len(readb(image))
        self.fails(["flash", image, "-o", self.path("a.hex"), "--address", "0x08100000",
                    "--size", "1K"],
                   f"{image} ({n} bytes) does not fit the partition at 0x08100000 (1024 "
                   f"bytes): {n - 1024} bytes over")
        self.assertFalse(os.path.exists(self.path("a.hex")))

    def test_the_address_must_suit_the_files_alignment(self):
        image = self.example_image()
        self.fails(["flash", image, "-o", self.path("a.hex"), "--address", "0x08100008"],
                   f"{image} needs a partition address that is a multiple of 16 (its files' "
                   f"largest alignment, by the built-in rules (*.tflite: 16)); the partition at "
                   f"0x08100008 is not")
        # Judged by target n6's rules, the image itself is misaligned.
        self.fails(["flash", image, "-o", self.path("a.hex"), "--address", "0x08100000",
                    "--target", "n6"],
                   f"{image}: offset 0x1f0: model.tflite: data at offset 496 is 16-byte aligned, "
                   f"but it needs 32-byte alignment (a .tflite model is read in place by the ML "
                   f"runtime)")
        # A manifest's own rule: labels on 256.
        manifest = self.write("m.yaml", f"version: 1\nimage:\n  align: 4\nrules:\n"
                                        f"  - match: '*.txt'\n    align: 256\nfiles:\n"
                                        f"  - src: {yaml_str(os.path.join(SOURCE_DIR, 'examples', 'assets', 'labels.txt'))}\n")
        image = self.path("m.romfs")
        run("build", manifest, "-o", image, "-q", check=0)
        self.flash(image, "-o", self.path("ok.hex"), "--address", "0x08100080", "-q")
        self.fails(["flash", image, "-o", self.path("b.hex"), "--address", "0x08100080",
                    "--manifest", manifest],
                   f"{image} needs a partition address that is a multiple of 256 (its files' "
                   f"largest alignment, by the manifest {manifest}); the partition at 0x08100080 "
                   f"is not")

    def test_uf2_pages_must_not_reach_outside_the_partition(self):
        image = self.example_image()
        out = self.path("a.uf2")
        self.fails(["flash", image, "-o", out, "--address", "0x10000010"],
                   "the partition at 0x10000010 does not start a 256-byte page, and a UF2 file "
                   "writes whole pages: the bytes before it in its first page would be erased")
        self.fails(["flash", image, "-o", out, "--address", "0x10000000", "--size", "3300"],
                   "the partition (3300 bytes) ends inside a 256-byte page, and a UF2 file "
                   "writes whole pages: the image's last page would erase the 28 bytes after "
                   "the partition")

    def test_an_unsound_image_is_refused(self):
        """A model the image does not align (a manifest rule said so) is
        verify's fault, and flash's: the same line."""
        src = self.path("src")
        write_tree(src, {"a.txt": b"abc", "m.tflite": b"model" * 20})
        manifest = self.write("m.yaml", f"version: 1\nimage:\n  align: 1\nrules:\n"
                                        f"  - match: '*.tflite'\n    align: 1\nfiles:\n"
                                        f"  - src: {yaml_str(src)}\n    dst: .\n")
        bad = self.path("bad.romfs")
        run("build", manifest, "-o", bad, "-q", check=0)
        proc = run("verify", bad)
        self.assertEqual(proc.returncode, 1)
        lines = proc.stderr.splitlines()
        self.assertEqual(len(lines), 1, proc.stderr)
        self.fails(["flash", bad, "-o", self.path("a.hex"), "--address", "0x100000"],
                   lines[0][len("romfs: error: "):])
        self.fails(["flash", self.write("t.txt", "text"), "-o", self.path("a.hex"),
                    "--address", "0"],
                   f"{self.path('t.txt')}: not a ROMFS image (no d2 cd 31 header at offset 0)")

    def test_usage_errors(self):
        image = self.example_image()
        hexfile, binfile, elffile = self.path("a.hex"), self.path("a.bin"), self.path("a.elf")
        cases = [
            ([hexfile], "no partition to write the image to: give --address ADDR, --firmware "
                        "ELF or --partition-table CSV (or a --manifest with "
                        "image.partition.address)"),
            ([hexfile, "--address", "0", "--firmware", "fw.elf"],
             "--address, --firmware and --partition-table each say where the partition is; "
             "give one"),
            ([hexfile, "--firmware", "fw.elf", "--partition-table", "p.csv"],
             "--address, --firmware and --partition-table each say where the partition is; "
             "give one"),
            ([hexfile, "--address", "0", "--partition", "1"],
             "--partition picks a partition of --firmware or --partition-table; give one"),
            ([hexfile, "--firmware", "fw.elf", "--size", "1K"],
             "--size goes with --address or the manifest's partition (the firmware and the "
             "partition table give their own sizes)"),
            ([hexfile, "--firmware", "fw.elf", "--partition", "x"],
             "--partition must be a partition number of the firmware (0, 1, ...), not 'x'"),
            ([hexfile, "--address", "0x1G"], "--address must be an address such as 0x08100000, "
                                             "not '0x1G'"),
            ([hexfile, "--address", "0", "--size", "0"], "--size must be more than 0, not '0'"),
            ([hexfile, "--address", "0", "--erase-block", "3000"],
             "--erase-block must be a power of two, not '3000'"),
            ([hexfile, "--address", "0", "--format", "srec"],
             "--format must be bin, hex, uf2, dfu or elf, not 'srec'"),
            ([binfile, "--address", "0", "--base", image],
             "--base writes a delta, which a bin cannot hold (it has no addresses): write hex, "
             "uf2, dfu or elf"),
            ([hexfile, "--address", "0", "--base", image, "--pad"],
             "--pad and --base: a delta's erase blocks are whole already"),
            ([hexfile, "--address", "0", "--base", image, "--merge", "fw.hex"],
             "--merge and --base: a delta holds the image's changed blocks alone"),
            ([elffile, "--address", "0", "--merge", "fw.hex"],
             "--merge writes hex, uf2 or dfu, not elf"),
            ([hexfile, "--address", "0", "--uf2-family", "rp2040"],
             "--uf2-family is for a uf2 file, and none is written"),
            ([hexfile, "--address", "0", "--dfu-alt", "1"],
             "--dfu-alt is for a dfu file, and none is written"),
            ([self.path("a.dfu"), "--address", "0", "--dfu-alt", "256"],
             "--dfu-alt must be an alternate setting from 0 to 255, not '256'"),
            ([self.path("a.dfu"), "--address", "0", "--dfu-vid-pid", "0483"],
             "--dfu-vid-pid must be two hex USB IDs such as 0483:df11, not '0483'"),
            ([self.path("a.dfu"), "--address", "0", "--dfu-vid-pid", "10000:1"],
             "--dfu-vid-pid must be two hex USB IDs such as 0483:df11, not '10000:1'"),
            ([self.path("a.uf2"), "--address", "0", "--uf2-family", "rp2060"],
             "--uf2-family: unknown UF2 family 'rp2060' (known: rp2040, rp2350-arm-s, rp2350, "
             "rp2350-arm-ns, rp2350-riscv, rp2xxx-absolute, rp2xxx-data, samd21, samd51, "
             "saml21, stm32f4, stm32f7, stm32h7, stm32l4, stm32wb, esp32s2, esp32s3, "
             "nrf52840, nrf52833, mimxrt10xx; or a family ID such as 0xe48bff56)"),
        ]
        before = self.names()
        for args, message in cases:
            with self.subTest(args=args):
                self.fails(["flash", image, "-o", *args], message, status=2)
        self.assertEqual(self.names(), before)


@unittest.skipUnless(have("arm-none-eabi-gcc", "readelf"), "arm-none-eabi-gcc not installed")
class Firmware(FlashCase):
    """The partition from a firmware ELF's symbols, and the checks against
    what the firmware loads."""

    def test_the_partition_symbols_place_the_image(self):
        image = self.example_image()
        fw = self.firmware()
        n = len(readb(image))
        for fmt in ("hex", "uf2", "dfu", "elf"):
            with self.subTest(fmt):
                out = self.path(f"a.{fmt}")
                proc = self.flash(image, "-o", out, "--firmware", fw)
                self.assertEqual(proc.stderr, f"romfs: {out}: {image} ({n} bytes) at 0x08040000 "
                                              f"in partition 0 of {fw} (131072 bytes, "
                                              f"{131072 - n} free)\n")
                want = {0x08040000: readb(image)}
                self.assertEqual(runs_of(fmt, readb(out)),
                                 ff.uf2_pages(want) if fmt == "uf2" else want)
        _, info = ff.read_elf(readb(self.path("a.elf")))
        self.assertEqual((info["machine"], info["class"], info["endian"]), (40, 32, "<"))

    def test_a_firmware_without_the_symbols(self):
        image = self.example_image()
        fw = self.firmware()
        stripped = self.path("stripped.elf")
        self.assertEqual(tool_run("arm-none-eabi-strip", "-o", stripped, fw).returncode, 0)
        self.fails(["flash", image, "-o", self.path("a.hex"), "--firmware", stripped],
                   f"{stripped}: no symbol _micropy_hw_romfs_part0_start, so no ROMFS partition "
                   f"0; it has no symbol naming romfs at all (stripped? give the ELF the "
                   f"firmware was linked as)")
        self.fails(["flash", image, "-o", self.path("a.hex"), "--firmware", fw, "--partition",
                    "1"],
                   f"{fw}: no symbol _micropy_hw_romfs_part1_start, so no ROMFS partition 1; the "
                   f"ROMFS symbols it has: _micropy_hw_romfs_part0_start, "
                   f"_micropy_hw_romfs_part0_size")
        no_size = self.firmware("nosize.elf", size_symbol="")
        self.fails(["flash", image, "-o", self.path("a.hex"), "--firmware", no_size],
                   f"{no_size}: no symbol _micropy_hw_romfs_part0_size, so no ROMFS partition 0; "
                   f"the ROMFS symbols it has: _micropy_hw_romfs_part0_start")
        in_section = self.firmware("insection.elf", size_symbol="",
                                   in_text="_micropy_hw_romfs_part0_size = .;")
        symbols = tool_run("readelf", "-sW", in_section).stdout
        value = int(re.search(r"([0-9a-f]{8}) +0 NOTYPE +GLOBAL +DEFAULT +\d+ "
                              r"_micropy_hw_romfs_part0_size$", symbols, re.M).group(1), 16)
        self.fails(["flash", image, "-o", self.path("a.hex"), "--firmware", in_section],
                   f"{in_section}: _micropy_hw_romfs_part0_size is not an absolute symbol (it is "
                   f"0x{value:08x}, an address in a section), so it is not partition 0's size")

    def test_a_partition_over_the_firmware(self):
        image = self.example_image()
        fw = self.firmware("overlap.elf", romfs="0x08000000", size="64K")
        phdrs = [p for p in ff.read_elf(readb(fw))[1]["phdrs"] if p["type"] == 1 and p["filesz"]]
        first = phdrs[0]
        end = first["paddr"] + first["filesz"] - 1
        self.assertEqual(first["paddr"], 0x08000000)
        self.fails(["flash", image, "-o", self.path("a.hex"), "--firmware", fw],
                   f"partition 0 of {fw} (0x08000000..0x0800ffff) overlaps the firmware's "
                   f"loadable segment 0 (0x08000000..0x{end:08x}, R-X) at "
                   f"0x08000000..0x{end:08x}")

    def test_a_partition_too_small_for_the_image(self):
        image = self.example_image()
        n = len(readb(image))
        fw = self.firmware("small.elf", size="1K")
        self.fails(["flash", image, "-o", self.path("a.hex"), "--firmware", fw],
                   f"{image} ({n} bytes) does not fit partition 0 of {fw} at 0x08040000 (1024 "
                   f"bytes): {n - 1024} bytes over")

    def test_a_firmware_that_carries_an_image_in_its_partition(self):
        """romfs_embed_image's firmware: the image it links is a loadable
        segment at the partition's start, which the new image replaces."""
        old = self.pack({"a.txt": b"old\n"}, "old.romfs")
        image = self.example_image()
        asm = self.write("img.S", f'.section .romfs,"a"\n.incbin "{old}"\n')
        fw = self.firmware("embeds.elf", sections=".romfs : { KEEP(*(.romfs)) } > FLASH_ROMFS",
                           extra=(asm,))
        index = [i for i, p in enumerate(ff.read_elf(readb(fw))[1]["phdrs"])
                 if p["paddr"] == 0x08040000 and p["filesz"]]
        self.assertEqual(len(index), 1)
        out = self.path("a.hex")
        proc = self.flash(image, "-o", out, "--firmware", fw)
        self.assertEqual(proc.stderr.splitlines()[0],
                         f"romfs: {fw}: its loadable segment {index[0]} holds a ROMFS image at 0x08040000 "
                         f"(the firmware embeds one); {out} holds the image to write over it")
        self.assertEqual(ff.read_ihex(readb(out)), {0x08040000: readb(image)})

    @unittest.skipUnless(have("gcc"), "gcc not installed")
    def test_the_elf_takes_the_firmwares_machine_class_and_byte_order(self):
        image = self.example_image()
        host = self.path("host.elf")
        self.write("host.c", "int main(void) { return 0; }\n")
        proc = tool_run("gcc", self.path("host.c"), "-o", host,
                        "-Wl,--defsym=_micropy_hw_romfs_part0_start=0x7f0000100000",
                        "-Wl,--defsym=_micropy_hw_romfs_part0_size=0x10000")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        out = self.path("a.elf")
        self.flash(image, "-o", out, "--firmware", host, "-q")
        runs, info = ff.read_elf(readb(out))
        self.assertEqual(runs, {0x7f0000100000: readb(image)})
        self.assertEqual((info["class"], info["machine"]), (64, 62))
        be = self.firmware("be.elf", extra=("-mbig-endian",))
        self.flash(image, "-o", out, "--firmware", be, "-q")
        runs, info = ff.read_elf(readb(out))
        self.assertEqual((info["class"], info["machine"], info["endian"]), (32, 40, ">"))
        self.assertEqual(runs, {0x08040000: readb(image)})


ESP_TABLE = """\
# Name,   Type, SubType, Offset,  Size, Flags
nvs,      data, nvs,     ,        0x6000,
phy_init, data, phy,     ,        0x1000,
factory,  app,  factory, ,        1M,
vfs,      data, fat,     ,        64K,
romfs,    data, 0x8f,    ,        256K,
"""


class PartitionTables(FlashCase):
    def test_blank_offsets_are_computed_as_esp_idf_does(self):
        image = self.example_image()
        n = len(readb(image))
        csv = self.write("partitions.csv", ESP_TABLE)
        out = self.path("a.hex")
        proc = self.flash(image, "-o", out, "--partition-table", csv)
        # 0x9000 after the table: nvs 0x9000, phy 0xf000, factory on 64K:
        # 0x10000..0x110000, vfs 0x110000..0x120000, romfs 0x120000.
        self.assertEqual(proc.stderr, f"romfs: {out}: {image} ({n} bytes) at 0x00120000 in "
                                      f"partition 'romfs' of {csv} (262144 bytes, "
                                      f"{262144 - n} free)\n")
        self.assertEqual(ff.read_ihex(readb(out)), {0x120000: readb(image)})
        self.flash(image, "-o", out, "--partition-table", csv, "--partition", "vfs", "-q")
        self.assertEqual(ff.read_ihex(readb(out)), {0x110000: readb(image)})

    def test_a_table_without_a_romfs_partition(self):
        image = self.example_image()
        csv = self.write("p.csv", "\n".join(ESP_TABLE.splitlines()[:-1]) + "\n")
        self.fails(["flash", image, "-o", self.path("a.hex"), "--partition-table", csv],
                   f"{csv}: no ROMFS partition (type data, subtype 0x8f) among nvs (line 2), "
                   f"phy_init (line 3), factory (line 4), vfs (line 5)")
        self.fails(["flash", image, "-o", self.path("a.hex"), "--partition-table", csv,
                    "--partition", "romfs"],
                   f"{csv}: no partition named 'romfs' (it has nvs (line 2), phy_init (line 3), "
                   f"factory (line 4), vfs (line 5))")
        two = self.write("two.csv", ESP_TABLE + "romfs2, data, 0x8f, , 64K\n")
        self.fails(["flash", image, "-o", self.path("a.hex"), "--partition-table", two],
                   f"{two}: 2 ROMFS partitions (type data, subtype 0x8f): romfs (line 6), "
                   f"romfs2 (line 7); name the one to use")
        self.flash(image, "-o", self.path("b.hex"), "--partition-table", two, "--partition",
                   "romfs2", "-q")
        self.assertEqual(list(ff.read_ihex(readb(self.path("b.hex")))), [0x160000])
        small = self.write("small.csv", ESP_TABLE.replace("256K", "1K"))
        self.fails(["flash", image, "-o", self.path("a.hex"), "--partition-table", small],
                   f"{image} ({len(readb(image))} bytes) does not fit partition 'romfs' of "
                   f"{small} at 0x00120000 (1024 bytes): {len(readb(image)) - 1024} bytes over")


class Merge(FlashCase):
    CODE = bytes(range(256)) * 3

    def test_firmware_and_image_in_one_file(self):
        image = self.example_image()
        data = readb(image)
        fw_hex = self.write("fw.hex", ff.write_ihex({0x08000000: self.CODE}))
        fw_bin = self.write("fw.bin", self.CODE)
        want = {0x08000000: self.CODE, 0x08040000: data}
        for fw in (fw_hex, fw_bin + "@0x08000000"):
            for fmt in ("hex", "uf2", "dfu"):
                with self.subTest(fw=os.path.basename(fw), fmt=fmt):
                    out = self.path(f"m-{os.path.basename(fw)}.{fmt}")
                    proc = self.flash(image, "-o", out, "--address", "0x08040000", "--size",
                                      "64K", "--merge", fw)
                    self.assertTrue(proc.stderr.endswith(f", with {len(self.CODE)} bytes of "
                                                         f"firmware\n"), proc.stderr)
                    self.assertEqual(runs_of(fmt, readb(out)),
                                     ff.uf2_pages(want) if fmt == "uf2" else want)
                    # ls finds the image among the firmware's bytes
                    self.assertEqual(run("ls", out, check=0).stdout.decode().splitlines()[0],
                                     f"a ROMFS image of {len(data)} bytes at 0x08040000 in "
                                     f"this {fmt} file")

    @unittest.skipUnless(have("arm-none-eabi-gcc"), "arm-none-eabi-gcc not installed")
    def test_the_firmware_elf_itself(self):
        image = self.example_image()
        fw = self.firmware()
        out = self.path("m.hex")
        self.flash(image, "-o", out, "--firmware", fw, "--merge", fw, "-q")
        want = dict(ff.read_elf(readb(fw))[0])
        want[0x08040000] = readb(image)
        self.assertEqual(ff.read_ihex(readb(out)), ff.merge(want.items()))

    def test_the_firmware_must_leave_the_partition_alone(self):
        image = self.example_image()
        fw = self.write("fw.hex", ff.write_ihex({0x08000000: self.CODE,
                                                 0x08040100: b"\x01" * 16}))
        self.fails(["flash", image, "-o", self.path("m.hex"), "--address", "0x08040000",
                    "--size", "64K", "--merge", fw],
                   f"{fw}: the firmware has bytes at 0x08040100..0x0804010f, in the partition "
                   f"(0x08040000..0x0804ffff), where the image goes")
        n = len(readb(image))
        self.fails(["flash", image, "-o", self.path("m.hex"), "--address", "0x08040000",
                    "--merge", fw],
                   f"{fw}: the firmware has bytes at 0x08040100..0x0804010f, in the partition "
                   f"(0x08040000..0x{0x08040000 + n - 1:08x}), where the image goes")
        raw = self.write("fw.bin", self.CODE)
        self.fails(["flash", image, "-o", self.path("m.hex"), "--address", "0x08040000",
                    "--merge", raw],
                   f"{raw}: not an Intel HEX, ELF, UF2 or DfuSe file; give raw bytes with their "
                   f"address, as {raw}@0x08000000")


def apply_delta(device, base_address, runs):
    """Writes each run into `device` (a bytearray of flash from
    base_address), as a flasher does."""
    for address, data in runs.items():
        at = address - base_address
        assert 0 <= at and at + len(data) <= len(device), hex(address)
        device[at:at + len(data)] = data


def changed_blocks(old, new, block):
    """The block numbers a delta must write, by the rule: a block changed
    when a byte of the new image in it differs or lies past the old's end."""
    out = []
    for k in range((len(new) + block - 1) // block):
        chunk = new[k * block:(k + 1) * block]
        if old[k * block:k * block + len(chunk)] != chunk:
            out.append(k)
    return out


class Deltas(FlashCase):
    """--base: only the erase blocks that changed, whole. Applied to a
    device holding the old image (and garbage after it), every delta gives
    exactly the new image."""

    PART = 0x08100000
    SIZE = 512 * 1024

    def delta(self, new, old, fmt="hex", block=4096, status=0, extra=()):
        out = self.path(f"delta.{fmt}")
        if os.path.exists(out):
            os.remove(out)
        proc = run("flash", new, "-o", out, "--address", hex(self.PART), "--size",
                   str(self.SIZE), "--base", old, "--erase-block", str(block), *extra)
        self.assertEqual(proc.returncode, status, proc.stderr)
        return out, proc.stderr

    def check(self, new, old, fmt, block):
        """The delta of `fmt` is exactly the changed blocks, whole, and
        applying it gives the new image."""
        out, stderr = self.delta(new, old, fmt, block)
        new_b, old_b = readb(new), readb(old)
        blocks = changed_blocks(old_b, new_b, block)
        total = (len(new_b) + block - 1) // block
        if not blocks:
            self.assertFalse(os.path.exists(out))
            self.assertEqual(stderr, f"romfs: warning: {out}: 0 of {total} erase blocks "
                                     f"({block} bytes each) changed against {old}: nothing to "
                                     f"write, so no file\n")
            return 0
        self.assertEqual(stderr, f"romfs: {out}: {new} against {old}: {len(blocks)} of {total} "
                                 f"erase blocks ({block} bytes each) changed: "
                                 f"{len(blocks) * block} bytes to write\n")
        runs = runs_of(fmt, readb(out))
        # Every run is whole blocks, and they are exactly the changed ones.
        written = []
        for address, data in runs.items():
            self.assertEqual((address - self.PART) % block, 0)
            self.assertEqual(len(data) % block, 0)
            written += range((address - self.PART) // block,
                             (address - self.PART + len(data)) // block)
        self.assertEqual(sorted(written), blocks)
        rng = random.Random(len(old_b))
        device = bytearray(old_b + bytes(rng.getrandbits(8) for _ in range(self.SIZE -
                                                                          len(old_b))))
        apply_delta(device, self.PART, runs)
        self.assertEqual(bytes(device[:len(new_b)]), new_b)
        end = len(new_b) % block
        if end and (len(new_b) // block) in blocks:  # the last block: 0xff past the image
            self.assertEqual(bytes(device[len(new_b):len(new_b) + block - end]),
                             b"\xff" * (block - end))
        return len(blocks)

    def test_hand_made_edits(self):
        rng = random.Random(5)
        files = {f"f{i:02}.bin": rng.randbytes(3000) for i in range(20)}
        old = self.pack(files, "old.romfs")
        same_size = dict(files, **{"f07.bin": files["f07.bin"][:100] + b"X" +
                                   files["f07.bin"][101:]})
        grown = dict(files, **{"f19.bin": files["f19.bin"] + rng.randbytes(9000)})
        shrunk = {k: v for k, v in files.items() if k != "f19.bin"}
        # check() holds the tool to changed_blocks(); these say what that is.
        cases = {"same-size": (same_size, {1}), "grown": (grown, range(3, 6)),
                 "shrunk": (shrunk, {1}), "identical": (files, {0})}
        for name, (tree, n_changed) in cases.items():
            new = self.pack(tree, f"{name}.romfs")
            for fmt in ("hex", "uf2", "dfu", "elf"):
                with self.subTest(name, fmt=fmt):
                    self.assertIn(self.check(new, old, fmt, 4096), n_changed)

    def test_identical_images_remove_an_old_delta(self):
        old = self.pack({"a": b"1" * 5000}, "old.romfs")
        stale = self.write("delta.hex", "stale\n")
        proc = run("flash", old, "-o", stale, "--address", hex(self.PART), "--base", old)
        self.assertEqual((proc.returncode, proc.stderr),
                         (0, f"romfs: warning: {stale}: 0 of 2 erase blocks (4096 bytes each) "
                             f"changed against {old}: nothing to write, so no file (the old one "
                             f"removed)\n"))
        self.assertFalse(os.path.exists(stale))

    def test_random_trees_and_edits(self):
        for seed in range(12):
            rng = random.Random(seed)
            tree = random_tree(seed, n_files=30, max_size=6000, utf8=False)
            old = self.pack(tree, f"old{seed}.romfs")
            flat = [(d, k) for d, k in self.files_in(tree)]
            for _ in range(rng.randint(1, 4)):
                parent, key = rng.choice(flat)
                kind = rng.random()
                if kind < 0.5:
                    data = bytearray(parent[key])
                    for _ in range(rng.randint(1, 5)):
                        if data:
                            data[rng.randrange(len(data))] ^= 1 + rng.randrange(255)
                    parent[key] = bytes(data)
                elif kind < 0.8:
                    parent[key] = parent[key] + rng.randbytes(rng.randint(1, 3000))
                else:
                    parent[key] = parent[key][:rng.randint(0, len(parent[key]))]
            if rng.random() < 0.5:  # the block-keeping layout against the old image
                new = self.path(f"new{seed}.romfs")
                src = self.path(f"new{seed}.romfs.d")
                write_tree(src, tree)
                manifest = self.write(f"m{seed}.yaml", f"version: 1\nimage:\n  align: 4\n"
                                                       f"files:\n  - src: {yaml_str(src)}\n"
                                                       f"    dst: .\n")
                run("build", manifest, "-o", new, "--base", old, "-q", check=0)
                keep = True
            else:
                new = self.pack(tree, f"new{seed}.romfs")
                keep = False
            block = rng.choice((256, 1024, 4096))
            fmt = ("hex", "uf2", "dfu", "elf")[seed % 4]
            with self.subTest(seed=seed, fmt=fmt, block=block, keep=keep):
                self.check(new, old, fmt, block)

    @staticmethod
    def files_in(tree):
        for name, value in tree.items():
            if isinstance(value, dict):
                yield from Deltas.files_in(value)
            else:
                yield tree, name

    def test_the_base_may_be_a_flash_file_at_the_partition(self):
        old = self.pack({"a": b"1" * 5000, "b": b"2" * 5000}, "old.romfs")
        new = self.pack({"a": b"1" * 5000, "b": b"3" * 5000}, "new.romfs")
        old_hex = self.path("old.hex")
        self.flash(old, "-o", old_hex, "--address", hex(self.PART), "-q")
        out, _ = self.delta(new, old_hex)
        runs = ff.read_ihex(readb(out))
        device = bytearray(readb(old) + b"\0" * 8192)
        apply_delta(device, self.PART, runs)
        self.assertEqual(bytes(device[:len(readb(new))]), readb(new))
        elsewhere = self.path("elsewhere.hex")
        self.flash(old, "-o", elsewhere, "--address", "0x08200000", "-q")
        self.fails(["flash", new, "-o", self.path("d.hex"), "--address", hex(self.PART),
                    "--base", elsewhere],
                   f"{elsewhere}: its image sits at 0x08200000, but the partition is at "
                   f"0x08100000: a delta against it would write the wrong blocks")

    def test_the_partition_must_start_an_erase_block(self):
        old = self.pack({"a": b"1" * 5000}, "old.romfs")
        new = self.pack({"a": b"2" * 5000}, "new.romfs")
        self.fails(["flash", new, "-o", self.path("d.hex"), "--address", "0x08100800",
                    "--base", old],
                   "the partition at 0x08100800 does not start on an erase block boundary (4096 "
                   "bytes): a delta's blocks would not be the flash's")
        self.fails(["flash", new, "-o", self.path("d.uf2"), "--address", "0x08100000",
                    "--base", old, "--erase-block", "128"],
                   "an erase block of 128 bytes is smaller than the 256-byte pages a UF2 file "
                   "writes: give --erase-block 256 or more")

    def test_the_last_block_stops_at_the_partitions_end(self):
        old = self.pack({"a": b"1" * 5000}, "old.romfs")
        new = self.pack({"a": b"2" * 5000}, "new.romfs")
        n = len(readb(new))
        out = self.path("d.hex")
        self.flash(new, "-o", out, "--address", hex(self.PART), "--size", str(n + 2), "--base",
                   old, "-q")
        runs = ff.read_ihex(readb(out))
        self.assertEqual(runs, {self.PART: readb(new) + b"\xff" * 2})

    def test_the_manifest_gives_partition_and_erase_block(self):
        src = self.path("src")
        write_tree(src, {"a.bin": b"1" * 3000, "b.bin": b"2" * 3000})
        manifest = self.write("m.yaml", f"version: 1\nimage:\n  align: 4\n  partition:\n"
                                        f"    address: 0x08100000\n    size: 64K\n"
                                        f"    erase_block: 1K\n"
                                        f"files:\n  - src: {yaml_str(src)}\n    dst: .\n")
        old = self.path("old.romfs")
        run("build", manifest, "-o", old, "-q", check=0)
        write_tree(src, {"b.bin": b"3" * 3000})
        new = self.path("new.romfs")
        run("build", manifest, "-o", new, "-q", check=0)
        out = self.path("d.dfu")
        proc = self.flash(new, "-o", out, "--manifest", manifest, "--base", old)
        blocks = changed_blocks(readb(old), readb(new), 1024)
        self.assertEqual(proc.stderr, f"romfs: {out}: {new} against {old}: {len(blocks)} of "
                                      f"{(len(readb(new)) + 1023) // 1024} erase blocks (1024 "
                                      f"bytes each) changed: {len(blocks) * 1024} bytes to "
                                      f"write\n")
        device = bytearray(readb(old) + b"\0" * 4096)
        apply_delta(device, 0x08100000, ff.read_dfuse(readb(out))[0])
        self.assertEqual(bytes(device[:len(readb(new))]), readb(new))


class BuildFlash(FlashCase):
    def manifest(self, partition=True):
        src = self.path("src")
        if not os.path.isdir(src):
            write_tree(src, {"model.tflite": bytes(range(256)) * 8, "labels.txt": b"cat\ndog\n"})
        part = ("  partition:\n    address: 0x10100000\n    size: 64K\n" if partition else "")
        return self.write("m.yaml", f"version: 1\nimage:\n  align: 4\n{part}files:\n"
                                    f"  - src: {yaml_str(src)}\n    dst: .\n")

    def test_flash_files_beside_the_image(self):
        manifest = self.manifest()
        image = self.path("a.romfs")
        outs = [self.path(f"a.{fmt}") for fmt in FORMATS]
        args = [x for o in outs for x in ("--flash", o)]
        proc = run("build", manifest, "-o", image, *args, "--uf2-family", "rp2040")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        data = readb(image)
        for fmt, out in zip(FORMATS, outs):
            with self.subTest(fmt):
                self.assertIn(f"romfs: {out}: {image} ({len(data)} bytes) at 0x10100000 in "
                              f"image.partition of {manifest} (65536 bytes, {65536 - len(data)} "
                              f"free)\n", proc.stderr)
                if fmt == "bin":
                    self.assertEqual(readb(out), data)
                    continue
                want = {0x10100000: data}
                self.assertEqual(runs_of(fmt, readb(out)),
                                 ff.uf2_pages(want) if fmt == "uf2" else want)
        # Same as romfs flash writes, byte for byte.
        for fmt, out in zip(FORMATS, outs):
            again = self.path(f"again.{fmt}")
            run("flash", image, "-o", again, "--address", "0x10100000", "--size", "64K", "-q",
                *(("--uf2-family", "rp2040") if fmt == "uf2" else ()), check=0)
            self.assertEqual(readb(again), readb(out), fmt)
        # A build that changes nothing leaves them alone.
        for out in outs:
            os.utime(out, (1_000_000_000, 1_000_000_000))
        run("build", manifest, "-o", image, *args, "--uf2-family", "rp2040", "-q", check=0)
        for out in outs:
            self.assertEqual(os.stat(out).st_mtime, 1_000_000_000, out)

    def test_the_command_line_gives_the_partition(self):
        manifest = self.manifest(partition=False)
        image = self.path("a.romfs")
        out = self.path("a.hex")
        self.fails(["build", manifest, "-o", image, "--flash", out],
                   "--flash needs the partition's address: give image.partition.address in the "
                   "manifest, or --address ADDR, --firmware ELF or --partition-table CSV",
                   status=2)
        self.assertFalse(os.path.exists(image))
        proc = run("build", manifest, "-o", image, "--flash", out, "--address", "0x08000000",
                   "--size", "2K")
        self.assertEqual(proc.returncode, 1)
        proc = run("build", manifest, "-o", image, "--flash", out, "--address", "0x08000000",
                   "-q")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(ff.read_ihex(readb(out)), {0x08000000: readb(image)})
        self.fails(["build", manifest, "-o", image, "--flash", out, "--address", "0x08000008"],
                   f"{image} needs a partition address that is a multiple of 16 (its files' "
                   f"largest alignment, by the build); the partition at 0x08000008 is not")

    def test_a_partition_that_cannot_be_found_builds_nothing(self):
        manifest = self.manifest(partition=False)
        image = self.path("a.romfs")
        csv = self.write("p.csv", "nvs, data, nvs, , 0x6000\n")
        self.fails(["build", manifest, "-o", image, "--flash", self.path("a.hex"),
                    "--partition-table", csv],
                   f"{csv}: no ROMFS partition (type data, subtype 0x8f) among nvs (line 1)")
        self.assertFalse(os.path.exists(image))

    def test_usage(self):
        manifest = self.manifest()
        image = self.path("a.romfs")
        self.fails(["build", manifest, "-o", image, "--address", "0"],
                   "--address is for --flash FILE, and none is asked for", status=2)
        self.fails(["build", manifest, "-o", image, "--flash", self.path("a.txt")],
                   f"--flash {self.path('a.txt')}: cannot tell its format from its name (.bin, "
                   f".hex, .uf2, .dfu or .elf)", status=2)
        self.fails(["build", manifest, "-o", "-", "--flash", self.path("a.hex")],
                   "--flash reads the image back from its file: give -o IMAGE, not -", status=2)
        self.fails(["build", manifest, "-o", image, "--flash", self.path("a.hex"),
                    "--uf2-family", "rp2040"],
                   "--uf2-family is for a uf2 file, and none is written", status=2)
        self.assertFalse(os.path.exists(image))


@unittest.skipIf(ASAN_BUILT, "AddressSanitizer reserves terabytes: no address-space limit fits")
class Streaming(FlashCase):
    """romfs flash holds the image once, whatever the format: a 48 MiB
    image in 88 MiB of address space (the image, libraries, and buffers
    that do not grow with it)."""

    def test_memory_holds_the_image_once(self):
        src = self.path("big")
        os.makedirs(src)
        with open(os.path.join(src, "blob.bin"), "wb") as f:
            f.write(random.Random(1).randbytes(1 << 20) * 48)
        image = self.path("big.romfs")
        run("pack-dir", src, "-o", image, "-q", check=0)
        old = self.path("old.romfs")
        with open(image, "rb") as f, open(old, "wb") as g:
            data = bytearray(f.read())
            data[30 << 20] ^= 1
            g.write(data)
        for fmt in ("bin", "hex", "uf2", "dfu", "elf"):
            with self.subTest(fmt):
                proc = run_within("flash", image, "-o", self.path(f"big.{fmt}"), "--address",
                                  "0x10000000", "-q", cpu_seconds=20, mem_mib=88)
                self.assertEqual(proc.returncode, 0, proc.stderr)
        # A delta holds the new image (and reads the old one) once each.
        proc = run_within("flash", image, "-o", self.path("delta.hex"), "--address",
                          "0x10000000", "--base", old, "-q", cpu_seconds=20, mem_mib=136)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(list(ff.read_ihex(readb(self.path("delta.hex")))), [0x10000000 +
                                                                            (30 << 20)])


if __name__ == "__main__":
    unittest.main()
