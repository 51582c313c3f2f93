"""The examples in examples/, built as a user builds them: real nested CMake
projects from a private copy of the sources (so a test may edit assets).
The host example lists its image; the Cortex-M firmware places the image as
MicroPython's partition 0, checks it under QEMU, relinks exactly when the
image's bytes change, and fails to link when its flash region is too small;
its twin that links no image gets it as a flash file (romfs_add_image's
FLASH ... FIRMWARE), which QEMU's generic loader puts at the partition.
Both take the packer under test (ROMFS_EXECUTABLE): how a build finds or
makes its own is test_cmake_packages's and test_cmake_subproject's."""
import os
import re
import shutil
import subprocess
import tempfile
import unittest
import zlib

from romfs_testlib import flash_files as ff
from romfs_testlib.cmake_project import Project, copy_romfs_sources, newer_than, packer_runs
from romfs_testlib.image_reader import parse
from romfs_testlib.tool import ROMFS, SOURCE_DIR, TMP_ROOT

# What examples/cortex-m/assets.yaml packs, at the same paths under
# examples/assets as in the image; the host example packs the same tree.
FILES = ("model.tflite", "labels.txt", "config.json", "templates/calibration.jpg",
         "lib/mylib/__init__.py", "lib/mylib/helpers.py")

QEMU_TIMEOUT = 30


def needed_alignment(path):
    """What examples/cortex-m/assets.yaml asks for: romfs's 16 for models,
    the manifest's image.align (4) for the rest."""
    return 16 if path.endswith(".tflite") else 4


def missing_tool(*names):
    for name in names:
        if shutil.which(name) is None:
            return f"{name} not installed"
    return None


def missing_newlib():
    """arm-none-eabi-gcc without newlib echoes the bare name back."""
    out = subprocess.run(["arm-none-eabi-gcc", "-mcpu=cortex-m3", "-mthumb",
                          "-print-file-name=librdimon.a"],
                         stdout=subprocess.PIPE, text=True).stdout.strip()
    return None if os.path.isabs(out) else "newlib for arm-none-eabi (librdimon.a) not installed"


class ExampleCase(unittest.TestCase):
    """One private copy of romfs and its examples per class, built once."""

    example = None

    @classmethod
    def setUpClass(cls):
        os.makedirs(TMP_ROOT, exist_ok=True)
        cls.tmp = tempfile.mkdtemp(prefix=cls.__name__ + ".", dir=TMP_ROOT)
        cls.addClassCleanup(shutil.rmtree, cls.tmp, ignore_errors=True)
        cls.root = copy_romfs_sources(os.path.join(cls.tmp, "romfs"))
        shutil.copytree(os.path.join(SOURCE_DIR, "examples"), os.path.join(cls.root, "examples"))
        cls.src = os.path.join(cls.root, "examples", cls.example)
        cls.assets = os.path.join(cls.root, "examples", "assets")
        cls.build = os.path.join(cls.tmp, "build")
        cls.project = Project(cls.src, cls.build)

    @classmethod
    def asset(cls, path):
        with open(os.path.join(cls.assets, path), "rb") as f:
            return f.read()


class HostExample(ExampleCase):
    example = "host"

    @classmethod
    def setUpClass(cls):
        reason = missing_tool("ninja")
        if reason:
            raise unittest.SkipTest(reason)
        super().setUpClass()
        cls.project.configure(f"-DROMFS_EXECUTABLE={ROMFS}")
        cls.project.build_all()

    def test_show_assets_lists_the_tree_and_prints_labels(self):
        proc = subprocess.run([os.path.join(self.build, "show_assets")], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, timeout=30)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        tree, _, labels = proc.stdout.partition("--- labels.txt ---\n")
        self.assertEqual(labels, self.asset("labels.txt").decode())
        # The tree is indented two spaces a level; rebuild the full paths.
        listed, parents = {}, []
        for line in tree.splitlines()[1:]:
            m = re.match(r"^( *)(\S+?)(/|  \((\d+) bytes at offset \d+\))$", line)
            self.assertIsNotNone(m, line)
            depth = len(m.group(1)) // 2
            parents[depth:] = [m.group(2)]
            if m.group(3) != "/":
                listed["/".join(parents)] = int(m.group(4))
        self.assertEqual(listed, {p: len(self.asset(p)) for p in FILES})


class CortexMExample(ExampleCase):
    example = "cortex-m"

    @classmethod
    def setUpClass(cls):
        reason = missing_tool("ninja", "arm-none-eabi-gcc") or missing_newlib()
        if reason:
            raise unittest.SkipTest(reason)
        super().setUpClass()
        cls.toolchain = os.path.join(cls.src, "arm-none-eabi.cmake")
        cls.project.configure(f"-DCMAKE_TOOLCHAIN_FILE={cls.toolchain}",
                              f"-DROMFS_EXECUTABLE={ROMFS}")
        cls.project.build_all()
        cls.elf = os.path.join(cls.build, "firmware.elf")
        cls.image = os.path.join(cls.build, "assets.romfs")
        cls.flashed = os.path.join(cls.build, "firmware_flashed.elf")
        cls.flash_files = [os.path.join(cls.build, n) for n in ("assets.hex", "assets.elf")]

    def require_qemu(self):
        reason = missing_tool("qemu-system-arm")
        if reason:
            self.skipTest(reason)

    def symbols(self, elf=None):
        out = subprocess.run(["arm-none-eabi-nm", elf or self.elf], stdout=subprocess.PIPE,
                             text=True, check=True).stdout
        return {m.group(2): int(m.group(1), 16)
                for m in re.finditer(r"^([0-9a-f]+) \w (\S+)$", out, re.M)}

    def run_firmware(self, elf=None, load=None):
        """QEMU's exit status and the report lines per path; `load`, a flash
        file for QEMU's generic loader to put in memory first."""
        loader = ["-device", f"loader,file={load}"] if load else []
        proc = subprocess.run(
            ["qemu-system-arm", "-M", "mps2-an385", "-nographic", "-monitor", "none",
             "-semihosting-config", "enable=on,target=native", "-kernel", elf or self.elf,
             *loader],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, timeout=QEMU_TIMEOUT)
        report = {}
        for m in re.finditer(r"^(\S+)\s+0x([0-9a-f]{8})\s+(\d+) B\s+align\s+(\d+) (\S+)\s+"
                             r"crc32 ([0-9a-f]{8})\s+lookup (\S+)$", proc.stdout, re.M):
            report[m.group(1)] = {"addr": int(m.group(2), 16), "size": int(m.group(3)),
                                  "align": int(m.group(4)), "aligned": m.group(5),
                                  "crc": int(m.group(6), 16), "lookup": m.group(7)}
        return proc, report

    def assert_firmware_sees_the_assets(self, elf=None, load=None):
        with open(self.image, "rb") as f:
            img = parse(f.read())
        start = self.symbols(elf)["_micropy_hw_romfs_part0_start"]
        proc, report = self.run_firmware(elf, load)
        output = proc.stdout + proc.stderr
        self.assertEqual(proc.returncode, 0, output)
        self.assertTrue(proc.stdout.splitlines()[-1].startswith("PASS:"), output)
        self.assertEqual(set(report), set(FILES), output)
        for path in FILES:
            data = self.asset(path)
            want = {"addr": start + img.files[path].offset, "size": len(data),
                    "align": needed_alignment(path), "aligned": "ok",
                    "crc": zlib.crc32(data), "lookup": "ok"}
            self.assertEqual(report[path], want, f"{path}:\n{output}")
        return proc.stdout

    def test_partition_symbols_and_section(self):
        with open(self.image, "rb") as f:
            data = f.read()
        img = parse(data)
        self.assertEqual(set(img.files), set(FILES))
        largest = 1
        for path, entry in img.files.items():
            self.assertEqual(entry.offset % needed_alignment(path), 0, path)
            largest = max(largest, needed_alignment(path))
        self.assertEqual(largest, 16)
        syms = self.symbols()
        self.assertEqual(syms["_micropy_hw_romfs_part0_start"] % largest, 0)
        self.assertEqual(syms["_micropy_hw_romfs_part0_size"], img.size)
        self.assertEqual(img.size, len(data))
        with open(os.path.join(self.build, "firmware.map")) as f:
            self.assertRegex(f.read(), r"(?m)^\.romfs\s+0x[0-9a-f]+\s+0x[0-9a-f]+")

    def test_firmware_checks_every_file_under_qemu(self):
        self.require_qemu()
        self.assert_firmware_sees_the_assets()

    def test_relinks_only_when_the_image_bytes_change(self):
        labels = os.path.join(self.assets, "labels.txt")
        before = os.stat(self.elf).st_mtime_ns
        flashed = os.stat(self.flashed).st_mtime_ns
        files = [os.stat(p).st_mtime_ns for p in self.flash_files]
        os.utime(labels)
        newer_than(self.build, labels)
        out = self.project.build_all()
        self.assertEqual(packer_runs(out), 1)
        self.assertNotIn("Writing flash file", out)
        self.assertEqual(os.stat(self.elf).st_mtime_ns, before, "relinked after a touch")
        self.assertEqual([os.stat(p).st_mtime_ns for p in self.flash_files], files)
        with open(labels, "a") as f:
            f.write("zebra\n")
        newer_than(self.build, labels)
        self.project.build_all()
        self.assertNotEqual(os.stat(self.elf).st_mtime_ns, before, "not relinked after an edit")
        # The flash files follow the image; the firmware without it is not relinked.
        for p, old in zip(self.flash_files, files):
            self.assertNotEqual(os.stat(p).st_mtime_ns, old, p)
        self.assertEqual(os.stat(self.flashed).st_mtime_ns, flashed)
        self.require_qemu()  # the relinking is checked; what the new firmware sees needs QEMU
        self.assert_firmware_sees_the_assets()
        self.assert_firmware_sees_the_assets(self.flashed, self.flash_files[0])

    def test_flash_files_hold_the_image_at_the_flashed_firmwares_partition(self):
        """romfs_add_image(... FLASH assets.hex assets.elf FIRMWARE
        firmware_flashed): the image where that firmware's partition
        symbols say, which is its ROMFS region, and nothing of it linked
        into the firmware."""
        with open(self.image, "rb") as f:
            image = f.read()
        syms = self.symbols(self.flashed)
        start = syms["_micropy_hw_romfs_part0_start"]
        self.assertEqual((start, syms["_micropy_hw_romfs_part0_size"]), (0x00100000, 64 * 1024))
        with open(self.flash_files[0], "rb") as f:
            self.assertEqual(ff.read_ihex(f.read()), {start: image})
        with open(self.flash_files[1], "rb") as f:
            runs, info = ff.read_elf(f.read())
        self.assertEqual((runs, info["machine"], info["class"]), ({start: image}, 40, 32))
        with open(self.flashed, "rb") as f:
            loads = ff.read_elf(f.read())[1]["phdrs"]
        self.assertFalse([p for p in loads if p["type"] == 1 and p["filesz"] and
                          p["paddr"] <= start < p["paddr"] + p["filesz"]])

    def test_flashed_firmware_checks_every_file_the_loader_put_there(self):
        """QEMU's generic loader puts the flash file (.hex, .elf) at the
        partition; the firmware that links no image finds, walks and
        CRC-checks every file there. Without it, the partition is empty."""
        self.require_qemu()
        for load in self.flash_files:
            with self.subTest(os.path.basename(load)):
                self.assert_firmware_sees_the_assets(self.flashed, load)
        proc, report = self.run_firmware(self.flashed)
        self.assertEqual(proc.returncode, 1, proc.stdout + proc.stderr)
        self.assertEqual(proc.stdout.splitlines(),
                         ["partition 0 at 0x00100000, 65536 bytes: not a ROMFS image", "FAIL"])

    def test_boots_from_a_base_with_a_delta_flashed_over_it(self):
        """A block-keeping base on the device, an edit, the delta of the
        new image against it applied as a flasher applies it (whole erase
        blocks at the addresses the delta file gives), and the result
        loaded at the partition: the firmware finds, walks and CRC-checks
        every file of the new image. (QEMU's generic loader refuses
        overlapping regions, so the test applies the delta itself.)"""
        self.require_qemu()
        work = os.path.join(self.tmp, "delta")
        assets = os.path.join(work, "assets")
        shutil.copytree(self.assets, assets)
        with open(os.path.join(self.src, "assets.yaml")) as f:
            manifest = f.read().replace("../assets/", assets + "/")
        with open(os.path.join(work, "m.yaml"), "w") as f:
            f.write(manifest)
        start, size, block = 0x00100000, 64 * 1024, 4096
        romfs = lambda *a: subprocess.run([ROMFS, *a], check=True, stdout=subprocess.PIPE,
                                          stderr=subprocess.STDOUT, text=True).stdout
        romfs("build", os.path.join(work, "m.yaml"), "-o", os.path.join(work, "base.img"),
              "--layout", "keep", "--size", str(size), "-q")
        with open(os.path.join(assets, "labels.txt"), "a") as f:
            f.write("zebra\n")
        with open(os.path.join(work, "m.yaml"), "a") as f:
            f.write(f"  - src: {assets}/extra.py\n    dst: lib/mylib/\n")
        with open(os.path.join(assets, "extra.py"), "w") as f:
            f.write("EXTRA = 1\n")
        romfs("build", os.path.join(work, "m.yaml"), "-o", os.path.join(work, "new.img"),
              "--base", os.path.join(work, "base.img"), "--size", str(size), "-q")
        said = romfs("flash", os.path.join(work, "new.img"), "--base",
                     os.path.join(work, "base.img"), "-o", os.path.join(work, "delta.hex"),
                     "--address", hex(start), "--size", str(size))
        with open(os.path.join(work, "base.img"), "rb") as f:
            base = f.read()
        with open(os.path.join(work, "new.img"), "rb") as f:
            new = f.read()
        with open(os.path.join(work, "delta.hex"), "rb") as f:
            runs = ff.read_ihex(f.read())
        device = bytearray(base + b"\xff" * (size - len(base)))
        written = 0
        for address, data in runs.items():
            at = address - start
            self.assertEqual((at % block, len(data) % block), (0, 0), "whole erase blocks")
            device[at:at + len(data)] = data
            written += len(data) // block
        self.assertEqual(bytes(device[:len(new)]), new, "base + delta is the new image")
        self.assertIn(f"{written} of {-(-len(new) // block)} erase blocks", said)
        self.assertLessEqual(written, 4, said)
        combined = os.path.join(work, "device.bin")
        with open(combined, "wb") as f:
            f.write(device)
        proc, report = self.run_firmware(self.flashed,
                                         f"{combined},addr={start:#x},force-raw=on")
        output = proc.stdout + proc.stderr
        self.assertEqual(proc.returncode, 0, output)
        self.assertTrue(proc.stdout.splitlines()[-1].startswith("PASS:"), output)
        img = parse(new)
        self.assertEqual(set(report), set(img.files), output)
        for path, e in img.files.items():
            self.assertEqual(report[path], {
                "addr": start + e.offset, "size": e.size, "align": needed_alignment(path),
                "aligned": "ok", "crc": zlib.crc32(e.data), "lookup": "ok"}, output)
        self.assertTrue(any(e.indirect for e in img.files.values()))

    def test_a_region_too_small_fails_the_link(self):
        # A second build tree for the same firmware, with one prebuilt
        # packer, as a port with many boards would.
        small = Project(self.src, os.path.join(self.tmp, "build-small"))
        small.configure(f"-DCMAKE_TOOLCHAIN_FILE={self.toolchain}",
                        f"-DROMFS_EXECUTABLE={ROMFS}", "-DFIRMWARE_ROMFS_SIZE=1K")
        with self.assertRaises(AssertionError) as ctx:
            small.build_all()
        self.assertIn("region `ROMFS' overflowed", str(ctx.exception))


if __name__ == "__main__":
    unittest.main()
