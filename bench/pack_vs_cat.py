#!/usr/bin/env python3
"""romfs benchmark: `romfs build` against plain `cat` of the same files.

    python3 bench/pack_vs_cat.py [--romfs PATH] [--data DIR] [--runs N]
                                 [--seed N] [--scale F] [--no-big] [--keep]

For each tree variant (the standard tree: 2,000 small files + 20 x 5 MiB;
the big-file tree: the same small files + 4 x 50 MiB), it

  1. generates the tree if needed (bench/gen_tree.py; cached in --data),
  2. writes a manifest packing the whole tree at the image root,
  3. warms the page cache with one untimed run of each command,
  4. times N runs (wall clock) of
       cat:   find TREE -type f -print0 | LC_ALL=C sort -z | xargs -0 cat > OUT
       romfs: romfs build MANIFEST -o IMAGE --quiet
     alternating which goes first, outputs deleted (untimed) before each run,
  5. checks the image once with `romfs verify`,
  6. measures peak RSS of romfs and of cat (xargs -0 cat, fed the sorted
     list) with bench/maxrss.py, a fresh wrapper per measurement.

Without --romfs it configures/builds a Release romfs in <repo>/build-bench
(cmake, Ninja if available) and uses <repo>/build-bench/tool/romfs.
Generated trees stay in --data (default: $TMPDIR/romfs-bench) for the next
run; outputs (images, cat output) are deleted at the end unless --keep.
No pass/fail: this prints measurements and the targets beside them.
"""

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import gen_tree  # noqa: E402

MIB = 1024 * 1024
TARGET_RATIO = 1.3
TARGET_RSS_MIB = 32
RSS_RUNS = 3

CAT_PIPELINE = 'find "$1" -type f -print0 | sort -z | xargs -0 cat > "$2"'


def die(msg):
    print(f"pack_vs_cat: error: {msg}", file=sys.stderr)
    sys.exit(1)


def run_checked(cmd, what, **kw):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, **kw)
    if p.returncode != 0:
        die(f"{what} failed (exit {p.returncode}): {' '.join(cmd)}\n{p.stdout}")
    return p.stdout


def build_romfs():
    bdir = os.path.join(REPO, "build-bench")
    if not shutil.which("cmake"):
        die("cmake not found; build romfs yourself and pass --romfs PATH")
    if not os.path.exists(os.path.join(bdir, "CMakeCache.txt")):
        cfg = ["cmake", "-S", REPO, "-B", bdir, "-DCMAKE_BUILD_TYPE=Release",
               "-DROMFS_BUILD_TESTS=OFF"]
        if shutil.which("ninja"):
            cfg[1:1] = ["-G", "Ninja"]
        print(f"configuring: {' '.join(cfg)}", flush=True)
        run_checked(cfg, "cmake configure")
    cmd = ["cmake", "--build", bdir]
    print(f"building:    {' '.join(cmd)}", flush=True)
    run_checked(cmd, "cmake build")
    return os.path.join(bdir, "tool", "romfs")


def build_type(romfs):
    cache = os.path.join(os.path.dirname(os.path.dirname(romfs)), "CMakeCache.txt")
    try:
        with open(cache) as f:
            for line in f:
                if line.startswith("CMAKE_BUILD_TYPE:"):
                    return line.split("=", 1)[1].strip() or "(none)"
    except OSError:
        pass
    return "unknown"


def fs_type(path):
    try:
        return subprocess.run(["stat", "-f", "-c", "%T", path], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True).stdout.strip() or "?"
    except OSError:
        return "?"


def rm_f(path):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def timed(cmd, env=None):
    t0 = time.perf_counter()
    p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        die(f"{' '.join(cmd)} failed (exit {p.returncode}):\n"
            f"{p.stderr.decode(errors='replace')}")
    return dt


def maxrss(cmd, stdin="/dev/null", stdout="/dev/null", env=None):
    """Peak RSS in KiB of cmd alone, through a fresh bench/maxrss.py."""
    out = subprocess.run([sys.executable, os.path.join(HERE, "maxrss.py"),
                          "--stdin", stdin, "--stdout", stdout, "--"] + cmd,
                         stdout=subprocess.PIPE, text=True, env=env).stdout
    r = json.loads(out)
    if r["exit"] != 0:
        die(f"{' '.join(cmd)} failed under maxrss.py (exit {r['exit']})")
    return r["maxrss_kib"], r["method"]


def fmt_s(x):
    return f"{x:.3f} s"


def fmt_mib(kib):
    return f"{kib / 1024:.1f} MiB"


def bench_variant(label, romfs, tree, work, runs, env):
    root = tree["root"]
    tag = "big" if tree["big"] else "std"
    manifest = os.path.join(work, f"{tag}.yaml")
    image = os.path.join(work, f"{tag}.romfs")
    catout = os.path.join(work, f"{tag}.cat")
    list0 = os.path.join(work, f"{tag}.list0")
    with open(manifest, "w") as f:
        f.write("version: 1\nfiles:\n")
        f.write(f"  - src: {json.dumps(root)}\n    dst: \".\"\n")

    # A freshly generated tree is still dirty in the page cache; the kernel
    # would write it back ~30 s later, in the middle of the timed runs. Flush
    # it now (syncfs of the data directory's file system only), untimed.
    if subprocess.run(["sync", "-f", work]).returncode != 0:
        os.sync()

    cat_cmd = ["sh", "-c", CAT_PIPELINE, "sh", root, catout]
    romfs_cmd = [romfs, "build", manifest, "-o", image, "--quiet"]

    # Untimed warm-up of each (page cache for the tree, the binaries, the dirs).
    for cmd in (cat_cmd, romfs_cmd):
        timed(cmd, env)
    cat_bytes = os.path.getsize(catout)
    if cat_bytes != tree["bytes"]:
        die(f"cat wrote {cat_bytes} bytes, the tree has {tree['bytes']}")

    cat_t, romfs_t = [], []
    for i in range(runs):
        order = [("cat", cat_cmd, catout, cat_t), ("romfs", romfs_cmd, image, romfs_t)]
        if i % 2:
            order.reverse()
        for _name, cmd, out, acc in order:
            rm_f(out)
            acc.append(timed(cmd, env))

    image_size = os.path.getsize(image)
    v = subprocess.run([romfs, "verify", image], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    verify = (v.returncode, v.stdout.strip())

    # Peak memory: romfs directly; cat as `xargs -0 cat` fed the sorted list
    # (xargs reaps its cat, so the figure is max(xargs, cat)).
    with open(list0, "wb") as f:
        f.write(subprocess.run(["sh", "-c", 'find "$1" -type f -print0 | sort -z', "sh",
                                root], stdout=subprocess.PIPE, env=env,
                               check=True).stdout)
    romfs_rss, cat_rss = [], []
    method = None
    for _ in range(RSS_RUNS):
        rm_f(image)
        kib, method = maxrss(romfs_cmd, env=env)
        romfs_rss.append(kib)
        rm_f(catout)
        kib, _m = maxrss(["xargs", "-0", "cat"], stdin=list0, stdout=catout, env=env)
        cat_rss.append(kib)

    return {
        "label": label, "tree": tree, "manifest": manifest, "image": image,
        "cat_t": cat_t, "romfs_t": romfs_t, "image_size": image_size,
        "verify": verify, "romfs_rss": max(romfs_rss), "cat_rss": max(cat_rss),
        "romfs_rss_all": romfs_rss, "rss_method": method,
        "outputs": [image, catout, list0],
    }


def describe_tree(t):
    return (f"{t['files']} files in {t['dirs']} directories, {t['bytes']:,} bytes "
            f"({t['bytes'] / MIB:.1f} MiB)")


def report(r):
    t = r["tree"]
    cm, cn = statistics.median(r["cat_t"]), min(r["cat_t"])
    rm, rn = statistics.median(r["romfs_t"]), min(r["romfs_t"])
    print()
    print(f"== {r['label']}: {describe_tree(t)}")
    print(f"   tree:     {t['root']}")
    print(f"   manifest: {r['manifest']}")
    print()
    print(f"   {'':34}{'median':>10}{'min':>10}")
    print(f"   {'cat   (find | sort | xargs cat)':34}{fmt_s(cm):>10}{fmt_s(cn):>10}")
    print(f"   {'romfs build':34}{fmt_s(rm):>10}{fmt_s(rn):>10}")
    print(f"   {'ratio romfs / cat':34}{rm / cm:>9.2f}x{rn / cn:>9.2f}x"
          f"   (target <= {TARGET_RATIO}x)")
    print(f"   runs, cat:   {' '.join(f'{x:.3f}' for x in r['cat_t'])}")
    print(f"   runs, romfs: {' '.join(f'{x:.3f}' for x in r['romfs_t'])}")
    print(f"   throughput (median): cat {t['bytes'] / cm / MIB:.0f} MiB/s, "
          f"romfs {t['bytes'] / rm / MIB:.0f} MiB/s")
    print()
    print(f"   image size:   {r['image_size']:,} bytes "
          f"({r['image_size'] - t['bytes']:+,} vs the files' bytes)")
    rc, text = r["verify"]
    print(f"   romfs verify: exit {rc}" + (f": {text}" if text else ""))
    print(f"   peak RSS:     romfs {fmt_mib(r['romfs_rss'])}   "
          f"cat (xargs+cat) {fmt_mib(r['cat_rss'])}   "
          f"(max of {RSS_RUNS}; target romfs < {TARGET_RSS_MIB} MiB)")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--romfs", help="romfs binary to measure (default: build "
                    "<repo>/build-bench in Release and use it)")
    ap.add_argument("--data", default=os.path.join(tempfile.gettempdir(), "romfs-bench"),
                    help="where trees and outputs go (default: %(default)s)")
    ap.add_argument("--runs", type=int, default=5, help="timed runs (default 5)")
    ap.add_argument("--seed", type=int, default=1, help="tree seed (default 1)")
    ap.add_argument("--scale", type=float, default=1.0,
                    help="tree scale, see gen_tree.py (default 1.0)")
    ap.add_argument("--no-big", action="store_true",
                    help="skip the big-file (4 x 50 MiB) variant")
    ap.add_argument("--keep", action="store_true",
                    help="keep the images and cat outputs")
    a = ap.parse_args(argv)
    if a.runs < 1:
        ap.error("--runs must be at least 1")
    if a.scale <= 0:
        ap.error("--scale must be positive")

    data = os.path.abspath(a.data)
    if os.path.commonpath([data, REPO]) == REPO:
        die(f"--data {data} is inside the source tree; pick a directory elsewhere")
    romfs = os.path.abspath(a.romfs) if a.romfs else build_romfs()
    if not os.access(romfs, os.X_OK):
        die(f"{romfs} is not an executable")
    version = run_checked([romfs, "--version"], "romfs --version").strip()

    work = os.path.join(data, "work")
    os.makedirs(work, exist_ok=True)
    env = dict(os.environ, LC_ALL="C")

    sc = "" if a.scale == 1.0 else f"-x{a.scale:g}"
    def label(name, big):
        n, size = gen_tree.BIG_BIG if big else gen_tree.BIG_STD
        return (f"{name} ({max(1, round(n * a.scale))} x {size // MIB} MiB + "
                f"{round(gen_tree.N_SMALL * a.scale):,} small files)")

    variants = [(label("standard tree", False), False)]
    if not a.no_big:
        variants.append((label("big-file tree", True), True))

    t_start = time.perf_counter()
    floor, method = maxrss(["true"], env=env)
    print("romfs benchmark: romfs build vs cat")
    print(f"  romfs:     {romfs} ({version}, build type {build_type(romfs)})")
    print(f"  data dir:  {data} ({fs_type(data)})")
    print(f"  machine:   {os.cpu_count()} CPUs, {platform.system()} {platform.release()}, "
          f"Python {platform.python_version()}")
    print(f"  runs:      {a.runs} timed per command (after 1 untimed warm-up each); "
          f"seed {a.seed}, scale {a.scale:g}")
    print(f"  RSS floor: {fmt_mib(floor)} (`true` through maxrss.py, method {method})",
          flush=True)

    results = []
    for label, big in variants:
        outdir = os.path.join(data, f"{'big' if big else 'std'}-s{a.seed}{sc}")
        tree = gen_tree.ensure_tree(outdir, a.seed, a.scale, big,
                                    log=lambda m: print(f"  {m}", flush=True))
        r = bench_variant(label, romfs, tree, work, a.runs, env)
        report(r)
        sys.stdout.flush()
        results.append(r)
        if not a.keep:
            for p in r["outputs"]:
                rm_f(p)

    if len(results) == 2:
        s, b = results
        print()
        print(f"== peak RSS vs file size: romfs {fmt_mib(s['romfs_rss'])} with 5 MiB files, "
              f"{fmt_mib(b['romfs_rss'])} with 50 MiB files "
              f"({b['romfs_rss'] - s['romfs_rss']:+d} KiB)")
    print()
    print(f"total time {time.perf_counter() - t_start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
