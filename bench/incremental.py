#!/usr/bin/env python3
"""romfs benchmark: incremental rebuilds of romfs_add_image() through CMake + Ninja.

    python3 bench/incremental.py [--romfs-src DIR] [--data DIR] [--runs N]
                                 [--seed N] [--scale F] [--keep]

On the standard tree of bench/gen_tree.py (2,000 small files + 20 x 5 MiB;
generated once, then reused from --data) it

  1. writes a small consumer project in --data/incremental/project:
       add_subdirectory(<romfs source> romfs)
       romfs_add_image(assets MANIFEST assets.yaml ALL)   # the tree, dst: "."
       consumer.bin <- cmake -E copy of the image (DEPENDS assets + the image)
     configures it (-G Ninja -DCMAKE_BUILD_TYPE=Release) into a fresh build
     directory and does the first full build (reported, not a measurement);
  2. times, as references, `cat` of the tree into one file and one image
     write by the same romfs binary outside Ninja: with nothing cached (fresh
     output and --cache-dir: hashes and writes everything), with the hashes
     cached (write only) and with the hashes cached replacing an existing
     image;
  3. times N runs (wall clock of the whole `ninja -C BUILD`) of
       no-op:     nothing changed (plus `ninja -n`, `ninja -d stats`, and the
                  no-op of an empty CMake project as the floor);
       touch:     os.utime on every file of the tree, then ninja; was the
                  image rewritten, did the consumer re-run; then one more
                  ninja, which must be a no-op;
       edit:      one file of a few KB rewritten (two contents, alternating);
       big edit:  16 bytes rewritten in place in models/big_00.bin (5 MiB);
     each edit run also split into its two Ninja edges (image, consumer) from
     .ninja_log;
  4. times N runs of an edit just after a touch build (touch all, ninja,
     edit, ninja: the last one timed), which shows romfs's 2-second rule: a
     build right after a mass change keeps no cached hash, so the next one
     re-hashes the whole tree (the report reads the number of hashes kept
     from romfs's state file);
  5. restores the tree (the edited files get their original bytes back; only
     mtimes differ, also on Ctrl-C), rebuilds, and checks that the image
     equals a fresh `romfs build` of the same tree, byte for byte.

The tree is shared with pack_vs_cat.py: do not run both at the same time.
The build directory is deleted at the end unless --keep.
No pass/fail: this prints measurements and the targets beside them.
"""

import argparse
import filecmp
import json
import os
import platform
import re
import shlex
import shutil
import signal
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
import pack_vs_cat  # noqa: E402  (the cat pipeline and a few helpers)

MIB = 1024 * 1024
TARGET_NOOP_S = 0.050
MARKER = ".romfs-bench-incremental"
SMALL_MIN, SMALL_MAX = 2048, 8192       # "a few KB"
BIG_PATCH = 16                          # bytes rewritten in the big file
TRUST_AGE_S = 2.1   # romfs trusts a cached hash only for files changed >= 2 s before a build

CMAKELISTS = """\
cmake_minimum_required(VERSION 3.20)
project(bench C)
add_subdirectory([==[{src}]==] romfs)
romfs_add_image(assets MANIFEST assets.yaml ALL)
add_custom_command(OUTPUT consumer.bin
    COMMAND ${{CMAKE_COMMAND}} -E copy $<TARGET_PROPERTY:assets,ROMFS_IMAGE> consumer.bin
    DEPENDS assets $<TARGET_PROPERTY:assets,ROMFS_IMAGE>
    COMMENT "Copying the image to consumer.bin"
    VERBATIM)
add_custom_target(consumer ALL DEPENDS consumer.bin)
"""
EMPTY_CMAKELISTS = """\
cmake_minimum_required(VERSION 3.20)
project(empty NONE)
add_custom_target(nothing ALL)
"""

EDGE_RE = re.compile(r"^\[\d+/\d+\] (.*)$", re.M)


def die(msg):
    print(f"incremental: error: {msg}", file=sys.stderr)
    sys.exit(1)


def run_checked(cmd, what, **kw):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, **kw)
    if p.returncode != 0:
        die(f"{what} failed (exit {p.returncode}): {' '.join(cmd)}\n{p.stdout}")
    return p.stdout


def timed(cmd, **kw):
    t0 = time.perf_counter()
    p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **kw)
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        die(f"{' '.join(cmd)} failed (exit {p.returncode}):\n"
            f"{p.stderr.decode(errors='replace')}")
    return dt


def sync_fs(path):
    """Flush dirty pages of path's file system (untimed), as pack_vs_cat does."""
    if subprocess.run(["sync", "-f", path]).returncode != 0:
        os.sync()


def ident(path):
    """(inode, mtime_ns) of path, or None if it does not exist."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_mtime_ns)


def log_lines(build):
    try:
        with open(os.path.join(build, ".ninja_log")) as f:
            return f.read().splitlines()
    except FileNotFoundError:
        return []


class NinjaRun:
    """One `ninja -C build` call: wall time, the edges it ran (from its
    status lines), their durations (from the new .ninja_log lines) and
    what romfs said."""

    def __init__(self, build, extra=()):
        before = set(log_lines(build))
        cmd = ["ninja", "-C", build, *extra]
        t0 = time.perf_counter()
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.t = time.perf_counter() - t0
        if p.returncode != 0:
            die(f"{' '.join(cmd)} failed (exit {p.returncode}):\n{p.stdout}")
        self.out = p.stdout
        self.edges = EDGE_RE.findall(p.stdout)
        self.noop = "ninja: no work to do." in p.stdout and not self.edges
        self.up_to_date = ": up to date: " in p.stdout
        self.edge_ms = {}
        for line in log_lines(build):
            if line in before or line.startswith("#"):
                continue
            f = line.split("\t")
            if len(f) >= 4:
                self.edge_ms[f[3]] = int(f[1]) - int(f[0])

    def ms(self, output):
        v = self.edge_ms.get(output)
        return None if v is None else v / 1000.0


def fmt_s(x):
    return "-" if x is None else f"{x:.3f} s"


def fmt_x(x):
    return f"{x:.2f}x"


def row(label, xs, fmt=fmt_s, note=""):
    xs = [x for x in xs if x is not None]
    if not xs:
        print(f"   {label:52}{'-':>10}{'-':>10}   {note}".rstrip())
        return
    print(f"   {label:52}{fmt(statistics.median(xs)):>10}{fmt(min(xs)):>10}   {note}".rstrip())


def runs_line(label, xs):
    print(f"   {label} {' '.join('-' if x is None else f'{x:.3f}' for x in xs)}")


def header(title):
    print()
    print(f"== {title}")


def table_head():
    print(f"   {'':52}{'median':>10}{'min':>10}")


def count(flags):
    flags = list(flags)
    return f"{sum(1 for f in flags if f)}/{len(flags)}"


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def tool_versions():
    cm = run_checked(["cmake", "--version"], "cmake --version").split("\n")[0].split()[-1]
    nj = run_checked(["ninja", "--version"], "ninja --version").strip()
    return cm, nj


def prepare_work(work):
    """work/ is ours: created with a marker, refused if someone else's."""
    if os.path.isdir(work) and os.listdir(work) and \
            not os.path.exists(os.path.join(work, MARKER)):
        die(f"{work} is not empty and has no {MARKER}; pick another --data")
    os.makedirs(work, exist_ok=True)
    with open(os.path.join(work, MARKER), "w") as f:
        f.write("made by bench/incremental.py; everything here may be deleted\n")


def write_if_changed(path, text):
    try:
        with open(path) as f:
            if f.read() == text:
                return
    except FileNotFoundError:
        pass
    with open(path, "w") as f:
        f.write(text)


def list_tree(root):
    files = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            p = os.path.join(dirpath, name)
            files.append((p, os.lstat(p).st_size))
    return files


def newest_change(paths):
    """Newest mtime/ctime among paths, in seconds since the epoch."""
    newest = 0.0
    for p in paths:
        st = os.stat(p)
        newest = max(newest, st.st_mtime, st.st_ctime)
    return newest


def cached_hashes(cache_dir, image_name):
    """How many source hashes romfs's state file for the image holds, or
    None. Read only for the report; the layout is tool/state.c's (magic,
    format 1, 16-byte key, 7 x u64 image stat, u64 count, ...)."""
    d = os.path.join(cache_dir, "state")
    try:
        names = [n for n in os.listdir(d) if n.startswith(image_name + "-")]
        if len(names) != 1:
            return None
        with open(os.path.join(d, names[0]), "rb") as f:
            b = f.read(96)
    except OSError:
        return None
    if len(b) < 96 or b[:8] != b"RMFSSTAT" or int.from_bytes(b[8:16], "little") != 1:
        return None
    return int.from_bytes(b[88:96], "little")


def wait_until_trusted(paths, log):
    """romfs keeps no cached hash for a source changed less than two seconds
    before the build (it could change again within the same timestamp). Wait
    until the newest change is that old, so that the next romfs run records
    every hash."""
    age = time.time() - newest_change(paths)
    if age < TRUST_AGE_S:
        log(f"(waiting {TRUST_AGE_S - age:.1f} s so that romfs trusts the tree's "
            f"timestamps again)")
        time.sleep(TRUST_AGE_S - age)


def transform_cmd(build, scratch):
    """The `cmake -E cmake_transform_depfile ...` half of the image edge's
    command, writing to scratch instead, or None."""
    text = run_checked(["ninja", "-C", build, "-t", "commands", "assets"],
                       "ninja -t commands")
    for line in reversed(text.splitlines()):
        for part in line.split(" && "):
            if "cmake_transform_depfile" in part:
                argv = shlex.split(part)
                return argv[:-1] + [scratch]
    return None


class Edit:
    """Alternates one file between its original bytes and another content
    of the same size; restore() puts the original back."""

    def __init__(self, path, offset, length):
        self.path, self.offset = path, offset
        with open(path, "rb") as f:
            f.seek(offset)
            self.orig = f.read(length)
        self.alt = bytes(b ^ 0xA5 for b in self.orig)
        self.is_orig = True

    def flip(self):
        data = self.alt if self.is_orig else self.orig
        with open(self.path, "r+b") as f:
            f.seek(self.offset)
            f.write(data)
        self.is_orig = not self.is_orig

    def restore(self):
        if not self.is_orig:
            self.flip()
        with open(self.path, "rb") as f:
            f.seek(self.offset)
            if f.read(len(self.orig)) != self.orig:
                die(f"{self.path}: could not restore its original bytes")


def _stop(signum, _frame):
    # Unwind (restoring the edited files in main's `finally`) on SIGTERM and
    # SIGHUP too, not only on Ctrl-C.
    raise SystemExit(f"incremental: stopped by signal {signum}; the tree was restored")


def main(argv=None):
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _stop)
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--romfs-src", default=REPO,
                    help="romfs source directory to add_subdirectory() (default: %(default)s)")
    ap.add_argument("--data", default=os.path.join(tempfile.gettempdir(), "romfs-bench"),
                    help="where the tree and the project go (default: %(default)s)")
    ap.add_argument("--runs", type=int, default=5, help="timed runs (default 5)")
    ap.add_argument("--seed", type=int, default=1, help="tree seed (default 1)")
    ap.add_argument("--scale", type=float, default=1.0,
                    help="tree scale, see gen_tree.py (default 1.0)")
    ap.add_argument("--keep", action="store_true",
                    help="keep the build directory and the reference outputs")
    a = ap.parse_args(argv)
    if a.runs < 1:
        ap.error("--runs must be at least 1")
    if a.scale <= 0:
        ap.error("--scale must be positive")
    for tool in ("cmake", "ninja"):
        if not shutil.which(tool):
            die(f"{tool} not found")

    src = os.path.abspath(a.romfs_src)
    if not os.path.exists(os.path.join(src, "cmake", "Romfs.cmake")):
        die(f"{src} does not look like the romfs sources (no cmake/Romfs.cmake)")
    data = os.path.abspath(a.data)
    for tree_dir in {REPO, src}:
        if os.path.commonpath([data, tree_dir]) == tree_dir:
            die(f"--data {data} is inside the source tree {tree_dir}; pick a directory elsewhere")
    N = a.runs
    env = dict(os.environ, LC_ALL="C")
    t_start = time.perf_counter()

    def log(m):
        print(f"  {m}", flush=True)

    # ---------------------------------------------------------------- setup
    sc = "" if a.scale == 1.0 else f"-x{a.scale:g}"
    tree = gen_tree.ensure_tree(os.path.join(data, f"std-s{a.seed}{sc}"), a.seed, a.scale,
                                False, log=log)
    root = tree["root"]
    files = list_tree(root)
    paths = [p for p, _s in files]
    if len(files) != tree["files"]:
        die(f"{root} has {len(files)} files, its stamp says {tree['files']}")
    small = next(((p, s) for p, s in files
                  if SMALL_MIN <= s <= SMALL_MAX and "/models/" not in p), None)
    bigs = [(p, s) for p, s in files if re.search(r"/models/big_\d+\.bin$", p)]
    if small is None or not bigs:
        die(f"{root}: no file of {SMALL_MIN}..{SMALL_MAX} bytes, or no models/big_*.bin")
    big = bigs[0]

    work = os.path.join(data, "incremental")
    prepare_work(work)
    project = os.path.join(work, "project")
    build = os.path.join(work, "build")
    ref = os.path.join(work, "ref")
    empty = os.path.join(work, "empty")
    for d in (build, ref, empty):
        shutil.rmtree(d, ignore_errors=True)
    os.makedirs(project, exist_ok=True)
    os.makedirs(ref)
    manifest = os.path.join(project, "assets.yaml")
    write_if_changed(os.path.join(project, "CMakeLists.txt"), CMAKELISTS.format(src=src))
    write_if_changed(manifest, "version: 1\nfiles:\n"
                     f"  - src: {json.dumps(root)}\n    dst: \".\"\n")
    image = os.path.join(build, "assets.romfs")
    listing = image + ".txt"
    consumer = os.path.join(build, "consumer.bin")
    cache = os.path.join(build, "romfs-cache")   # romfs_add_image()'s default CACHE_DIR

    cmake_v, ninja_v = tool_versions()
    print("romfs benchmark: incremental rebuilds through CMake + Ninja (romfs_add_image)")
    print(f"  romfs src:  {src}")
    print(f"  tools:      cmake {cmake_v}, ninja {ninja_v}")
    print(f"  data dir:   {data} ({pack_vs_cat.fs_type(data)})")
    print(f"  machine:    {os.cpu_count()} CPUs, {platform.system()} {platform.release()}, "
          f"Python {platform.python_version()}")
    print(f"  load avg:   {' '.join(f'{x:.2f}' for x in os.getloadavg())} at the start "
          f"(1, 5, 15 min; other work on the machine shows up as noise)")
    print(f"  runs:       {N} timed per measurement (after 1 untimed warm-up); "
          f"seed {a.seed}, scale {a.scale:g}")
    print(f"  tree:       {root}: {tree['files']} files in {tree['dirs']} directories, "
          f"{tree['bytes']:,} bytes ({tree['bytes'] / MIB:.1f} MiB)")
    print(f"  project:    {project}")
    print(f"  build:      {build}", flush=True)

    header("setup (not measurements)")
    cfg = ["cmake", "-S", project, "-B", build, "-G", "Ninja", "-DCMAKE_BUILD_TYPE=Release"]
    t0 = time.perf_counter()
    run_checked(cfg, "configure")
    t_cfg = time.perf_counter() - t0
    first = NinjaRun(build)
    romfs = os.path.join(build, "romfs", "tool", "romfs")
    if not os.access(romfs, os.X_OK):
        die(f"{romfs}: the packer is not where expected")
    version = run_checked([romfs, "--version"], "romfs --version").strip()
    dry = NinjaRun(build, ["-n"])
    print(f"   configure:        {' '.join(cfg)}")
    print(f"                     {t_cfg:.2f} s")
    print(f"   first full build: ninja -C {build}")
    print(f"                     {first.t:.2f} s, {len(first.edges)} edges (compiles {version}); "
          f"image edge {fmt_s(first.ms('assets.romfs'))}, "
          f"consumer edge {fmt_s(first.ms('consumer.bin'))}")
    print(f"   image:            {image}, {os.path.getsize(image):,} bytes")
    dry_text = '"ninja: no work to do."' if dry.noop else "WORK LEFT: " + "; ".join(dry.edges)
    print(f"   ninja -n after:   {dry_text}")
    print(f"   edited later:     {os.path.relpath(small[0], root)} ({small[1]:,} bytes, "
          f"all bytes); {os.path.relpath(big[0], root)} ({big[1]:,} bytes, "
          f"{BIG_PATCH} bytes at offset {big[1] // 2:,})", flush=True)

    # ----------------------------------------------------------- references
    sync_fs(work)
    cat_out = os.path.join(ref, "tree.cat")
    fresh_img = os.path.join(ref, "fresh.romfs")
    fresh_cache = os.path.join(ref, "fresh-cache")
    warm_img = os.path.join(ref, "warm.romfs")
    warm_cache = os.path.join(ref, "warm-cache")
    cat_cmd = ["sh", "-c", pack_vs_cat.CAT_PIPELINE, "sh", root, cat_out]
    fresh_cmd = [romfs, "build", manifest, "-o", fresh_img, "--cache-dir", fresh_cache,
                 "--quiet"]
    warm_cmd = [romfs, "build", manifest, "-o", warm_img, "--cache-dir", warm_cache, "--quiet"]
    xform = transform_cmd(build, os.path.join(ref, "transform.d"))

    def pre_cat():
        pack_vs_cat.rm_f(cat_out)

    def pre_fresh():
        pack_vs_cat.rm_f(fresh_img)
        shutil.rmtree(fresh_cache, ignore_errors=True)

    def pre_write_only():
        pack_vs_cat.rm_f(warm_img)

    def pre_replace():
        # Same key, but the image's stat no longer matches the state: romfs
        # writes it again, over the existing file (as after an edit).
        os.utime(warm_img)

    refs = [("cat", cat_cmd, pre_cat, []),
            ("fresh", fresh_cmd, pre_fresh, []),
            ("write", warm_cmd, pre_write_only, []),
            ("replace", warm_cmd, pre_replace, [])]
    if xform:
        refs.append(("xform", xform, lambda: None, []))
    # Warm-up: also fills warm-cache (the first run hashes everything).
    for _name, cmd, pre, _acc in refs:
        pre()
        timed(cmd, env=env, cwd=build)
    for i in range(N):
        k = i % len(refs)
        for _name, cmd, pre, acc in refs[k:] + refs[:k]:
            pre()
            sync_fs(work)
            acc.append(timed(cmd, env=env, cwd=build))
    R = {name: acc for name, _c, _p, acc in refs}
    fresh_med = median(R["fresh"])

    header("reference: the cost of one image write, outside Ninja")
    table_head()
    row("cat   (find | sort | xargs cat > one file)", R["cat"])
    row("romfs build, nothing cached (fresh -o, --cache-dir)", R["fresh"],
        note="<- hashes all, writes once")
    row("romfs build, hashes cached, no image (write only)", R["write"])
    row("romfs build, hashes cached, replacing the image", R["replace"])
    if xform:
        row("cmake -E cmake_transform_depfile (after romfs)", R["xform"])
    runs_line("runs, fresh:  ", R["fresh"])
    runs_line("runs, replace:", R["replace"])
    sys.stdout.flush()

    # ---------------------------------------------------------------- no-op
    sync_fs(work)
    NinjaRun(build)
    noops = [NinjaRun(build) for _ in range(N)]
    dry = NinjaRun(build, ["-n"])
    stats = NinjaRun(build, ["-d", "stats"])
    os.makedirs(os.path.join(empty, "src"))
    write_if_changed(os.path.join(empty, "src", "CMakeLists.txt"), EMPTY_CMAKELISTS)
    eb = os.path.join(empty, "build")
    run_checked(["cmake", "-S", os.path.join(empty, "src"), "-B", eb, "-G", "Ninja"],
                "configure the empty project")
    NinjaRun(eb)
    empty_noops = [NinjaRun(eb) for _ in range(N)]

    header("no-op rebuild (nothing changed)")
    table_head()
    row("ninja", [r.t for r in noops], note=f"(target < {TARGET_NOOP_S * 1000:.0f} ms)")
    row("ninja on an empty CMake project (the floor)", [r.t for r in empty_noops])
    runs_line("runs, ninja:", [r.t for r in noops])
    print(f"   nothing ran:  {count(r.noop for r in noops)} runs"
          + ("" if all(r.noop for r in noops) else
             "   UNEXPECTED: " + "; ".join(e for r in noops for e in r.edges)))
    print(f"   ninja -n:     {dry.out.strip().splitlines()[-1] if dry.out.strip() else '?'}")
    print("   ninja -d stats (one more no-op; \"node stat\" is counted twice, at two "
          "nested call sites):")
    for line in stats.out.splitlines():
        if line.startswith(("metric", ".ninja", "node stat", "depfile load")):
            print(f"     {line.expandtabs(18).rstrip()}")
    sys.stdout.flush()

    # ------------------------------------------------------- one small edit
    def edit_phase(ed):
        wait_until_trusted(paths, log)
        sync_fs(work)
        ed.flip()                    # warm-up (also refreshes romfs's state)
        NinjaRun(build)
        runs = []
        for _ in range(N):
            before_img, before_cons, before_lst = ident(image), ident(consumer), ident(listing)
            sync_fs(work)
            ed.flip()
            r = NinjaRun(build)
            r.img_rewritten = ident(image) != before_img
            r.cons_reran = ident(consumer) != before_cons
            r.lst_rewritten = ident(listing) != before_lst
            runs.append(r)
        return runs, NinjaRun(build)

    def ratio_rows(runs):
        img = [r.ms("assets.romfs") for r in runs]
        whole = [r.t for r in runs]
        fresh = (median(R["fresh"]), min(R["fresh"]))

        def ratio(label, xs, ref, note=""):
            xs = [x for x in xs if x is not None]
            if xs and all(ref):
                print(f"   {label:52}{fmt_x(statistics.median(xs) / ref[0]):>10}"
                      f"{fmt_x(min(xs) / ref[1]):>10}   {note}".rstrip())

        ratio("ratio image edge / fresh build", img, fresh, "(target <= 1.0x)")
        ratio("ratio whole ninja / fresh build", whole, fresh)
        if xform:
            ratio("ratio image edge / (replacing + transform)", img,
                  (median(R["replace"]) + median(R["xform"]),
                   min(R["replace"]) + min(R["xform"])))

    def edit_report(runs, after):
        table_head()
        row("ninja (the whole call)", [r.t for r in runs])
        row("  image edge: romfs + depfile transform", [r.ms("assets.romfs") for r in runs])
        row("  consumer edge: cmake -E copy of the image", [r.ms("consumer.bin") for r in runs])
        ratio_rows(runs)
        runs_line("runs, ninja:     ", [r.t for r in runs])
        runs_line("runs, image edge:", [r.ms("assets.romfs") for r in runs])
        print(f"   image rewritten {count(r.img_rewritten for r in runs)}, "
              f"consumer re-ran {count(r.cons_reran for r in runs)}, "
              f"listing rewritten {count(r.lst_rewritten for r in runs)}")
        odd = [e for r in runs for e in r.edges
               if not e.startswith(("Packing ROMFS image", "Copying the image"))]
        if odd:
            print(f"   UNEXPECTED edges: {'; '.join(odd)}")
        print(f"   next plain ninja: {after.t:.3f} s, "
              + ("a no-op" if after.noop else "RAN: " + "; ".join(after.edges)))
        print(f"   romfs's state now holds {cached_hashes(cache, 'assets.romfs')} of "
              f"{len(paths)} source hashes (a file changed < 2 s before a build is left out)")

    small_edit = Edit(small[0], 0, small[1])
    big_edit = Edit(big[0], big[1] // 2, BIG_PATCH)
    try:
        runs, after = edit_phase(small_edit)
        header(f"one small file edited: {os.path.relpath(small[0], root)} "
               f"({small[1]:,} bytes, two contents alternating)")
        edit_report(runs, after)
        sys.stdout.flush()

        runs, after = edit_phase(big_edit)
        header(f"one 5 MiB file edited: {os.path.relpath(big[0], root)} "
               f"({BIG_PATCH} bytes rewritten in place, same size)")
        edit_report(runs, after)
        sys.stdout.flush()

        # ---------------------------------------------------------- touch
        sync_fs(work)
        touch_t, touches, afters = [], [], []
        for _ in range(N):
            before_img, before_cons, before_lst = ident(image), ident(consumer), ident(listing)
            t0 = time.perf_counter()
            for p in paths:
                os.utime(p)
            touch_t.append(time.perf_counter() - t0)
            r = NinjaRun(build)
            r.img_rewritten = ident(image) != before_img
            r.cons_reran = ident(consumer) != before_cons
            r.lst_rewritten = ident(listing) != before_lst
            touches.append(r)
            afters.append(NinjaRun(build))
        header(f"touch-only rebuild (os.utime on all {len(paths)} files, contents unchanged)")
        table_head()
        row(f"os.utime of {len(paths)} files (not in the ninja time)", touch_t)
        row("ninja (the whole call)", [r.t for r in touches])
        row("  image edge: romfs (re-hashes all) + transform",
            [r.ms("assets.romfs") for r in touches])
        row("next plain ninja", [r.t for r in afters], note="(must be a no-op)")
        runs_line("runs, ninja:", [r.t for r in touches])
        print(f"   romfs ran {count('assets.romfs' in r.edge_ms for r in touches)}, "
              f"said \"up to date\" {count(r.up_to_date for r in touches)}")
        print(f"   image rewritten {count(r.img_rewritten for r in touches)} "
              f"(inode + mtime_ns compared; target 0/{N}), "
              f"consumer re-ran {count(r.cons_reran for r in touches)}, "
              f"listing rewritten {count(r.lst_rewritten for r in touches)}")
        print(f"   next plain ninja a no-op: {count(r.noop for r in afters)}"
              + ("" if all(r.noop for r in afters) else
                 "   RAN: " + "; ".join(e for r in afters for e in r.edges)))
        print(f"   romfs's state after the touch builds holds "
              f"{cached_hashes(cache, 'assets.romfs')} of {len(paths)} source hashes")
        sys.stdout.flush()

        # An edit after a touch build that ran < 2 s after the touches: that
        # build kept no hash, so this one re-hashes the whole tree.
        late = []
        for _ in range(N):
            for p in paths:
                os.utime(p)
            NinjaRun(build)          # the touch build, untimed
            held = cached_hashes(cache, "assets.romfs")
            sync_fs(work)
            small_edit.flip()
            r = NinjaRun(build)
            r.held = held
            late.append(r)
        header("a small edit just after a touch build (touch all, ninja, edit, ninja: "
               "the last timed)")
        table_head()
        row("ninja (the whole call)", [r.t for r in late])
        row("  image edge: romfs (re-hashes all) + transform",
            [r.ms("assets.romfs") for r in late])
        ratio_rows(late)
        runs_line("runs, image edge:", [r.ms("assets.romfs") for r in late])
        print("   source hashes in romfs's state before the edit build: "
              + " ".join(str(r.held) for r in late))
        print("   (romfs keeps no hash of a file changed < 2 s before the build, so a build")
        print("    right after a mass change keeps none, and the next build re-hashes all)")
    finally:
        small_edit.restore()
        big_edit.restore()

    # ------------------------------------------------------------ end state
    wait_until_trusted(paths, log)
    restore = NinjaRun(build)
    dry = NinjaRun(build, ["-n"])
    pre_fresh()
    timed(fresh_cmd, env=env, cwd=build)
    same = filecmp.cmp(image, fresh_img, shallow=False)
    v = subprocess.run([romfs, "verify", image], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    header("end state")
    print(f"   tree restored: {os.path.relpath(small[0], root)} and "
          f"{os.path.relpath(big[0], root)} have their original bytes again")
    print(f"   ninja after restoring: {restore.t:.3f} s, ran: "
          f"{'; '.join(restore.edges) or 'nothing'}")
    print(f"   ninja -n:     {dry.out.strip().splitlines()[-1] if dry.out.strip() else '?'}")
    print(f"   romfs's state holds {cached_hashes(cache, 'assets.romfs')} of {len(paths)} "
          f"source hashes (that build ran >= 2 s after the last change)")
    print(f"   image == a fresh `romfs build` of the same tree: "
          f"{'yes, byte for byte' if same else 'NO, THEY DIFFER'}")
    print(f"   romfs verify: exit {v.returncode}: {v.stdout.strip()}")

    if not a.keep:
        for d in (build, ref, empty):
            shutil.rmtree(d, ignore_errors=True)
    print()
    print(f"total time {time.perf_counter() - t_start:.0f} s; load average at the end "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
