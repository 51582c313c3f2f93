"""An independent reader for MicroPython ROMFS images, written from the
format as docs/format.md states it (not from the romfs C sources), plus
small encoders for building byte vectors by hand.

    img = parse(data)            # raises ImageError on any fault
    img.entries                  # depth-first, in image order
    img.files["a/b.txt"].data    # bytes
    img.files["a/b.txt"].offset  # absolute offset of the data in `data`
"""
import dataclasses

FILESYSTEM_HEADER = b"\xd2\xcd\x31"       # varuint 0x14a6b1

KIND_UNUSED = 0
KIND_PADDING = 1
KIND_DATA = 2
KIND_INDIRECT = 3
KIND_DIR = 4
KIND_FILE = 5
KIND_FILESYSTEM = 0x14A6B1


class ImageError(Exception):
    """A structural (or, in strict mode, naming) fault in an image."""

    def __init__(self, message, offset, category="structure"):
        super().__init__(f"{message} (at offset {offset})")
        self.message = message
        self.offset = offset
        # "structure": bounds, kinds, varuints, sizes, data records.
        # "name": empty/./../'/'/NUL names, duplicates.  "utf8": invalid UTF-8.
        self.category = category


@dataclasses.dataclass
class Entry:
    path: str                 # '/'-joined; names decoded as UTF-8 (surrogateescape)
    raw_path: bytes           # the same, as raw bytes
    name: bytes
    kind: str                 # "dir" or "file"
    record_offset: int        # offset of the entry's record (its kind varuint)
    size: int = 0             # files: data size
    offset: int = 0           # files: absolute offset of the first data byte
    data: bytes = b""
    indirect: bool = False    # files: data came from a kind-3 record

    @property
    def align(self):
        """The largest power of two dividing the data offset."""
        if self.offset == 0:
            return 0
        return self.offset & -self.offset


@dataclasses.dataclass
class Image:
    size: int                 # header + payload, in bytes
    payload_start: int        # absolute offset of the payload's first byte
    entries: list             # Entry objects, depth-first, image order

    @property
    def files(self):
        return {e.path: e for e in self.entries if e.kind == "file"}

    @property
    def dirs(self):
        return [e.path for e in self.entries if e.kind == "dir"]

    def tree(self):
        """The image as a nested dict {name: bytes | dict} (str names)."""
        root = {}
        nodes = {"": root}
        for e in self.entries:
            parent, _, name = e.path.rpartition("/")
            holder = nodes[parent]
            if e.kind == "dir":
                holder[name] = nodes[e.path] = {}
            else:
                holder[name] = e.data
        return root


# ---------------------------------------------------------------- varuints

def encode_varuint(value, width=None):
    """Encodes value as a varuint; width (bytes in all) pads it with
    leading 0x80 bytes."""
    if value < 0:
        raise ValueError("negative varuint")
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.insert(0, 0x80 | (value & 0x7F))
        value >>= 7
    if width is not None:
        if width < len(out):
            raise ValueError(f"varuint needs {len(out)} bytes, width {width}")
        out = [0x80] * (width - len(out)) + out
    return bytes(out)


def varuint_size(value):
    return len(encode_varuint(value))


def decode_varuint(data, pos, end=None):
    """Decodes the varuint at data[pos:end]; returns (value, next_pos).
    Raises ImageError if it does not end before `end`."""
    if end is None:
        end = len(data)
    start = pos
    value = 0
    while True:
        if pos >= end:
            raise ImageError("truncated varuint", start)
        b = data[pos]
        pos += 1
        value = (value << 7) | (b & 0x7F)
        if not b & 0x80:
            return value, pos


def record(kind, payload, kind_width=None, len_width=None):
    """One record: kind varuint, length varuint, payload."""
    return (encode_varuint(kind, kind_width) + encode_varuint(len(payload), len_width)
            + bytes(payload))


def name_field(name):
    name = name.encode() if isinstance(name, str) else bytes(name)
    return encode_varuint(len(name)) + name


def file_record(name, data):
    return record(KIND_FILE, name_field(name) + record(KIND_DATA, data))


def dir_record(name, body):
    return record(KIND_DIR, name_field(name) + body)


def image(payload, len_width=None):
    """Wraps a payload into an image; pads the length varuint with one 0x80
    when the total would be odd (unless len_width is given)."""
    if len_width is None:
        n = varuint_size(len(payload))
        len_width = n + 1 if (3 + n + len(payload)) % 2 else n
    return FILESYSTEM_HEADER + encode_varuint(len(payload), len_width) + bytes(payload)


# ----------------------------------------------------------------- parsing

class _Parser:
    def __init__(self, data, check_names, check_utf8, check_even):
        self.data = bytes(data)
        self.check_names = check_names
        self.check_utf8 = check_utf8
        self.check_even = check_even
        self.entries = []

    def parse(self):
        data = self.data
        if len(data) < 3 or data[:3] != FILESYSTEM_HEADER:
            raise ImageError("not a ROMFS image (bad header)", 0)
        length, pos = decode_varuint(data, 3)
        self.payload_start = pos
        self.payload_end = pos + length
        if self.payload_end > len(data):
            raise ImageError(
                f"image length {self.payload_end} runs past the end of the buffer "
                f"({len(data)} bytes)", 3)
        if self.check_even and self.payload_end % 2:
            raise ImageError(f"image size {self.payload_end} is odd", 3)
        self._records(pos, self.payload_end, b"")
        return Image(size=self.payload_end, payload_start=self.payload_start,
                     entries=self.entries)

    def _header(self, pos, end):
        """Reads a record header inside [pos, end); returns
        (kind, payload_start, payload_end)."""
        kind, p = decode_varuint(self.data, pos, end)
        length, p = decode_varuint(self.data, p, end)
        if p + length > end:
            raise ImageError(f"record of kind {kind} (length {length}) runs past its parent",
                             pos)
        if kind == KIND_UNUSED:
            raise ImageError("record of kind 0", pos)
        return kind, p, p + length

    def _name(self, pos, end, rec_pos):
        n, p = decode_varuint(self.data, pos, end)
        if p + n > end:
            raise ImageError("name runs past its record", pos)
        name = self.data[p:p + n]
        if self.check_names:
            if name in (b"", b".", b".."):
                raise ImageError(f"bad name {name!r}", rec_pos, "name")
            if b"/" in name or b"\0" in name:
                raise ImageError(f"name {name!r} contains '/' or NUL", rec_pos, "name")
        if self.check_utf8:
            try:
                name.decode("utf-8")
            except UnicodeDecodeError:
                raise ImageError(f"name {name!r} is not UTF-8", rec_pos, "utf8") from None
        return name, p + n

    def _records(self, pos, end, prefix):
        seen = set()
        while pos < end:
            rec_pos = pos
            kind, p, rec_end = self._header(pos, end)
            pos = rec_end
            if kind not in (KIND_DIR, KIND_FILE):
                continue                    # padding, stray data, unknown: skipped
            name, p = self._name(p, rec_end, rec_pos)
            if self.check_names:
                if name in seen:
                    raise ImageError(f"duplicate name {name!r}", rec_pos, "name")
                seen.add(name)
            raw_path = prefix + name
            entry = Entry(path=raw_path.decode("utf-8", "surrogateescape"),
                          raw_path=raw_path, name=name,
                          kind="dir" if kind == KIND_DIR else "file",
                          record_offset=rec_pos)
            self.entries.append(entry)
            if kind == KIND_DIR:
                self._records(p, rec_end, raw_path + b"/")
            else:
                self._file(entry, p, rec_end)

    def _file(self, entry, pos, end):
        while pos < end:
            rec_pos = pos
            kind, p, rec_end = self._header(pos, end)
            pos = rec_end
            if kind == KIND_DATA:
                entry.size, entry.offset = rec_end - p, p
                entry.data = self.data[p:rec_end]
                break
            if kind == KIND_INDIRECT:
                size, q = decode_varuint(self.data, p, rec_end)
                off, q = decode_varuint(self.data, q, rec_end)
                if off + size > self.payload_end - self.payload_start:
                    raise ImageError(
                        f"indirect data (offset {off}, size {size}) outside the payload",
                        rec_pos)
                entry.size, entry.offset = size, self.payload_start + off
                entry.data = self.data[entry.offset:entry.offset + size]
                entry.indirect = True
                break
        else:
            raise ImageError(f"file {entry.path!r} has no data record", entry.record_offset)
        # Whatever follows the data record inside the file record is never
        # read (MicroPython takes the first data record and stops).


def parse(data, strict=True, check_utf8=None, check_even=None):
    """Parses an image. strict=True (default) also rejects bad names
    (empty, '.', '..', containing '/' or NUL), duplicate names in a
    directory, names that are not UTF-8 and odd image sizes; strict=False
    checks only what MicroPython's reader needs. Trailing bytes past the
    image's own length are allowed (a flash partition is larger than its
    image)."""
    return _Parser(data, check_names=strict,
                   check_utf8=strict if check_utf8 is None else check_utf8,
                   check_even=strict if check_even is None else check_even).parse()


def flatten_tree(tree, prefix=""):
    """{path: bytes (files) or None (dirs)} for a nested dict tree."""
    out = {}
    for name, value in tree.items():
        path = prefix + name
        if isinstance(value, dict):
            out[path] = None
            out.update(flatten_tree(value, path + "/"))
        else:
            out[path] = bytes(value)
    return out
