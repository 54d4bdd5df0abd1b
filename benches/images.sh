#!/usr/bin/env bash
# Derives the large bench photos from the small sources in benches/images/ (see its README.md) into
# target/bench-images/ (or $BENCH_IMAGES), then checks each one's size and JPEG sampling.
# Idempotent: files that are already there are kept. All but the progressive photo are derived in
# Rust (the `bench_photos` example, the same code the tests use); the progressive one is a
# lossless rewrite by libjpeg-turbo's jpegtran. This is a benchmark script: it installs Debian's
# libjpeg-turbo-progs when jpegtran is missing and apt-get is available. No test calls it.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
src="$root/benches/images"
out="${BENCH_IMAGES:-$root/target/bench-images}"
mkdir -p "$out"

if ! command -v jpegtran >/dev/null; then
  if command -v apt-get >/dev/null; then
    echo "benches/images.sh: installing libjpeg-turbo-progs (jpegtran) from Debian" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libjpeg-turbo-progs >/dev/null
  else
    echo "benches/images.sh needs jpegtran: Debian's libjpeg-turbo-progs" >&2
    exit 1
  fi
fi

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
