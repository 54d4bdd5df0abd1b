#!/usr/bin/env bash
# Load through the real server: starts the serve example, drives it with wrk for DURATION seconds
# (default 30) with a mix of URLs that must all answer 2xx/304, then checks the status counts and
# that RSS after ≈ RSS before (no growth), and prints wrk's latency percentiles.
# A warm-up of the same length first brings the render cache and the allocator to steady state,
# so "before" is measured on a warm server: growth after that is a leak.
#   bash benches/load.sh            # 30 s
#   DURATION=10 bash benches/load.sh
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
duration=${DURATION:-30}
port=${PORT:-18080}
cargo build --release --quiet --example serve
target/release/examples/serve --addr 127.0.0.1:$port ${SERVE_ARGS:-} >/tmp/person-image-load.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done

base=http://127.0.0.1:$port/api/v1/Person
etag=$(curl -s -u demo:demo -D - -o /dev/null "$base/1/Image?w=64" | tr -d '\r' | awk -F': ' 'tolower($1)=="etag"{print $2}')
rss() { awk '/VmRSS/{print $2}' /proc/$server/status; }

script=$(mktemp --suffix=.lua)
cat > "$script" <<LUA
local paths = {
  "/api/v1/Person/1/Image",
  "/api/v1/Person/1/Image?w=64",
  "/api/v1/Person/3/Image?w=128&type=png",
  "/api/v1/Person/4/Image?w=100",
  "/api/v1/Person/5/Image?ifBlank=SrNoPhoto&w=96",
  "/api/v1/Person/6/Image?h=80&type=jpeg",
  "/api/v1/Person/2/Image?w=64&type=gif",
}
local i = 0
request = function()
  i = i + 1
  local headers = { ["Authorization"] = "Basic ZGVtbzpkZW1v" }
  if i % 8 == 0 then
    headers["If-None-Match"] = '$etag'
    return wrk.format("GET", "/api/v1/Person/1/Image?w=64", headers)
  end
  -- Every 16th request asks for one of 400 sizes in turn: real renders and cache evictions.
  if i % 16 == 1 then
    return wrk.format("GET", "/api/v1/Person/1/Image?w=" .. (100 + math.floor(i / 16) % 400), headers)
  end
  return wrk.format("GET", paths[(i % #paths) + 1], headers)
end
LUA

# Warm up, then measure RSS around the timed run.
wrk -t2 -c16 -d${duration}s -s "$script" "http://127.0.0.1:$port" >/dev/null
before=$(rss)
out=$(wrk -t2 -c16 -d${duration}s --latency -s "$script" "http://127.0.0.1:$port")
sleep 1
after=$(rss)
echo "$out"
echo
echo "RSS before: $((before / 1024)) MiB, after: $((after / 1024)) MiB"
rm -f "$script"
if echo "$out" | grep -q "Non-2xx or 3xx responses"; then
  echo "FAIL: unexpected statuses"; exit 1
fi
if [ "$after" -gt $((before + 16 * 1024)) ]; then
  echo "FAIL: RSS grew by $(((after - before) / 1024)) MiB"; exit 1
fi
echo "OK: 0 unexpected statuses, RSS stable"
