"""The `<name>-flash` target of romfs_add_image(... FLASH_COMMAND ...), in a
real nested Ninja build, with tests/flasher_standin.py (a STAND-IN for a
flasher: no device is attached here) applying each file it is handed to
a stand-in flash: the first flash writes the whole image, the next ones
deltas of a few blocks against the image last flashed; a flash with
nothing changed runs no flasher; a deleted record means a whole image
again; a failing flasher leaves the record untouched. After every step the
stand-in flash holds exactly the image the build meant to flash, and the
image target's own output stays the canonical one."""
import os
import subprocess
import sys

from romfs_testlib import image_reader, trees
from romfs_testlib.cmake_project import Project, newer_than
from romfs_testlib.tool import ROMFS, SOURCE_DIR, ScratchTestCase, readb

FLASHER = os.path.join(SOURCE_DIR, "tests", "flasher_standin.py")
ADDRESS = 0x00100000
PARTITION = 256 * 1024
BLOCK = 4096

PROJECT = f"""\
cmake_minimum_required(VERSION 3.20)
project(flashing NONE)
include({SOURCE_DIR}/cmake/Romfs.cmake)
romfs_add_image(assets MANIFEST assets.yaml ALL ADDRESS {ADDRESS:#x} SIZE 256K
                FLASH_COMMAND "{sys.executable}" "{FLASHER}" --flash "${{FLASH_DEVICE}}"
                              --address {ADDRESS:#x} --erase-block {BLOCK} @FILE@)
"""

MANIFEST = """\
version: 1
files:
  - src: src
    dst: "."
"""


class FlashTarget(ScratchTestCase):
    def setUp(self):
        super().setUp()
        self.tree = trees.random_tree(61, n_files=60, n_dirs=8, max_size=4000)
        self.tree["models"] = {"net.tflite": bytes(range(256)) * 200}
        trees.write_tree(self.path("p/src"), self.tree)
        self.write("p/CMakeLists.txt", PROJECT)
        self.write("p/assets.yaml", MANIFEST)
        # The device: garbage where the partition is, so a file that does
        # not write what it must shows.
        self.device = self.write("device.bin", os.urandom(PARTITION))
        self.log = self.path("flasher.log")
        self.project = Project(self.path("p"), self.path("b"))
        self.project.configure(f"-DROMFS_EXECUTABLE={ROMFS}", f"-DFLASH_DEVICE={self.device}")
        self.project.build_all()
        self.image = self.path("b", "assets.romfs")

    def flash(self, fail=False):
        env = dict(os.environ, FLASHER_LOG=self.log, FLASHER_FAIL="1" if fail else "0")
        return subprocess.run(["cmake", "--build", self.path("b"), "--target", "assets-flash"],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True)

    def calls(self):
        if not os.path.exists(self.log):
            return []
        with open(self.log) as f:
            lines = [l.split() for l in f.read().splitlines()]
        os.unlink(self.log)
        return [(name, int(blocks)) for name, blocks, _ in lines]

    def assert_device_holds_the_tree(self):
        device = readb(self.device)
        keep = readb(self.path("b", "assets.romfs.keep.romfs"))
        self.assertEqual(device[:len(keep)], keep, "the device is not the image flashed")
        img = image_reader.parse(device)  # the partition's tail is not the image's
        self.assertEqual({p: e.data for p, e in img.files.items()}, trees.files_of(self.tree))
        self.assertEqual(readb(self.path("b", "assets.romfs.flashed.romfs")), keep)

    def edit(self, path, data):
        trees.set_path(self.tree, path, data)
        self.write(f"p/src/{path}", data)
        newer_than(self.path("b"), self.path(f"p/src/{path}"))

    def test_whole_then_deltas_then_nothing_then_whole_again(self):
        proc = self.flash()
        self.assertEqual(proc.returncode, 0, proc.stdout)
        keep = readb(self.path("b", "assets.romfs.keep.romfs"))
        self.assertEqual(self.calls(), [("assets.romfs.flash.hex", -(-len(keep) // BLOCK))])
        self.assertIn("flashing the whole image", proc.stdout)
        self.assert_device_holds_the_tree()
        self.assertFalse(any(e.indirect for e in image_reader.parse(readb(self.image)).entries),
                         "the image target's output must stay canonical")

        for step, (path, data) in enumerate([
                ("config.json", b'{"rate": 10}\n'),
                ("config.json", b'{"rate": 20, "gain": 3}\n'),
                ("models/net.tflite", bytes(range(256)) * 200 + b"tail"),
                ("lib/extra.py", b"X = 1\n")]):
            with self.subTest(step=step, path=path):
                self.edit(path, data)
                proc = self.flash()
                self.assertEqual(proc.returncode, 0, proc.stdout)
                ((name, blocks),) = self.calls()
                self.assertEqual(name, "assets.romfs.flash.hex")
                self.assertLessEqual(blocks, 4, proc.stdout)
                self.assert_device_holds_the_tree()

        proc = self.flash()
        self.assertEqual(proc.returncode, 0, proc.stdout)
        self.assertEqual(self.calls(), [])
        self.assertIn("the device already holds this image; nothing to flash", proc.stdout)

        os.unlink(self.path("b", "assets.romfs.flashed.txt"))
        proc = self.flash()
        self.assertEqual(proc.returncode, 0, proc.stdout)
        self.assertIn("flashing the whole image", proc.stdout)
        ((_, blocks),) = self.calls()
        self.assertEqual(blocks, -(-len(readb(self.path("b", "assets.romfs.keep.romfs")))
                                  // BLOCK))
        self.assert_device_holds_the_tree()
        # The image target's output is what a plain build of the tree gives.
        subprocess.run([ROMFS, "build", self.path("p/assets.yaml"), "-o", self.path("plain.img"),
                        "-q", "--size", "256K"], check=True)
        self.assertEqual(readb(self.image), readb(self.path("plain.img")))

    def test_a_failing_flasher_leaves_the_record_as_it_was(self):
        self.assertEqual(self.flash().returncode, 0)
        self.calls()
        record = readb(self.path("b", "assets.romfs.flashed.romfs"))
        record_text = readb(self.path("b", "assets.romfs.flashed.txt"))
        device = readb(self.device)
        self.edit("config.json", b'{"rate": 99}\n')
        proc = self.flash(fail=True)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("the flash command failed", proc.stdout)
        self.assertEqual(readb(self.path("b", "assets.romfs.flashed.romfs")), record)
        self.assertEqual(readb(self.path("b", "assets.romfs.flashed.txt")), record_text)
        self.assertEqual(readb(self.device), device)
        # The next flash is a delta against what the device really holds.
        proc = self.flash()
        self.assertEqual(proc.returncode, 0, proc.stdout)
        ((_, blocks),) = self.calls()
        self.assertLessEqual(blocks, 4)
        self.assert_device_holds_the_tree()

    def test_a_record_for_another_partition_means_a_whole_image(self):
        self.assertEqual(self.flash().returncode, 0)
        self.calls()
        with open(self.path("b", "assets.romfs.flashed.txt"), "a") as f:
            f.write("tampered\n")
        proc = self.flash()
        self.assertEqual(proc.returncode, 0, proc.stdout)
        self.assertIn("flashing the whole image", proc.stdout)
        self.assert_device_holds_the_tree()

    def test_flash_command_mistakes_fail_the_configure(self):
        for options, message in (
                ("ADDRESS 0x0 FLASH_COMMAND dfu-util -D assets.hex",
                 "romfs_add_image(assets): FLASH_COMMAND must say where the flash file goes, "
                 "with @FILE@ (for example: dfu-util -a 0 -D @FILE@)"),
                ("ADDRESS 0x0 FLASH_COMMAND x @FILE@ FLASH_FORMAT bin",
                 "romfs_add_image(assets): FLASH_FORMAT must be hex, uf2, dfu or elf (a delta "
                 "needs addresses), not 'bin'"),
                ("FLASH_FORMAT uf2",
                 "romfs_add_image(assets): FLASH_FORMAT is the format FLASH_COMMAND gets; give "
                 "FLASH_COMMAND <command>...")):
            with self.subTest(options=options):
                self.write("q/CMakeLists.txt", f"cmake_minimum_required(VERSION 3.20)\n"
                                               f"project(q NONE)\ninclude({SOURCE_DIR}/cmake/Romfs.cmake)\n"
                                               f"romfs_add_image(assets MANIFEST assets.yaml "
                                               f"{options})\n")
                self.write("q/assets.yaml", MANIFEST)
                proc = subprocess.run(["cmake", "-S", self.path("q"), "-B", self.path("qb"),
                                       "-G", "Ninja", f"-DROMFS_EXECUTABLE={ROMFS}"],
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                self.assertNotEqual(proc.returncode, 0)
                self.assertIn(message, " ".join(proc.stdout.split()))
