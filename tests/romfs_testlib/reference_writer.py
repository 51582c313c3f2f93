"""The layout `mpremote romfs build` writes, restated from docs/format.md
("mpremote's: the reference") for tests: no alignment, entries sorted by name
in every directory, one kind-5 record with one kind-2 data record per
file, one kind-4 record per directory (empty ones kept), shortest
varuints except the filesystem length, which gets one leading 0x80 when
the image size would otherwise be odd. No .py precompilation. The
records are encoded by image_reader's encoders, which
test_format_vectors checks against bytes written out by hand."""
import os

from .image_reader import dir_record, file_record, image


def _name_bytes(name):
    return name if isinstance(name, bytes) else os.fsencode(name)


def _dir_body(tree):
    # Names compared as raw bytes; for UTF-8 that is code point order.
    items = sorted(((_name_bytes(k), v) for k, v in tree.items()), key=lambda kv: kv[0])
    out = bytearray()
    for name, value in items:
        if isinstance(value, dict):
            out += dir_record(name, _dir_body(value))
        else:
            out += file_record(name, bytes(value))
    return bytes(out)


def build_from_tree(tree):
    """tree: nested dict {name (str or bytes): bytes | dict}."""
    return image(_dir_body(tree))


def _read_dir(path):
    tree = {}
    with os.scandir(path) as it:
        for e in it:
            if e.is_dir():
                tree[os.fsencode(e.name)] = _read_dir(e.path)
            else:
                with open(e.path, "rb") as f:
                    tree[os.fsencode(e.name)] = f.read()
    return tree


def build_from_dir(path):
    """The image mpremote builds from the directory `path`."""
    return build_from_tree(_read_dir(path))
