#!/usr/bin/env bash
# Regenerates the lossy WebPs made from corpus photos (tests/corpus/other/webp_lossy_person*.webp):
# libwebp's cwebp encodes Unsplash photos (MIT, recurser/exif-orientation-examples) at their full
# size, cropped to an odd size (so the macroblocks and the half-resolution chroma are padded at
# the right and bottom edges), and with the photo's EXIF (orientation 6) kept in a VP8X container.
# Then update tests/corpus/SHA256SUMS (the MANIFEST.tsv rows name these files).
# Needs Debian's webp (cwebp); it installs nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cwebp >/dev/null || {
  echo "scripts/make_lossy_webp_corpus.sh needs cwebp: Debian's webp" >&2
  exit 1
}
photos=tests/corpus/jpeg
out=tests/corpus/other
cwebp -quiet -q 80 -metadata none "$photos/exif_orientation_1.jpg" -o "$out/webp_lossy_person.webp"
cwebp -quiet -q 85 -metadata none -crop 450 700 301 451 "$photos/exif_orientation_1.jpg" \
  -o "$out/webp_lossy_person_odd.webp"
cwebp -quiet -q 80 -metadata exif "$photos/exif_orientation_6.jpg" \
  -o "$out/webp_lossy_person_exif6.webp"
