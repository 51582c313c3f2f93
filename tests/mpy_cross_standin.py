#!/usr/bin/env python3
"""STAND-IN for mpy-cross, for romfs's tests only: NOT a MicroPython compiler.

The real mpy-cross cannot be installed here, so the tests of romfs's .mpy
plumbing run this instead. It takes the same command line as mpy-cross
(`--version`, and `-o OUT -s NAME [options] SRC`), writes a deterministic
function of its inputs (the -s name, the options and the source bytes) so
that tests can tell what it was given, and logs every call:

  MPY_STANDIN_LOG=<file>    append one line per call: "version", or
                            "start <t> <name>" and "end <t> <name>"
  MPY_STANDIN_SLEEP=<secs>  take this long per compile
A source containing the line "!!syntax-error!!" fails the way mpy-cross
does, at once: a traceback on stderr naming the -s name, exit status 1.
"""
import hashlib
import os
import sys
import time

VERSION = "MicroPython v1.25.0 on 2025-04-15; mpy-cross emitting mpy v6.3 (romfs test STAND-IN 1)"


def log(line):
    path = os.environ.get("MPY_STANDIN_LOG")
    if path:
        with open(path, "a") as f:
            f.write(line + "\n")


def main(argv):
    if argv == ["--version"]:
        log("version")
        print(VERSION)
        return 0
    out = name = src = None
    options = []
    args = iter(argv)
    for arg in args:
        if arg == "-o":
            out = next(args)
        elif arg == "-s":
            name = next(args)
        elif arg.startswith("-"):
            options.append(arg)
        else:
            src = arg
    if out is None or src is None:
        print("usage: mpy_cross_standin.py -o OUT [-s NAME] [options] SRC", file=sys.stderr)
        return 2
    name = name or src
    log(f"start {time.monotonic():.6f} {name}")
    with open(src, "rb") as f:
        source = f.read()
    lines = source.split(b"\n")
    if b"!!syntax-error!!" not in lines:  # errors come fast, as a parser's do
        time.sleep(float(os.environ.get("MPY_STANDIN_SLEEP", "0")))
    else:
        line = lines.index(b"!!syntax-error!!") + 1
        print(f'Traceback (most recent call last):\n  File "{name}", line {line}\n'
              "SyntaxError: invalid syntax", file=sys.stderr)
        log(f"end {time.monotonic():.6f} {name}")
        return 1
    body = b"\n".join([b"name=" + name.encode(), b"options=" + " ".join(options).encode(),
                       b"sha256=" + hashlib.sha256(source).hexdigest().encode(), source])
    with open(out, "wb") as f:
        f.write(b"M\x06\x00\x1f" + body)
    log(f"end {time.monotonic():.6f} {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
