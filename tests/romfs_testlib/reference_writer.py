"""The layout `mpremote romfs build` writes, restated from docs/format.md
("mpremote's: the reference") for tests: no alignment, entries sorted by name
in every directory, one kind-5 record with one kind-2 data record per
file, one kind-4 record per directory (empty ones kept), shortest
varuints except the filesystem length, which gets one leading 0x80 when
the image size would otherwise be odd. No .py precompilation."""
import os


def _uint(value):
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.insert(0, 0x80 | (value & 0x7F))
        value >>= 7
    return bytes(out)


def _record(kind, payload):
    return _uint(kind) + _uint(len(payload)) + payload


def _named(kind, name, body):
    return _record(kind, _uint(len(name)) + name + body)


def _name_bytes(name):
    return name if isinstance(name, bytes) else os.fsencode(name)


def _dir_body(tree):
    # Names compared as raw bytes; for UTF-8 that is code point order.
    items = sorted(((_name_bytes(k), v) for k, v in tree.items()), key=lambda kv: kv[0])
    out = bytearray()
    for name, value in items:
        if isinstance(value, dict):
            out += _named(4, name, _dir_body(value))
        else:
            out += _named(5, name, _record(2, bytes(value)))
    return bytes(out)


def _wrap(payload):
    length = _uint(len(payload))
    if (3 + len(length) + len(payload)) % 2:
        length = b"\x80" + length
    return b"\xd2\xcd\x31" + length + payload


def build_from_tree(tree):
    """tree: nested dict {name (str or bytes): bytes | dict}."""
    return _wrap(_dir_body(tree))


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
