#!/usr/bin/env bash
# Regenerates the reference data in tests/reference/ that the default tests compare against: the
# files libjpeg-turbo's cjpeg made, libjpeg-turbo's djpeg decodes of them and of the corpus JPEGs
# at every scale, ImageMagick's Lanczos resizes and libvips' thumbnails (tests/common/reference.rs
# says how they are stored). It runs the opt-in suite (feature `reference-tools`) with
# PERSON_IMAGE_WRITE_REFERENCES=1 and records the tools' versions in tests/reference/VERSIONS.
# ImageMagick's and libvips' full decodes of the TIFF and public-suite files are recorded the same way.
# The arithmetic-coded corpus files are made by scripts/make_arithmetic_corpus.sh (run it first
# when they change); their decodes are recorded here with the rest.
# libtiff's decodes (tiff2rgba) of the subsampled YCbCr TIFFs, which libvips refuses, likewise,
# and libwebp's scaled decodes (dwebp -scale) of lossy WebPs.
# Needs Debian's libjpeg-turbo-progs, libvips-tools, imagemagick, libtiff-tools and webp; it
# installs nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
for tool in djpeg cjpeg vipsthumbnail vips convert tiff2rgba dwebp; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "scripts/make_references.sh needs ${missing[*]}: Debian's libjpeg-turbo-progs, libvips-tools, imagemagick, libtiff-tools, webp" >&2
  exit 1
fi

# The committed files are replaced, not merged: a reference no test asks for any more goes.
rm -rf tests/reference/cjpeg tests/reference/djpeg tests/reference/convert-lanczos tests/reference/vipsthumbnail \
  tests/reference/convert tests/reference/vips tests/reference/tiff2rgba tests/reference/dwebp
export PERSON_IMAGE_WRITE_REFERENCES=1
# The made files first (the decodes of them are recorded by the same tests, in any order).
cargo test --features reference-tools --lib -- render::decode::jpeg::tests --test-threads 1
cargo test --features reference-tools --test render_corpus -- close_to_libvips_reference tiff_ycbcr lossy_webp
# The public suites' reference decodes (tests/corpus/suites/EXPECTED.tsv names the tool per file).
cargo test --features reference-tools --test suites

{
  echo "# The tools that made tests/reference/ (scripts/make_references.sh, $(date -u +%Y-%m-%d))"
  echo "libjpeg-turbo (djpeg, cjpeg): $(dpkg-query -W -f '${Version}' libjpeg-turbo-progs 2>/dev/null || djpeg -version 2>&1 | head -1)"
  echo "libvips (vipsthumbnail, vips): $(vipsthumbnail --vips-version 2>/dev/null | head -1)"
  echo "ImageMagick (convert): $(convert -version | head -1)"
  echo "libtiff (tiff2rgba): $(dpkg-query -W -f '${Version}' libtiff-tools 2>/dev/null || tiffinfo 2>&1 | head -1)"
  echo "libwebp (dwebp): $(dwebp -version 2>&1 | head -1)"
} > tests/reference/VERSIONS
cat tests/reference/VERSIONS
du -sh tests/reference
