#!/usr/bin/env bash
# Regenerates the chroma-subsampled YCbCr TIFFs (tests/corpus/tiff/ycbcr_*_hopper.tif and
# ycbcr_420_lzw_bt709_person.tif) from corpus photos: ImageMagick crops or scales a photo to an
# odd size (so that the data units are padded at the right and bottom edges) and writes it as a
# PPM, and scripts/subsampled_ycbcr_tiff.py writes the TIFF (libtiff's tools cannot write
# subsampled YCbCr other than JPEG-compressed). Then run scripts/make_references.sh for libvips'
# decodes of them, and update tests/corpus/SHA256SUMS (the MANIFEST.tsv rows name these files).
# Needs python3 and Debian's imagemagick; it installs nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v convert >/dev/null || {
  echo "scripts/make_subsampled_ycbcr_corpus.sh needs convert: Debian's imagemagick" >&2
  exit 1
}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
make=scripts/subsampled_ycbcr_tiff.py
out=tests/corpus/tiff

convert tests/corpus/tiff/hopper_rgb_uncompressed.tif -crop 127x125+0+0 +repage "$work/hopper.ppm"
convert tests/corpus/jpeg/exif_orientation_1.jpg -resize 301x451! "$work/person.ppm"

# Arguments: horizontal and vertical factor, compression, RowsPerStrip, YCbCrPositioning.
python3 "$make" "$work/hopper.ppm" "$out/ycbcr_422_uncompressed_hopper.tif" 2 1 none 16 1
python3 "$make" "$work/hopper.ppm" "$out/ycbcr_420_lzw_hopper.tif" 2 2 lzw 16 1
python3 "$make" "$work/hopper.ppm" "$out/ycbcr_420_deflate_hopper.tif" 2 2 deflate 8 1
python3 "$make" "$work/hopper.ppm" "$out/ycbcr_411_packbits_hopper.tif" 4 1 packbits 16 1
python3 "$make" "$work/hopper.ppm" "$out/ycbcr_42_lzw_hopper.tif" 4 2 lzw 16 1
python3 "$make" "$work/hopper.ppm" "$out/ycbcr_44_lzw_cosited_hopper.tif" 4 4 lzw 16 2
python3 "$make" "$work/person.ppm" "$out/ycbcr_420_lzw_bt709_person.tif" 2 2 lzw 16 1 bt709

(cd tests/corpus && sha256sum tiff/ycbcr_4*_hopper.tif tiff/ycbcr_420_lzw_bt709_person.tif)
