#!/usr/bin/env python3
"""Generate the romfs benchmark tree, deterministically.

    python3 bench/gen_tree.py OUTDIR [--seed N] [--scale F] [--big]

Writes OUTDIR/tree/ (the files to pack) and OUTDIR/stamp.json (what was
generated). The stamp sits beside the tree, not in it, so that packing or
cat-ing OUTDIR/tree sees only the generated files.

The default tree (scale 1):
  * 2,000 small files of 200 B .. 20 KiB (uniform), spread over ~200 nested
    directories (depth up to 5, fan-out varying by level), with a mix of
    names: .bin .dat .txt .json .py .png .mpy and a few .tflite;
  * 20 files of 5 MiB each: models/big_00.bin .. models/big_19.bin;
  about 125 MB in all.
With --big the 20 x 5 MiB files become 4 x 50 MiB (models/big_00.bin ..
big_03.bin); everything else is identical. --scale F multiplies the number
of small and of big files (at least one big file remains).

Content is pseudo-random from the seed (random.Random(...).randbytes); text
names (.txt .json .py) get printable ASCII. The same seed/scale/big always
gives the same paths and the same bytes.

Idempotent: if OUTDIR/stamp.json matches the parameters and the tree on disk
still has the recorded number of files and bytes, nothing is written. If the
stamp is for other parameters the old tree is replaced. A non-empty OUTDIR
without a stamp is refused (it is not ours to delete).
"""

import argparse
import json
import os
import random
import shutil
import sys
import time

GEN_VERSION = 1
STAMP = "stamp.json"
TREE = "tree"

N_SMALL = 2000
SMALL_MIN = 200
SMALL_MAX = 20 * 1024
MIB = 1024 * 1024
BIG_STD = (20, 5 * MIB)   # count, size
BIG_BIG = (4, 50 * MIB)
CHUNK = 1 * MIB

DIR_WORDS = [
    "app", "assets", "audio", "cfg", "data", "docs", "drivers", "fonts", "gfx",
    "icons", "img", "lang", "lib", "net", "res", "scripts", "sensors", "sound",
    "sprites", "static", "tests", "themes", "tools", "ui", "util", "vendor",
    "web", "widgets", "www", "zone",
]
FILE_WORDS = [
    "alpha", "beta", "blob", "boot", "cache", "calib", "chunk", "config",
    "delta", "frame", "glyph", "index", "label", "layer", "main", "map",
    "mesh", "note", "page", "part", "patch", "sample", "table", "tile",
    "trace", "unit", "view", "weights",
]
# (extension, weight, is_text)
EXTS = [
    ("bin", 30, False), ("dat", 20, False), ("png", 12, False),
    ("py", 14, True), ("txt", 8, True), ("json", 8, True),
    ("mpy", 5, False), ("tflite", 1, False),
]
# fan-out range per depth (depth 0 = the root); nothing below depth 5
FANOUT = {0: (7, 10), 1: (1, 5), 2: (0, 4), 3: (0, 3), 4: (0, 2)}
MAX_DEPTH = 5

# bytes -> printable ASCII (letters, digits, space, newline, a few symbols)
_PRINTABLE = (b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
              b"    \n\n_=:,.{}[]()\"'#")
_TO_TEXT = bytes(_PRINTABLE[i % len(_PRINTABLE)] for i in range(256))


def _params(seed, scale, big):
    return {"generator": GEN_VERSION, "seed": seed, "scale": scale, "big": bool(big)}


def plan(seed=1, scale=1.0, big=False):
    """Return (dirs, files): dirs = sorted list of relative dir paths (not
    including the root); files = list of (relpath, size, is_text), sorted by
    path. Pure function of the arguments."""
    rng = random.Random(f"romfs-bench:{GEN_VERSION}:{seed}:layout")
    dirs = ["models"]

    def grow(parent, depth):
        if depth >= MAX_DEPTH:
            return
        lo, hi = FANOUT[depth]
        fan = rng.randint(lo, hi)
        taken = {"models"} if depth == 0 else set()
        for _ in range(fan):
            word = rng.choice(DIR_WORDS)
            name = word
            k = 1
            while name in taken:
                k += 1
                name = f"{word}{k}"
            taken.add(name)
            path = f"{parent}/{name}" if parent else name
            dirs.append(path)
            grow(path, depth + 1)

    grow("", 0)

    n_small = max(0, round(N_SMALL * scale))
    big_n, big_size = BIG_BIG if big else BIG_STD
    n_big = max(1, round(big_n * scale))

    # Small files go anywhere: the root counts as one more directory, and
    # deeper directories get a little more weight so the deep paths are used.
    homes = [""] + dirs
    weights = [1.0 + 0.5 * (h.count("/") + (1 if h else 0)) for h in homes]
    ext_names = [e[0] for e in EXTS]
    ext_weights = [e[1] for e in EXTS]
    ext_text = {e[0]: e[2] for e in EXTS}

    files = []
    for i in range(n_small):
        home = rng.choices(homes, weights)[0]
        ext = rng.choices(ext_names, ext_weights)[0]
        name = f"{rng.choice(FILE_WORDS)}_{i:04d}.{ext}"
        path = f"{home}/{name}" if home else name
        files.append((path, rng.randint(SMALL_MIN, SMALL_MAX), ext_text[ext]))
    for i in range(n_big):
        files.append((f"models/big_{i:02d}.bin", big_size, False))

    files.sort()
    return sorted(dirs), files


def _write_tree(root, dirs, files, seed):
    os.makedirs(root)
    for d in dirs:
        os.makedirs(os.path.join(root, d), exist_ok=True)
    rng = random.Random(f"romfs-bench:{GEN_VERSION}:{seed}:content")
    for path, size, is_text in files:
        with open(os.path.join(root, path), "wb") as f:
            left = size
            while left:
                n = min(left, CHUNK)
                data = rng.randbytes(n)
                if is_text:
                    data = data.translate(_TO_TEXT)
                f.write(data)
                left -= n


def _measure(root):
    """(files, bytes) actually on disk under root."""
    n = total = 0
    for dirpath, _dirnames, filenames in os.walk(root):
        for name in filenames:
            n += 1
            total += os.lstat(os.path.join(dirpath, name)).st_size
    return n, total


def ensure_tree(outdir, seed=1, scale=1.0, big=False, log=print):
    """Make sure OUTDIR holds the tree for these parameters. Returns the
    stamp dict plus 'root' (the tree's path) and 'generated' (bool)."""
    outdir = os.path.abspath(outdir)
    root = os.path.join(outdir, TREE)
    stamp_path = os.path.join(outdir, STAMP)
    want = _params(seed, scale, big)

    stamp = None
    if os.path.exists(stamp_path):
        try:
            with open(stamp_path) as f:
                stamp = json.load(f)
        except (OSError, ValueError):
            stamp = None
        if stamp is not None and all(stamp.get(k) == v for k, v in want.items()) \
                and os.path.isdir(root):
            n, total = _measure(root)
            if n == stamp.get("files") and total == stamp.get("bytes"):
                return dict(stamp, root=root, generated=False)
            log(f"gen_tree: {root} does not match its stamp "
                f"({n} files, {total} bytes); regenerating")
        # Ours, but stale: clear it out.
        os.unlink(stamp_path)
        for name in (TREE, TREE + ".partial"):
            shutil.rmtree(os.path.join(outdir, name), ignore_errors=True)
    elif os.path.isdir(outdir) and os.listdir(outdir):
        raise SystemExit(f"gen_tree: {outdir} is not empty and has no {STAMP}; "
                         "refusing to overwrite it (pick another OUTDIR)")

    os.makedirs(outdir, exist_ok=True)
    partial = os.path.join(outdir, TREE + ".partial")
    shutil.rmtree(partial, ignore_errors=True)

    def write_stamp(d):
        tmp = stamp_path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(d, f, indent=1, sort_keys=True)
            f.write("\n")
        os.replace(tmp, stamp_path)

    t0 = time.perf_counter()
    dirs, files = plan(seed, scale, big)
    # A stamp with no counts first: an interrupted run leaves a directory
    # that is recognisably ours and that the next run will regenerate.
    write_stamp(dict(want, files=None, bytes=None))
    _write_tree(partial, dirs, files, seed)
    os.rename(partial, root)
    stamp = dict(want, files=len(files), dirs=len(dirs),
                 bytes=sum(size for _p, size, _t in files))
    write_stamp(stamp)
    log(f"gen_tree: generated {root} in {time.perf_counter() - t0:.1f} s")
    return dict(stamp, root=root, generated=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("outdir", help="where to put tree/ and stamp.json")
    ap.add_argument("--seed", type=int, default=1, help="content/layout seed (default 1)")
    ap.add_argument("--scale", type=float, default=1.0,
                    help="multiply the number of files (default 1.0)")
    ap.add_argument("--big", action="store_true",
                    help="4 x 50 MiB big files instead of 20 x 5 MiB")
    a = ap.parse_args(argv)
    if a.scale <= 0:
        ap.error("--scale must be positive")
    s = ensure_tree(a.outdir, a.seed, a.scale, a.big)
    state = "generated" if s["generated"] else "up to date"
    print(f"{s['root']}: {s['files']} files, {s['dirs']} directories, "
          f"{s['bytes']} bytes ({s['bytes'] / MIB:.1f} MiB) [{state}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
