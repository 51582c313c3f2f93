"""Readers and writers of flash files written from the specifications
alone (not from tool/flash/), so that the C layer is held to the formats
and not to itself:

- Intel HEX: Intel's "Hexadecimal Object File Format Specification"
  (rev. A, 1988), records 00 to 05, I8HEX segment wrap, I32HEX linear.
- UF2: github.com/microsoft/uf2 README (block layout, flags, family IDs).
- DfuSe: ST's UM0391 (prefix, target prefix, image elements) and the USB
  DFU 1.1 specification's file suffix and CRC.
- ELF: the System V ABI's ELF header, program and section headers, in
  both classes and both byte orders.

Readers return runs: {address: bytes}, each run a maximal stretch of
contiguous bytes, and raise ValueError on anything malformed."""
import struct
import zlib


def merge(pieces):
    """[(address, bytes)] -> {address: bytes} with touching pieces joined;
    raises ValueError when two pieces overlap."""
    runs = {}
    last = None
    for address, data in sorted((a, bytes(d)) for a, d in pieces if len(d)):
        if last is not None and address < last[0] + len(runs[last[0]]):
            raise ValueError(f"overlap at 0x{address:x}")
        if last is not None and address == last[0] + len(runs[last[0]]):
            runs[last[0]] += data
        else:
            runs[address] = data
            last = (address,)
    return runs


def uf2_pages(runs, page=256, fill=0xff):
    """What a UF2 file of `runs` holds: every touched 256-byte page, whole,
    `fill` where the runs have no byte."""
    touched = {}
    for address, data in runs.items():
        for i, b in enumerate(data):
            base = (address + i) // page * page
            touched.setdefault(base, bytearray([fill] * page))[(address + i) - base] = b
    return merge((a, bytes(d)) for a, d in touched.items())


def flat(runs, fill=0xff):
    """What a bin of `runs` holds: one stretch from the lowest address,
    `fill` in the gaps."""
    if not runs:
        return b""
    low = min(runs)
    end = max(a + len(d) for a, d in runs.items())
    out = bytearray([fill] * (end - low))
    for a, d in runs.items():
        out[a - low:a - low + len(d)] = d
    return bytes(out)


# --- Intel HEX -------------------------------------------------------------

def ihex_record(rtype, offset, data=b"", checksum=None):
    """One record as text without its line end."""
    body = bytes([len(data), (offset >> 8) & 0xff, offset & 0xff, rtype]) + bytes(data)
    if checksum is None:
        checksum = (-sum(body)) & 0xff
    return ":" + (body + bytes([checksum])).hex().upper()


def write_ihex(runs, per_record=16, line_end="\n", segment_base=False):
    """{address: bytes} as Intel HEX text: type-04 (or, with segment_base,
    type-02) records and data records of up to per_record bytes."""
    lines = []
    upper = None
    for address in sorted(runs):
        data = runs[address]
        i = 0
        while i < len(data):
            at = address + i
            n = min(per_record, len(data) - i, 0x10000 - (at & 0xffff))
            if segment_base:
                if at >> 16 != upper:
                    upper = at >> 16
                    lines.append(ihex_record(0x02, 0, struct.pack(">H", upper << 12)))
            elif at >> 16 != upper:
                upper = at >> 16
                lines.append(ihex_record(0x04, 0, struct.pack(">H", upper)))
            lines.append(ihex_record(0x00, at & 0xffff, data[i:i + n]))
            i += n
    lines.append(ihex_record(0x01, 0))
    return "".join(line + line_end for line in lines)


def read_ihex(text):
    """Intel HEX text (str or bytes) -> runs."""
    if isinstance(text, bytes):
        text = text.decode("ascii")
    base, linear, ended = 0, True, False
    pieces = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        if ended:
            raise ValueError(f"line {number}: after the end record")
        if not line.startswith(":"):
            raise ValueError(f"line {number}: no ':'")
        raw = bytes.fromhex(line[1:])
        if len(raw) < 5 or len(raw) != raw[0] + 5:
            raise ValueError(f"line {number}: length")
        if sum(raw) & 0xff:
            raise ValueError(f"line {number}: checksum")
        count, offset, rtype, data = raw[0], raw[1] << 8 | raw[2], raw[3], raw[4:-1]
        if rtype == 0x00:
            if linear:  # (LBA + DRLO + DRI) mod 4G: runs on past 64 KiB
                pieces.append((base + offset, data))
            else:  # SBA + ((DRLO + DRI) mod 64K): wraps within the segment
                first = min(len(data), 0x10000 - offset)
                pieces.append((base + offset, data[:first]))
                pieces.append((base, data[first:]))
        elif rtype == 0x01:
            ended = True
        elif rtype == 0x02:
            base, linear = struct.unpack(">H", data)[0] << 4, False
        elif rtype == 0x04:
            base, linear = struct.unpack(">H", data)[0] << 16, True
        elif rtype in (0x03, 0x05):
            if count != 4:
                raise ValueError(f"line {number}: start address length")
        else:
            raise ValueError(f"line {number}: type {rtype}")
    if not ended:
        raise ValueError("no end record")
    return merge(pieces)


# --- UF2 -------------------------------------------------------------------

UF2_MAGIC_START0, UF2_MAGIC_START1, UF2_MAGIC_END = 0x0A324655, 0x9E5D5157, 0x0AB16F30
UF2_NOT_MAIN_FLASH, UF2_FILE_CONTAINER, UF2_FAMILY_ID = 0x1, 0x1000, 0x2000

# From github.com/microsoft/uf2, utils/uf2families.json.
UF2_FAMILIES = {
    "rp2040": 0xE48BFF56, "rp2xxx-absolute": 0xE48BFF57, "rp2xxx-data": 0xE48BFF58,
    "rp2350-arm-s": 0xE48BFF59, "rp2350-riscv": 0xE48BFF5A, "rp2350-arm-ns": 0xE48BFF5B,
    "samd21": 0x68ED2B88, "samd51": 0x55114460, "saml21": 0x1851780A,
    "stm32f4": 0x57755A57, "stm32f7": 0x53B80F00, "stm32h7": 0x6DB66082,
    "stm32l4": 0x00FF6919, "stm32wb": 0x70D16653,
    "esp32s2": 0xBFDD4EEE, "esp32s3": 0xC47E5767,
    "nrf52840": 0xADA52840, "nrf52833": 0x621E937A, "mimxrt10xx": 0x4FB2D5BD,
}


def uf2_block(address, payload, block_no, num_blocks, flags=0, family=0,
              magics=(UF2_MAGIC_START0, UF2_MAGIC_START1, UF2_MAGIC_END), size=None):
    """One 512-byte block; `size` overrides the payload size field."""
    payload = bytes(payload)
    head = struct.pack("<8I", magics[0], magics[1], flags, address,
                       len(payload) if size is None else size, block_no, num_blocks, family)
    return head + payload.ljust(476, b"\0")[:476] + struct.pack("<I", magics[2])


def read_uf2(data):
    """UF2 bytes -> (runs, {"family": id or None, "blocks": n, "flags": set})."""
    if len(data) % 512:
        raise ValueError("not whole blocks")
    pieces, families, flags_seen = [], set(), set()
    count = len(data) // 512
    for i in range(count):
        block = data[512 * i:512 * (i + 1)]
        m0, m1, flags, address, size, block_no, num_blocks, family = struct.unpack_from(
            "<8I", block)
        (m_end,) = struct.unpack_from("<I", block, 508)
        if (m0, m1, m_end) != (UF2_MAGIC_START0, UF2_MAGIC_START1, UF2_MAGIC_END):
            raise ValueError(f"block {i}: magic")
        if block_no != i or num_blocks != count:
            raise ValueError(f"block {i}: numbered {block_no} of {num_blocks}")
        if size > 476:
            raise ValueError(f"block {i}: payload size")
        flags_seen.add(flags)
        families.add(family if flags & UF2_FAMILY_ID else None)
        if flags & (UF2_NOT_MAIN_FLASH | UF2_FILE_CONTAINER):
            continue
        pieces.append((address, block[32:32 + size]))
    if len(families) > 1:
        raise ValueError("several families")
    return merge(pieces), {"family": families.pop() if families else None, "blocks": count,
                           "flags": flags_seen}


# --- DfuSe and the DFU suffix ------------------------------------------------

def dfu_crc(data):
    """The DFU suffix's dwCRC: CRC-32 (the polynomial and bit order of zlib's)
    started at 0xffffffff and not inverted at the end."""
    return zlib.crc32(data) ^ 0xffffffff


def dfu_suffix(body, vid=0xffff, pid=0xffff, bcd_device=0xffff, bcd_dfu=0x011a, crc=None):
    head = struct.pack("<4H3sB", bcd_device, pid, vid, bcd_dfu, b"UFD", 16)
    value = dfu_crc(body + head) if crc is None else crc
    return body + head + struct.pack("<I", value)


def dfuse_body(targets, image_size=None, version=1, target_size_delta=0):
    """targets: [(alt, name or None, [(address, bytes)])] -> the DfuSe file
    without its suffix."""
    data = b""
    for alt, name, elements in targets:
        elems = b"".join(struct.pack("<2I", a, len(d)) + bytes(d) for a, d in elements)
        named = name is not None
        data += struct.pack("<6sBI255s2I", b"Target", alt, 1 if named else 0,
                            (name or "").encode(), len(elems) + target_size_delta,
                            len(elements)) + elems
    size = len(data) + 11 if image_size is None else image_size
    return struct.pack("<5sBIB", b"DfuSe", version, size, len(targets)) + data


def read_dfuse(data):
    """DfuSe bytes -> (runs, {"vid", "pid", "bcd_device", "bcd_dfu",
    "targets": [(alt, name)]})."""
    if len(data) < 11 + 16:
        raise ValueError("short")
    suffix = data[-16:]
    bcd_device, pid, vid, bcd_dfu, sig, length, crc = struct.unpack("<4H3sBI", suffix)
    if sig != b"UFD" or length != 16:
        raise ValueError("suffix")
    if crc != dfu_crc(data[:-4]):
        raise ValueError("crc")
    body = data[:-16]
    sig, version, size, n_targets = struct.unpack_from("<5sBIB", body)
    if sig != b"DfuSe" or version != 1 or size != len(body):
        raise ValueError("prefix")
    pos, pieces, targets = 11, [], []
    for _ in range(n_targets):
        sig, alt, named, name, tsize, n_elements = struct.unpack_from("<6sBI255s2I", body, pos)
        if sig != b"Target":
            raise ValueError("target")
        pos += 274
        start = pos
        for _ in range(n_elements):
            address, esize = struct.unpack_from("<2I", body, pos)
            pos += 8
            if pos + esize > len(body):
                raise ValueError("element size")
            pieces.append((address, body[pos:pos + esize]))
            pos += esize
        if pos - start != tsize:
            raise ValueError("target size")
        targets.append((alt, name.split(b"\0")[0].decode() if named else None))
    if pos != len(body):
        raise ValueError("trailing bytes")
    return merge(pieces), {"vid": vid, "pid": pid, "bcd_device": bcd_device,
                           "bcd_dfu": bcd_dfu, "targets": targets}


# --- ELF -------------------------------------------------------------------

PT_LOAD, SHT_PROGBITS, SHT_STRTAB, SHF_ALLOC = 1, 1, 3, 2


def read_elf(data):
    """ELF bytes -> (runs from PT_LOAD file bytes at p_paddr, info): info has
    class (32/64), endian ('<' or '>'), machine, type, entry, flags, phdrs
    (dicts) and sections (dicts with their names)."""
    if data[:4] != b"\x7fELF":
        raise ValueError("not ELF")
    wide = {1: False, 2: True}[data[4]]
    e = {1: "<", 2: ">"}[data[5]]
    if wide:
        (etype, machine, _, entry, phoff, shoff, flags, ehsize, phentsize, phnum, shentsize,
         shnum, shstrndx) = struct.unpack_from(e + "HHIQQQIHHHHHH", data, 16)
    else:
        (etype, machine, _, entry, phoff, shoff, flags, ehsize, phentsize, phnum, shentsize,
         shnum, shstrndx) = struct.unpack_from(e + "HHIIIIIHHHHHH", data, 16)
    phdrs = []
    for i in range(phnum):
        at = phoff + i * phentsize
        if wide:
            ptype, pflags, off, vaddr, paddr, filesz, memsz, align = struct.unpack_from(
                e + "IIQQQQQQ", data, at)
        else:
            ptype, off, vaddr, paddr, filesz, memsz, pflags, align = struct.unpack_from(
                e + "8I", data, at)
        phdrs.append({"type": ptype, "offset": off, "vaddr": vaddr, "paddr": paddr,
                      "filesz": filesz, "memsz": memsz, "flags": pflags, "align": align})
    sections = []
    for i in range(shnum):
        at = shoff + i * shentsize
        if wide:
            name, stype, sflags, addr, off, size, link, info, align, entsize = \
                struct.unpack_from(e + "IIQQQQIIQQ", data, at)
        else:
            name, stype, sflags, addr, off, size, link, info, align, entsize = \
                struct.unpack_from(e + "10I", data, at)
        sections.append({"name_at": name, "type": stype, "flags": sflags, "addr": addr,
                         "offset": off, "size": size, "align": align})
    if sections:
        strtab = sections[shstrndx]
        names = data[strtab["offset"]:strtab["offset"] + strtab["size"]]
        for s in sections:
            s["name"] = names[s["name_at"]:names.index(b"\0", s["name_at"])].decode()
    pieces = []
    for p in phdrs:
        if p["type"] == PT_LOAD and p["filesz"]:
            if p["offset"] + p["filesz"] > len(data):
                raise ValueError("segment past the end")
            pieces.append((p["paddr"], data[p["offset"]:p["offset"] + p["filesz"]]))
    info = {"class": 64 if wide else 32, "endian": e, "machine": machine, "type": etype,
            "entry": entry, "flags": flags, "ehsize": ehsize, "phdrs": phdrs,
            "sections": sections}
    return merge(pieces), info


def section_runs(data):
    """The bytes of every SHF_ALLOC PROGBITS section at its address, as
    tools that load by section see an ELF file."""
    _, info = read_elf(data)
    return merge((s["addr"], data[s["offset"]:s["offset"] + s["size"]])
                 for s in info["sections"]
                 if s["type"] == SHT_PROGBITS and s["flags"] & SHF_ALLOC)


SHT_SYMTAB = 2


def write_elf(loads=(), sections=(), wide=False, endian="<", machine=40, etype=2):
    """A hand-made ELF file. loads: [(paddr, bytes, vaddr or None, memsz
    or None)], each PT_LOAD's bytes placed in the file; sections: [(name,
    sh_type, bytes, sh_link, sh_entsize)] after them, plus .shstrtab."""
    ehsize, phsize, shsize = (64, 56, 64) if wide else (52, 32, 40)
    body = bytearray()
    at = ehsize + phsize * len(loads)
    phdrs = []
    for paddr, data, vaddr, memsz in loads:
        phdrs.append((at + len(body), paddr if vaddr is None else vaddr, paddr, len(data),
                      len(data) if memsz is None else memsz))
        body += data
    shstr = b"\0"
    shdrs = [(0, 0, 0, 0, 0, 0, 0)]
    for name, stype, data, link, entsize in sections:
        shdrs.append((len(shstr), stype, at + len(body), len(data), link, entsize, 0))
        shstr += name.encode() + b"\0"
        body += data
    shdrs.append((len(shstr), SHT_STRTAB, at + len(body), len(shstr) + 10, 0, 0, 0))
    shstr += b".shstrtab\0"
    body += shstr
    while (at + len(body)) % 8:
        body += b"\0"
    shoff = at + len(body)
    ident = b"\x7fELF" + bytes([2 if wide else 1, 1 if endian == "<" else 2, 1]) + bytes(9)
    addr = "Q" if wide else "I"
    out = bytearray(ident + struct.pack(endian + "HHI" + addr * 3 + "IHHHHHH", etype, machine,
                                        1, 0, ehsize if loads else 0, shoff, 0, ehsize, phsize,
                                        len(loads), shsize, len(shdrs), len(shdrs) - 1))
    for off, vaddr, paddr, filesz, memsz in phdrs:
        if wide:
            out += struct.pack(endian + "IIQQQQQQ", PT_LOAD, 4, off, vaddr, paddr, filesz, memsz, 1)
        else:
            out += struct.pack(endian + "8I", PT_LOAD, off, vaddr, paddr, filesz, memsz, 4, 1)
    out += body
    for name, stype, off, size, link, entsize, _ in shdrs:
        if wide:
            out += struct.pack(endian + "IIQQQQIIQQ", name, stype, 0, 0, off, size, link, 0, 1,
                               entsize)
        else:
            out += struct.pack(endian + "10I", name, stype, 0, 0, off, size, link, 0, 1, entsize)
    return bytes(out)


def elf_symbols(entries, wide=False, endian="<"):
    """Symbol table bytes: entries [(st_name, value, size, info, shndx)],
    the null symbol first."""
    out = bytearray()
    for name, value, size, info, shndx in [(0, 0, 0, 0, 0)] + list(entries):
        if wide:
            out += struct.pack(endian + "IBBHQQ", name, info, 0, shndx, value, size)
        else:
            out += struct.pack(endian + "IIIBBH", name, value, size, info, 0, shndx)
    return bytes(out)


def read_runs(fmt, data):
    """The runs of a flash file of `fmt` ("hex", "uf2", "dfu", "elf"), by
    the readers above."""
    if fmt == "hex":
        return read_ihex(data)
    if fmt == "uf2":
        return read_uf2(data)[0]
    if fmt == "dfu":
        return read_dfuse(data)[0]
    if fmt == "elf":
        return read_elf(data)[0]
    raise ValueError(f"no reader for {fmt}")
