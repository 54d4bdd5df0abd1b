#!/usr/bin/env bash
# Streaming BMP rows and TIFF strips (issue 23): one large render's time and peak RSS in the
# `render` example, to a 256 px JPEG, for sources ImageMagick derives from the 22 MP bench photo
# into target/rows-stream/: a 12 MP 24-bit BMP and uncompressed strip TIFF (36 MB each: the 22 MP
# ones pass the default 50 MiB source limit) and a 22 MP LZW + predictor strip TIFF (64-row
# strips, as ImageMagick writes them). Peak RSS includes the source bytes the example reads.
#   bash benches/rows_stream.sh                    # this tree only
#   BEFORE=DIR bash benches/rows_stream.sh         # interleaved with the `render` binary in DIR
#   ROUNDS=5 bash benches/rows_stream.sh           # the default
# A benchmark script: needs ImageMagick's convert and GNU time (installs them from Debian when
# missing).
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
command -v convert >/dev/null || need+=(imagemagick)
[ -x /usr/bin/time ] || need+=(time)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
rounds=${ROUNDS:-5}

bash benches/images.sh >/dev/null
cargo build --release --quiet --example render
work=target/rows-stream
mkdir -p "$work"
photo=target/bench-images/photo-22mp.jpg
[ -s "$work/photo-12mp.bmp" ] ||
  convert "$photo" -resize 4000x3000 -type TrueColor "BMP3:$work/photo-12mp.bmp"
[ -s "$work/photo-12mp.tif" ] || convert "$work/photo-12mp.bmp" -compress none "$work/photo-12mp.tif"
[ -s "$work/photo-22mp-lzw.tif" ] ||
  convert "$photo" -compress lzw -define tiff:predictor=2 "$work/photo-22mp-lzw.tif"

builds=("after=target/release/examples")
[ -n "${BEFORE:-}" ] && builds=("before=$BEFORE" "${builds[@]}")
median() { sort -n | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }

echo "## One render to a 256 px JPEG in the render example (median of $rounds, interleaved)"
echo
echo "| build | case | seconds | peak RSS MiB |"
echo "|---|---|---|---|"
declare -A seconds rss
cases=("12mp-bmp:$work/photo-12mp.bmp" "12mp-tiff-uncompressed:$work/photo-12mp.tif"
       "22mp-tiff-lzw:$work/photo-22mp-lzw.tif")
for _ in $(seq "$rounds"); do
  for build in "${builds[@]}"; do
    for case in "${cases[@]}"; do
      IFS=: read -r name input <<<"$case"
      key="${build%%=*} $name"
      out=$(/usr/bin/time -f '%e %M' "${build#*=}/render" "$input" --w 256 --type jpeg \
        -o "$work/out.jpg" 2>&1 >/dev/null | tail -1)
      seconds[$key]+="${out% *} "
      rss[$key]+="${out#* } "
    done
  done
done
for build in "${builds[@]}"; do
  for case in "${cases[@]}"; do
    key="${build%%=*} ${case%%:*}"
    s=$(tr ' ' '\n' <<<"${seconds[$key]}" | grep . | median)
    m=$(tr ' ' '\n' <<<"${rss[$key]}" | grep . | median)
    echo "| ${build%%=*} | ${case%%:*} | $s | $(awk -v k="$m" 'BEGIN {printf "%.1f", k / 1024}') |"
  done
done
