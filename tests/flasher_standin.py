#!/usr/bin/env python3
"""STAND-IN for a flasher (dfu-util, openocd, picotool), for romfs's tests
only: no device is attached here, so the CMake `-flash` target's tests
run this instead. It takes a flash file (Intel HEX, UF2 or DfuSe, read by
the tests' independent readers in romfs_testlib/flash_files.py) and
applies it to a stand-in flash, a file holding the bytes from a base
address, as a flasher would: every erase block the file touches is
erased (0xff) and then its bytes are programmed.

    flasher_standin.py --flash FLASH.bin --address ADDR --erase-block N FILE

FLASHER_LOG=<file>   append one line per call: "<file name> <blocks> <bytes>"
FLASHER_FAIL=1       fail (exit 1) without touching the flash, as a flasher
                     that lost its device does
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from romfs_testlib import flash_files  # noqa: E402


def runs_of(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:1] == b":":
        return flash_files.read_ihex(data)
    if data[:4] == b"UF2\n":
        return flash_files.read_uf2(data)[0]
    if data[:5] == b"DfuSe":
        return flash_files.read_dfuse(data)[0]
    raise SystemExit(f"flasher_standin: {path}: not a HEX, UF2 or DfuSe file")


def main(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument("--flash", required=True)
    ap.add_argument("--address", type=lambda s: int(s, 0), required=True)
    ap.add_argument("--erase-block", type=lambda s: int(s, 0), default=4096)
    ap.add_argument("file")
    a = ap.parse_args(argv)
    if os.environ.get("FLASHER_FAIL") == "1":
        print("flasher_standin: no device found (FLASHER_FAIL=1)", file=sys.stderr)
        return 1
    runs = runs_of(a.file)
    with open(a.flash, "rb") as f:
        flash = bytearray(f.read())
    blocks = set()
    written = 0
    for address, data in runs.items():
        start = address - a.address
        if start < 0 or start + len(data) > len(flash):
            print(f"flasher_standin: 0x{address:x}+{len(data)} is outside the flash",
                  file=sys.stderr)
            return 1
        for b in range(start // a.erase_block, (start + len(data) - 1) // a.erase_block + 1):
            if b not in blocks:
                flash[b * a.erase_block:(b + 1) * a.erase_block] = b"\xff" * a.erase_block
                blocks.add(b)
    for address, data in runs.items():
        start = address - a.address
        flash[start:start + len(data)] = data
        written += len(data)
    with open(a.flash, "wb") as f:
        f.write(flash)
    log = os.environ.get("FLASHER_LOG")
    if log:
        with open(log, "a") as f:
            f.write(f"{os.path.basename(a.file)} {len(blocks)} {written}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
