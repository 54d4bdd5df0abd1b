#!/usr/bin/env bash
# Regenerates the arithmetic-coded corpus files (tests/corpus/jpeg/arithmetic_*.jpg but
# arithmetic_testimgari.jpg, which is libjpeg-turbo's own): lossless `jpegtran -arithmetic`
# transcodes of Huffman-coded corpus files, so each has the DCT coefficients of its original and
# must decode to the same pixels (tests: render::decode::jpeg::tests::ARITHMETIC_TWINS). Then
# run scripts/make_references.sh for libjpeg-turbo's decodes of them, and update
# tests/corpus/SHA256SUMS (the MANIFEST.tsv rows name these commands).
# Needs Debian's libjpeg-turbo-progs (jpegtran); it installs nothing.
set -euo pipefail
cd "$(dirname "$0")/../tests/corpus"
command -v jpegtran >/dev/null || {
  echo "scripts/make_arithmetic_corpus.sh needs jpegtran: Debian's libjpeg-turbo-progs" >&2
  exit 1
}

# Baseline 4:2:0, greyscale, progressive (SOF10), progressive with restart intervals, restart
# intervals that do not end at a row (4:2:0, 5 MCUs), and 4:4:4 with an interval per MCU.
jpegtran -copy all -arithmetic -outfile jpeg/arithmetic_baseline_hopper.jpg jpeg/baseline_hopper.jpg
jpegtran -copy all -arithmetic -outfile jpeg/arithmetic_grayscale_hopper.jpg jpeg/grayscale_hopper.jpg
jpegtran -copy all -arithmetic -progressive -outfile jpeg/arithmetic_progressive_cat.jpg jpeg/progressive_cat.jpg
jpegtran -copy all -arithmetic -progressive -restart 2 -outfile jpeg/arithmetic_progressive_restart_cat.jpg jpeg/progressive_cat.jpg
jpegtran -copy all -arithmetic -restart 5B -outfile jpeg/arithmetic_restart_icc_adobergb_person.jpg jpeg/icc_adobergb_person.jpg
jpegtran -copy all -arithmetic -restart 1B -outfile jpeg/arithmetic_444_restarts.jpg suites/jpeg-decoder/restarts.jpg

sha256sum jpeg/arithmetic_*.jpg
