#!/usr/bin/env bash
# Builds docs/faces.png, the README's before/after of `fit=cover` with the face detector: four
# photos of the labelled face set whose licences allow redistribution (tests/corpus/LICENSES.md,
# "The face set": CC0 or public domain), each shown as
#   1. the photo (fit=contain, 240 px on the long side),
#   2. the centred crop a client gets by cropping that photo in CSS (object-fit: cover), made with
#      ImageMagick from the service's fit=contain render,
#   3. the service's fit=cover crop, placed around the largest detected face.
# The shape is a square for the 3:2 photo and a 2:1 banner for the square ones (a square crop of
# a square photo is the photo). Everything is rendered by the `serve` example built with
# `--features faces`, over a temporary copy of the photos, through its HTTP endpoint.
#
#   scripts/readme_faces.sh [OUTPUT]     (default docs/faces.png)
#
# Needs curl and ImageMagick's convert and montage.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-docs/faces.png}
addr=127.0.0.1:18931
cargo build --release --features faces --example serve --quiet
work=$(mktemp -d)
server=
cleanup() {
  if [[ -n $server ]]; then kill "$server" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# person id, photo, crop width, crop height (the crop's shape), caption
photos=(
  "1 pexels_women_on_phones.jpg 160 160 square"
  "2 skimage_astronaut.jpg 240 120 2:1"
  "3 interfaces_091.jpg 240 120 2:1"
  "4 interfaces_098.jpg 240 120 2:1"
)
mkdir "$work/images"
for row in "${photos[@]}"; do
  read -r id photo _ <<<"$row"
  cp "tests/corpus/faces/$photo" "$work/images/$id.${photo##*.}"
done

target/release/examples/serve --addr "$addr" --images "$work/images" >"$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 50); do
  curl -s -o /dev/null "http://$addr/" && break
  sleep 0.2
done

get() { # id query output
  curl -sf -u demo:demo -o "$3" "http://$addr/api/v1/Person/$1/Image?$2&type=png"
}

tiles=()
for row in "${photos[@]}"; do
  read -r id photo width height shape <<<"$row"
  get "$id" "w=240&h=240&fit=contain" "$work/$id-photo.png"
  # The centred crop: the fit=contain render at the size that covers the crop, cut in the middle.
  get "$id" "w=480&h=480&fit=contain" "$work/$id-contain.png"
  convert "$work/$id-contain.png" -resize "${width}x${height}^" -gravity center \
    -extent "${width}x${height}" "$work/$id-centre.png"
  get "$id" "w=$width&h=$height&fit=cover" "$work/$id-face.png"
  tiles+=(
    -label "$photo" "$work/$id-photo.png"
    -label "$shape, centred (CSS crop)" "$work/$id-centre.png"
    -label "$shape, fit=cover (face)" "$work/$id-face.png"
  )
done

montage "${tiles[@]}" -tile 3x -geometry '240x240+6+6>' -background '#eeeeee' \
  -pointsize 13 "$work/faces.png"
convert "$work/faces.png" -strip -colors 255 "PNG8:$out"
echo "wrote $out ($(stat -c %s "$out") bytes)"
