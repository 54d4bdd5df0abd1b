#!/usr/bin/env bash
# Derives the large bench photos from the small sources in benches/images/ (see its README.md) into
# target/bench-images/ (or $BENCH_IMAGES), then checks each one's size and JPEG sampling.
# Idempotent: files that are already there are kept. All but two are derived in Rust (the
# `bench_photos` example, the same code the tests use); the progressive photo is a lossless
# rewrite by libjpeg-turbo's jpegtran and the lossy WebP is libwebp's cwebp (neither of which the
# crate's dependencies can write). This is a benchmark script: it installs Debian's
# libjpeg-turbo-progs and webp when jpegtran or cwebp is missing and apt-get is available. No test
# calls it.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
src="$root/benches/images"
out="${BENCH_IMAGES:-$root/target/bench-images}"
mkdir -p "$out"

need() { # command, the Debian package that has it
  command -v "$1" >/dev/null && return
  if command -v apt-get >/dev/null; then
    echo "benches/images.sh: installing $2 ($1) from Debian" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
  else
    echo "benches/images.sh needs $1: Debian's $2" >&2
    exit 1
  fi
}
need jpegtran libjpeg-turbo-progs
need cwebp webp

for name in photo-6mp.jpg alpha-3mp.png photo-800px.gif animated-10f.gif; do
  [ -s "$out/$name" ] || cp "$src/$name" "$out/$name"
done

(cd "$root" && cargo run --quiet --release --example bench_photos -- "$out")

# Same pixels as photo-22mp.jpg, losslessly rewritten by jpegtran (written under a temporary name
# and renamed, so an interrupted run leaves no half-written photo that a later run would keep).
if ! [ -s "$out/photo-22mp-progressive.jpg" ]; then
  jpegtran -progressive -optimize -copy none -outfile "$out/.photo-22mp-progressive.jpg.tmp" "$out/photo-22mp.jpg"
  mv "$out/.photo-22mp-progressive.jpg.tmp" "$out/photo-22mp-progressive.jpg"
fi

# The pixels of photo-6mp.jpg as a lossy WebP, as a browser or phone writes one: cwebp's defaults
# but quality 80 (sharp's default for WebP), no metadata.
if ! [ -s "$out/photo-6mp.webp" ]; then
  cwebp -quiet -q 80 -metadata none "$out/photo-6mp.jpg" -o "$out/.photo-6mp.webp.tmp"
  mv "$out/.photo-6mp.webp.tmp" "$out/photo-6mp.webp"
fi

# Each derived photo must be what benches/images/README.md says it is.
check() {
  local name="$1" size="$2" sampling="$3" want_progressive="$4"
  python3 - "$out/$name" "$size" "$sampling" "$want_progressive" <<'PY'
import sys
path, size, sampling, want_progressive = sys.argv[1:]
data = open(path, "rb").read()
pos, sof, restart = 2, None, False
while pos + 4 <= len(data):
    marker, length = data[pos + 1], int.from_bytes(data[pos + 2:pos + 4], "big")
    if marker in (0xC0, 0xC1, 0xC2):
        height, width = int.from_bytes(data[pos + 5:pos + 7], "big"), int.from_bytes(data[pos + 7:pos + 9], "big")
        factors = ",".join(f"{data[pos + 11 + 3 * i] >> 4}x{data[pos + 11 + 3 * i] & 15}" for i in range(data[pos + 9]))
        sof = (marker, f"{width}x{height}", factors)
    if marker == 0xDD:
        restart = int.from_bytes(data[pos + 4:pos + 6], "big") > 0
    if marker == 0xDA:
        break
    pos += 2 + length
got = (sof and sof[1], sof and sof[2], sof and sof[0] == 0xC2)
want = (size, sampling, want_progressive == "progressive")
if got != want:
    sys.exit(f"{path}: got size/sampling/progressive {got}, want {want}")
if path.endswith("restart.jpg") and not restart:
    sys.exit(f"{path}: no restart interval")
PY
}
check photo-22mp.jpg 5440x4080 2x2,1x1,1x1 baseline
check photo-3mp.jpg 1920x1440 2x2,1x1,1x1 baseline
check photo-22mp-progressive.jpg 5440x4080 2x2,1x1,1x1 progressive
check photo-22mp-restart.jpg 5440x4080 2x2,1x1,1x1 baseline
check photo-6mp-444.jpg 2725x2225 1x1,1x1,1x1 baseline
check photo-6mp.jpg 2725x2225 2x2,1x1,1x1 baseline

# The other formats: pixel size and what the header says of the samples and coding.
check_other() {
  local name="$1" want="$2"
  python3 - "$out/$name" "$want" <<'PY'
import struct, sys
path, want = sys.argv[1:]
data = open(path, "rb").read()
if data[:8] == b"\x89PNG\r\n\x1a\n":
    width, height, depth, colour = struct.unpack(">IIBB", data[16:26])
    kind = {0: "gray", 2: "RGB", 3: "palette", 4: "gray+alpha", 6: "RGBA"}[colour]
    got = f"{width}x{height} {depth}-bit {kind}"
elif data[:4] == b"RIFF" and data[8:12] == b"WEBP":
    chunk = data[12:16]
    if chunk == b"VP8 ":
        width, height = (v & 0x3FFF for v in struct.unpack("<HH", data[26:30]))
        got = f"{width}x{height} lossy"
    elif chunk == b"VP8L":
        bits = int.from_bytes(data[21:25], "little")
        got = f"{(bits & 0x3FFF) + 1}x{((bits >> 14) & 0x3FFF) + 1} lossless"
    else:
        got = f"WebP chunk {chunk!r}"
elif data[:4] in (b"II*\x00", b"MM\x00*"):
    order = "<" if data[:2] == b"II" else ">"
    ifd = struct.unpack(order + "I", data[4:8])[0]
    tags = {}
    for i in range(struct.unpack(order + "H", data[ifd:ifd + 2])[0]):
        tag, kind, count, value = struct.unpack(order + "HHI4s", data[ifd + 2 + 12 * i:ifd + 14 + 12 * i])
        if kind == 3 and count <= 2:
            tags[tag] = struct.unpack(order + "H", value[:2])[0]
        elif kind == 3:  # offset to count shorts: the first one
            at = struct.unpack(order + "I", value)[0]
            tags[tag] = struct.unpack(order + "H", data[at:at + 2])[0]
        elif kind == 4:
            tags[tag] = struct.unpack(order + "I", value)[0]
    compression = {1: "uncompressed", 5: "LZW", 8: "Deflate", 32946: "Deflate", 32773: "PackBits"}.get(tags.get(259), tags.get(259))
    got = f"{tags[256]}x{tags[257]} {tags[258]}-bit x{tags.get(277, 1)} {compression} predictor {tags.get(317, 1)}"
elif data[:6] in (b"GIF87a", b"GIF89a"):
    width, height, flags = struct.unpack("<HHB", data[6:11])
    pos, frames = 13 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0), 0
    while data[pos] != 0x3B:
        if data[pos] == 0x21:  # an extension: its label, then sub-blocks
            pos += 2
        else:  # an image: descriptor, local colour table, LZW minimum code size, sub-blocks
            frames += 1
            local = data[pos + 9]
            pos += 10 + (3 << ((local & 7) + 1) if local & 0x80 else 0) + 1
        while data[pos]:
            pos += data[pos] + 1
        pos += 1
    got = f"{width}x{height} {frames} frames"
else:
    got = f"unknown format {data[:8]!r}"
if got != want:
    sys.exit(f"{path}: got {got!r}, want {want!r}")
PY
}
check_other alpha-22mp.png "5440x4080 8-bit RGBA"
check_other photo-5mp-16bit.png "2720x2040 16-bit RGB"
check_other photo-6mp.tif "2725x2225 8-bit x3 LZW predictor 2"
check_other photo-6mp.webp "2725x2225 lossy"
check_other photo-6mp-lossless.webp "2725x2225 lossless"
check_other animated-10f.gif "370x285 10 frames"
echo "bench photos in $out"
