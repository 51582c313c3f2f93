"""tool/flash/, the flash-file formats, through tests/unit/flash_tool.c:
every writer's output read back by independent readers written from the
specifications (romfs_testlib/flash_files.py) and by the real tools
(objcopy, srec_cat/srec_info/srec_cmp, dfu-suffix, readelf,
arm-none-eabi-objcopy, QEMU's generic loader), the C readers on what the
C writers and the Python writers made, and hostile inputs, each of which
must give exactly one error line."""
import os
import random
import re
import resource
import shutil
import struct
import subprocess
import time
import unittest

from romfs_testlib import flash_files as ff
from romfs_testlib.firmware import ARM_FIRMWARE_C
from romfs_testlib.tool import BINARY_DIR, ScratchTestCase, readb

TOOL = os.environ.get("ROMFS_FLASH_TOOL") or os.path.join(BINARY_DIR, "tests", "flash_tool")
FORMATS = ("bin", "hex", "uf2", "dfu", "elf")


def _asan_built():
    try:
        with open(TOOL, "rb") as f:
            return b"__asan_init" in f.read()
    except OSError:
        return False


ASAN_BUILT = _asan_built()


def have(*names):
    return all(shutil.which(n) for n in names)


def tool(*args, check=None, stdout=subprocess.PIPE):
    proc = subprocess.run([TOOL, *map(str, args)], stdout=stdout, stderr=subprocess.PIPE,
                          text=True, timeout=300)
    if check is not None and proc.returncode != check:
        raise AssertionError(f"flash_tool {' '.join(map(str, args))}: exit {proc.returncode}, "
                             f"wanted {check}\nstderr:\n{proc.stderr}")
    return proc


def parse_read(stdout):
    """flash_tool read's output -> (info, runs)."""
    info, runs = {}, {}
    for line in stdout.splitlines():
        if line.startswith("# "):
            key, _, value = line[2:].partition(" ")
            info[key] = value
        else:
            address, size, data = (line.split(" ") + [""])[:3]
            runs[int(address, 16)] = bytes.fromhex(data)
            assert len(runs[int(address, 16)]) == int(size)
    return info, runs


pages = ff.uf2_pages
flat = ff.flat


def random_maps():
    """(name, [(address, bytes)]) test maps, the same on every run."""
    rng = random.Random(0x5EED)

    def blob(n):
        return bytes(rng.getrandbits(8) for _ in range(n))

    maps = [("empty", [])]
    for i in range(3):
        size = rng.randrange(1, 5000)
        maps.append((f"one-{i}", [(rng.randrange(0, (1 << 32) - size), blob(size))]))
    for i in range(3):
        segs, at = [], rng.randrange(0, 1 << 28)
        for _ in range(rng.randrange(3, 7)):
            size = rng.randrange(1, 3000)
            segs.append((at, blob(size)))
            at += size + rng.randrange(1, 70000)
        maps.append((f"gaps-{i}", segs))
    maps.append(("across-64k", [(0x0801FFF3, blob(0x10031)), (0x0803FFFF, blob(2))]))
    maps.append(("top-of-4g", [(0xFFFFFF00 - 37, blob(37 + 256))]))
    maps.append(("touching", [(0x10000000, blob(100)), (0x10000064, blob(9)),
                              (0x10000100, blob(256))]))
    maps.append(("odd-sizes", [(0x20000000 + 0x1000 * i, blob(n))
                               for i, n in enumerate((1, 3, 15, 17, 255, 257))]))
    maps.append(("shared-page", [(0x2000_0010, blob(5)), (0x2000_0080, blob(7))]))
    return maps


class FlashCase(ScratchTestCase):
    def setUp(self):
        super().setUp()
        if not os.path.exists(TOOL):
            self.skipTest(f"{TOOL} not built")
        self.n = 0

    def segment_args(self, segments, mem=False):
        args = ["mem=1"] if mem else []
        for address, data in segments:
            self.n += 1
            args.append(f"0x{address:x}:{self.write(f'seg{self.n}.bin', data)}")
        return args

    def write_map(self, fmt, segments, name=None, opts=(), mem=False):
        out = self.path(name or f"out{self.n}.{fmt}")
        tool("write", fmt, out, *opts, *self.segment_args(segments, mem), check=0)
        return out

    def c_read(self, path, *args):
        proc = tool("read", path, *args, check=0)
        return parse_read(proc.stdout)

    def fails(self, args, message):
        """flash_tool ARGS exits 1 with exactly `romfs: error: MESSAGE`."""
        proc = tool(*args)
        self.assertEqual((proc.returncode, proc.stderr), (1, f"romfs: error: {message}\n"))

    def read_fails(self, data, name, message):
        path = self.write(name, data)
        self.fails(["read", path], message.replace("FILE", path))


class RoundTrips(FlashCase):
    """Each format, each test map: the independent reader and the C reader
    both get back exactly the map (UF2: whole pages, 0xff around the map;
    bin: one run from the lowest address, 0xff in the gaps)."""

    def expected(self, fmt, segments):
        runs = ff.merge(segments)
        if fmt == "uf2":
            return pages(runs)
        if fmt == "bin":
            return {min(runs): flat(runs)} if runs else {}
        return runs

    def python_read(self, fmt, data):
        if fmt == "bin":
            return {}
        runs = ff.read_runs(fmt, data)
        if fmt == "elf":
            self.assertEqual(ff.section_runs(data), runs, "sections and segments differ")
        return runs

    def test_every_format_every_map(self):
        for name, segments in random_maps():
            for fmt in FORMATS:
                for mem in (False, True):
                    with self.subTest(map=name, format=fmt, mem=mem):
                        out = self.write_map(fmt, segments, f"{name}-{mem}.{fmt}", mem=mem)
                        want = self.expected(fmt, segments)
                        data = readb(out)
                        if fmt == "bin":
                            self.assertEqual(data, flat(ff.merge(segments)))
                            low = min(want) if want else 0
                            _, runs = self.c_read(out, "format=bin", f"address={low}")
                            self.assertEqual(runs, want)
                            continue
                        self.assertEqual(self.python_read(fmt, data), want)
                        _, runs = self.c_read(out)
                        self.assertEqual(runs, want)

    def test_hex_layout(self):
        """Type 04 first and on every change of the upper address, 16-byte
        records that never cross 64 KiB, uppercase, CR LF, type 01 last."""
        data = bytes(range(40))
        out = self.write_map("hex", [(0x0801FFF8, data), (0x08030000, b"\x01")])
        self.assertEqual(readb(out).decode("ascii"), "".join(line + "\r\n" for line in [
            ff.ihex_record(0x04, 0, b"\x08\x01"),
            ff.ihex_record(0x00, 0xFFF8, data[:8]),
            ff.ihex_record(0x04, 0, b"\x08\x02"),
            ff.ihex_record(0x00, 0x0000, data[8:24]),
            ff.ihex_record(0x00, 0x0010, data[24:]),
            ff.ihex_record(0x04, 0, b"\x08\x03"),
            ff.ihex_record(0x00, 0x0000, b"\x01"),
            ":00000001FF",
        ]))

    def test_uf2_layout(self):
        """256-byte payloads at 256-aligned addresses, numbered over the
        file, familyID with flag 0x2000 when given, none otherwise."""
        segs = [(0x10000080, b"\xaa" * 300), (0x10000400, b"\xbb")]
        for opts, flags, family in (((), 0, 0), (("family=rp2040",), 0x2000, 0xE48BFF56),
                                    (("family=0x12345678",), 0x2000, 0x12345678)):
            with self.subTest(opts=opts):
                data = readb(self.write_map("uf2", segs, opts=opts))
                self.assertEqual(len(data), 3 * 512)
                for i in range(3):
                    fields = struct.unpack_from("<8I", data, 512 * i)
                    self.assertEqual(fields, (ff.UF2_MAGIC_START0, ff.UF2_MAGIC_START1, flags,
                                              [0x10000000, 0x10000100, 0x10000400][i], 256, i,
                                              3, family))
                    self.assertEqual(data[512 * i + 32 + 256:512 * i + 508], b"\0" * 220)
                first = data[32:32 + 256]
                self.assertEqual(first, b"\xff" * 0x80 + b"\xaa" * 0x80)

    def test_dfu_layout(self):
        """The prefix, one target named ROMFS (or as asked), one element per
        segment, the suffix with bcdDevice 0xffff, the VID/PID asked for,
        bcdDFU 0x011a and the DFU CRC."""
        segs = [(0x08010000, b"abc"), (0x08020000, b"defg")]
        data = readb(self.write_map("dfu", segs, opts=("vid=0x0483", "pid=0xdf11")))
        runs, info = ff.read_dfuse(data)
        self.assertEqual(runs, dict(segs))
        self.assertEqual(info, {"vid": 0x0483, "pid": 0xdf11, "bcd_device": 0xffff,
                                "bcd_dfu": 0x011a, "targets": [(0, "ROMFS")]})
        self.assertEqual(data[:11], b"DfuSe\x01" + struct.pack("<I", len(data) - 16) + b"\x01")
        self.assertEqual(struct.unpack_from("<I", data, 11 + 266)[0], 8 + 3 + 8 + 4)
        data = readb(self.write_map("dfu", segs, opts=("alt=2", "name=")))
        self.assertEqual(ff.read_dfuse(data)[1]["targets"], [(2, None)])
        info, _ = self.c_read(self.write_map("dfu", segs, opts=("alt=1", "name=Internal Flash")))
        self.assertEqual((info["alt"], info["name"]), ("1", "Internal Flash"))

    def test_elf_layout(self):
        segs = [(0x08000000, b"\x01" * 10), (0x08010003, b"\x02" * 3), (0x20000000, b"\x03")]
        for opts, cls, endian in (((), 32, "<"), (("elf64=1", "machine=62"), 64, "<"),
                                  (("big=1",), 32, ">"), (("elf64=1", "big=1"), 64, ">")):
            with self.subTest(opts=opts):
                data = readb(self.write_map("elf", segs, opts=opts))
                runs, info = ff.read_elf(data)
                self.assertEqual(runs, dict(segs))
                self.assertEqual((info["class"], info["endian"], info["type"], info["entry"]),
                                 (cls, endian, 2, 0))
                self.assertEqual(info["machine"], 62 if "machine=62" in opts else 40)
                self.assertEqual([(p["type"], p["vaddr"], p["paddr"], p["flags"], p["align"])
                                  for p in info["phdrs"]],
                                 [(1, 0x08000000, 0x08000000, 4, 4096),
                                  (1, 0x08010003, 0x08010003, 4, 1),
                                  (1, 0x20000000, 0x20000000, 4, 4096)])
                for p in info["phdrs"]:
                    self.assertEqual(p["offset"] % p["align"], p["vaddr"] % p["align"])
                self.assertEqual([s["name"] for s in info["sections"]],
                                 ["", ".romfs", ".romfs.1", ".romfs.2", ".shstrtab"])


def tool_maps():
    """The non-empty test maps, which real tools take."""
    return [(name, segs) for name, segs in random_maps() if segs]


def run(*args, **kw):
    return subprocess.run(list(map(str, args)), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=kw.pop("text", True), timeout=120, **kw)


@unittest.skipUnless(have("objcopy", "srec_cat", "srec_info", "srec_cmp"),
                     "binutils or srecord not installed")
class HexWithRealTools(FlashCase):
    def test_objcopy_and_srec_cat_give_the_bytes(self):
        for name, segs in tool_maps():
            with self.subTest(map=name):
                hexfile = self.write_map("hex", segs, f"{name}.hex")
                runs = ff.merge(segs)
                low = min(runs)
                want = flat(runs)
                by_objcopy = self.path(f"{name}.objcopy.bin")
                proc = run("objcopy", "-I", "ihex", "-O", "binary", "--gap-fill", "0xff",
                           hexfile, by_objcopy)
                self.assertEqual(proc.returncode, 0, proc.stderr)
                self.assertEqual(readb(by_objcopy), want)
                by_srec = self.path(f"{name}.srec.bin")
                proc = run("srec_cat", "(", hexfile, "-Intel", "-fill", "0xFF", "-over", hexfile,
                           "-Intel", ")", "-offset", f"-0x{low:x}", "-o", by_srec, "-Binary")
                self.assertEqual(proc.returncode, 0, proc.stderr)
                self.assertEqual(readb(by_srec), want)

    def test_srec_info_sees_the_ranges(self):
        for name, segs in tool_maps():
            with self.subTest(map=name):
                hexfile = self.write_map("hex", segs, f"{name}.hex")
                proc = run("srec_info", hexfile, "-Intel")
                self.assertEqual(proc.returncode, 0, proc.stderr)
                self.assertEqual(proc.stderr, "")
                self.assertIn("Format: Intel Hexadecimal", proc.stdout)
                ranges = [(int(a, 16), int(b, 16)) for a, b in
                          re.findall(r"([0-9A-F]+) - ([0-9A-F]+)", proc.stdout)]
                # srec_info prints an inclusive end, and a range ending at 4 GiB
                # as ending at 0 (its 32-bit arithmetic wraps).
                self.assertEqual(ranges, [(a, (a + len(d) - 1) & 0xffffffff)
                                          for a, d in sorted(ff.merge(segs).items())])

    def test_srec_cmp_matches_srec_cats_own_hex(self):
        for name, segs in tool_maps():
            with self.subTest(map=name):
                ours = self.write_map("hex", segs, f"{name}.hex")
                args = []
                for i, (address, data) in enumerate(segs):
                    args += [self.write(f"{name}.{i}.bin", data), "-Binary",
                             "-offset", f"0x{address:x}"]
                ref = self.path(f"{name}.ref.hex")
                proc = run("srec_cat", *args, "-o", ref, "-Intel")
                self.assertEqual(proc.returncode, 0, proc.stderr)
                proc = run("srec_cmp", ours, "-Intel", ref, "-Intel")
                self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)

    def test_the_c_reader_takes_what_the_tools_write(self):
        rng = random.Random(7)
        data = bytes(rng.getrandbits(8) for _ in range(3000))
        cases = {
            "objcopy": ["objcopy", "-I", "binary", "-O", "ihex", "--change-addresses",
                        "0x0800fff0", "IN", "OUT"],
            "srec-i32": ["srec_cat", "IN", "-Binary", "-offset", "0x0800fff0", "-o", "OUT",
                         "-Intel", "-Output_Block_Size", "32"],
            "srec-i16-segments": ["srec_cat", "IN", "-Binary", "-offset", "0x1fff0", "-o",
                                  "OUT", "-Intel", "--address-length=3"],
            "srec-start-address": ["srec_cat", "IN", "-Binary", "-offset", "0x0800fff0",
                                   "-execution-start-address", "0x08010001", "-o", "OUT",
                                   "-Intel"],
        }
        src = self.write("in.bin", data)
        for name, argv in cases.items():
            with self.subTest(tool=name):
                out = self.path(f"{name}.hex")
                proc = run(*[src if a == "IN" else out if a == "OUT" else a for a in argv])
                self.assertEqual(proc.returncode, 0, proc.stderr)
                address = 0x1fff0 if "i16" in name else 0x0800fff0
                _, runs = self.c_read(out)
                self.assertEqual(runs, {address: data})
                self.assertEqual(ff.read_ihex(readb(out)), {address: data})


@unittest.skipUnless(have("dfu-suffix"), "dfu-util not installed")
class DfuWithRealTools(FlashCase):
    def suffix_check(self, path):
        proc = run("dfu-suffix", "--check", path)
        fields = dict(re.findall(r"^([A-Za-z ]+):\s+(\S+)$", proc.stdout, re.M))
        return proc.returncode, fields, proc.stderr

    def test_dfu_suffix_accepts_every_map(self):
        for name, segs in tool_maps():
            if max(a + len(d) for a, d in segs) > 1 << 32:
                continue
            with self.subTest(map=name):
                path = self.write_map("dfu", segs, f"{name}.dfu",
                                      opts=("vid=0x0483", "pid=0xdf11"))
                rc, fields, err = self.suffix_check(path)
                self.assertEqual(rc, 0, err)
                self.assertEqual(err, "")
                self.assertEqual((fields["BCD device"], fields["Product ID"],
                                  fields["Vendor ID"], fields["BCD DFU"], fields["Length"]),
                                 ("0xFFFF", "0xDF11", "0x0483", "0x011A", "16"))
                self.assertEqual(int(fields["CRC"], 16),
                                 struct.unpack("<I", readb(path)[-4:])[0])

    def test_dfu_suffix_rejects_a_changed_byte_and_so_do_we(self):
        path = self.write_map("dfu", [(0x08000000, b"\x11" * 64)])
        data = bytearray(readb(path))
        data[11 + 274 + 8 + 5] ^= 0x40
        bad = self.write("bad.dfu", bytes(data))
        rc, _, err = self.suffix_check(bad)
        self.assertNotEqual(rc, 0)
        self.assertIn("CRC does not match", err)
        self.fails(["read", bad], f"{bad}: the DFU suffix's CRC is 0x"
                   f"{struct.unpack('<I', data[-4:])[0]:08x}, the file's is 0x"
                   f"{ff.dfu_crc(bytes(data[:-4])):08x} (corrupt or changed after it was made)")

    @unittest.skipUnless(have("dfu-prefix", "dfu-util"), "dfu-util not installed")
    def test_dfu_prefix_and_dfu_util_load_it_without_a_warning(self):
        """dfu-prefix --check, and dfu-util -D as far as it goes without a
        device (it loads and checks the file, then finds no device; the
        device filter and serial match nothing, so nothing is flashed)."""
        segs = [(0x08000000, b"\x11" * 64)]
        good = self.write_map("dfu", segs, "good.dfu", opts=("vid=0x0001", "pid=0x0001"))
        data = bytearray(readb(good))
        data[300] ^= 1
        bad = self.write("bad.dfu", bytes(data))
        for path, warned in ((good, False), (bad, True)):
            with self.subTest(path=os.path.basename(path)):
                proc = run("dfu-prefix", "--check", path)
                self.assertEqual(proc.returncode, 0, proc.stderr)
                self.assertEqual("CRC does not match" in proc.stderr, warned, proc.stderr)
                proc = run("dfu-util", "-d", "0001:0001", "-S", "romfs-test-no-such-serial",
                           "-a", "0", "-D", path)
                self.assertEqual("Warning" in proc.stderr, warned, proc.stderr)
                self.assertIn("No DFU capable USB device available", proc.stderr)

    def test_dfu_suffix_delete_leaves_the_dfuse_body(self):
        segs = [(0x08000000, b"\x11" * 64), (0x08004000, b"\x22" * 7)]
        path = self.write_map("dfu", segs)
        body = readb(path)[:-16]
        proc = run("dfu-suffix", "--delete", path)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(readb(path), body)
        self.assertEqual(body, ff.dfuse_body([(0, "ROMFS", segs)]))

    def test_we_read_what_dfu_suffix_signs(self):
        """A DfuSe body from the specification, its suffix and CRC added by
        dfu-suffix itself."""
        segs = [(0x08000000, bytes(range(200))), (0x08100000, b"\x5a" * 33)]
        path = self.write("signed.dfu", ff.dfuse_body([(0, "Internal Flash", segs)]))
        proc = run("dfu-suffix", "-v", "0x0483", "-p", "0xdf11", "-d", "0x2200", "-S",
                   "0x011a", "-a", path)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        info, runs = self.c_read(path)
        self.assertEqual(runs, dict(segs))
        self.assertEqual((info["vid"], info["pid"], info["bcd_device"], info["bcd_dfu"],
                          info["name"]), ("0x0483", "0xdf11", "0x2200", "0x011a",
                                          "Internal Flash"))


class ElfWithRealTools(FlashCase):
    VARIANTS = {  # options, the objcopy that reads it
        "elf32-arm": ((), "arm-none-eabi-objcopy"),
        "elf32-arm-big": (("big=1",), "arm-none-eabi-objcopy"),
        "elf64-x86-64": (("elf64=1", "machine=62"), "objcopy"),
    }

    def maps_for(self, variant):
        for name, segs in tool_maps():
            if variant.startswith("elf64") or max(a + len(d) for a, d in segs) <= 1 << 32:
                # objcopy -O binary of segments far apart would be gigabytes
                if max(a + len(d) for a, d in segs) - min(a for a, _ in segs) < 1 << 24:
                    yield name, segs

    @unittest.skipUnless(have("readelf"), "binutils not installed")
    def test_readelf_shows_segments_and_sections(self):
        for variant, (opts, _) in self.VARIANTS.items():
            segs = [(0x08000000, b"\x01" * 100), (0x08020001, b"\x02" * 5)]
            path = self.write_map("elf", segs, f"{variant}.elf", opts=opts)
            with self.subTest(variant=variant):
                proc = run("readelf", "-hlSW", path)
                self.assertEqual(proc.returncode, 0, proc.stderr)
                self.assertEqual(proc.stderr, "")
                out = proc.stdout
                self.assertIn("EXEC (Executable file)", out)
                self.assertIn("big endian" if "big=1" in opts else "little endian", out)
                self.assertIn("ELF64" if "elf64=1" in opts else "ELF32", out)
                self.assertIn("Advanced Micro Devices X86-64" if "machine=62" in opts else
                              "Machine:                           ARM", out)
                loads = re.findall(r"^\s+LOAD\s+0x([0-9a-f]+) 0x([0-9a-f]+) 0x([0-9a-f]+) "
                                   r"0x([0-9a-f]+) 0x([0-9a-f]+) (\S+)\s+0x([0-9a-f]+)$", out, re.M)
                self.assertEqual([(int(v, 16), int(p, 16), int(fs, 16), int(ms, 16), fl)
                                  for _, v, p, fs, ms, fl, _ in loads],
                                 [(0x08000000, 0x08000000, 100, 100, "R"),
                                  (0x08020001, 0x08020001, 5, 5, "R")])
                sections = re.findall(r"^\s+\[\s*\d+\] (\S+)\s+PROGBITS\s+([0-9a-f]+) "
                                      r"([0-9a-f]+) ([0-9a-f]+) \S+\s+A ", out, re.M)
                self.assertEqual([(n, int(a, 16), int(sz, 16)) for n, a, _, sz in sections],
                                 [(".romfs", 0x08000000, 100), (".romfs.1", 0x08020001, 5)])
                self.assertRegex(out, r"00\s+\.romfs \n\s+01\s+\.romfs\.1 \n")

    def test_objcopy_binary_gives_the_bytes(self):
        for variant, (opts, objcopy) in self.VARIANTS.items():
            if not have(objcopy):
                continue
            for name, segs in self.maps_for(variant):
                with self.subTest(variant=variant, map=name):
                    path = self.write_map("elf", segs, f"{variant}.{name}.elf", opts=opts)
                    out = self.path(f"{variant}.{name}.bin")
                    proc = run(objcopy, "-O", "binary", "--gap-fill", "0xff", path, out)
                    self.assertEqual(proc.returncode, 0, proc.stderr)
                    self.assertEqual(readb(out), flat(ff.merge(segs)))

    @unittest.skipUnless(have("arm-none-eabi-objcopy"), "arm-none-eabi binutils not installed")
    def test_arm_objcopy_ihex_of_it_is_the_map(self):
        for name, segs in self.maps_for("elf32-arm"):
            with self.subTest(map=name):
                path = self.write_map("elf", segs, f"{name}.elf")
                out = self.path(f"{name}.hex")
                proc = run("arm-none-eabi-objcopy", "-O", "ihex", path, out)
                self.assertEqual(proc.returncode, 0, proc.stderr)
                self.assertEqual(ff.read_ihex(readb(out)), ff.merge(segs))


QEMU_RAM = 0x40200000  # virt's RAM starts at 0x40000000, its device tree there


@unittest.skipUnless(have("qemu-system-arm"), "qemu-system-arm not installed")
class QemuGenericLoader(FlashCase):
    """QEMU's generic loader (-device loader,file=...) puts an ELF's
    segments and a HEX file's records into guest memory; the monitor's xp
    shows what landed."""

    def guest_bytes(self, files, ranges):
        script = "".join(f"xp /{n}xb 0x{a:x}\n" for a, n in ranges) + "quit\n"
        argv = ["qemu-system-arm", "-M", "virt", "-m", "256", "-nodefaults", "-display", "none",
                "-S", "-monitor", "stdio"]
        for f in files:
            argv += ["-device", f"loader,file={f}"]
        proc = subprocess.run(argv, input=script, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        memory = {}
        for m in re.finditer(r"([0-9a-f]{16}): ((?:0x[0-9a-f]{2} ?)+)", proc.stdout):
            base = int(m.group(1), 16)
            for i, b in enumerate(m.group(2).split()):
                memory[base + i] = int(b, 16)
        return [bytes(memory[a + i] for i in range(n)) for a, n in ranges]

    def test_elf_and_hex_load_where_they_say(self):
        rng = random.Random(11)
        segs = [(QEMU_RAM + 0x1000, bytes(rng.getrandbits(8) for _ in range(300))),
                (QEMU_RAM + 0x23457, bytes(rng.getrandbits(8) for _ in range(77)))]
        hex_segs = [(QEMU_RAM + 0x10fff0 + 1, bytes(rng.getrandbits(8) for _ in range(100)))]
        elf = self.write_map("elf", segs, "guest.elf")
        hexfile = self.write_map("hex", hex_segs, "guest.hex")
        got = self.guest_bytes([elf, hexfile], [(a, len(d)) for a, d in segs + hex_segs])
        self.assertEqual(got, [d for _, d in segs + hex_segs])



class HostileHex(FlashCase):
    """Each broken HEX file: exit 1 and exactly one error line."""

    def test_each_fault_names_its_line(self):
        R = ff.ihex_record
        good = ff.write_ihex({0x08000000: bytes(range(40))})
        lines = good.splitlines()

        def edit(i, new):
            return "\n".join(lines[:i] + [new] + lines[i + 1:]) + "\n"

        cases = {
            "checksum": (edit(2, lines[2][:-2] + "00"),
                         "FILE:3: checksum 0x00 does not match the record (it should be 0x68)"),
            "truncated": (edit(2, lines[2][:21]),
                          "FILE:3: the record's length byte says 16 data bytes, the line holds 5"),
            "odd": (edit(2, lines[2][:-1]), "FILE:3: a record has an odd number of hex digits"),
            "not-hex": (edit(2, lines[2][:10] + "G" + lines[2][11:]),
                        "FILE:3: 'G' at column 11 is not a hex digit"),
            "no-colon": ("xyz\n" + R(1, 0) + "\n", "FILE:1: a record starts with ':', not 'x'"),
            "short": (":00000001\n", "FILE:1: a record is shorter than its 5-byte frame"),
            "no-eof": ("\n".join(lines[:-1]) + "\n", "FILE: no end-of-file record (:00000001FF)"),
            "empty": ("", "FILE: no end-of-file record (:00000001FF)"),
            "after-eof": (good + R(0, 0, b"x") + "\n",
                          "FILE:6: a record after the end-of-file record"),
            "type-06": (R(6, 0) + "\n" + R(1, 0) + "\n",
                        "FILE:1: record type 0x06 is not one of 00 to 05"),
            "ela-length": (R(4, 0, b"\x08") + "\n" + R(1, 0) + "\n",
                           "FILE:1: a type-04 record holds 2 data bytes, not 1"),
            "eof-length": (R(1, 0, b"\0") + "\n",
                           "FILE:1: a type-01 record holds 0 data bytes, not 1"),
            "start-length": (R(5, 0, b"\0\0") + "\n" + R(1, 0) + "\n",
                             "FILE:1: a type-05 record holds 4 data bytes, not 2"),
            "past-4g": (R(4, 0, b"\xff\xff") + "\n" + R(0, 0xfff8, b"a" * 16) + "\n" +
                        R(1, 0) + "\n",
                        "FILE:2: the record's data runs past the 4 GiB an Intel HEX file "
                        "addresses"),
            "overlap": (R(0, 0x100, b"a" * 16) + "\n" + R(0, 0x200, b"b") + "\n" +
                        R(0, 0x108, b"c" * 16) + "\n" + R(1, 0) + "\n",
                        "FILE: line 3 (0x00000108..0x00000117) overlaps line 1 "
                        "(0x00000100..0x0000010f)"),
            "overlap-by-wrap": (R(2, 0, b"\x10\x00") + "\n" + R(0, 0xfff8, b"a" * 16) + "\n" +
                                R(0, 0x0004, b"b") + "\n" + R(1, 0) + "\n",
                                "FILE: line 3 (0x00010004..0x00010004) overlaps line 2 "
                                "(0x00010000..0x00010007)"),
        }
        for name, (text, message) in cases.items():
            with self.subTest(name):
                self.read_fails(text.encode(), f"{name}.hex", message)

    def test_what_the_spec_allows_reads(self):
        """LF or CR LF, lowercase, blank lines, start address records, 02
        segments that wrap, 04 data running across 64 KiB."""
        R = ff.ihex_record
        text = "\r\n".join([
            R(2, 0, b"\x10\x00"), R(0, 0xfffe, b"abcd").lower(), "",
            R(3, 0, b"\0\0\0\0"), R(4, 0, b"\x08\x00"), R(0, 0xfffc, b"12345678"),
            R(5, 0, b"\x08\0\0\x01"), R(1, 0)]) + "\r\n   \n"
        _, runs = self.c_read(self.write("spec.hex", text))
        self.assertEqual(runs, {0x10000: b"cd", 0x1fffe: b"ab", 0x0800fffc: b"12345678"})
        self.assertEqual(ff.read_ihex(text), runs)

    def test_a_large_hostile_file_is_read_in_linear_time(self):
        """20 MiB of records all writing one address: parsed, sorted and
        refused in seconds."""
        record = (ff.ihex_record(0, 0x100, b"\x55" * 16) + "\n").encode()
        data = record * ((20 << 20) // len(record)) + b":00000001FF\n"
        path = self.write("same.hex", data)
        start = time.monotonic()
        proc = tool("read", path)
        elapsed = time.monotonic() - start
        self.assertEqual(proc.returncode, 1)
        self.assertEqual(proc.stderr, f"romfs: error: {path}: line 2 (0x00000100..0x0000010f) "
                                      f"overlaps line 1 (0x00000100..0x0000010f)\n")
        self.assertLess(elapsed, 60 if ASAN_BUILT else 10)


class HostileUf2(FlashCase):
    def test_each_fault_names_its_block(self):
        B = ff.uf2_block
        blocks = [B(0x1000 + 256 * i, bytes([i]) * 256, i, 4) for i in range(4)]

        def patched(i, offset, value):
            b = bytearray(blocks[i])
            b[offset] = value
            return b"".join(blocks[:i]) + bytes(b) + b"".join(blocks[i + 1:])

        def with_block(i, block):
            return b"".join(blocks[:i]) + block + b"".join(blocks[i + 1:])

        cases = {
            "truncated": (b"".join(blocks)[:-100],
                          "FILE: 1948 bytes is not a whole number of 512-byte UF2 blocks "
                          "(412 left over)"),
            "start-magic": (patched(2, 0, 0), "FILE: block 2 (offset 0x400): no UF2 start magic"),
            "second-magic": (patched(2, 4, 0),
                             "FILE: block 2 (offset 0x400): no UF2 start magic"),
            "end-magic": (patched(1, 508, 0), "FILE: block 1 (offset 0x200): no UF2 end magic"),
            "out-of-order": (blocks[0] + blocks[2] + blocks[1] + blocks[3],
                             "FILE: block 1 (offset 0x200): block number 2, expected 1 "
                             "(blocks out of order or missing)"),
            "missing-last": (b"".join(blocks[:3]),
                             "FILE: the file ends after block number 2 of 4 (blocks missing)"),
            "repeated": (blocks[0] + blocks[1] + blocks[1] + blocks[3],
                         "FILE: block 2 (offset 0x400): block number 1, expected 2 "
                         "(blocks out of order or missing)"),
            "payload-0": (with_block(1, B(0x2000, b"", 1, 4)),
                          "FILE: block 1 (offset 0x200): a payload of 0 bytes (UF2 holds 1 to 476)"),
            "payload-477": (with_block(1, B(0x2000, b"x" * 476, 1, 4, size=477)),
                            "FILE: block 1 (offset 0x200): a payload of 477 bytes (UF2 holds 1 "
                            "to 476)"),
            "payload-md5": (with_block(1, B(0x2000, b"x" * 460, 1, 4, flags=0x4000)),
                            "FILE: block 1 (offset 0x200): a payload of 460 bytes (UF2 holds 1 "
                            "to 452)"),
            "file-container": (with_block(1, B(0, b"x" * 16, 1, 4, flags=0x1000)),
                               "FILE: block 1 (offset 0x200): a file container block (flag "
                               "0x1000), not flash contents"),
            "two-families": (B(0, b"a", 0, 2, flags=0x2000, family=0xE48BFF56) +
                             B(256, b"b", 1, 2, flags=0x2000, family=0xE48BFF59),
                             "FILE: block 1 (offset 0x200): family 0xe48bff59, earlier blocks "
                             "have 0xe48bff56"),
            "family-dropped": (B(0, b"a", 0, 2, flags=0x2000, family=0xE48BFF56) +
                               B(256, b"b", 1, 2),
                               "FILE: block 1 (offset 0x200): family none, earlier blocks have "
                               "0xe48bff56"),
            "count-changes": (B(0x100, b"a", 0, 3) + B(0x200, b"b", 1, 2),
                              "FILE: block 1 (offset 0x200): says the file has 2 blocks, "
                              "earlier ones said 3"),
            "number-past-count": (B(0x100, b"a", 5, 3),
                                  "FILE: block 0 (offset 0x0): block number 5 of 3"),
            "past-4g": (B(0xFFFFFF80, b"a" * 256, 0, 1),
                        "FILE: block 0 (offset 0x0): 256 bytes at 0xffffff80 run past 4 GiB"),
            "overlap": (B(0x100, b"a" * 256, 0, 2) + B(0x180, b"b" * 256, 1, 2),
                        "FILE: block 1 (0x00000180..0x0000027f) overlaps block 0 "
                        "(0x00000100..0x000001ff)"),
        }
        for name, (data, message) in cases.items():
            with self.subTest(name):
                self.read_fails(data, f"{name}.uf2", message)

    def test_what_the_spec_allows_reads(self):
        """Payloads that are not 256 bytes or not aligned, "not main flash"
        blocks (skipped, but counted), concatenated files, and blocks in
        any address order."""
        B = ff.uf2_block
        data = (B(0x2000, b"x" * 476, 0, 3, flags=0x2000, family=0x57755A57) +
                B(0x1000, b"comment", 1, 3, flags=0x2001, family=0x57755A57) +
                B(0x1003, b"abc", 2, 3, flags=0x2000, family=0x57755A57) +
                B(0x3000, b"yz", 0, 1, flags=0x2000, family=0x57755A57))
        info, runs = self.c_read(self.write("spec.uf2", data))
        self.assertEqual(runs, {0x1003: b"abc", 0x2000: b"x" * 476, 0x3000: b"yz"})
        self.assertEqual((info["blocks"], info["skipped"], info["family"]),
                         ("4", "1", "0x57755a57 stm32f4"))

    def test_a_large_hostile_file_is_read_in_linear_time(self):
        block = ff.uf2_block(0x100, b"\xaa" * 256, 0, 1)
        n = 65536
        data = b"".join(ff.uf2_block(0x100, b"\xaa" * 256, i, n) for i in range(2)) + \
            b"".join(block[:20] + struct.pack("<II", i, n) + block[28:] for i in range(2, n))
        path = self.write("same.uf2", data)
        start = time.monotonic()
        proc = tool("read", path)
        self.assertEqual(proc.returncode, 1)
        self.assertEqual(proc.stderr, f"romfs: error: {path}: block 1 (0x00000100..0x000001ff) "
                                      f"overlaps block 0 (0x00000100..0x000001ff)\n")
        self.assertLess(time.monotonic() - start, 60 if ASAN_BUILT else 10)


class HostileDfu(FlashCase):
    SEGS = [(0x08000000, b"\x11" * 64), (0x08004000, b"\x22" * 7)]

    def test_each_fault_names_where(self):
        body = ff.dfuse_body([(0, "ROMFS", self.SEGS)])
        S = ff.dfu_suffix

        def patched(offset, fmt, value, fix_size=False):
            b = bytearray(body)
            struct.pack_into(fmt, b, offset, value)
            return S(bytes(b))

        cases = {
            "crc": (S(body, crc=0x12345678),
                    f"FILE: the DFU suffix's CRC is 0x12345678, the file's is "
                    f"0x{ff.dfu_crc(S(body)[:-4]):08x} (corrupt or changed after it was made)"),
            "no-suffix": (body, 'FILE: no DFU suffix (no "UFD" signature at offset 0x16c)'),
            "suffix-length": (S(body)[:-5] + b"\x05" + struct.pack(
                "<I", ff.dfu_crc(S(body)[:-5] + b"\x05")),
                "FILE: the DFU suffix says it is 5 bytes long (offset 0x17f)"),
            "bcd-dfu": (S(body, bcd_dfu=0x0110),
                        "FILE: bcdDFU 0x0110 in the DFU suffix (a DfuSe file has 0x011a)"),
            "short": (b"DfuSe\x01",
                      "FILE: 6 bytes is too short for a DfuSe file (a prefix and a suffix take "
                      "27)"),
            "signature": (S(b"DfuSx" + body[5:]), 'FILE: no "DfuSe" signature at offset 0'),
            "version": (S(ff.dfuse_body([(0, "ROMFS", self.SEGS)], version=2)),
                        "FILE: DfuSe version 2 (only version 1 exists)"),
            "image-size": (S(ff.dfuse_body([(0, "ROMFS", self.SEGS)], image_size=1000)),
                           "FILE: the DfuSe prefix says the image is 1000 bytes, the file holds "
                           "372 before its suffix"),
            "no-targets": (S(ff.dfuse_body([])),
                           "FILE: the DfuSe prefix says the file holds no targets"),
            "target-signature": (S(body[:11] + b"Tarxet" + body[17:]),
                                 'FILE: target 1 at offset 0xb: no "Target" signature'),
            "target-size": (S(ff.dfuse_body([(0, "ROMFS", self.SEGS)], target_size_delta=4)),
                            "FILE: target 1 says its elements take 91 bytes, they take 87"),
            "element-size": (patched(11 + 274 + 4, "<I", 0x10000),
                             "FILE: element 1 (target 1) at offset 0x11d: 65536 bytes, but only "
                             "79 are left before the suffix"),
            "element-count": (patched(11 + 270, "<I", 0xFFFFFFFF),
                              "FILE: element 3 (target 1) at offset 0x174: the file ends inside "
                              "its header"),
            "target-count": (patched(10, "<B", 2),
                             "FILE: target 2 at offset 0x174: the file ends inside its prefix"),
            "trailing": (S(ff.dfuse_body([(0, "ROMFS", self.SEGS)], image_size=len(body) + 3) +
                           b"abc"),
                         "FILE: 3 bytes between the last target and the suffix (offset 0x174)"),
            "past-4g": (S(ff.dfuse_body([(0, "A", [(0xFFFFFFF0, b"a" * 17)])])),
                        "FILE: element 1 (target 1): 17 bytes at 0xfffffff0 run past 4 GiB"),
            "overlap": (S(ff.dfuse_body([(0, "A", [(0x100, b"a" * 16)]),
                                         (1, "B", [(0x108, b"b")])])),
                        "FILE: element 2 (0x00000108..0x00000108) overlaps element 1 "
                        "(0x00000100..0x0000010f)"),
        }
        for name, (data, message) in cases.items():
            with self.subTest(name):
                self.read_fails(data, f"{name}.dfu", message)

    def test_what_the_format_allows_reads(self):
        """Several targets, unnamed ones, bcdDFU 0x0100, elements out of
        address order and touching."""
        data = ff.dfu_suffix(ff.dfuse_body([(0, None, [(0x200, b"b"), (0x100, b"a" * 256)]),
                                            (3, "Option bytes", [(0x1FFF0000, b"\xaa\x55")])]),
                             vid=0x1209, pid=0x0001, bcd_dfu=0x0100)
        info, runs = self.c_read(self.write("spec.dfu", data))
        self.assertEqual(runs, {0x100: b"a" * 256 + b"b", 0x1FFF0000: b"\xaa\x55"})
        self.assertEqual((info["targets"], info["alt"], info["name"], info["vid"],
                          info["bcd_dfu"]), ("2", "0", "", "0x1209", "0x0100"))


class HostileElf(FlashCase):
    def base(self):
        return ff.write_elf(loads=[(0x08000000, b"\x01" * 10, None, None),
                                   (0x0800000A, b"\x02" * 4, 0x20000000, None)])

    def test_each_fault_is_one_line(self):
        good = self.base()
        phoff = 52

        def patched(offset, value):
            b = bytearray(good)
            struct.pack_into("<I", b, offset, value)
            return bytes(b)

        cases = {
            "not-elf": (b"\x7fELX" + good[5:], "FILE: not an ELF file (no \\x7fELF at offset 0)"),
            "header": (good[:40], "FILE: the file ends inside its ELF header (40 bytes)"),
            "class": (good[:4] + b"\x00" + good[5:],
                      "FILE: a bad ELF header (class 0, byte order 1): not one libelf knows"),
            "program-headers": (good[:100],
                                "FILE: the program header table (2 entries at offset 0x34) runs "
                                "past the end of the file (100 bytes)"),
            "section-headers": (patched(32, len(good) + 100),
                                f"FILE: the section header table (2 entries at offset "
                                f"0x{len(good) + 100:x}) runs past the end of the file "
                                f"({len(good)} bytes)"),
            "segment-past-end": (patched(phoff + 16, 0x100000),
                                 f"FILE: program header 0 holds 1048576 bytes in the file but 10 "
                                 f"in memory"),
            "segment-offset": (patched(phoff + 4, 0x7FFFFFF0),
                               f"FILE: program header 0: 10 bytes at offset 0x7ffffff0 run past "
                               f"the end of the file ({len(good)} bytes)"),
            "overlap": (patched(phoff + 32 + 12, 0x08000004),
                        "FILE: program header 1 (0x08000004..0x08000007) overlaps program "
                        "header 0 (0x08000000..0x08000009)"),
            "past-4g": (patched(phoff + 12, 0xFFFFFFF8),
                        "FILE: program header 0: 10 bytes at 0xfffffff8 run past the end of the "
                        "address space"),
        }
        for name, (data, message) in cases.items():
            with self.subTest(name):
                self.read_fails(data, f"{name}.elf", message)

    def test_segments_sharing_file_bytes_are_refused(self):
        """Program headers that all point at the same bytes would make the
        map hold them once per header: quadratic memory from a small file."""
        data = bytearray(ff.write_elf(loads=[(0x1000 * i, b"z" * 200, None, None)
                                             for i in range(1, 4)]))
        first = struct.unpack_from("<I", data, 52 + 4)[0]
        for i in range(3):
            struct.pack_into("<IIIII", data, 52 + 32 * i + 4, first, 0x10000 * (i + 1),
                             0x10000 * (i + 1), 300, 300)
        self.read_fails(bytes(data), "shared.elf",
                        "FILE: program header 2: the loadable segments hold more bytes than the "
                        "file (they share file bytes)")

    def test_the_map_is_what_loaders_put_where(self):
        """p_filesz bytes at p_paddr (the load address), not at p_vaddr."""
        _, runs = self.c_read(self.write("lma.elf", self.base()))
        self.assertEqual(runs, {0x08000000: b"\x01" * 10 + b"\x02" * 4})

    def test_an_unterminated_string_table_is_read_in_linear_time(self):
        """200 000 symbols whose names all start in a 4 MiB string table
        with no NUL after them: names are looked for within 256 bytes, not
        to the end of the table for each symbol."""
        count = 200_000
        strtab = b"\0" + b"A" * (4 << 20)
        syms = ff.elf_symbols([(1, i, 0, 0x10, 1) for i in range(count)], wide=True)
        data = ff.write_elf(sections=[(".symtab", ff.SHT_SYMTAB, syms, 2, 24),
                                      (".strtab", ff.SHT_STRTAB, strtab, 0, 0)], wide=True)
        path = self.write("strtab.elf", data)
        start = time.monotonic()
        proc = tool("elfsyms", path, check=0)
        self.assertLess(time.monotonic() - start, 60 if ASAN_BUILT else 10)
        self.assertNotIn("symbol ", proc.stdout)

    def test_romfs_symbols_are_kept_up_to_a_bound(self):
        strtab = b"\0my_romfs_sym\0"
        syms = ff.elf_symbols([(1, i, 0, 0x10, 0xFFF1) for i in range(5000)])
        data = ff.write_elf(sections=[(".symtab", ff.SHT_SYMTAB, syms, 2, 16),
                                      (".strtab", ff.SHT_STRTAB, strtab, 0, 0)])
        proc = tool("elfsyms", self.write("many.elf", data), check=0)
        self.assertEqual(proc.stdout.count("symbol my_romfs_sym "), 4096)
        self.assertIn("omitted 904\n", proc.stdout)

    def test_overlapping_symbol_tables_are_refused(self):
        """Section headers that all claim the same symbol table would make
        libelf convert it once per header."""
        syms = ff.elf_symbols([(1, 1, 0, 0x10, 1)] * 1000)
        data = ff.write_elf(sections=[(".symtab", ff.SHT_SYMTAB, syms, 2, 16),
                                      (".strtab", ff.SHT_STRTAB, b"\0x_romfs\0", 0, 0)])
        # Point forty more SYMTAB headers at the same bytes.
        shoff = struct.unpack_from("<I", data, 32)[0]
        sym_header = data[shoff + 40:shoff + 80]
        count = struct.unpack_from("<H", data, 48)[0]
        headers = data[shoff:shoff + 40 * count] + sym_header * 40
        data = bytearray(data[:shoff] + headers)
        struct.pack_into("<HH", data, 48, count + 40, count - 1)
        path = self.write("tables.elf", bytes(data))
        self.fails(["elfsyms", path], f"{path}: its symbol tables are larger than the file")



MICROPYTHON_ROMFS_CSV = """\
# Notes: the offset of the partition table itself is set in
# $IDF_PATH/components/partition_table/Kconfig.projbuild.
# Name,   Type, SubType, Offset,  Size, Flags
nvs,      data, nvs,     0x9000,  0x6000,
phy_init, data, phy,     0xf000,  0x1000,
factory,  app,  factory, 0x10000, 0x1D0000,
romfs,    data, 0x8f,    0x1E0000, 0x20000,
vfs,      data, fat,     0x200000, 0x200000,
"""

MICROPYTHON_ROMFS_TABLE = [
    ("nvs", 0x01, 0x02, 0x9000, 0x6000),
    ("phy_init", 0x01, 0x01, 0xF000, 0x1000),
    ("factory", 0x00, 0x00, 0x10000, 0x1D0000),
    ("romfs", 0x01, 0x8F, 0x1E0000, 0x20000),
    ("vfs", 0x01, 0x81, 0x200000, 0x200000),
]


class EspPartitionTables(FlashCase):
    def esp(self, text, *args, check=0):
        path = self.write("partitions.csv", text)
        proc = tool("esp", path, *args, check=check)
        table = []
        romfs = None
        for line in proc.stdout.splitlines():
            f = line.split()
            if f[0] == "romfs" and len(f) == 4 and f[2].startswith("0x") and romfs is None \
                    and not f[1].startswith("0x"):
                romfs = (f[1], int(f[2], 16), int(f[3], 16))
            else:
                table.append((f[0], int(f[1], 16), int(f[2], 16), int(f[3], 16), int(f[4], 16)))
        return table, romfs, proc, path

    def esp_fails(self, text, message, *args):
        path = self.write("partitions.csv", text)
        self.fails(["esp", path, *args], message.replace("FILE", path))

    def test_micropythons_romfs_table(self):
        table, romfs, _, _ = self.esp(MICROPYTHON_ROMFS_CSV)
        self.assertEqual(table, MICROPYTHON_ROMFS_TABLE)
        self.assertEqual(romfs, ("romfs", 0x1E0000, 0x20000))

    def test_blank_offsets_are_placed_as_esp_idf_places_them(self):
        """By hand, following gen_esp32part.py: the first partition after
        the table (0x8000 + 0x1000 = 0x9000); each next one at the previous
        end, rounded up to 0x10000 for app and 0x1000 for data."""
        text = ("nvs,      data, nvs,     ,  0x6000,\n"
                "phy_init, data, phy,     ,  0x1000,\n"
                "factory,  app,  factory, ,  0x1D0000,\n"
                "romfs,    data, 0x8f,    ,  0x20000,\n"
                "vfs,      data, fat,     ,  0x200000,\n")
        nvs = 0x8000 + 0x1000                         # 0x9000
        phy = -(-(nvs + 0x6000) // 0x1000) * 0x1000   # 0xf000, already 4K-aligned
        factory = -(-(phy + 0x1000) // 0x10000) * 0x10000  # 0x10000
        romfs = -(-(factory + 0x1D0000) // 0x1000) * 0x1000  # 0x1e0000
        vfs = -(-(romfs + 0x20000) // 0x1000) * 0x1000  # 0x200000
        table, found, _, _ = self.esp(text)
        self.assertEqual([t[3] for t in table], [nvs, phy, factory, romfs, vfs])
        self.assertEqual(table, MICROPYTHON_ROMFS_TABLE)
        self.assertEqual(found, ("romfs", 0x1E0000, 0x20000))

    def test_alignment_of_blank_offsets_by_type(self):
        text = ("nvs, data, nvs, , 0x5000\n"     # 0x9000..0xe000
                "odd, data, , , 0x123\n"         # 0xe000 (4K), size 0x123
                "app0, app, ota_0, , 64K\n"      # 0x10000
                "custom, 0x40, 0x01, , 1K\n"     # 0x20000 (4K for other types)
                "romfs, DATA, 143, , 1M\n"       # 0x21000
                "last, data, spiffs, , -0x400000\n")  # a negative size: ends at 4 MiB
        table, romfs, _, _ = self.esp(text)
        self.assertEqual(table, [
            ("nvs", 1, 2, 0x9000, 0x5000), ("odd", 1, 6, 0xE000, 0x123),
            ("app0", 0, 0x10, 0x10000, 0x10000), ("custom", 0x40, 1, 0x20000, 0x400),
            ("romfs", 1, 0x8F, 0x21000, 0x100000), ("last", 1, 0x82, 0x121000, 0x2DF000)])
        self.assertEqual(romfs, ("romfs", 0x21000, 0x100000))

    def test_sizes_with_k_and_m_and_a_table_offset(self):
        text = "nvs, data, nvs, , 24K\nromfs, data, 0x8F, 0x100000, 2M\nfs, data, fat, , 0x10k\n"
        table, romfs, _, _ = self.esp(text, "offset=0x10000")
        self.assertEqual(table, [("nvs", 1, 2, 0x11000, 0x6000),
                                 ("romfs", 1, 0x8F, 0x100000, 0x200000),
                                 ("fs", 1, 0x81, 0x300000, 0x4000)])
        self.assertEqual(romfs, ("romfs", 0x100000, 0x200000))

    def test_comments_blank_lines_flags_and_a_bom(self):
        text = ("\ufeff# header\r\n\r\n   # indented comment\n"
                "romfs, data, 0x8f, 0x10000, 64K, readonly\n"
                "secrets, data, nvs_keys, , 4K, encrypted:readonly,\n")
        path = self.write("partitions.csv", text.encode("utf-8"))
        proc = tool("esp", path, check=0)
        self.assertEqual(proc.stdout.splitlines(), [
            "romfs 0x01 0x8f 0x10000 0x10000 line=4 readonly",
            "secrets 0x01 0x04 0x20000 0x1000 line=5 encrypted readonly",
            "romfs romfs 0x10000 0x10000"])

    def test_a_partition_by_name(self):
        _, romfs, _, _ = self.esp(MICROPYTHON_ROMFS_CSV, "vfs")
        self.assertEqual(romfs, ("vfs", 0x200000, 0x200000))
        self.esp_fails(MICROPYTHON_ROMFS_CSV,
                       "FILE: no partition named 'rom' (it has nvs (line 4), phy_init (line 5), "
                       "factory (line 6), romfs (line 7), vfs (line 8))", "rom")

    def test_no_romfs_partition(self):
        self.esp_fails("nvs, data, nvs, 0x9000, 24K\nfactory, app, factory, 0x10000, 1M\n",
                       "FILE: no ROMFS partition (type data, subtype 0x8f) among nvs (line 1), "
                       "factory (line 2)")
        self.esp_fails("# nothing\n", "FILE: no ROMFS partition (type data, subtype 0x8f) "
                                       "among no partitions")

    def test_two_romfs_partitions(self):
        text = ("nvs, data, nvs, 0x9000, 24K\nromfs, data, 0x8f, 0x10000, 64K\n"
                "romfs2, data, 143, , 64K\n")
        self.esp_fails(text, "FILE: 2 ROMFS partitions (type data, subtype 0x8f): romfs (line 2), "
                             "romfs2 (line 3); name the one to use")
        _, romfs, _, _ = self.esp(text, "romfs2")
        self.assertEqual(romfs, ("romfs2", 0x20000, 0x10000))

    def test_faults_name_the_line(self):
        cases = {
            "overlap": ("nvs, data, nvs, 0x9000, 24K\nfactory, app, factory, 0x10000, 1M\n"
                        "vfs, data, fat, 0x100000, 64K\n",
                        "FILE:3: partition 'vfs' at 0x100000 overlaps the previous partition, "
                        "which ends at 0x110000"),
            "out-of-order": ("a, data, fat, 0x20000, 4K\nb, data, fat, 0x10000, 4K\n",
                             "FILE:2: partition 'b' at 0x10000 overlaps the previous partition, "
                             "which ends at 0x21000"),
            "on-the-table": ("nvs, data, nvs, 0x8000, 24K\n",
                             "FILE:1: partition 'nvs' at 0x8000 overlaps the partition table at "
                             "0x8000 (the first free offset is 0x9000)"),
            "app-misaligned": ("nvs, data, nvs, 0x9000, 24K\nfactory, app, factory, 0x18000, 1M\n",
                               "FILE:2: partition 'factory' at 0x18000 is not aligned to 0x10000"),
            "data-misaligned": ("nvs, data, nvs, 0x9800, 24K\n",
                                "FILE:1: partition 'nvs' at 0x9800 is not aligned to 0x1000"),
            "app-size": ("x, app, factory, , 0x10800\n",
                         "FILE:1: app partition 'x' is 0x10800 bytes, not a multiple of 0x1000"),
            "duplicate": ("a, data, fat, , 4K\n\na, data, fat, , 4K\n",
                          "FILE:3: partition name 'a' is already taken by line 1"),
            "no-type": ("x, , fat, , 4K\n", "FILE:1: the type is empty (app, data or a number)"),
            "bad-type": ("x, code, fat, , 4K\n",
                         "FILE:1: type 'code' is not a number or one of app, data"),
            "bootloader": ("x, bootloader, primary, , 4K\n",
                           "FILE:1: type 'bootloader' is not a number or one of app, data"),
            "type-2": ("x, 2, 0, , 4K\n", "FILE:1: type 2: bootloader and partition_table "
                                            "entries are not supported"),
            "type-range": ("x, 0x100, 0, , 4K\n", "FILE:1: type 0x100 is not a number from 0 to "
                                                    "0xff"),
            "bad-subtype": ("x, data, bogus, , 4K\n",
                            "FILE:1: subtype 'bogus' is not a number or one of ota, phy, nvs, "
                            "coredump, nvs_keys, efuse, undefined, esphttpd, fat, spiffs, "
                            "littlefs, tee_ota"),
            "custom-subtype": ("x, 0x40, fat, , 4K\n", "FILE:1: subtype 'fat' is not a number"),
            "app-no-subtype": ("x, app, , , 64K\n",
                               "FILE:1: an app partition needs a subtype (factory, ota_0..ota_15 "
                               "or test)"),
            "no-size": ("x, data, nvs, ,\n", "FILE:1: the size is empty"),
            "bad-size": ("x, data, fat, , 0x12G\n",
                         "FILE:1: size '0x12G' is not a number (decimal or 0x hex, with K or M)"),
            "octal-looking": ("x, data, fat, 010, 4K\n",
                              "FILE:1: offset '010' is not a number (decimal or 0x hex, with K "
                              "or M)"),
            "bad-flag": ("x, data, fat, , 4K, secret\n",
                         "FILE:1: unknown flag 'secret' (encrypted or readonly)"),
            "small-nvs": ("x, data, nvs, , 8K\n",
                          "FILE:1: nvs partition 'x' of 0x2000 bytes must be flagged readonly "
                          "(read-write nvs needs 0x3000)"),
            "two-otadata": ("a, data, ota, , 8K\nb, data, ota, , 8K\n",
                            "FILE:2: a second otadata partition (the first is on line 1)"),
            "otadata-size": ("a, data, ota, , 4K\n",
                             "FILE:1: otadata partition 'a' must be 0x2000 bytes, not 0x1000"),
            "past-4g": ("x, data, fat, 0xFFFFF000, 8K\n",
                        "FILE:1: partition 'x' (0x2000 bytes at 0xfffff000) runs past 4 GiB"),
            "negative-size": ("x, data, fat, 0x20000, -0x10000\n",
                              "FILE:1: partition 'x' would end before it starts at 0x20000"),
        }
        for name, (text, message) in cases.items():
            with self.subTest(name):
                self.esp_fails(text, message)

    def test_a_huge_table_is_refused_early(self):
        text = "".join(f"p{i}, data, fat, , 4K\n" for i in range(100_000))
        self.esp_fails(text, "FILE:95: more than 94 partitions, which is all an ESP-IDF table "
                             "holds")


ARM_FIRMWARE_LD = """\
ENTRY(Reset_Handler)
MEMORY {
    FLASH (rx) : ORIGIN = 0x08000000, LENGTH = 256K
    FLASH_ROMFS (r) : ORIGIN = 0x08040000, LENGTH = 128K
    RAM (rwx) : ORIGIN = 0x20000000, LENGTH = 64K
}
SECTIONS {
    .text : { *(.text*) *(.rodata*) } > FLASH
    .data : { *(.data*) } > RAM AT > FLASH
    .bss : { *(.bss*) } > RAM
    .romfs (NOLOAD) : { _micropy_hw_romfs_part0_start = .; . += LENGTH(FLASH_ROMFS); } > FLASH_ROMFS
}
"""


def readelf_symbols(path):
    """readelf's view: {name: (value, is_abs)} of the symbols naming romfs
    (section symbols, which readelf names after their section, left out)."""
    out = run("readelf", "-sW", path).stdout
    found = {}
    for m in re.finditer(r"^\s*\d+: ([0-9a-f]+)\s+\d+ (\w+)\s+\w+\s+\w+\s+(\w+) (\S+)$", out,
                         re.M):
        value, stype, ndx, name = m.groups()
        if "romfs" in name.lower() and stype != "SECTION":
            found.setdefault(name, (int(value, 16), ndx == "ABS"))
    return found


def readelf_loads(path):
    """readelf's view: [(index, paddr, memsz)] of the PT_LOAD headers."""
    out = run("readelf", "-lW", path).stdout
    table = out.split("Program Headers:\n", 1)[1].split("\n\n", 1)[0].splitlines()[1:]
    headers = [line.split() for line in table if not line.strip().startswith("[")]
    return [(i, int(h[3], 16), int(h[5], 16)) for i, h in enumerate(headers) if h[0] == "LOAD"]


def elfsyms(stdout):
    """flash_tool elfsyms -> (facts, loads, {name: (value, abs)})."""
    facts, loads, syms = {}, [], {}
    for line in stdout.splitlines():
        f = line.split()
        if f[0] == "load":
            kv = dict(x.split("=") for x in f[2:])
            loads.append((int(f[1]), int(kv["paddr"], 16), int(kv["memsz"], 16), kv["flags"]))
        elif f[0] == "symbol":
            syms.setdefault(f[1], (int(f[2].split("=")[1], 16), "abs" in f))
        else:
            facts[f[0]] = " ".join(f[1:])
    return facts, loads, syms


@unittest.skipUnless(have("readelf"), "binutils not installed")
class ElfFacts(FlashCase):
    """Symbols and segments of ELF files that real compilers and linkers
    made, as the tool needs them: where MicroPython's ROMFS partition
    starts and how big it is, and where the firmware loads."""

    def arm_firmware(self, name, *flags):
        if not have("arm-none-eabi-gcc"):
            self.skipTest("arm-none-eabi-gcc not installed")
        src = self.write("fw.c", ARM_FIRMWARE_C)
        ld = self.write("fw.ld", ARM_FIRMWARE_LD)
        out = self.path(name)
        proc = run("arm-none-eabi-gcc", "-mcpu=cortex-m4", "-mthumb", "-nostdlib", "-O1",
                   *flags, "-T", ld, "-Wl,--defsym=_micropy_hw_romfs_part0_size=0x20000", src,
                   "-o", out)
        if proc.returncode != 0:
            return None, proc.stderr
        return out, ""

    def check_against_readelf(self, path):
        proc = tool("elfsyms", path, check=0)
        facts, loads, syms = elfsyms(proc.stdout)
        self.assertEqual(syms, readelf_symbols(path))
        self.assertEqual([(i, a, m) for i, a, m, _ in loads], readelf_loads(path))
        return facts, loads, syms

    def test_arm_firmware_symbols_and_segments(self):
        path, err = self.arm_firmware("fw.elf")
        self.assertIsNotNone(path, err)
        facts, loads, syms = self.check_against_readelf(path)
        self.assertEqual((facts["machine"], facts["class"], facts["endian"]),
                         ("40 ARM", "ELF32", "little"))
        self.assertEqual(syms, {"_micropy_hw_romfs_part0_start": (0x08040000, False),
                                "_micropy_hw_romfs_part0_size": (0x20000, True)})
        self.assertEqual(facts["part0_start"], "0x8040000")
        self.assertEqual(loads, [(0, 0x08000000, 10, "R-X"), (1, 0x0800000A, 4, "RW-"),
                                 (2, 0x08040000, 0x20000, "RW-")])
        # The bytes are the file bytes at the load addresses: .data's
        # initial value sits in flash after .text.
        _, runs = self.c_read(path)
        self.assertEqual(list(runs), [0x08000000])
        self.assertEqual(runs[0x08000000][-4:], struct.pack("<I", 5))
        self.assertEqual(ff.read_elf(readb(path))[0], runs)

    def test_big_endian_arm_firmware(self):
        path, err = self.arm_firmware("fw-be.elf", "-mbig-endian")
        if path is None:
            self.skipTest(f"arm-none-eabi-gcc -mbig-endian does not link here: {err}")
        facts, _, syms = self.check_against_readelf(path)
        self.assertEqual(facts["endian"], "big")
        self.assertEqual(syms["_micropy_hw_romfs_part0_size"], (0x20000, True))
        _, runs = self.c_read(path)
        self.assertEqual(runs[0x08000000][-4:], struct.pack(">I", 5))

    def test_firmware_without_the_symbols(self):
        path, err = self.arm_firmware("fw.elf")
        self.assertIsNotNone(path, err)
        stripped = self.path("stripped.elf")
        self.assertEqual(run("arm-none-eabi-strip", "-o", stripped, path).returncode, 0)
        facts, _, syms = elfsyms(tool("elfsyms", stripped, check=0).stdout)
        self.assertEqual(syms, {})
        self.assertNotIn("part0_start", facts)
        src = self.write("plain.c", "void Reset_Handler(void) { for (;;) {} }\n")
        plain = self.path("plain.elf")
        proc = run("arm-none-eabi-gcc", "-mcpu=cortex-m0", "-mthumb", "-nostdlib",
                   "-Wl,-Ttext=0x10000000", "-Wl,-eReset_Handler", src, "-o", plain)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        _, loads, syms = elfsyms(tool("elfsyms", plain, check=0).stdout)
        self.assertEqual(syms, {})
        self.assertTrue(any(a == 0x10000000 for _, a, _, _ in loads))

    @unittest.skipUnless(have("gcc"), "gcc not installed")
    def test_host_elf64(self):
        src = self.write("host.c", "unsigned char romfs_blob[64] = {1, 2, 3};\n"
                                   "extern const char _micropy_hw_romfs_part0_size[];\n"
                                   "int main(void) { return romfs_blob[0] + "
                                   "(int)(long)_micropy_hw_romfs_part0_size; }\n")
        out = self.path("host.elf")
        proc = run("gcc", "-O0", src, "-o", out, "-Wl,--defsym=_micropy_hw_romfs_part0_size=0x20000")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        facts, loads, syms = self.check_against_readelf(out)
        self.assertEqual(facts["class"], "ELF64")
        self.assertEqual(syms["_micropy_hw_romfs_part0_size"], (0x20000, True))
        self.assertIn("romfs_blob", syms)
        self.assertGreaterEqual(len(loads), 2)
        _, runs = self.c_read(out)
        self.assertEqual(runs, ff.read_elf(readb(out))[0])
        blob = syms["romfs_blob"][0]
        holder = [a for a in runs if a <= blob < a + len(runs[a])]
        self.assertEqual(len(holder), 1)
        self.assertEqual(runs[holder[0]][blob - holder[0]:blob - holder[0] + 4], b"\1\2\3\0")


class Uf2Families(FlashCase):
    def test_every_name_gives_the_specifications_id(self):
        for name, family in ff.UF2_FAMILIES.items():
            for spelling in (name, name.upper(), name.replace("-", "_")):
                with self.subTest(spelling):
                    out = tool("family", spelling, check=0).stdout.split()
                    self.assertEqual(out, [f"0x{family:08x}", name])

    def test_aliases_and_numbers(self):
        self.assertEqual(tool("family", "RP2350", check=0).stdout, "0xe48bff59 rp2350-arm-s\n")
        self.assertEqual(tool("family", "0xE48BFF56", check=0).stdout, "0xe48bff56 rp2040\n")
        self.assertEqual(tool("family", "0x12345678", check=0).stdout, "0x12345678 ?\n")

    def test_an_unknown_name_lists_the_known_ones(self):
        self.fails(["family", "rp2060"],
                   "family: unknown UF2 family 'rp2060' (known: rp2040, rp2350-arm-s, rp2350, "
                   "rp2350-arm-ns, rp2350-riscv, rp2xxx-absolute, rp2xxx-data, samd21, samd51, "
                   "saml21, stm32f4, stm32f7, stm32h7, stm32l4, stm32wb, esp32s2, esp32s3, "
                   "nrf52840, nrf52833, mimxrt10xx; or a family ID such as 0xe48bff56)")
        self.assertEqual(tool("family", "0x100000000").returncode, 1)


class Detection(FlashCase):
    def test_by_content_and_by_name(self):
        segs = [(0x1000, b"\xd2\xcd\x31" + b"x" * 20)]
        for fmt, by_content in (("bin", "romfs"), ("hex", "hex"), ("uf2", "uf2"),
                                ("dfu", "dfu"), ("elf", "elf")):
            with self.subTest(fmt):
                path = self.write_map(fmt, segs, f"image.{fmt}")
                self.assertEqual(tool("detect", path, check=0).stdout,
                                 f"{by_content} {fmt}\n")
        for name, want in (("x.BIN", "unknown bin"), ("x.img", "unknown bin"),
                           ("x.ihex", "unknown hex"), ("x.UF2", "unknown uf2"),
                           ("x.txt", "unknown unknown"), ("dir.elf/x", "unknown unknown")):
            with self.subTest(name):
                self.assertEqual(tool("detect", self.write(name, b"\0" * 8), check=0).stdout,
                                 want + "\n")
        self.assertEqual(tool("detect", self.write("t.uf2", b"UF2\nnot really"), check=0).stdout,
                         "unknown uf2\n")


class WriterLimits(FlashCase):
    def test_what_a_format_cannot_hold_is_refused(self):
        seg = self.write("s.bin", b"x" * 16)
        cases = [
            (("hex", "0x100000000"), "OUT: 0x100000000..0x10000000f lies beyond the 4 GiB "
                                     "Intel HEX addresses"),
            (("uf2", "0xfffffff8"), "OUT: 0xfffffff8..0x100000007 lies beyond the 4 GiB UF2 "
                                    "addresses"),
            (("dfu", "0x1fffffff0"), "OUT: 0x1fffffff0..0x1ffffffff lies beyond the 4 GiB "
                                     "DfuSe addresses"),
            (("elf", "0xfffffff8"), "OUT: 0xfffffff8..0x100000007 lies beyond the 4 GiB an "
                                    "ELF32 file addresses (write ELF64)"),
        ]
        for (fmt, address), message in cases:
            with self.subTest(fmt):
                out = self.path(f"o.{fmt}")
                self.fails(["write", fmt, out, f"{address}:{seg}"], message.replace("OUT", out))
        out = self.path("o.elf")
        tool("write", "elf", out, "elf64=1", f"0xfffffff8:{seg}", check=0)
        self.assertEqual(ff.read_elf(readb(out))[0], {0xFFFFFFF8: b"x" * 16})
        out = self.path("o.dfu")
        self.fails(["write", "dfu", out, "name=" + "n" * 255, f"0:{seg}"],
                   f"{out}: the DfuSe target name is 255 bytes long (at most 254)")
        self.fails(["write", "dfu", out, "alt=256", f"0:{seg}"],
                   f"{out}: alternate setting 256 is not one of 0 to 255")
        self.fails(["write", "bin", self.path("o.bin"), f"0:{seg}", f"0x100000000:{seg}"],
                   f"{self.path('o.bin')}: 0x00000000..0x0000000f and 0x100000000..0x10000000f "
                   f"are too far apart for one bin (it would be 4294967312 bytes)")

    def test_overlapping_segments_are_refused(self):
        seg = self.write("s.bin", b"x" * 16)
        out = self.path("o.hex")
        self.fails(["write", "hex", out, f"0x100:{seg}", f"0x108:{seg}"],
                   f"{out}: the segments 0x00000100..0x0000010f and 0x00000108..0x00000117 overlap")

    def test_a_failing_read_is_one_error(self):
        """A segment whose source gives fewer bytes than it claimed (a file
        cut short under the writer): one error line, exit 1, every format."""
        seg = self.write("s.bin", b"x" * 100)
        for fmt in FORMATS:
            with self.subTest(fmt):
                out = self.path(f"o.{fmt}")
                self.fails(["write", fmt, out, "claim=200000", f"0x08000000:{seg}"],
                           f"{out}: cannot read the bytes for 0x08000000..0x"
                           f"{0x08000000 + (0x10000 if fmt != 'uf2' else 256) - 1:08x}: "
                           f"Input/output error")


@unittest.skipIf(ASAN_BUILT, "AddressSanitizer reserves terabytes: no address-space limit fits")
class StreamingWriters(FlashCase):
    """Writers hold the same memory whatever they write: 96 MiB through
    each format to /dev/null in an address space of 32 MiB, libraries and
    all: three times what a copy would need. (ru_maxrss cannot tell: it
    counts the forked test runner.)"""

    def test_memory_does_not_grow_with_the_data(self):
        big = self.path("big.bin")
        with open(big, "wb") as f:
            f.truncate(96 << 20)  # sparse: reads cost no disk

        def limit():
            resource.setrlimit(resource.RLIMIT_AS, (32 << 20, 32 << 20))

        for fmt in FORMATS:
            with self.subTest(fmt):
                with open(os.devnull, "wb") as null:
                    proc = subprocess.run([TOOL, "write", fmt, "-", f"0x08000000:{big}"],
                                          stdout=null, stderr=subprocess.PIPE, text=True,
                                          preexec_fn=limit, timeout=300)
                self.assertEqual((proc.returncode, proc.stderr), (0, ""))

if __name__ == "__main__":
    unittest.main()
