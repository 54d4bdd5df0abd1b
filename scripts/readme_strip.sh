#!/usr/bin/env bash
# Builds docs/strip.png: a strip of the crate's own outputs, fetched from the serve example.
#
#   scripts/readme_strip.sh [OUTPUT]     (default docs/strip.png)
#
# Tiles, left to right: the four placeholders at 96 px (ClearPixel 96×96, SrNoPhoto,
# SrNoPhotoWithBorder, GenericFileIcon), person 1 at w=96, person 3 (EXIF orientation 6) at w=96,
# person 6 (WebP with alpha) as PNG and as JPEG on white at h=96, and the first frame of person 4's
# animated GIF at h=96. Transparent parts are shown over a checkerboard. Needs curl, python3 and
# ImageMagick (installed with apt-get if missing).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-docs/strip.png}

if ! command -v montage >/dev/null 2>&1; then
  echo "installing imagemagick (apt-get)" >&2
  export DEBIAN_FRONTEND=noninteractive
  timeout 600 apt-get update -qq
  timeout 900 apt-get install -y -qq imagemagick >/dev/null
fi

cargo build --release --example serve --quiet
target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')

work=$(mktemp -d)
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$target_dir/release/examples/serve" --addr "127.0.0.1:$port" >"$work/serve.log" 2>&1 &
server_pid=$!
base=http://127.0.0.1:$port/api/v1/Person
for _ in $(seq 1 100); do
  if curl -sf -o /dev/null -m 2 -u demo:demo "$base/2/Image"; then break; fi
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/serve.log" >&2; exit 1; }
  sleep 0.1
done

# name|query|caption
tiles=(
  "clear|5/Image?ifBlank=ClearPixel&w=96&h=96|ClearPixel"
  "nophoto|5/Image?ifBlank=SrNoPhoto&w=96|SrNoPhoto"
  "border|5/Image?ifBlank=SrNoPhotoWithBorder&w=96|…WithBorder"
  "file|5/Image?ifBlank=GenericFileIcon&w=96|GenericFileIcon"
  "p1|1/Image?w=96|JPEG w=96"
  "p3|3/Image?w=96|EXIF 6, w=96"
  "p6png|6/Image?h=96&type=png|WebP→PNG"
  "p6jpg|6/Image?h=96&type=jpeg|WebP→JPEG"
  "p4|4/Image?h=96|GIF frame 1"
)
files=()
for tile in "${tiles[@]}"; do
  IFS='|' read -r name query caption <<<"$tile"
  src=$work/$name-src  # no extension: ImageMagick goes by the magic bytes
  curl -sf -m 20 -u demo:demo -o "$src" "$base/$query"
  # Over a light checkerboard so that transparency shows; [0] is the first frame of an animation.
  size=$(identify -format '%wx%h' "$src[0]")
  convert -size "$size" tile:pattern:checkerboard -fill white -colorize 70% \
    "$src[0]" -compose over -composite -bordercolor '#c8c8c8' -compose copy -border 1 \
    -set label "$caption" "$work/$name.png"
  files+=("$work/$name.png")
done

mkdir -p "$(dirname "$out")"
montage "${files[@]}" -tile "${#files[@]}x1" -geometry '+6+4' -gravity south -background '#fafafa' \
  -font DejaVu-Sans -pointsize 11 -fill '#333333' "$work/strip.png"
# A palette PNG without dithering keeps it small (the photos are small; banding is not visible).
convert "$work/strip.png" -strip +dither -colors 256 -define png:compression-level=9 "$out"
echo "wrote $out ($(wc -c <"$out") bytes, $(identify -format '%wx%h' "$out"))"
