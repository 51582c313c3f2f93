"""romfs_add_image(... FLASH ... [ADDRESS | FIRMWARE | PARTITION_TABLE]) in a
real nested Ninja build: the flash files land where asked, hold the image
at the partition (read back by the independent readers), their paths are
target properties, they are rebuilt when the image's bytes, the firmware
or the table change and not otherwise, and rewritten only when their own
bytes change. A firmware that embeds the image it names as FIRMWARE makes
no dependency cycle."""
import os
import re
import subprocess
import unittest

from romfs_testlib import flash_files as ff
from romfs_testlib.cmake_project import Project, mtime_ns_and_inode, newer_than, steps_run
from romfs_testlib.tool import ROMFS, SOURCE_DIR, ScratchTestCase, readb

PROJECT = """\
cmake_minimum_required(VERSION 3.20)
project(flash C ASM)
include({source}/cmake/Romfs.cmake)

# The partition from the manifest (image.partition).
romfs_add_image(assets MANIFEST assets.yaml ALL
                FLASH assets.hex assets.uf2 out/assets.bin UF2_FAMILY rp2040)
# From an ESP-IDF partition table.
romfs_add_image(table MANIFEST assets.yaml OUTPUT table.romfs ALL
                FLASH table.hex PARTITION_TABLE partitions.csv)
# At an address, SIZE the partition's size.
romfs_add_image(addr MANIFEST assets.yaml OUTPUT addr.romfs ALL SIZE 64K
                FLASH addr.dfu addr.elf ADDRESS 0x08100000)

# From a firmware's partition symbols: one that only declares the partition...
add_executable(fw fw.c)
target_link_options(fw PRIVATE -no-pie
    -Wl,--defsym=_micropy_hw_romfs_part0_start=0x10000000
    -Wl,--defsym=_micropy_hw_romfs_part0_size=0x10000)
romfs_add_image(fwimage MANIFEST assets.yaml OUTPUT fwimage.romfs ALL
                FLASH fwimage.hex fwimage.elf FIRMWARE fw)
# ... and one that embeds the very image it names as FIRMWARE.
add_executable(embedding embedding.c)
target_link_options(embedding PRIVATE -no-pie)
romfs_add_image(embedded MANIFEST assets.yaml OUTPUT embedded.romfs
                FLASH embedded.hex FIRMWARE embedding PARTITION 0)
romfs_embed_image(embedding embedded MICROPYTHON_PARTITION 0)

set(props "")
foreach(t assets table addr fwimage embedded)
    foreach(p ROMFS_FLASH_FILES ROMFS_FLASH_TARGET ROMFS_FLASH_BIN ROMFS_FLASH_HEX
              ROMFS_FLASH_UF2 ROMFS_FLASH_DFU ROMFS_FLASH_ELF)
        get_target_property(v ${{t}} ${{p}})
        string(APPEND props "${{t}}.${{p}}=${{v}}\\n")
    endforeach()
endforeach()
file(WRITE "${{CMAKE_BINARY_DIR}}/props.txt" "${{props}}")
"""

ASSETS = """\
version: 1
image:
  align: 4
  partition:
    address: 0x10100000
    size: 64K
files:
  - src: src
    dst: "."
"""

TABLE = """\
nvs,      data, nvs,     ,        0x6000,
factory,  app,  factory, ,        1M,
romfs,    data, 0x8f,    ,        128K,
"""

FW_C = "int main(void) { return 0; }\n"

EMBEDDING_C = """\
#include <stdint.h>
extern uint8_t _micropy_hw_romfs_part0_start;
int main(void) { return _micropy_hw_romfs_part0_start == 0xd2 ? 0 : 1; }
"""


def have_ninja_and_cc():
    from shutil import which
    return which("ninja") and which("cc")


@unittest.skipUnless(have_ninja_and_cc(), "ninja or a C compiler not installed")
class CMakeFlash(ScratchTestCase):
    def setUp(self):
        super().setUp()
        self.write("p/CMakeLists.txt", PROJECT.format(source=SOURCE_DIR))
        self.write("p/assets.yaml", ASSETS)
        self.write("p/partitions.csv", TABLE)
        self.write("p/fw.c", FW_C)
        self.write("p/embedding.c", EMBEDDING_C)
        self.write("p/src/model.tflite", bytes(range(256)) * 4)
        self.write("p/src/labels.txt", "cat\ndog\n")
        self.project = Project(self.path("p"), self.path("b"))

    def b(self, *parts):
        return self.path("b", *parts)

    def props(self):
        with open(self.b("props.txt")) as f:
            return dict(line.split("=", 1) for line in f.read().splitlines())

    def flash_files(self):
        return [self.b(n) for n in ("assets.hex", "assets.uf2", "out/assets.bin", "table.hex",
                                    "addr.dfu", "addr.elf", "fwimage.hex", "fwimage.elf",
                                    "embedded.hex")]

    def stamps(self):
        return {p: mtime_ns_and_inode(p) for p in self.flash_files()}

    def check_contents(self):
        image = readb(self.b("assets.romfs"))
        for other in ("table", "addr", "fwimage", "embedded"):
            self.assertEqual(readb(self.b(f"{other}.romfs")), image)
        self.assertEqual(ff.read_ihex(readb(self.b("assets.hex"))), {0x10100000: image})
        runs, info = ff.read_uf2(readb(self.b("assets.uf2")))
        self.assertEqual(runs, ff.uf2_pages({0x10100000: image}))
        self.assertEqual(info["family"], 0xE48BFF56)
        self.assertEqual(readb(self.b("out", "assets.bin")), image)
        # nvs 0x9000..0xf000, factory 0x10000..0x110000, romfs at 0x110000
        self.assertEqual(ff.read_ihex(readb(self.b("table.hex"))), {0x110000: image})
        self.assertEqual(ff.read_dfuse(readb(self.b("addr.dfu")))[0], {0x08100000: image})
        self.assertEqual(ff.read_elf(readb(self.b("addr.elf")))[0], {0x08100000: image})
        self.assertEqual(ff.read_ihex(readb(self.b("fwimage.hex"))), {0x10000000: image})
        _, info = ff.read_elf(readb(self.b("fwimage.elf")))
        fw_info = ff.read_elf(readb(self.b("fw")))[1]
        self.assertEqual((info["machine"], info["class"]), (fw_info["machine"],
                                                            fw_info["class"]))
        # The embedding firmware's partition is where its image is.
        nm = subprocess.run(["nm", self.b("embedding")], stdout=subprocess.PIPE, text=True,
                            check=True).stdout
        start = int(re.search(r"^([0-9a-f]+) \w _micropy_hw_romfs_part0_start$", nm,
                              re.M).group(1), 16)
        self.assertEqual(ff.read_ihex(readb(self.b("embedded.hex"))), {start: image})
        return image

    def test_flash_files_built_and_rebuilt_exactly(self):
        self.project.configure(f"-DROMFS_EXECUTABLE={ROMFS}")
        self.project.build_all()
        props = self.props()
        self.assertEqual(props["assets.ROMFS_FLASH_FILES"],
                         ";".join(self.flash_files()[:3]))
        self.assertEqual(props["assets.ROMFS_FLASH_HEX"], self.b("assets.hex"))
        self.assertEqual(props["assets.ROMFS_FLASH_UF2"], self.b("assets.uf2"))
        self.assertEqual(props["assets.ROMFS_FLASH_BIN"], self.b("out", "assets.bin"))
        self.assertEqual(props["assets.ROMFS_FLASH_TARGET"], "assets")
        self.assertEqual((props["addr.ROMFS_FLASH_DFU"], props["addr.ROMFS_FLASH_ELF"]),
                         (self.b("addr.dfu"), self.b("addr.elf")))
        self.assertEqual(props["fwimage.ROMFS_FLASH_TARGET"], "fwimage_flash_files")
        self.assertEqual(props["embedded.ROMFS_FLASH_TARGET"], "embedded_flash_files")
        self.assertEqual(props["table.ROMFS_FLASH_HEX"], self.b("table.hex"))
        # embedded_flash is not in ALL (embedded is not): built on request.
        self.assertFalse(os.path.exists(self.b("embedded.hex")))
        self.project.build_all("embedded_flash_files")
        self.check_contents()

        # Nothing changed: nothing runs.
        before = self.stamps()
        out = self.project.build_all("all", "embedded_flash_files")
        self.assertEqual(steps_run(out), [], out)

        # A touched asset reruns the packers, which leave the images alone,
        # so no flash file is rewritten, nor is its step run again.
        labels = self.path("p/src/labels.txt")
        os.utime(labels)
        newer_than(self.b(), labels)
        out = self.project.build_all("all", "embedded_flash_files")
        self.assertFalse([s for s in steps_run(out) if s.startswith("Writing flash file")], out)
        self.assertEqual(self.stamps(), before)

        # An edited asset: every flash file follows.
        self.write("p/src/labels.txt", "cat\ndog\nzebra\n")
        newer_than(self.b(), labels)
        out = self.project.build_all("all", "embedded_flash_files")
        self.assertEqual(len([s for s in steps_run(out) if s.startswith("Writing flash file")]),
                         9, out)
        after = self.stamps()
        for p in self.flash_files():
            self.assertNotEqual(after[p], before[p], p)
        self.assertIn(b"zebra", self.check_contents())

        # A changed table rewrites its file alone.
        self.write("p/partitions.csv", TABLE.replace("1M", "2M"))
        newer_than(self.b(), self.path("p/partitions.csv"))
        out = self.project.build_all("all", "embedded_flash_files")
        self.assertEqual([s for s in steps_run(out) if s.startswith("Writing flash file")],
                         ["Writing flash file table.hex of ROMFS image table"], out)
        self.assertEqual(list(ff.read_ihex(readb(self.b("table.hex")))), [0x210000])

        # A relinked firmware reruns its flash files' steps, which leave
        # them alone: the partition and the image are the same.
        fw_hex = mtime_ns_and_inode(self.b("fwimage.hex"))
        self.write("p/fw.c", FW_C + "int unused(void) { return 1; }\n")
        newer_than(self.b(), self.path("p/fw.c"))
        out = self.project.build_all("all", "embedded_flash_files")
        ran = [s for s in steps_run(out) if s.startswith("Writing flash file")]
        self.assertEqual(sorted(ran), ["Writing flash file fwimage.elf of ROMFS image fwimage",
                                       "Writing flash file fwimage.hex of ROMFS image fwimage"],
                         out)
        self.assertEqual(mtime_ns_and_inode(self.b("fwimage.hex")), fw_hex)

    def configure_fails(self, old, new, message):
        self.write("p/CMakeLists.txt", PROJECT.format(source=SOURCE_DIR).replace(old, new))
        proc = subprocess.run(["cmake", "-S", self.path("p"), "-B", self.path("b"), "-G", "Ninja",
                               f"-DROMFS_EXECUTABLE={ROMFS}"], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn(message, " ".join(proc.stdout.split()))  # CMake wraps it

    def test_configure_errors(self):
        self.configure_fails("ADDRESS 0x08100000", "ADDRESS 0x08100000 PARTITION_TABLE x.csv",
                             "romfs_add_image(addr): ADDRESS and PARTITION_TABLE each say where "
                             "the partition is; give one")
        self.configure_fails("ADDRESS 0x08100000", "ADDRESS 8M",
                             "romfs_add_image(addr): ADDRESS must be an address such as "
                             "0x08100000, not '8M'")
        self.configure_fails("FLASH addr.dfu addr.elf", "FLASH addr.srec",
                             "romfs_add_image(addr): FLASH addr.srec: the extension says the "
                             "format: .bin, .hex, .uf2, .dfu or .elf")
        self.configure_fails("FLASH table.hex PARTITION_TABLE partitions.csv",
                             "FLASH table.hex UF2_FAMILY rp2040",
                             "romfs_add_image(table): UF2_FAMILY is for a .uf2 FLASH file, and "
                             "none is given")
        self.configure_fails("FLASH table.hex PARTITION_TABLE partitions.csv",
                             "PARTITION_TABLE partitions.csv",
                             "romfs_add_image(table): PARTITION_TABLE is for FLASH files and "
                             "FLASH_COMMAND; give FLASH <file>... or FLASH_COMMAND <command>...")
        self.configure_fails("FLASH fwimage.hex fwimage.elf FIRMWARE fw",
                             "FLASH fwimage.hex FIRMWARE nosuch",
                             "romfs_add_image(fwimage): FIRMWARE nosuch is not a target")
        self.configure_fails("FLASH addr.dfu addr.elf ADDRESS 0x08100000",
                             "FLASH addr.dfu PARTITION 1",
                             "romfs_add_image(addr): PARTITION picks a partition of FIRMWARE or "
                             "PARTITION_TABLE")


if __name__ == "__main__":
    unittest.main()
