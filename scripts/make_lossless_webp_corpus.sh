#!/usr/bin/env bash
# Regenerates the lossless WebPs made from corpus photos (tests/corpus/other/webp_lossless_person*.webp):
# libwebp's cwebp encodes Unsplash photos (MIT, recurser/exif-orientation-examples) losslessly:
# a 1200x1000 crop (1.2 million pixels: more than a backward reference can reach, so a decoder
# that keeps only that reach has to let go of the first rows), and a whole photo with its EXIF
# (orientation 6) kept in a VP8X container.
# Then update tests/corpus/SHA256SUMS (the MANIFEST.tsv rows name these files).
# Needs Debian's webp (cwebp); it installs nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cwebp >/dev/null || {
  echo "scripts/make_lossless_webp_corpus.sh needs cwebp: Debian's webp" >&2
  exit 1
}
photos=tests/corpus/jpeg
out=tests/corpus/other
cwebp -quiet -lossless -metadata none -crop 0 300 1200 1000 "$photos/exif_orientation_1.jpg" \
  -o "$out/webp_lossless_person.webp"
cwebp -quiet -lossless -z 3 -metadata exif -crop 0 0 1200 700 "$photos/exif_orientation_6.jpg" \
  -o "$out/webp_lossless_person_exif6.webp"
sha256sum "$out"/webp_lossless_person*.webp
