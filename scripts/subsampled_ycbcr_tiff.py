#!/usr/bin/env python3
"""Writes a chroma-subsampled YCbCr TIFF (TIFF 6.0 section 21) from a binary PPM (P6, 8-bit).

Usage: subsampled_ycbcr_tiff.py IN.ppm OUT.tif H V COMPRESSION ROWS_PER_STRIP POSITIONING [bt709]

COMPRESSION is none, lzw, deflate or packbits; POSITIONING is 1 (centred) or 2 (cosited).
The data of a strip is a sequence of data units, each H*V luma samples (rows of H, top to
bottom) then Cb then Cr; the chroma of a unit is the mean of the unit's pixels (cosited files
take the top-left pixel's). Units at the right and bottom edges are padded by repeating the last
column and row. With `bt709` the file has BT.709 YCbCrCoefficients and a studio-range
ReferenceBlackWhite (luma 16-235, chroma 128 +- 112); otherwise TIFF's defaults (BT.601, full range)
are written out explicitly. Only the Python standard library is used (zlib for Deflate; LZW and
PackBits are encoded here).
"""

import struct
import sys
import zlib


def read_ppm(path):
    data = open(path, "rb").read()
    fields = []
    pos = 0
    while len(fields) < 4:
        while data[pos:pos + 1].isspace():
            pos += 1
        if data[pos:pos + 1] == b"#":
            while data[pos:pos + 1] != b"\n":
                pos += 1
            continue
        start = pos
        while not data[pos:pos + 1].isspace():
            pos += 1
        fields.append(data[start:pos])
    assert fields[0] == b"P6" and fields[3] == b"255", "8-bit binary PPM expected"
    width, height = int(fields[1]), int(fields[2])
    pixels = data[pos + 1:pos + 1 + width * height * 3]
    assert len(pixels) == width * height * 3
    return width, height, pixels


def to_ycbcr(rgb, luma, studio):
    kr, kb = luma[0], luma[2]
    kg = 1.0 - kr - kb
    r, g, b = rgb
    y = kr * r + kg * g + kb * b
    cb = (b - y) / (2.0 - 2.0 * kb)
    cr = (r - y) / (2.0 - 2.0 * kr)
    if studio:
        return (16.0 + y * 219.0 / 255.0, 128.0 + cb * 112.0 / 127.0, 128.0 + cr * 112.0 / 127.0)
    return (y, 128.0 + cb, 128.0 + cr)


def clamp(value):
    return max(0, min(255, int(round(value))))


def data_units(width, height, pixels, h, v, luma, studio, cosited):
    """The data units of each row of units, as one bytes object per unit row."""
    ycc = [to_ycbcr(pixels[i:i + 3], luma, studio) for i in range(0, len(pixels), 3)]
    rows = []
    for top in range(0, height, v):
        out = bytearray()
        for left in range(0, width, h):
            block = [
                ycc[min(top + dy, height - 1) * width + min(left + dx, width - 1)]
                for dy in range(v)
                for dx in range(h)
            ]
            out.extend(clamp(sample[0]) for sample in block)
            if cosited:
                cb, cr = block[0][1], block[0][2]
            else:
                cb = sum(sample[1] for sample in block) / len(block)
                cr = sum(sample[2] for sample in block) / len(block)
            out.append(clamp(cb))
            out.append(clamp(cr))
        rows.append(bytes(out))
    return rows


def lzw(data):
    """TIFF LZW: MSB-first codes, 9 to 12 bits, Clear 256, EndOfInformation 257, the code
    width growing one code early (as libtiff writes)."""
    out = bytearray()
    acc = 0
    bits = 0

    def put(code, width):
        nonlocal acc, bits
        acc = (acc << width) | code
        bits += width
        while bits >= 8:
            bits -= 8
            out.append((acc >> bits) & 0xFF)
        acc &= (1 << bits) - 1

    def width_for(next_code):
        return 9 if next_code < 512 else 10 if next_code < 1024 else 11 if next_code < 2048 else 12

    table = {}
    next_code = 258
    put(256, 9)
    prefix = None
    for byte in data:
        key = (prefix, byte)
        if prefix is not None and key in table:
            prefix = table[key]
            continue
        if prefix is None:
            prefix = byte
            continue
        put(prefix, width_for(next_code))
        table[key] = next_code
        next_code += 1
        prefix = byte
        if next_code >= 4000:
            put(prefix, width_for(next_code))
            put(256, width_for(next_code + 1))
            table = {}
            next_code = 258
            prefix = None
    if prefix is not None:
        put(prefix, width_for(next_code))
        next_code += 1
    put(257, width_for(next_code))
    if bits:
        out.append((acc << (8 - bits)) & 0xFF)
    return bytes(out)


def packbits(row):
    out = bytearray()
    i = 0
    while i < len(row):
        run = 1
        while i + run < len(row) and run < 128 and row[i + run] == row[i]:
            run += 1
        if run >= 3:
            out.append(257 - run)
            out.append(row[i])
            i += run
            continue
        start = i
        while i < len(row) and i - start < 128:
            if i + 2 < len(row) and row[i] == row[i + 1] == row[i + 2]:
                break
            i += 1
        out.append(i - start - 1)
        out.extend(row[start:i])
    return bytes(out)


COMPRESSIONS = {"none": 1, "lzw": 5, "deflate": 8, "packbits": 32773}


def main():
    args = sys.argv[1:]
    source, target, h, v, compression, rows_per_strip, positioning = args[:7]
    bt709 = args[7:] == ["bt709"]
    h, v, rows_per_strip, positioning = int(h), int(v), int(rows_per_strip), int(positioning)
    assert rows_per_strip % v == 0, "RowsPerStrip must be a multiple of the vertical factor"
    width, height, pixels = read_ppm(source)
    luma = (0.2126, 0.7152, 0.0722) if bt709 else (0.299, 0.587, 0.114)
    unit_rows = data_units(width, height, pixels, h, v, luma, bt709, positioning == 2)
    per_strip = rows_per_strip // v
    strips = []
    for first in range(0, len(unit_rows), per_strip):
        rows = unit_rows[first:first + per_strip]
        raw = b"".join(rows)
        if compression == "none":
            strips.append(raw)
        elif compression == "lzw":
            strips.append(lzw(raw))
        elif compression == "deflate":
            strips.append(zlib.compress(raw, 9))
        elif compression == "packbits":
            strips.append(b"".join(packbits(row) for row in rows))
        else:
            raise SystemExit(f"unknown compression {compression}")

    def rational(value):
        return (int(round(value * 1_000_000)), 1_000_000)

    # The chroma pairs are the code of zero and the code of +127 (TIFF 6.0 section 20).
    reference = (16, 235, 128, 240, 128, 240) if bt709 else (0, 255, 128, 255, 128, 255)
    # Tag, type (3 SHORT, 4 LONG, 5 RATIONAL), values; offsets of the strips are filled in below.
    entries = [
        (256, 4, [width]),
        (257, 4, [height]),
        (258, 3, [8, 8, 8]),
        (259, 3, [COMPRESSIONS[compression]]),
        (262, 3, [6]),
        (273, 4, [0] * len(strips)),
        (277, 3, [3]),
        (278, 4, [rows_per_strip]),
        (279, 4, [len(strip) for strip in strips]),
        (284, 3, [1]),
        (529, 5, [rational(k) for k in luma]),
        (530, 3, [h, v]),
        (531, 3, [positioning]),
        (532, 5, [(value, 1) for value in reference]),
    ]
    header = 8
    directory_size = 2 + 12 * len(entries) + 4
    extra = bytearray()
    extra_start = header + directory_size

    def encode(kind, values):
        if kind == 3:
            return b"".join(struct.pack("<H", value) for value in values)
        if kind == 4:
            return b"".join(struct.pack("<I", value) for value in values)
        return b"".join(struct.pack("<II", *value) for value in values)

    payload_sizes = sum(
        len(encode(kind, values)) for _, kind, values in entries if len(encode(kind, values)) > 4
    )
    data_start = extra_start + payload_sizes
    offsets = []
    position = data_start
    for strip in strips:
        offsets.append(position)
        position += len(strip)
    entries[5] = (273, 4, offsets)
    directory = bytearray(struct.pack("<H", len(entries)))
    for tag, kind, values in entries:
        value = encode(kind, values)
        directory += struct.pack("<HHI", tag, kind, len(values))
        if len(value) <= 4:
            directory += value.ljust(4, b"\0")
        else:
            directory += struct.pack("<I", extra_start + len(extra))
            extra += value
    directory += struct.pack("<I", 0)
    with open(target, "wb") as out:
        out.write(b"II*\0" + struct.pack("<I", header))
        out.write(directory)
        out.write(extra)
        out.write(b"".join(strips))


if __name__ == "__main__":
    main()
