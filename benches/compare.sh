#!/usr/bin/env bash
# Side-by-side with libvips, interleaved, on this machine. Prints one table of medians and ratios.
#   bash benches/compare.sh            # full run (~5 min)
#   ROUNDS=3 bash benches/compare.sh   # quicker
# Installs its yardsticks from Debian when missing: libvips-tools, libvips-dev, libjpeg-dev, time.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v vipsthumbnail >/dev/null || need+=(libvips-tools)
pkg-config --exists vips 2>/dev/null || need+=(libvips-dev pkg-config)
[ -f /usr/include/jpeglib.h ] || need+=(libjpeg-dev)
[ -x /usr/bin/time ] || need+=(time)
command -v cc >/dev/null || need+=(gcc)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

bash benches/images.sh
mkdir -p target/compare
cc -O2 -o target/compare/vips_harness benches/vips_harness.c $(pkg-config --cflags --libs vips)
cc -O2 -o target/compare/libjpeg_harness benches/libjpeg_harness.c -ljpeg
cargo build --release --quiet --example thumbbench --example decodebench --example render --example servicebench ${CARGO_FEATURES:+--features "$CARGO_FEATURES"}
exec python3 benches/compare.py "$@"
