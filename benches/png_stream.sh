#!/usr/bin/env bash
# Streaming PNG (issue 23): one large render's peak RSS and time in the `render` example, and
# throughput, latency and server CPU over HTTP (the serve example, render cache off) at
# concurrency 1 and 8, for RGBA PNG sources; a JPEG row of each to check JPEG did not move.
#   bash benches/png_stream.sh                       # this tree only
#   BEFORE=DIR bash benches/png_stream.sh            # interleaved with the `render` and `serve`
#                                                    # binaries in DIR (e.g. an older build)
#   ROUNDS=5 DURATION=10 bash benches/png_stream.sh  # the defaults
# A benchmark script: installs wrk and GNU time from Debian when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
command -v wrk >/dev/null || need+=(wrk)
[ -x /usr/bin/time ] || need+=(time)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
rounds=${ROUNDS:-5}
duration=${DURATION:-10}
port=${PORT:-18093}

bash benches/images.sh >/dev/null
cargo build --release --quiet --example render --example serve
images=target/bench-images
work=target/png-stream
mkdir -p "$work/persons"
cp "$images/alpha-3mp.png" "$work/persons/7.png"
cp "$images/alpha-22mp.png" "$work/persons/8.png"
cp "$images/photo-6mp.jpg" "$work/persons/9.jpg"

builds=("after=target/release/examples")
[ -n "${BEFORE:-}" ] && builds=("before=$BEFORE" "${builds[@]}")

median() { sort -n | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }

echo "## One render in the render example (median of $rounds, interleaved)"
echo
echo "| build | case | seconds | peak RSS MiB |"
echo "|---|---|---|---|"
declare -A seconds rss
cases=("22mp-rgba-png:$images/alpha-22mp.png:256" "3mp-rgba-png:$images/alpha-3mp.png:128"
       "22mp-jpeg:$images/photo-22mp.jpg:256")
for _ in $(seq "$rounds"); do
  for build in "${builds[@]}"; do
    for case in "${cases[@]}"; do
      IFS=: read -r name input width <<<"$case"
      key="${build%%=*} $name"
      out=$(/usr/bin/time -f '%e %M' "${build#*=}/render" "$input" --w "$width" --type jpeg \
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

echo
echo "## Over HTTP: serve --cache-mib 0, wrk ${duration} s per row"
echo
echo "| build | case | c | req/s | p50 ms | p99 ms | server CPU cores | server peak RSS MiB |"
echo "|---|---|---|---|---|---|---|---|"
auth="Authorization: Basic ZGVtbzpkZW1v"
ticks=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
ms() { awk -v v="$1" 'BEGIN { if (v ~ /us$/) printf "%.2f", v / 1000; else if (v ~ /ms$/) printf "%.2f", v + 0; else printf "%.2f", v * 1000 }'; }
http_cases=("3mp-rgba-png->128-jpeg:/api/v1/Person/7/Image?w=128&type=jpeg"
            "22mp-rgba-png->256-jpeg:/api/v1/Person/8/Image?w=256&type=jpeg"
            "6mp-jpeg->128-jpeg:/api/v1/Person/9/Image?w=128&type=jpeg")
for case in "${http_cases[@]}"; do
  for build in "${builds[@]}"; do
    "${build#*=}/serve" --addr "127.0.0.1:$port" --images "$work/persons" --cache-mib 0 \
      >"$work/serve.log" 2>&1 &
    server=$!
    for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
    url="http://127.0.0.1:$port${case#*:}"
    [ "$(curl -s -o /dev/null -w '%{http_code}' -H "$auth" "$url")" = 200 ] || { echo "$url: not 200" >&2; kill $server; exit 1; }
    for c in 1 8; do
      threads=$((c < 2 ? 1 : 2))
      wrk -t$threads -c$c -d2s -H "$auth" "$url" >/dev/null
      before=$(cpu $server)
      out=$(wrk -t$threads -c$c -d${duration}s --timeout 30s --latency -H "$auth" "$url")
      after=$(cpu $server)
      rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
      p50=$(ms "$(awk '$1 == "50%" {print $2}' <<<"$out")")
      p99=$(ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")
      cores=$(awk -v d=$((after - before)) -v t="$ticks" -v s="$duration" 'BEGIN {printf "%.2f", d / t / s}')
      peak=$(awk '/VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$server/status")
      errors=$(awk '/Non-2xx/ {print $4}' <<<"$out")
      echo "| ${build%%=*} | ${case%%:*} | $c | $rps | $p50 | $p99 | $cores | $peak |${errors:+ $errors non-2xx}"
    done
    kill $server
    wait $server 2>/dev/null || true
  done
done
