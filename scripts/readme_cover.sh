#!/usr/bin/env bash
# Builds docs/cover.png, the README's before/after of `fit=cover`: persons 1 and 3 (EXIF
# orientation 6) asked at 128×128, each first as the vendor's fit-inside (`fit=contain`, 85×128)
# and then as the cover crop around the upper centre (128×128), rendered by the `render` example.
#
#   scripts/readme_cover.sh [OUTPUT]     (default docs/cover.png)
#
# Needs ImageMagick's montage (scripts/readme_strip.sh installs it).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-docs/cover.png}
cargo build --release --example render --quiet
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tiles=()
for person in 1 3; do
  for fit in contain cover; do
    target/release/examples/render "fixtures/persons/$person.jpg" --w 128 --h 128 --fit "$fit" \
      --type png -o "$work/$person-$fit.png"
    tiles+=("$work/$person-$fit.png")
  done
done
montage "${tiles[@]}" -tile 4x1 -geometry 128x128+6+6 -background '#eeeeee' "$out"
echo "wrote $out"
