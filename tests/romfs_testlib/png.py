"""Reading a PNG with the standard library: its header, and its pixels
(8-bit greyscale, grey+alpha, RGB or RGBA, not interlaced: what Chromium
writes), to check that a screenshot is a real picture and what colours
it holds."""
import struct
import zlib

SIGNATURE = b"\x89PNG\r\n\x1a\n"
_CHANNELS = {0: 1, 2: 3, 4: 2, 6: 4}


class PngError(AssertionError):
    pass


def chunks(data):
    """(type, body) of each chunk, CRCs checked."""
    if not data.startswith(SIGNATURE):
        raise PngError("not a PNG: no signature")
    at = len(SIGNATURE)
    while at < len(data):
        if at + 8 > len(data):
            raise PngError("truncated chunk header")
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        body = data[at + 8:at + 8 + length]
        if len(body) != length or at + 12 + length > len(data):
            raise PngError(f"truncated {kind!r} chunk")
        (crc,) = struct.unpack(">I", data[at + 8 + length:at + 12 + length])
        if zlib.crc32(kind + body) != crc:
            raise PngError(f"bad CRC in {kind!r} chunk")
        yield kind, body
        at += 12 + length
        if kind == b"IEND":
            return
    raise PngError("no IEND chunk")


def header(data):
    """(width, height, bit depth, colour type, interlace) from IHDR."""
    first = next(chunks(data))
    if first[0] != b"IHDR" or len(first[1]) != 13:
        raise PngError("the first chunk is not IHDR")
    w, h, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", first[1])
    return w, h, depth, colour, interlace


def _paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else b if pb <= pc else c


def pixels(data):
    """(width, height, rows): rows[y] is a bytes of width * channels
    samples, unfiltered; channels 1 to 4 as the colour type says."""
    w, h, depth, colour, interlace = header(data)
    if depth != 8 or colour not in _CHANNELS or interlace:
        raise PngError(f"unsupported PNG: depth {depth}, colour type {colour}, interlace {interlace}")
    raw = zlib.decompress(b"".join(body for kind, body in chunks(data) if kind == b"IDAT"))
    n = _CHANNELS[colour]
    stride = w * n
    if len(raw) != h * (stride + 1):
        raise PngError(f"IDAT holds {len(raw)} bytes, not {h * (stride + 1)}")
    rows, prev = [], bytearray(stride)
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if f == 1:
            for i in range(n, stride):
                line[i] = (line[i] + line[i - n]) & 255
        elif f == 2:
            for i in range(stride):
                line[i] = (line[i] + prev[i]) & 255
        elif f == 3:
            for i in range(stride):
                left = line[i - n] if i >= n else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 255
        elif f == 4:
            for i in range(stride):
                left = line[i - n] if i >= n else 0
                up_left = prev[i - n] if i >= n else 0
                line[i] = (line[i] + _paeth(left, prev[i], up_left)) & 255
        elif f != 0:
            raise PngError(f"row {y}: unknown filter {f}")
        rows.append(bytes(line))
        prev = line
    return w, h, n, rows


def colours(data, step=1):
    """{(r, g, b): count} over every `step`-th pixel in each direction."""
    w, h, n, rows = pixels(data)
    out = {}
    for y in range(0, h, step):
        row = rows[y]
        for x in range(0, w, step):
            px = row[x * n:(x + 1) * n]
            rgb = (px[0], px[0], px[0]) if n < 3 else (px[0], px[1], px[2])
            out[rgb] = out.get(rgb, 0) + 1
    return out
