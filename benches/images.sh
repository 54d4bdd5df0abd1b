#!/usr/bin/env bash
# Derives the large bench photos from the small sources in benches/images/ (see its README.md) into
# target/bench-images/ (or $BENCH_IMAGES), then checks each one's size and JPEG sampling.
# Idempotent: files that are already there are kept. Needs libvips-tools and libjpeg-turbo-progs
# (installed from Debian when missing and when apt-get is available).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
src="$root/benches/images"
out="${BENCH_IMAGES:-$root/target/bench-images}"
mkdir -p "$out"

need=()
command -v vips >/dev/null || need+=(libvips-tools)
command -v jpegtran >/dev/null && command -v cjpeg >/dev/null || need+=(libjpeg-turbo-progs)
if [ ${#need[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "benches/images.sh needs: ${need[*]}" >&2
    exit 1
  fi
fi

# Each file is written under a temporary name and renamed, so an interrupted run leaves no
# half-written photo that a later run would keep.
make() {
  local name="$1"; shift
  [ -s "$out/$name" ] && return 0
  "$@" "$out/.$name.tmp"
  mv "$out/.$name.tmp" "$out/$name"
}

for name in photo-6mp.jpg alpha-3mp.png photo-800px.gif animated-10f.gif; do
  [ -s "$out/$name" ] || cp "$src/$name" "$out/$name"
done

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# 22 MP: the centre 2720x2040 of photo-6mp.jpg tiled 2x2 with mirroring (so edges meet), 5440x4080,
# quality 90, 4:2:0, no metadata.
tile22() {
  vips crop "$src/photo-6mp.jpg" "$tmp/a.v" 2 92 2720 2040
  vips flip "$tmp/a.v" "$tmp/b.v" horizontal
  vips flip "$tmp/a.v" "$tmp/c.v" vertical
  vips rot "$tmp/a.v" "$tmp/d.v" d180
  vips arrayjoin "$tmp/a.v $tmp/b.v $tmp/c.v $tmp/d.v" "$tmp/tiled.v" --across 2
  vips jpegsave "$tmp/tiled.v" "$1" --Q 90 --strip --subsample-mode on
}
make photo-22mp.jpg tile22
# 3 MP: the centre 1920x1440 of photo-6mp.jpg, quality 90, 4:2:0.
crop3() {
  vips crop "$src/photo-6mp.jpg" "$tmp/crop.v" 402 392 1920 1440
  vips jpegsave "$tmp/crop.v" "$1" --Q 90 --strip --subsample-mode on
}
make photo-3mp.jpg crop3
# Same pixels as photo-22mp.jpg, losslessly rewritten by jpegtran.
progressive() { jpegtran -progressive -optimize -copy none -outfile "$1" "$out/photo-22mp.jpg"; }
make photo-22mp-progressive.jpg progressive
# A restart marker after every MCU row, same pixels.
restart() { jpegtran -restart 1 -copy none -outfile "$1" "$out/photo-22mp.jpg"; }
make photo-22mp-restart.jpg restart
# photo-6mp.jpg decoded and re-encoded without chroma subsampling.
full_chroma() { djpeg "$src/photo-6mp.jpg" | cjpeg -sample 1x1 -quality 92 -optimize -outfile "$1"; }
make photo-6mp-444.jpg full_chroma

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
echo "bench photos in $out"
