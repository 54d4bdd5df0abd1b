#!/usr/bin/env bash
# Regenerates tests/reference/libwebp/vp8_unfiltered.md5: for each lossy WebP of libwebp's test
# data in tests/corpus/suites/libwebp/ (and the corpus's other lossy WebPs), the MD5 of the YUV 4:2:0 planes dwebp reconstructs with
# the loop filter off, and likewise for the corpus's own lossy WebPs (`-nofilter -nodither -yuv`: the Y plane, then U, then V, each
# ⌈width/2⌉ × ⌈height/2⌉; an alpha plane dwebp appends is left out), or `error` when dwebp
# refuses the file. The VP8 decoder's tests (src/render/decode/vp8/tests.rs) read it.
# Needs Debian's webp (dwebp); it installs nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v dwebp >/dev/null || {
  echo "scripts/make_vp8_references.sh needs dwebp: Debian's webp" >&2
  exit 1
}
out=tests/reference/libwebp/vp8_unfiltered.md5
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
{
  echo "# dwebp -nofilter -nodither -yuv, $(dwebp -version 2>&1 | head -1): MD5 of Y, U, V (scripts/make_vp8_references.sh)"
  for file in tests/corpus/suites/libwebp/*.webp tests/corpus/other/webp_lossy_*.webp \
    tests/corpus/suites/image-rs/webp/lossy_images/*.webp; do
    name=${file#tests/corpus/}
    case "$name" in */lossless* | */bad_palette_index.webp | */color_cache_bits_11.webp | */dual_transform.webp | */near_lossless_75.webp | */one_color_no_palette.webp) continue ;; esac
    if report=$(dwebp -v -nofilter -nodither -yuv "$file" -o "$scratch/out.yuv" 2>&1); then
      read -r width height < <(sed -n 's/.*Dimensions: \([0-9]*\) x \([0-9]*\).*/\1 \2/p' <<<"$report")
      planes=$((width * height + 2 * ((width + 1) / 2) * ((height + 1) / 2)))
      echo "$(head -c "$planes" "$scratch/out.yuv" | md5sum | cut -d' ' -f1)  $name"
    else
      echo "error  $name"
    fi
  done
} > "$out"
cat "$out"
