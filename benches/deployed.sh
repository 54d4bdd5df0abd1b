#!/usr/bin/env bash
# What repeated requests cost through the serve example over a photo directory: cache-hit GETs,
# 304s and HEADs of a 3.6 MB photo against a 5 kB one. Since the store is asked for metadata
# first, none of them reads the photo, so the big photo should cost about what the small one does.
#   bash benches/deployed.sh          # best of 20 per row
#   RUNS=50 bash benches/deployed.sh
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-20}
port=${PORT:-18081}
bash benches/images.sh >/dev/null
cargo build --release --quiet --example serve
dir=$(mktemp -d)
cp target/bench-images/photo-22mp.jpg "$dir/1.jpg"
cp tests/corpus/jpeg/baseline_hopper.jpg "$dir/2.jpg"
target/release/examples/serve --addr 127.0.0.1:$port --images "$dir" >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$dir"' EXIT
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
base=http://127.0.0.1:$port/api/v1/Person

# Best of $runs, in milliseconds, of: curl ARGS...
best() {
  local best=999999 t
  for _ in $(seq "$runs"); do
    t=$(curl -s -o /dev/null -w '%{time_total}' -u demo:demo "$@")
    best=$(python3 -c "print(min($best, $t * 1000))")
  done
  printf '%.3f' "$best"
}

echo "| request | $(stat -c %s "$dir/1.jpg") B photo | $(stat -c %s "$dir/2.jpg") B photo | ratio |"
echo "|---|---|---|---|"
row() {
  local name=$1; shift
  local big small
  big=$(best "${@/PERSON/1}")
  small=$(best "${@/PERSON/2}")
  echo "| $name | $big ms | $small ms | $(python3 -c "print(f'{$big / $small:.2f}x')") |"
}
for person in 1 2; do
  curl -s -o /dev/null -u demo:demo "$base/$person/Image?w=64"   # warm the render cache
  curl -s -o /dev/null -u demo:demo "$base/$person/Image"        # learn the stored format
done
etag() { curl -s -D - -o /dev/null -u demo:demo "$1" | tr -d '\r' | awk -F': ' 'tolower($1)=="etag"{print $2}'; }
etag1=$(etag "$base/1/Image?w=64"); etag2=$(etag "$base/2/Image?w=64")
row "cache-hit GET ?w=64" "$base/PERSON/Image?w=64"
row "HEAD of the photo as stored" -I "$base/PERSON/Image"
big=$(best -H "If-None-Match: $etag1" "$base/1/Image?w=64")
small=$(best -H "If-None-Match: $etag2" "$base/2/Image?w=64")
echo "| 304 ?w=64 | $big ms | $small ms | $(python3 -c "print(f'{$big / $small:.2f}x')") |"
