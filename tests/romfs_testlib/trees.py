"""File trees for tests: nested dicts {name: bytes | dict} written to and
read from disk, random trees from a seed, and exact comparison."""
import os
import random

# Characters for random names: ASCII, accented Latin, Greek, Cyrillic,
# CJK, emoji (4-byte UTF-8). Never '/', NUL or anything unprintable.
_ASCII = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.+=~,@"
_WIDE = "éèêàâüöñçåøßÉÖαβγδλΩжщЯ漢字中文日本語한국어😀🚀🎉🧪🐍"


def random_name(rng, utf8=True, max_chars=12):
    while True:
        n = rng.randint(1, max_chars)
        pool = _ASCII + (_WIDE if utf8 and rng.random() < 0.4 else "")
        name = "".join(rng.choice(pool) for _ in range(n))
        if name not in (".", "..") and len(name.encode()) <= 200:
            return name


def random_size(rng, max_size):
    r = rng.random()
    if r < 0.1:
        return 0
    if r < 0.6:
        return rng.randint(1, min(200, max_size))
    if r < 0.9:
        return rng.randint(0, min(5000, max_size))
    return rng.randint(0, max_size)


def random_tree(seed, n_files=40, n_dirs=12, max_depth=5, max_size=3000,
                utf8=True, empty_dirs=True, exts=("", ".txt", ".bin", ".py", ".json", ".dat")):
    """A random tree: n_dirs directories (some possibly empty) up to
    max_depth deep, n_files files of random sizes (some zero-length),
    UTF-8 names when utf8 is true. Same seed, same tree."""
    rng = random.Random(seed)
    root = {}
    dirs = [(root, 0)]
    for _ in range(n_dirs):
        candidates = [d for d in dirs if d[1] < max_depth]
        parent, depth = rng.choice(candidates)
        name = random_name(rng, utf8)
        if name in parent:
            continue
        node = {}
        parent[name] = node
        dirs.append((node, depth + 1))
    for _ in range(n_files):
        parent, _ = rng.choice(dirs)
        name = random_name(rng, utf8, 10) + rng.choice(exts)
        if name in parent or name in (".", ".."):
            continue
        parent[name] = rng.randbytes(random_size(rng, max_size))
    if not empty_dirs:
        _fill_empty(root, rng)
    return root


def _fill_empty(tree, rng):
    for value in tree.values():
        if isinstance(value, dict):
            _fill_empty(value, rng)
            if not value:
                value["f"] = rng.randbytes(rng.randint(0, 50))


def deep_tree(depth, leaf=b"leaf\n", name="d"):
    """A chain depth directories deep with one file at the bottom."""
    node = {"leaf.txt": leaf}
    for i in reversed(range(depth)):
        node = {f"{name}{i}": node}
    return node


def write_tree(root, tree, reverse=False, shuffle_seed=None, mtime=None):
    """Creates `tree` under root (created if missing). reverse/shuffle_seed
    change the creation order (and so readdir order and inodes); mtime sets
    every file's and directory's mtime."""
    os.makedirs(root, exist_ok=True)
    items = list(tree.items())
    if reverse:
        items.reverse()
    if shuffle_seed is not None:
        random.Random(shuffle_seed).shuffle(items)
    for name, value in items:
        p = os.path.join(root, name)
        if isinstance(value, dict):
            os.mkdir(p)
            write_tree(p, value, reverse, shuffle_seed, mtime)
        else:
            with open(p, "wb") as f:
                f.write(value)
            if mtime is not None:
                os.utime(p, (mtime, mtime))
    if mtime is not None:
        os.utime(root, (mtime, mtime))
    return root


def write_files(root, files):
    """Creates each file of `files` ({relative path: bytes}) under root,
    with the directories it needs."""
    for rel, data in files.items():
        p = os.path.join(root, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(data)


def nested(files):
    """{relative path: bytes} as a nested tree (the inverse of files_of
    for trees without empty directories)."""
    tree = {}
    for rel, data in files.items():
        node = tree
        *dirs, name = rel.split("/")
        for part in dirs:
            node = node.setdefault(part, {})
        node[name] = data
    return tree


def read_tree(root):
    """The tree under root as a nested dict (str names). Symlinks are
    reported as ('symlink', target) so comparisons notice them."""
    out = {}
    for name in os.listdir(root):
        p = os.path.join(root, name)
        if os.path.islink(p):
            out[name] = ("symlink", os.readlink(p))
        elif os.path.isdir(p):
            out[name] = read_tree(p)
        else:
            with open(p, "rb") as f:
                out[name] = f.read()
    return out


def flatten(tree, prefix=""):
    """{path: bytes} for files and {path: None} for directories."""
    out = {}
    for name, value in tree.items():
        path = prefix + (name if isinstance(name, str) else os.fsdecode(name))
        if isinstance(value, dict):
            out[path] = None
            out.update(flatten(value, path + "/"))
        else:
            out[path] = value
    return out


def set_path(tree, path, data):
    """Puts `data` (bytes) at the '/'-separated `path` of a nested tree,
    making the directories it needs."""
    *dirs, name = path.split("/")
    node = tree
    for part in dirs:
        node = node.setdefault(part, {})
    node[name] = data


def files_of(tree):
    return {p: v for p, v in flatten(tree).items() if v is not None}


def diff_trees(a, b):
    """Differences between two trees (nested dicts or directory paths), as
    a list of human-readable lines; empty when identical (names, kinds,
    file bytes, empty directories)."""
    fa = flatten(read_tree(a) if isinstance(a, (str, os.PathLike)) else a)
    fb = flatten(read_tree(b) if isinstance(b, (str, os.PathLike)) else b)
    out = []
    for p in sorted(set(fa) | set(fb)):
        if p not in fb:
            out.append(f"only in first: {p!r}")
        elif p not in fa:
            out.append(f"only in second: {p!r}")
        elif (fa[p] is None) != (fb[p] is None):
            out.append(f"dir vs file: {p!r}")
        elif fa[p] != fb[p]:
            va, vb = fa[p], fb[p]
            if isinstance(va, bytes) and isinstance(vb, bytes):
                out.append(f"content differs: {p!r} ({len(va)} vs {len(vb)} bytes)")
            else:
                out.append(f"differs: {p!r}: {va!r} vs {vb!r}")
    return out


def assert_same_tree(testcase, a, b, msg=""):
    diffs = diff_trees(a, b)
    if diffs:
        testcase.fail(f"{msg}trees differ:\n  " + "\n  ".join(diffs[:40])
                      + (f"\n  ... {len(diffs) - 40} more" if len(diffs) > 40 else ""))


def count(tree):
    """(files, dirs) in a tree."""
    flat = flatten(tree)
    files = sum(1 for v in flat.values() if v is not None)
    return files, len(flat) - files


def snapshot(root):
    """Everything under root (recursively) as {relpath: (kind, bytes)} for
    checking that a command wrote nothing."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for n in dirnames + filenames:
            p = os.path.join(dirpath, n)
            rel = os.path.relpath(p, root)
            if os.path.islink(p):
                out[rel] = ("link", os.readlink(p))
            elif os.path.isdir(p):
                out[rel] = ("dir", None)
            else:
                with open(p, "rb") as f:
                    out[rel] = ("file", f.read())
    return out
