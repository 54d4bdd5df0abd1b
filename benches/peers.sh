#!/usr/bin/env bash
# The peers over HTTP, the same workload at each: sharp (libvips, in Node's `http` module: one
# process, and a cluster of one process per core), thumbor (Pillow, its file loader, one process
# and one per core) and our serve example with its render cache off. Prints one table: req/s, p50
# and p99 latency, server CPU (cores) and peak RSS per server, case and concurrency; our req/s
# over the best peer's; and the PSNR between each peer's output and ours.
# Every case asks for a JPEG (quality 85, alpha on white) but 3mp-jpeg-to-png, a PNG. A server
# that cannot read a case's file, or answers another type, gets a row saying so.
#   bash benches/peers.sh                           # DURATION=10 s per row, concurrency 1 and 8
#   DURATION=5 CASES="3mp-rgba-png" bash benches/peers.sh
#   FEATURES=webp bash benches/peers.sh            # ours built with these cargo features too
#   ROUNDS=3 CASES=6mp-webp bash benches/peers.sh   # the servers in turn, three times over
# (default: the default features, i.e. the pure-Rust build); the table's header names the build.
# A benchmark script: installs sharp (npm) and thumbor (pip, in a virtualenv) into a scratch
# directory, $PEERS_DIR (default /tmp/person-image-peers), and wrk from Debian when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
duration=${DURATION:-10}
# With more than one round the servers take turns, round after round, and the ratios compare
# the median req/s of each: a neighbour's load on this shared machine then weighs on every
# server alike instead of on whichever ran while it lasted.
rounds=${ROUNDS:-1}
scratch=${PEERS_DIR:-/tmp/person-image-peers}
cores=$(nproc)
SHARP_VERSION=${SHARP_VERSION:-0.35.5}
THUMBOR_VERSION=${THUMBOR_VERSION:-7.8.0}

command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
command -v node >/dev/null || { echo "benches/peers.sh needs Node.js (npm) for sharp" >&2; exit 1; }
mkdir -p "$scratch/sharp"
[ -d "$scratch/sharp/node_modules/sharp" ] ||
  (cd "$scratch/sharp" && npm install --no-audit --no-fund "sharp@$SHARP_VERSION" >/dev/null)
[ -x "$scratch/thumbor-venv/bin/thumbor" ] ||
  { python3 -m venv "$scratch/thumbor-venv" && "$scratch/thumbor-venv/bin/pip" install -q "thumbor==$THUMBOR_VERSION"; }

bash benches/images.sh >/dev/null
features=${FEATURES:-}
cargo build --release --quiet --example serve ${features:+--features "$features"}
images="$root/target/bench-images"
work="$root/target/peers"
# Outputs of an earlier run would be compared as this one's.
rm -rf "$work/out"
mkdir -p "$work/persons" "$work/out"
# Our store names photos by person id; the peers read the same files by name.
cp "$images/photo-6mp.jpg" "$work/persons/1.jpg"
cp "$images/alpha-3mp.png" "$work/persons/2.png"
cp "$images/alpha-22mp.png" "$work/persons/3.png"
cp "$images/photo-22mp.jpg" "$work/persons/4.jpg"
cp "$images/photo-22mp-progressive.jpg" "$work/persons/5.jpg"
cp "$images/photo-5mp-16bit.png" "$work/persons/6.png"
cp "$images/animated-10f.gif" "$work/persons/7.gif"
cp "$images/photo-6mp.webp" "$work/persons/8.webp"
cp "$images/photo-6mp-lossless.webp" "$work/persons/9.webp"
cp "$images/photo-6mp.tif" "$work/persons/10.tif"
cp "$images/photo-3mp.jpg" "$work/persons/11.jpg"

# name:file:width:output format (jpeg or png)
all_cases="6mp-jpeg:1.jpg:128:jpeg 3mp-rgba-png:2.png:128:jpeg 22mp-rgba-png:3.png:256:jpeg 22mp-jpeg:4.jpg:256:jpeg
22mp-progressive-jpeg:5.jpg:256:jpeg 5mp-16bit-png:6.png:128:jpeg animated-gif:7.gif:128:jpeg 6mp-webp:8.webp:128:jpeg
6mp-lossless-webp:9.webp:128:jpeg 6mp-tiff:10.tif:128:jpeg 3mp-jpeg-to-png:11.jpg:64:png"
cases=${CASES:-6mp-jpeg 3mp-rgba-png 22mp-rgba-png 22mp-jpeg 22mp-progressive-jpeg 5mp-16bit-png animated-gif 6mp-webp 6mp-lossless-webp 6mp-tiff 3mp-jpeg-to-png}

# sharp in Node's http module: GET /NAME?w=W answers a JPEG W px wide (quality 85, alpha on
# white, as ours), or with &f=png a PNG (sharp's defaults, as ours uses its own), one process or a cluster of $2 workers. Of an animated GIF sharp reads the
# first frame only (its default, `pages: 1`), as ours does for a JPEG.
cat >"$work/sharp-server.js" <<'JS'
const cluster = require("node:cluster");
const http = require("node:http");
const path = require("node:path");
const sharp = require("sharp");
const [dir, port, workers] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
sharp.cache(false);
if (workers > 1 && cluster.isPrimary) {
  for (let i = 0; i < workers; i++) cluster.fork();
} else {
  http.createServer(async (req, res) => {
    const url = new URL(req.url, "http://localhost");
    try {
      const png = url.searchParams.get("f") === "png";
      const resized = sharp(path.join(dir, path.basename(url.pathname)))
        .resize({ width: Number(url.searchParams.get("w")), withoutEnlargement: true });
      const body = await (png
        ? resized.png()
        : resized.flatten({ background: "#ffffff" }).jpeg({ quality: 85 })
      ).toBuffer();
      res.writeHead(200, { "Content-Type": png ? "image/png" : "image/jpeg" }).end(body);
    } catch (error) {
      res.writeHead(500).end(String(error));
    }
  }).listen(port, "127.0.0.1");
}
JS

# thumbor with its file loader and no storage:
# GET /unsafe/Wx0/filters:format(jpeg):background_color(ffffff)/NAME (format(png) for a PNG)
# Of a .gif thumbor by default resizes every frame and answers an animated GIF, skipping the
# format and background filters (ALLOW_ANIMATED_GIFS, and USE_GIFSICLE_ENGINE = False). Those two
# settings make it read the first frame only and apply the filters, so that it does the work the
# others do (first frame → JPEG); they change nothing for the other formats.
cat >"$work/thumbor.conf" <<CONF
LOADER = "thumbor.loaders.file_loader"
FILE_LOADER_ROOT_PATH = "$work/persons"
STORAGE = "thumbor.storages.no_storage"
RESULT_STORAGE = None
ALLOW_UNSAFE_URL = True
QUALITY = 85
AUTO_WEBP = False
RESPECT_ORIENTATION = True
ALLOW_ANIMATED_GIFS = False
USE_GIFSICLE_ENGINE = None
CONF

port=18190
pids() { echo "$1"; for child in $(pgrep -P "$1" || true); do pids "$child"; done; }
cpu() { local sum=0; for p in $(pids "$1"); do sum=$((sum + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0))); done; echo $sum; }
hwm() { local sum=0; for p in $(pids "$1"); do sum=$((sum + $(awk '/VmHWM/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0))); done; echo $sum; }
ms() { awk -v v="$1" 'BEGIN { if (v ~ /us$/) printf "%.1f", v / 1000; else if (v ~ /ms$/) printf "%.1f", v + 0; else printf "%.1f", v * 1000 }'; }
ticks=$(getconf CLK_TCK)

start() { # server → pid; sets $url_of (a function of file and width)
  case "$1" in
    ours) "$root/target/release/examples/serve" --addr "127.0.0.1:$port" --images "$work/persons" --cache-mib 0 ;;
    sharp) NODE_PATH="$scratch/sharp/node_modules" node "$work/sharp-server.js" "$work/persons" "$port" 1 ;;
    sharp-$cores) NODE_PATH="$scratch/sharp/node_modules" node "$work/sharp-server.js" "$work/persons" "$port" "$cores" ;;
    thumbor) "$scratch/thumbor-venv/bin/thumbor" --port "$port" --conf "$work/thumbor.conf" --processes 1 ;;
    thumbor-$cores) "$scratch/thumbor-venv/bin/thumbor" --port "$port" --conf "$work/thumbor.conf" --processes "$cores" ;;
  esac >"$work/$1.log" 2>&1 &
  server=$!
}
url() { # server file width format
  local id=${2%%.*}
  case "$1" in
    ours) echo "http://127.0.0.1:$port/api/v1/Person/$id/Image?w=$3&type=$4" ;;
    sharp*) echo "http://127.0.0.1:$port/$2?w=$3&f=$4" ;;
    thumbor*) echo "http://127.0.0.1:$port/unsafe/${3}x0/filters:format($4):background_color(ffffff)/$2" ;;
  esac
}
auth="Authorization: Basic ZGVtbzpkZW1v"

servers=${SERVERS:-ours sharp sharp-$cores thumbor thumbor-$cores}
echo "ours: the serve example built with the default features${features:+ and \`$features\`}; $cores cores; $(uptime | sed 's/.*load/load/')"
echo
round_column() { [ "$rounds" -gt 1 ] && printf '%s' "$1"; true; }
echo "| server | case | c |$(round_column ' round |') req/s | p50 ms | p99 ms | CPU cores | peak RSS MiB |"
echo "|---|---|---|$(round_column '---|')---|---|---|---|---|"
# The req/s of every round, by server, case and concurrency: a list the summary takes the median of.
declare -A rps
median() { tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{v[NR] = $1} END {if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
for round in $(seq "$rounds"); do
for server_name in $servers; do
  # A port of its own per server: the last one's processes may still be letting go of theirs.
  port=$((port + 1))
  start "$server_name"
  for _ in $(seq 300); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
  for case in $cases; do
    spec=$(tr ' ' '\n' <<<"$all_cases" | grep "^$case:")
    IFS=: read -r _ file width format <<<"$spec"
    target=$(url "$server_name" "$file" "$width" "$format")
    rm -f "$work/out/$server_name-$case.$format"
    answer=$(curl -s -H "$auth" -o "$work/out/$server_name-$case.$format" -w '%{http_code} %{content_type}' "$target" || true)
    if [ "${answer%% *}" != 200 ]; then
      # A peer that cannot read the format: say so, with the start of its answer, and go on.
      why=$(head -c 300 "$work/out/$server_name-$case.$format" 2>/dev/null | tr -c '[:print:]' ' ' | tr -s ' ' | cut -c1-80 | tr '|' '/' || true)
      echo "| $server_name | $case | - |$(round_column " $round |") cannot: HTTP ${answer%% *}${why:+ ($why)} | | | | |"
      rm -f "$work/out/$server_name-$case.$format"
      continue
    fi
    if [ "${answer#* }" != "image/$format" ]; then
      echo "| $server_name | $case | - |$(round_column " $round |") not image/$format: answered ${answer#* } | | | | |"
      rm -f "$work/out/$server_name-$case.$format"
      continue
    fi
    for c in 1 8; do
      threads=$((c < 2 ? 1 : 2))
      wrk -t$threads -c$c -d2s -H "$auth" "$target" >/dev/null
      before=$(cpu $server)
      out=$(wrk -t$threads -c$c -d${duration}s --timeout 30s --latency -H "$auth" "$target")
      after=$(cpu $server)
      r=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
      cpu_cores=$(awk -v d=$((after - before)) -v t="$ticks" -v s="$duration" 'BEGIN {printf "%.2f", d / t / s}')
      # wrk counts only the requests that complete within the duration: say how few there were
      # when the rate rests on a handful (a slow server at concurrency 8 may finish none).
      n=$(awk '/requests in/ {print $1}' <<<"$out")
      p50=$(ms "$(awk '$1 == "50%" {print $2}' <<<"$out")")
      p99=$(ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")
      if [ "${n:-0}" = 0 ]; then r=0; fi
      rps[$server_name $case $c]+="$r "
      if [ "${n:-0}" = 0 ]; then
        r="none completed in ${duration} s"; p50=-; p99=-
      elif [ "$n" -lt 10 ]; then
        r="$r ($n requests)"
      fi
      echo "| $server_name | $case | $c |$(round_column " $round |") $r | $p50 | $p99 | $cpu_cores | $(awk -v k="$(hwm $server)" 'BEGIN {printf "%.0f", k / 1024}') |"
    done
  done
  for p in $(pids $server | tac); do kill "$p" 2>/dev/null || true; done
  wait $server 2>/dev/null || true
done
done

echo
if [ "$rounds" -gt 1 ]; then echo "The median of $rounds rounds:"; echo; fi
echo "| case | c | ours req/s | best peer | its req/s | ratio | PSNR ours vs sharp dB | PSNR ours vs thumbor dB |"
echo "|---|---|---|---|---|---|---|---|"
for case in $cases; do
  psnr() {
    "$scratch/thumbor-venv/bin/python" - "$work/out/ours-$case".* "$work/out/$1-$case".* <<'PY' 2>/dev/null || echo "-"
import sys
from PIL import Image, ImageChops, ImageStat
import math
a, b = (Image.open(p).convert("RGB") for p in sys.argv[1:])
if a.size != b.size:
    print(f"sizes {a.size[0]}x{a.size[1]} vs {b.size[0]}x{b.size[1]}")
    sys.exit()
mse = sum(v * v for v in ImageStat.Stat(ImageChops.difference(a, b)).rms) / 3
print(f"{10 * math.log10(255 ** 2 / max(mse, 1e-9)):.1f}")
PY
  }
  for c in 1 8; do
    ours=$(median "${rps[ours $case $c]:-0}")
    best=-; best_rps=0
    for peer in sharp sharp-$cores thumbor thumbor-$cores; do
      r=$(median "${rps[$peer $case $c]:-0}")
      if awk -v a="$r" -v b="$best_rps" 'BEGIN {exit !(a > b)}'; then best=$peer; best_rps=$r; fi
    done
    ratio=$(awk -v a="$ours" -v b="$best_rps" 'BEGIN {if (b > 0) printf "%.2f", a / b; else print "-"}')
    echo "| $case | $c | $ours | $best | $best_rps | $ratio | $(psnr sharp) | $(psnr thumbor) |"
  done
done

# The animated GIF: which frame each server's JPEG is (PSNR against every frame flattened on white
# and resized by Pillow), so that the row compares the same work: the first frame, as a JPEG.
if grep -qw animated-gif <<<"$cases"; then
  echo
  for server_name in $servers; do
    [ -s "$work/out/$server_name-animated-gif.jpeg" ] || continue
    "$scratch/thumbor-venv/bin/python" - "$work/persons/7.gif" "$work/out/$server_name-animated-gif.jpeg" "$server_name" <<'PY' || true
import math, sys
from PIL import Image, ImageChops, ImageSequence, ImageStat
source, output, name = sys.argv[1:]
out = Image.open(output).convert("RGB")
scores = []
for frame in ImageSequence.Iterator(Image.open(source)):
    flat = Image.new("RGBA", frame.size, (255, 255, 255, 255))
    flat.alpha_composite(frame.convert("RGBA"))
    flat = flat.convert("RGB").resize(out.size, Image.LANCZOS)
    mse = sum(v * v for v in ImageStat.Stat(ImageChops.difference(out, flat)).rms) / 3
    scores.append(10 * math.log10(255 ** 2 / max(mse, 1e-9)))
best = max(range(len(scores)), key=scores.__getitem__)
print(f"animated-gif, {name}: frame {best + 1} of {len(scores)} ({scores[best]:.1f} dB; the next best {sorted(scores)[-2]:.1f} dB)")
PY
  done
fi
