"""romfs_embed_image() in real nested CMake builds, with the host's gcc and
with arm-none-eabi-gcc: the generated header stands beside the partition
declarations of MicroPython's ports; a firmware linker script that defines
the partition symbols fails the link, naming the symbol and both places;
one image goes into several firmware targets, through the embedding
library or the old call form, defined before or after the image; options
that differ between embeddings are refused unless each has its library.
The packer is the one under test (ROMFS_EXECUTABLE): none of this is about
finding or building it."""
import os
import re
import shutil
import subprocess
import tempfile
import unittest

from romfs_testlib.cmake_project import Project, newer_than, steps_run
from romfs_testlib.tool import ROMFS, SOURCE_DIR, TMP_ROOT, ScratchTestCase, readb

TOOLCHAIN = os.path.join(SOURCE_DIR, "examples", "cortex-m", "arm-none-eabi.cmake")
HAVE_NINJA = shutil.which("ninja") is not None
HAVE_ARM = shutil.which("arm-none-eabi-gcc") is not None

MANIFEST = """\
version: 1
image:
  align: 16
files:
  - src: assets
    dst: "."
"""

# The partition as ports/qemu (and samd, mimxrt, renesas-ra) declare it,
# before the header; and as ports/stm32 does, after it. The static
# initialiser is how a port hands the size to a memoryview.
PORT_QEMU = """\
#include <stdint.h>
extern uint8_t _micropy_hw_romfs_part0_start;
extern uint8_t _micropy_hw_romfs_part0_size;
#include "romfs/assets.h"
static const uintptr_t qemu_size_at_build = (uintptr_t)&_micropy_hw_romfs_part0_size;
uintptr_t qemu_start(void) { return (uintptr_t)&_micropy_hw_romfs_part0_start; }
uintptr_t qemu_size(void) { return qemu_size_at_build; }
"""

PORT_STM32 = """\
#include "romfs/assets.h"
extern unsigned char _micropy_hw_romfs_part0_start;
extern unsigned char _micropy_hw_romfs_part0_size;
#include <stdint.h>
uintptr_t stm32_start(void) { return (uintptr_t)&_micropy_hw_romfs_part0_start; }
uintptr_t stm32_size(void) { return (uintptr_t)&_micropy_hw_romfs_part0_size; }
"""

PORTS_DECL = """\
#include <stdint.h>
uintptr_t qemu_start(void);
uintptr_t qemu_size(void);
uintptr_t stm32_start(void);
uintptr_t stm32_size(void);
"""

HOST_MAIN = PORTS_DECL + """\
#include <stdio.h>
#include "romfs/assets.h"
int main(void) {
    printf("%lu %lu %lu %lu %lu %lu\\n", (unsigned long)qemu_start(), (unsigned long)qemu_size(),
           (unsigned long)stm32_start(), (unsigned long)stm32_size(),
           (unsigned long)(uintptr_t)assets_romfs_start, (unsigned long)assets_romfs_size());
    return 0;
}
"""

ARM_MAIN = PORTS_DECL + """\
uintptr_t seen[4];
void Reset_Handler(void);
void Reset_Handler(void) {
    seen[0] = qemu_start();
    seen[1] = qemu_size();
    seen[2] = stm32_start();
    seen[3] = stm32_size();
    for (;;) {
    }
}
"""

# A board's linker script; DEFINE is where a test makes it define a
# partition symbol itself.
ARM_SCRIPT = """\
MEMORY
{{
    FLASH (rx) : ORIGIN = 0x00000000, LENGTH = 256K
    ROMFS (r)  : ORIGIN = 0x00100000, LENGTH = 64K
    RAM (rwx)  : ORIGIN = 0x20000000, LENGTH = 64K
}}
ENTRY(Reset_Handler)
SECTIONS
{{
    .text : {{ *(.text .text.*) *(.rodata .rodata.*) }} > FLASH
    .data : {{ *(.data .data.*) }} > RAM AT > FLASH
    .bss : {{ *(.bss .bss.* COMMON) }} > RAM
    INCLUDE romfs_assets.ld
    {define}
}}
"""

# On the host, a script that only adds to the default one.
HOST_SCRIPT = """\
SECTIONS {{ .board_romfs : {{ KEEP(*(.board_romfs)) }} }}
INSERT AFTER .rodata;
{define}
"""

PROJECT = """\
cmake_minimum_required(VERSION 3.20)
project(embed C ASM)
include({romfs}/cmake/Romfs.cmake)
{image}{body}
"""
IMAGE = "romfs_add_image(assets MANIFEST assets.yaml)\n"

def symbols(nm, elf):
    out = subprocess.run([nm, elf], stdout=subprocess.PIPE, text=True, check=True).stdout
    return {m.group(2): int(m.group(1), 16)
            for m in re.finditer(r"^([0-9a-f]+) \w (\S+)$", out, re.M)}


def words(text):
    """Text with its whitespace runs made single spaces: CMake wraps and
    indents its messages."""
    return " ".join(text.split())


def write_files(root, files):
    for name, text in files.items():
        path = os.path.join(root, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)


@unittest.skipUnless(HAVE_NINJA, "ninja not installed")
class SharedProject(unittest.TestCase):
    """One project per class, configured once and built target by target."""

    toolchain = False
    image_rule = IMAGE
    body = ""
    files = {}

    @classmethod
    def setUpClass(cls):
        os.makedirs(TMP_ROOT, exist_ok=True)
        cls.tmp = tempfile.mkdtemp(prefix=cls.__name__ + ".", dir=TMP_ROOT)
        cls.addClassCleanup(shutil.rmtree, cls.tmp, ignore_errors=True)
        cls.src = os.path.join(cls.tmp, "p")
        cls.build_dir = os.path.join(cls.tmp, "b")
        write_files(cls.src, dict(ASSETS, **cls.files, **{
            "CMakeLists.txt": PROJECT.format(romfs=SOURCE_DIR, image=cls.image_rule,
                                             body=cls.body)}))
        cls.project = Project(cls.src, cls.build_dir)
        args = [f"-DROMFS_EXECUTABLE={ROMFS}"]
        if cls.toolchain:
            args.append(f"-DCMAKE_TOOLCHAIN_FILE={TOOLCHAIN}")
        cls.project.configure(*args)

    def build(self, target):
        return self.project.build_all(target)

    def build_fails(self, target):
        with self.assertRaises(AssertionError) as ctx:
            self.build(target)
        return words(str(ctx.exception))

    def image(self):
        return readb(os.path.join(self.build_dir, "assets.romfs"))

    def asm(self, lib="assets_embedded", symbol="assets"):
        return os.path.join(self.build_dir, "romfs_embed", lib, f"{symbol}_romfs.S")

    def assert_names_both_places(self, output, firmware, symbol):
        script = os.path.join(self.src, f"{firmware}.ld")
        self.assertIn(f"romfs: {symbol} is defined by a linker script of {firmware} (-T{script}), "
                      f"which overrides its definition in {self.asm()}", output)


ASSETS = {
    "assets.yaml": MANIFEST,
    "assets/model.tflite": "TFL3" * 64,
    "assets/labels.txt": "cat\ndog\n",
}
PORTS = {"port_qemu.c": PORT_QEMU, "port_stm32.c": PORT_STM32}


def firmware(name, script, host):
    """A firmware target of the port files, with its own linker script."""
    text = f"add_executable({name} main.c port_qemu.c port_stm32.c)\n"
    text += f"target_compile_options({name} PRIVATE -Wall -Wextra -Wpedantic -Werror"
    text += " -fno-pie)\n" if host else ")\n"
    options = "-no-pie" if host else f"-nostdlib -nostartfiles"
    if script:
        options += f' "-T${{CMAKE_CURRENT_SOURCE_DIR}}/{name}.ld"'
    text += f"target_link_options({name} PRIVATE {options})\n"
    if not host:
        text += f"set_target_properties({name} PROPERTIES SUFFIX .elf)\n"
    return text


class ScriptDefinitionsFail:
    """For a SharedProject whose fw_size and fw_start link with a script
    that defines the partition's size or start itself."""

    def test_a_script_that_defines_the_size_fails_the_link(self):
        self.assert_names_both_places(self.build_fails("fw_size"), "fw_size",
                                      "_micropy_hw_romfs_part0_size")

    def test_a_script_that_defines_the_start_fails_the_link(self):
        self.assert_names_both_places(self.build_fails("fw_start"), "fw_start",
                                      "_micropy_hw_romfs_part0_start")


class HostLinks(ScriptDefinitionsFail, SharedProject):
    """The host's gcc and GNU ld: the header beside both declaration
    styles (-Werror), and linker scripts that define the partition symbols
    (an error, naming them and both places) or PROVIDE them (fine)."""

    body = (firmware("fw", False, True)
            + "romfs_embed_image(fw assets MICROPYTHON_PARTITION 0)\n"
            + "".join(firmware(f"fw_{v}", True, True)
                      + f"romfs_embed_image(fw_{v} assets MICROPYTHON_PARTITION 0)\n"
                      for v in ("size", "start", "provide"))
            # Linked through a library of the project's own, which the
            # check cannot see through: it still runs, in general words.
            + "add_library(board INTERFACE)\n"
            "target_link_libraries(board INTERFACE assets_embedded)\n"
            + firmware("fw_indirect", True, True)
            + "target_link_libraries(fw_indirect PRIVATE board)\n")
    files = dict(PORTS, **{
        "main.c": HOST_MAIN,
        "fw_size.ld": HOST_SCRIPT.format(define="_micropy_hw_romfs_part0_size = 0x40000;"),
        "fw_start.ld": HOST_SCRIPT.format(
            define="_micropy_hw_romfs_part0_start = ADDR(.board_romfs) + 64;"),
        "fw_provide.ld": HOST_SCRIPT.format(
            define="PROVIDE(_micropy_hw_romfs_part0_size = 0x40000);"),
        "fw_indirect.ld": HOST_SCRIPT.format(define="_micropy_hw_romfs_part0_size = 0x40000;"),
    })

    def carried(self, target):
        self.build(target)
        out = subprocess.run([os.path.join(self.build_dir, target)], stdout=subprocess.PIPE,
                             text=True, check=True).stdout.split()
        return list(map(int, out))

    def test_header_beside_port_declarations(self):
        qemu_start, qemu_size, stm32_start, stm32_size, start, size = self.carried("fw")
        self.assertEqual(size, len(self.image()))
        self.assertEqual((qemu_start, qemu_size), (start, size))
        self.assertEqual((stm32_start, stm32_size), (start, size))

    def test_a_script_that_provides_the_size_is_fine(self):
        self.assertEqual(self.carried("fw_provide")[1], len(self.image()))

    def test_a_consumer_it_cannot_see_still_fails(self):
        self.assertIn("romfs: _micropy_hw_romfs_part0_size is defined by the firmware's linker "
                      f"script, which overrides its definition in {self.asm()}",
                      self.build_fails("fw_indirect"))


@unittest.skipUnless(HAVE_ARM, "arm-none-eabi-gcc not installed")
class ArmLinks(ScriptDefinitionsFail, SharedProject):
    """The same with arm-none-eabi-gcc and its ld, the image in a flash
    region of a board's linker script."""

    toolchain = True
    body = "".join(firmware(f"fw_{v}", True, False)
                   + f"romfs_embed_image(fw_{v} assets MICROPYTHON_PARTITION 0 REGION ROMFS)\n"
                   for v in ("ok", "size", "start", "same"))
    files = dict(PORTS, **{
        "main.c": ARM_MAIN,
        "fw_ok.ld": ARM_SCRIPT.format(define=""),
        "fw_size.ld": ARM_SCRIPT.format(define="_micropy_hw_romfs_part0_size = LENGTH(ROMFS);"),
        "fw_start.ld": ARM_SCRIPT.format(
            define="_micropy_hw_romfs_part0_start = ORIGIN(ROMFS) + 0x100;"),
        # The image's own value, and a PROVIDE: nothing to object to.
        "fw_same.ld": ARM_SCRIPT.format(
            define="_micropy_hw_romfs_part0_start = ORIGIN(ROMFS);\n"
                   "    PROVIDE(_micropy_hw_romfs_part0_size = LENGTH(ROMFS));"),
    })

    def check_symbols(self, target):
        self.build(target)
        syms = symbols("arm-none-eabi-nm", os.path.join(self.build_dir, f"{target}.elf"))
        self.assertEqual(syms["_micropy_hw_romfs_part0_size"], len(self.image()))
        self.assertEqual(syms["_micropy_hw_romfs_part0_start"], syms["assets_romfs_start"])
        self.assertEqual(syms["assets_romfs_start"], 0x00100000)  # in region ROMFS

    def test_header_beside_port_declarations(self):
        self.check_symbols("fw_ok")

    def test_the_same_value_and_provide_are_fine(self):
        self.check_symbols("fw_same")


# Prints what the program carries: the partition's size, whether its first
# bytes are the image file's (argv[1]), and whether the rest is erased.
CARRIER = """\
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include ROMFS_HEADER
extern uint8_t _micropy_hw_romfs_part0_start;
extern uint8_t _micropy_hw_romfs_part0_size;
static uint8_t file[1 << 16];
int main(int argc, char **argv) {
    FILE *f = argc > 1 ? fopen(argv[1], "rb") : NULL;
    size_t n = f ? fread(file, 1, sizeof file, f) : 0;
    const uint8_t *p = &_micropy_hw_romfs_part0_start;
    size_t size = (size_t)(uintptr_t)&_micropy_hw_romfs_part0_size;
    int erased = 1;
    for (size_t i = n; i < size; i++) {
        erased &= p[i] == 0xff;
    }
    printf("%lu %d %d\\n", (unsigned long)size, n > 0 && n <= size && memcmp(p, file, n) == 0,
           erased);
    return 0;
}
"""


def carrier(name, header="romfs/assets.h"):
    return (f"add_executable({name} carrier.c)\n"
            f"target_compile_definitions({name} PRIVATE ROMFS_HEADER=\"{header}\")\n"
            f"target_compile_options({name} PRIVATE -fno-pie)\n"
            f"target_link_options({name} PRIVATE -no-pie)\n")


class OneImageManyFirmware(SharedProject):
    """fw1 embeds the image before its target exists (a subdirectory added
    later makes it); fw2, with the same options, shares the library; the
    library form, called after them with the same options, finds it and
    fw4 links it; fw3 links a second library of the same image, a whole
    16K partition with other symbols."""

    body = (carrier("fw1") + "romfs_embed_image(fw1 assets MICROPYTHON_PARTITION 0)\n"
            "add_subdirectory(images)\n"
            + carrier("fw2") + "romfs_embed_image(fw2 assets MICROPYTHON_PARTITION 0)\n"
            + carrier("fw3", "romfs/whole.h")
            + "romfs_embed_image(assets TARGET assets_whole SYMBOL whole SIZE 16K\n"
              "                  MICROPYTHON_PARTITION 0)\n"
              "target_link_libraries(fw3 PRIVATE assets_whole)\n"
            + carrier("fw4") + "romfs_embed_image(assets MICROPYTHON_PARTITION 0)\n"
              "target_link_libraries(fw4 PRIVATE assets_embedded)\n")
    files = {"carrier.c": CARRIER,
             "images/CMakeLists.txt": "romfs_add_image(assets MANIFEST ../assets.yaml)\n"}

    image_rule = ""  # the subdirectory makes it

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.project.build_all()

    def carried(self, target):
        image = os.path.join(self.build_dir, "images", "assets.romfs")
        out = subprocess.run([os.path.join(self.build_dir, target), image],
                             stdout=subprocess.PIPE, text=True, check=True).stdout.split()
        return int(out[0]), out[1] == "1", out[2] == "1"

    def test_each_firmware_carries_the_image(self):
        size = len(readb(os.path.join(self.build_dir, "images", "assets.romfs")))
        for fw in ("fw1", "fw2", "fw4"):
            self.assertEqual(self.carried(fw), (size, True, True), fw)
        self.assertEqual(self.carried("fw3"), (16 * 1024, True, True))

    def test_two_libraries_for_two_layouts(self):
        self.assertEqual(sorted(os.listdir(os.path.join(self.build_dir, "romfs_embed"))),
                         ["assets_embedded", "assets_whole"])


# No languages: these stop at configure time, before a compiler matters.
MISTAKES = {
    "romfs_embed_image(nosuch)\n":
        "romfs_embed_image(nosuch): no target named nosuch; make it with "
        "romfs_add_image(nosuch ...)",
    "add_custom_target(other)\nromfs_embed_image(other)\n":
        "romfs_embed_image(other): other was not made by romfs_add_image()",
    "add_custom_target(fw)\nadd_library(assets_embedded INTERFACE)\n"
    "romfs_embed_image(fw assets)\n":
        "romfs_embed_image(fw assets): a target named assets_embedded exists and was not made "
        "by romfs_embed_image(); name the library with TARGET <name>",
    "romfs_embed_image(assets SIZE)\n":
        "romfs_embed_image(assets): SIZE must be a byte count such as 131072, 0x20000, 128K or "
        "8M, not ''",
    "romfs_embed_image(assets MICROPYTHON_PARTITION 2)\n":
        "romfs_embed_image(assets): MICROPYTHON_PARTITION must be 0 or 1, not '2'",
    "romfs_embed_image(assets SYMBOL 2fast)\n":
        "romfs_embed_image(assets): SYMBOL '2fast' is not a C identifier",
    "add_custom_target(fw1)\nadd_custom_target(fw2)\n"
    "romfs_embed_image(fw1 assets MICROPYTHON_PARTITION 0)\n"
    "romfs_embed_image(fw2 assets MICROPYTHON_PARTITION 0 SIZE 16K)\n":
        "romfs_embed_image(fw2 assets): assets_embedded already embeds assets in SECTION .romfs "
        "with SYMBOL assets MICROPYTHON_PARTITION 0; this call asks for assets in SECTION .romfs "
        "with SYMBOL assets MICROPYTHON_PARTITION 0 SIZE 16384. Give this embedding a library "
        "of its own with TARGET <name>",
}


@unittest.skipUnless(HAVE_NINJA, "ninja not installed")
class Mistakes(ScratchTestCase):
    def configure_fails(self, text):
        self.write("p/CMakeLists.txt", text)
        self.write("p/assets.yaml", MANIFEST)
        shutil.rmtree(self.path("b"), ignore_errors=True)
        with self.assertRaises(AssertionError) as ctx:
            Project(self.path("p"), self.path("b")).configure(f"-DROMFS_EXECUTABLE={ROMFS}")
        return words(str(ctx.exception))

    def test_mistakes_are_clear_configure_errors(self):
        for body, message in MISTAKES.items():
            with self.subTest(body=body):
                text = PROJECT.replace("C ASM", "NONE").format(romfs=SOURCE_DIR, image=IMAGE,
                                                              body=body)
                self.assertIn(message, self.configure_fails(text))

    def test_asm_must_be_enabled(self):
        text = PROJECT.replace("C ASM", "C").format(romfs=SOURCE_DIR, image=IMAGE,
                                                   body="romfs_embed_image(assets)\n")
        self.assertIn("romfs_embed_image(assets): the image is linked in through an assembly "
                      "file; enable the ASM language, for example project(<name> C ASM)",
                      self.configure_fails(text))


class EmbedRebuilds(ScratchTestCase):
    """Two programs carry one image: an asset edit re-assembles the image
    into each and relinks both, and nothing else; a touch, a second build or
    a reconfigure runs nothing (with Make, the packer reruns after a touch,
    finding the image up to date: make has no restat)."""

    generator = None  # set by the subclasses below

    def setUp(self):
        super().setUp()
        if shutil.which("ninja" if self.generator == "Ninja" else "make") is None:
            self.skipTest(f"{self.generator} not installed")

    def test_rebuilds_exactly_when_the_bytes_change(self):
        body = (carrier("fw1") + carrier("fw2")
                + "romfs_embed_image(fw1 assets MICROPYTHON_PARTITION 0)\n"
                "romfs_embed_image(fw2 assets MICROPYTHON_PARTITION 0)\n")
        write_files(self.path("p"), dict(ASSETS, **{
            "carrier.c": CARRIER,
            "CMakeLists.txt": PROJECT.format(romfs=SOURCE_DIR, image=IMAGE, body=body)}))
        build = self.path("b")
        project = Project(self.path("p"), build, self.generator)
        project.configure(f"-DROMFS_EXECUTABLE={ROMFS}")
        project.build_all()
        image = self.path("b", "assets.romfs")
        programs = [os.path.join(build, fw) for fw in ("fw1", "fw2")]
        header = self.path("b", "romfs_embed", "assets_embedded", "include", "romfs", "assets.h")

        def stamps():
            return {p: os.stat(p).st_mtime_ns for p in programs + [header]}

        def carried():
            return [subprocess.run([p, image], stdout=subprocess.PIPE, text=True,
                                   check=True).stdout.split() for p in programs]

        self.assertEqual(carried(), [[str(len(readb(image))), "1", "1"]] * 2)
        before = stamps()
        self.assertEqual(steps_run(project.build_all()), [], "second build")

        labels = self.path("p", "assets", "labels.txt")
        os.utime(labels)
        newer_than(build, labels)
        self.assertEqual(steps_run(project.build_all()), ["Packing ROMFS image assets"], "touch")
        self.assertEqual(stamps(), before, "touch")
        steps = steps_run(project.build_all())
        self.assertEqual(steps, [] if self.generator == "Ninja" else ["Packing ROMFS image assets"],
                         "build after a touch")

        with open(labels, "a") as f:
            f.write("bird\n")
        newer_than(build, labels)
        steps = steps_run(project.build_all())
        self.assertEqual(sorted(steps), sorted(
            ["Packing ROMFS image assets"]
            + [f"Building ASM object CMakeFiles/{fw}.dir/romfs_embed/assets_embedded/"
               f"assets_romfs.S.o" for fw in ("fw1", "fw2")]
            + [f"Linking C executable {fw}" for fw in ("fw1", "fw2")]), "edit")
        after = stamps()
        self.assertEqual(after[header], before[header], "the header changed with the image")
        self.assertEqual(carried(), [[str(len(readb(image))), "1", "1"]] * 2)
        self.assertEqual(steps_run(project.build_all()), [], "build after an edit")

        project.configure()
        self.assertEqual(steps_run(project.build_all()), [], "build after a reconfigure")
        self.assertEqual(stamps(), after, "reconfigure")


class EmbedRebuildsNinja(EmbedRebuilds):
    generator = "Ninja"


class EmbedRebuildsMake(EmbedRebuilds):
    generator = "Unix Makefiles"


del EmbedRebuilds  # only the concrete generators run


if __name__ == "__main__":
    unittest.main()
