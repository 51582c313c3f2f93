#!/usr/bin/env python3
"""Edit one file, flash a few kilobytes: erase blocks written per edit,
canonical layout against block-keeping layout.

    python3 bench/delta_flash.py [--romfs PATH] [--data DIR] [--seed N] [--chain N]

The tree is a camera application: four .tflite models of 5 MiB, about
200 small assets (0.2-8 KiB of json, txt and png), and a Python package
of 60 .py files compiled to .mpy (by tests/mpy_cross_standin.py, a
STAND-IN for mpy-cross: its output grows with its source, as real .mpy
files do), in a 24 MiB partition with 4 KiB erase blocks.

From one base it applies, one at a time:
  (a) a same-size edit of config.json;      (b) config.json grows by 37 bytes;
  (c) one .py edited so its .mpy grows;     (d) a 2 KiB file added;
  (e) a file removed;                        (f) a model replaced, same size;
  (g) a model grows by 100 KiB;
then (h) --chain (default 50) random edits of the kinds (a)-(e) in a row,
each against the image before it, and (i) the fall-back: a model that
grows by 2 MiB, which the block-keeping layout cannot hold in 24 MiB
beside the old copy's hole, so the build lays the image out canonically.

For each it prints the erase blocks whose bytes differ from the base (what
a delta flash file holds: `romfs flash NEW --base OLD`), with the
canonical layout (a plain `romfs build`) and with the block-keeping one
(`romfs build --base OLD`), and the time from the edit to the flash file
(the build, warm cache, plus `romfs flash --base` writing the delta as
Intel HEX), beside the targets: (a)-(e) at most 4 blocks, (f) and (g) at
most the model's own blocks plus 2, (h) never more than 4 and no failed
build. No pass/fail: it measures and prints.
"""
import argparse
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True
from pack_vs_cat import build_romfs  # noqa: E402

MIB = 1 << 20
BLOCK = 4096
PARTITION = 24 * MIB
ADDRESS = 0x08100000
MODEL = 5 * MIB
STANDIN = os.path.join(REPO, "tests", "mpy_cross_standin.py")

MANIFEST = f"""\
version: 1
image:
  partition:
    address: {ADDRESS:#x}
    size: {PARTITION}
    erase_block: {BLOCK}
  mpy_cross: {{compiler}}
rules:
  - match: "lib/**/*.py"
    mpy: true
files:
  - src: tree
    dst: "."
"""


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def make_tree(root, rng):
    """The camera application, deterministic from rng."""
    for i in range(4):
        write(f"{root}/models/m{i}.tflite", rng.randbytes(MODEL))
    kinds = (("json", b'{"k": %d}\n'), ("txt", b"label %d\n"), ("png", b"\x89PNG%d"))
    for i in range(200):
        ext, seed = kinds[i % 3]
        size = rng.randint(200, 8 * 1024)
        body = (seed % i) + rng.randbytes(size)
        write(f"{root}/assets/{['ui', 'icons', 'labels', 'i18n'][i % 4]}/a{i:03}.{ext}",
              body[:size])
    write(f"{root}/config.json", b'{"fps": 30, "threshold": 0.50, "model": "m0"}\n')
    for i in range(60):
        lines = "".join(f"def f{i}_{k}(x):\n    return x * {k} + {i}\n"
                        for k in range(rng.randint(10, 80)))
        write(f"{root}/lib/app/mod{i:02}.py", lines.encode())


def install_standin(dest):
    with open(STANDIN, encoding="utf-8") as f:
        first, rest = f.read().split("\n", 1)
    with open(dest, "w", encoding="utf-8") as f:
        f.write(f"#!{os.path.realpath(sys.executable)} -S\n" + rest)
    os.chmod(dest, 0o755)


def blocks_to_write(old, new):
    """The erase blocks holding a byte of `new` that differs from `old` or
    lies past its end: what a delta writes (blocks past the new image's end
    need nothing; its header says where it ends)."""
    return sum(1 for at in range(0, len(new), BLOCK)
               if new[at:at + BLOCK] != old[at:at + len(new[at:at + BLOCK])])


class Bench:
    def __init__(self, romfs, work):
        self.romfs, self.work = romfs, work
        self.flash = subprocess.run([romfs, "flash", "--help"], stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL).returncode == 0

    def build(self, out, base=None, layout=None):
        cmd = [self.romfs, "build", f"{self.work}/m.yaml", "-o", out,
               "--cache-dir", f"{self.work}/cache"]
        if base:
            cmd += ["--base", base]
        if layout:
            cmd += ["--layout", layout]
        start = time.perf_counter()
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        seconds = time.perf_counter() - start
        return proc, seconds

    def delta(self, new, old):
        """`romfs flash --base` to Intel HEX: its time and the blocks it says."""
        if not self.flash:
            return None, None
        cmd = [self.romfs, "flash", new, "--base", old, "-o", f"{self.work}/delta.hex",
               "--address", hex(ADDRESS), "--size", str(PARTITION)]
        start = time.perf_counter()
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        seconds = time.perf_counter() - start
        m = re.search(r"(\d+) of (\d+) erase blocks", proc.stdout)
        return seconds, int(m.group(1)) if m else None

    def step(self, base_canon, base_keep, tag):
        """Builds the edited tree both ways; blocks and times against the bases."""
        canon, keep = f"{self.work}/{tag}.canon.img", f"{self.work}/{tag}.keep.img"
        pc, tc = self.build(canon)
        pk, tk = self.build(keep, base=base_keep)
        if pc.returncode or pk.returncode:
            return {"failed": (pc.stderr + pk.stderr).strip()}
        with open(base_canon, "rb") as f:
            old_c = f.read()
        with open(base_keep, "rb") as f:
            old_k = f.read()
        with open(canon, "rb") as f:
            new_c = f.read()
        with open(keep, "rb") as f:
            new_k = f.read()
        fc, said_c = self.delta(canon, base_canon)
        fk, said_k = self.delta(keep, base_keep)
        r = {"canon": blocks_to_write(old_c, new_c), "keep": blocks_to_write(old_k, new_k),
             "t_canon": tc + (fc or 0), "t_keep": tk + (fk or 0),
             "fallback": "laid out canonically instead" in pk.stderr, "canon_img": canon,
             "keep_img": keep}
        for said, key in ((said_c, "canon"), (said_k, "keep")):
            if said is not None and said != r[key]:
                r["mismatch"] = f"romfs flash said {said} blocks, the images differ in {r[key]}"
        return r


def edit_config_same(root, rng):
    p = f"{root}/config.json"
    with open(p, "rb") as f:
        data = f.read()
    write(p, data.replace(b"0.50", b"0.%02d" % rng.randint(10, 99)))
    return "config.json"


def edit_config_grow(root, rng):
    p = f"{root}/config.json"
    with open(p, "rb") as f:
        data = f.read()
    write(p, data[:-2] + b', "note": "' + b"x" * 25 + b'"}\n')  # 37 bytes more
    return "config.json"


def edit_py(root, rng):
    mods = sorted(os.listdir(f"{root}/lib/app"))
    p = f"{root}/lib/app/{rng.choice(mods)}"
    with open(p, "ab") as f:
        f.write(b"def extra_%d(x):\n    return x - 1\n" % rng.randint(0, 10**6))
    return os.path.relpath(p, root)


def edit_add(root, rng):
    p = f"{root}/assets/ui/new{rng.randint(0, 10**9)}.json"
    write(p, rng.randbytes(2048))
    return os.path.relpath(p, root)


def edit_remove(root, rng):
    files = sorted(os.path.relpath(os.path.join(d, n), root)
                   for d, _, names in os.walk(f"{root}/assets") for n in names)
    p = rng.choice(files)
    os.unlink(os.path.join(root, p))
    return p


def edit_model_same(root, rng):
    write(f"{root}/models/m2.tflite", rng.randbytes(MODEL))
    return "models/m2.tflite"


def edit_model_grow(root, rng, by=100 * 1024):
    p = f"{root}/models/m1.tflite"
    with open(p, "ab") as f:
        f.write(rng.randbytes(by))
    return "models/m1.tflite"


SMALL_EDITS = (edit_config_same, edit_config_grow, edit_py, edit_add, edit_remove)
MODEL_BLOCKS = -(-MODEL // BLOCK)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--romfs", help="the romfs binary (default: a Release build in build-bench/)")
    ap.add_argument("--data", default=os.path.join(tempfile.gettempdir(), "romfs-bench", "delta"))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--chain", type=int, default=50)
    args = ap.parse_args(argv)
    romfs = os.path.abspath(args.romfs) if args.romfs else build_romfs()
    work = args.data
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    rng = random.Random(args.seed)
    base_tree = f"{work}/base-tree"
    make_tree(base_tree, rng)
    install_standin(f"{work}/mpy-cross")
    with open(f"{work}/m.yaml", "w") as f:
        f.write(MANIFEST.format(compiler=f"{work}/mpy-cross"))
    b = Bench(romfs, work)
    if not b.flash:
        print("note: this romfs has no `flash` command; blocks come from comparing the images, "
              "and times are the builds' alone")

    def reset():
        shutil.rmtree(f"{work}/tree", ignore_errors=True)
        shutil.copytree(base_tree, f"{work}/tree")

    reset()
    proc, t_first = b.build(f"{work}/base.canon.img")
    if proc.returncode:
        sys.exit(proc.stderr)
    proc, _ = b.build(f"{work}/base.keep.img", layout="keep")
    if proc.returncode:
        sys.exit(proc.stderr)
    size = os.path.getsize(f"{work}/base.canon.img")
    print(f"romfs: {romfs}")
    print(f"tree: 4 models x 5 MiB, 200 assets, 60 .py -> .mpy; image {size} bytes "
          f"({size / MIB:.1f} MiB) in a {PARTITION // MIB} MiB partition, {BLOCK} B erase "
          f"blocks; first build {t_first:.2f} s")
    print()
    head = f"{'edit':<44} {'canonical':>10} {'keeping':>8} {'target':>7}  {'ok':<3} " \
           f"{'t canon':>8} {'t keep':>8}"
    print(head)
    print("-" * len(head))
    cases = [("(a) config.json, same size", edit_config_same, 4),
             ("(b) config.json grows by 37 bytes", edit_config_grow, 4),
             ("(c) one .py edited, its .mpy grows", edit_py, 4),
             ("(d) a 2 KiB file added", edit_add, 4),
             ("(e) a file removed", edit_remove, 4),
             ("(f) a model replaced, same size", edit_model_same, MODEL_BLOCKS + 2),
             ("(g) a model grows by 100 KiB", edit_model_grow,
              MODEL_BLOCKS + 25 + 2)]
    for i, (label, edit, target) in enumerate(cases):
        reset()
        what = edit(f"{work}/tree", rng)
        r = b.step(f"{work}/base.canon.img", f"{work}/base.keep.img", f"e{i}")
        row(label, r, target)
        if r.get("mismatch"):
            print(f"    {what}: {r['mismatch']}")

    # (h) a chain of small edits, each against the image before it.
    reset()
    prev_c, prev_k = f"{work}/base.canon.img", f"{work}/base.keep.img"
    keep_blocks, canon_blocks, t_keep, failed, fallbacks = [], [], [], 0, 0
    for n in range(args.chain):
        rng.choice(SMALL_EDITS)(f"{work}/tree", rng)
        r = b.step(prev_c, prev_k, f"h{n % 2}")
        if "failed" in r:
            failed += 1
            continue
        keep_blocks.append(r["keep"])
        canon_blocks.append(r["canon"])
        t_keep.append(r["t_keep"])
        fallbacks += r["fallback"]
        os.replace(r["canon_img"], f"{work}/prev.canon.img")
        os.replace(r["keep_img"], f"{work}/prev.keep.img")
        prev_c, prev_k = f"{work}/prev.canon.img", f"{work}/prev.keep.img"
    ok = failed == 0 and keep_blocks and max(keep_blocks) <= 4
    print(f"{f'(h) {args.chain} small edits in a row: max':<44} {max(canon_blocks):>10} "
          f"{max(keep_blocks):>8} {4:>7}  {'yes' if ok else 'NO':<3} "
          f"{'':>8} {max(t_keep):>7.2f}s")
    print(f"{'    mean':<44} {sum(canon_blocks) / len(canon_blocks):>10.1f} "
          f"{sum(keep_blocks) / len(keep_blocks):>8.1f}")
    print(f"    failed builds: {failed}; fall-backs to canonical: {fallbacks}")

    # (i) the fall-back and what it costs.
    reset()
    edit_model_grow(f"{work}/tree", rng, by=2 * MIB)
    r = b.step(f"{work}/base.canon.img", f"{work}/base.keep.img", "i")
    row("(i) a model grows by 2 MiB (fall-back)", r, None)
    if "failed" not in r:
        print(f"    the block-keeping build {'fell back to canonical' if r['fallback'] else 'kept its layout'}:"
              f" {r['keep']} blocks ({r['keep'] * BLOCK / MIB:.1f} MiB) to write")


def row(label, r, target):
    if "failed" in r:
        print(f"{label:<44} build failed: {r['failed']}")
        return
    ok = "" if target is None else ("yes" if r["keep"] <= target else "NO")
    print(f"{label:<44} {r['canon']:>10} {r['keep']:>8} {'' if target is None else target:>7}  "
          f"{ok:<3} {r['t_canon']:>7.2f}s {r['t_keep']:>7.2f}s")


if __name__ == "__main__":
    main()
