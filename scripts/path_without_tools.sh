#!/usr/bin/env bash
# Prints a PATH that holds every program of the current PATH except the reference tools the
# opt-in suites and benchmarks use (libvips, libjpeg-turbo's programs, ImageMagick, libtiff's
# tiff2rgba, libwebp's programs, exiftool, Chromium): a folder of links made afresh under
# $TMPDIR. `.ci/run` runs the README's test command with it, to prove the default tests need
# nothing but the repository and crates.
set -euo pipefail
dir=$(mktemp -d "${TMPDIR:-/tmp}/path-without-tools.XXXXXX")
IFS=: read -ra folders <<< "$PATH"
for folder in "${folders[@]}"; do
  [ -d "$folder" ] || continue
  for program in "$folder"/*; do
    name=${program##*/}
    case $name in
      vips | vips-* | vipsthumbnail* | vipsheader* | vipsedit* | vipsprofile* | djpeg | cjpeg | \
      jpegtran | rdjpgcom | wrjpgcom | tjbench | convert | convert-* | magick | magick-* | \
      identify | identify-* | compare | compare-* | mogrify* | composite* | montage* | \
      tiff2rgba | dwebp | cwebp | webpmux | exiftool | chromium* | chrome | google-chrome*) continue ;;
    esac
    # The first folder that has a program wins, as in PATH.
    [ -x "$program" ] && [ ! -e "$dir/$name" ] && ln -s "$program" "$dir/$name"
  done
done
echo "$dir"
