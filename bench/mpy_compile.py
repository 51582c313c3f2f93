#!/usr/bin/env python3
"""How romfs compiles Python: 400 .py files of 2-10 KB through a compiler
that takes 20 ms per file.

  python3 bench/mpy_compile.py [--romfs PATH] [--data DIR] [--files N] [--delay S]

Measures (1) a cold build (empty cache) with the default --jobs (one per
processor), against the ideal files x delay / processors; (2) the same
with --jobs 1; (3) a warm rebuild after touching every .py file: how many
compiler processes it started (target: none, not even --version) and
its time; (4) a rebuild after editing one file: exactly one compile.

The compiler is a stand-in built into the data directory (a small C
program): it sleeps the delay, writes the source behind a small header
as its output and logs each call, so that the numbers measure romfs's
scheduling and caching, not a real compiler (none can be installed
here). One compile run by itself is timed too, since starting a process
is not free: that gives the ideal a scheduler could reach.
"""
import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from pack_vs_cat import build_romfs, timed  # noqa: E402

# The stand-in compiler, in C so that each call costs one process start
# and the delay, as close to "a compiler that takes 20 ms" as a process
# can be; it logs each call to $LOG.
COMPILER_C = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
static void log_line(const char *what, const char *name) {
    FILE *f = fopen(getenv("LOG"), "a");
    if (f) { fprintf(f, "%s %s\n", what, name ? name : ""); fclose(f); }
}
int main(int argc, char **argv) {
    if (argc == 2 && !strcmp(argv[1], "--version")) { puts("romfs bench stand-in 1"); log_line("version", 0); return 0; }
    const char *out = 0, *name = 0, *src = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-o") && i + 1 < argc) out = argv[++i];
        else if (!strcmp(argv[i], "-s") && i + 1 < argc) name = argv[++i];
        else if (argv[i][0] != '-') src = argv[i];
    }
    if (!out || !src) return 2;
    log_line("compile", name);
    long ns = (long)(atof(getenv("DELAY")) * 1e9);
    struct timespec t = {ns / 1000000000L, ns % 1000000000L};
    nanosleep(&t, 0);
    FILE *in = fopen(src, "rb"), *o = fopen(out, "wb");
    if (!in || !o) return 1;
    fprintf(o, "M\006%s\n", name ? name : src);
    char buf[65536]; size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0) fwrite(buf, 1, n, o);
    return fclose(o) != 0;
}
"""


def make_tree(root, n, seed):
    rng = random.Random(seed)
    words = ["value", "count", "sensor", "frame", "model", "label", "result", "index"]
    for i in range(n):
        d = os.path.join(root, "lib", f"pkg{i % 20}", f"sub{i % 7}")
        os.makedirs(d, exist_ok=True)
        lines, size, target = [], 0, rng.randint(2048, 10240)
        while size < target:
            w = rng.choice(words)
            line = f"def {w}_{len(lines)}(x):\n    return x * {rng.randint(1, 999)} + {w!r}.count('a')\n"
            lines.append(line)
            size += len(line)
        with open(os.path.join(d, f"mod{i}.py"), "w") as f:
            f.write("".join(lines))


def calls(log):
    if not os.path.exists(log):
        return {"compile": 0, "version": 0}
    with open(log) as f:
        lines = f.read().splitlines()
    os.unlink(log)
    return {"compile": sum(l.startswith("compile") for l in lines),
            "version": sum(l.startswith("version") for l in lines)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--romfs")
    ap.add_argument("--data", default=os.path.join(tempfile.gettempdir(), "romfs-bench-mpy"))
    ap.add_argument("--files", type=int, default=400)
    ap.add_argument("--delay", type=float, default=0.02)
    args = ap.parse_args()
    romfs = args.romfs or build_romfs()
    if os.path.realpath(args.data).startswith(REPO + os.sep):
        sys.exit("--data must be outside the source tree")
    shutil.rmtree(args.data, ignore_errors=True)
    os.makedirs(args.data)
    tree = os.path.join(args.data, "py")
    make_tree(tree, args.files, seed=1)
    compiler = os.path.join(args.data, "mpy-cross")
    with open(compiler + ".c", "w") as f:
        f.write(COMPILER_C)
    subprocess.run(["cc", "-O2", "-o", compiler, compiler + ".c"], check=True)
    manifest = os.path.join(args.data, "m.yaml")
    with open(manifest, "w") as f:
        f.write(f"version: 1\nimage:\n  mpy_cross: {compiler}\n  mpy: true\n"
                f"files:\n  - src: {tree}\n    dst: \".\"\n")
    log = os.path.join(args.data, "calls.log")
    env = dict(os.environ, LOG=log, DELAY=str(args.delay))
    sample = os.path.join(tree, "lib", "pkg0", "sub0", "mod0.py")
    solo = min(timed([compiler, "-o", os.path.join(args.data, "solo.mpy"), "-s", "x.py", sample],
                     env) for _ in range(20))
    calls(log)
    cpus = os.cpu_count() or 1
    image = os.path.join(args.data, "out.romfs")

    def build(cache, *extra):
        return timed([romfs, "build", manifest, "-o", image, "--cache-dir", cache, "-q", *extra],
                     env)

    ideal = args.files * args.delay / cpus
    real_ideal = args.files * solo / cpus
    print(f"romfs .mpy benchmark: {args.files} .py files (2-10 KB), compiler {args.delay * 1000:.0f} ms "
          f"per file, {cpus} processors\n  romfs: {romfs}\n  data:  {args.data}\n"
          f"  one compile run by itself takes {solo * 1000:.1f} ms (the delay plus starting a "
          f"process)\n")
    cold = build(os.path.join(args.data, "cache-a"))
    c = calls(log)
    print(f"cold build, --jobs {cpus} (default): {cold:6.2f} s   {args.files} x {args.delay * 1000:.0f} ms"
          f" / {cpus} = {ideal:.2f} s ({cold / ideal:.2f}x);  {args.files} x {solo * 1000:.1f} ms / "
          f"{cpus} = {real_ideal:.2f} s ({cold / real_ideal:.2f}x)   compiles {c['compile']}, "
          f"--version {c['version']}")
    serial = build(os.path.join(args.data, "cache-b"), "--jobs", "1")
    c = calls(log)
    print(f"cold build, --jobs 1:            {serial:6.2f} s   {args.files} x {solo * 1000:.1f} ms = "
          f"{args.files * solo:.2f} s ({serial / (args.files * solo):.2f}x)   compiles {c['compile']}")
    for root, _, names in os.walk(tree):
        for n in names:
            os.utime(os.path.join(root, n))
    stamp = os.stat(image).st_mtime_ns
    warm = build(os.path.join(args.data, "cache-b"))
    c = calls(log)
    rewritten = os.stat(image).st_mtime_ns != stamp
    print(f"warm, every file touched:        {warm:6.2f} s   compiler processes started: "
          f"{c['compile'] + c['version']} (target 0)   image rewritten: {'yes' if rewritten else 'no'}")
    victim = os.path.join(tree, "lib", "pkg0", "sub0", "mod0.py")
    with open(victim, "a") as f:
        f.write("\n# edited\n")
    edit = build(os.path.join(args.data, "cache-b"))
    c = calls(log)
    print(f"one file edited:                 {edit:6.2f} s   compiles {c['compile']} (target 1)")
    shutil.rmtree(args.data)


if __name__ == "__main__":
    main()
