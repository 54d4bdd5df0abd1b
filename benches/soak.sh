#!/usr/bin/env bash
# Memory soak through the real server (issue 9): starts the release serve example over the bench
# photos, drives it with 16 concurrent keep-alive clients for REQUESTS requests (default 10 000)
# over ≥ 5 000 distinct variants (every output format, sizes 32–1024, placeholders, 304s), prints
# the server's VmRSS every 1 000 requests, and checks:
#   - 0 unexpected statuses (200 for a render or placeholder, 304 for a matching If-None-Match);
#   - RSS after the first 2 000 requests ≤ cache bound + 64 MiB;
#   - no growth over the second half: last reading ≤ 1.05 × the reading at the half-way point.
# Exits non-zero when a check fails. Loopback only; bounded in requests and in time (TIMEOUT s).
#   bash benches/soak.sh
#   CACHE_MIB=16 bash benches/soak.sh
#   SERVE_BIN=path/to/serve bash benches/soak.sh     # an already built server (skips cargo)
#   SERVE_ENV="MALLOC_ARENA_MAX=2" bash benches/soak.sh    # environment for the server
#   SERVE_WRAP="heaptrack -o /tmp/soak" bash benches/soak.sh  # profile (RSS is then the wrapper's)
set -euo pipefail
cd "$(dirname "$0")/.."
cache_mib=${CACHE_MIB:-64}
requests=${REQUESTS:-10000}
port=${PORT:-18090}
timeout=${TIMEOUT:-1200}
command -v python3 >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 >/dev/null; }
bash benches/images.sh >/dev/null
if [ -z "${SERVE_BIN:-}" ]; then
  cargo build --release --quiet --example serve
  SERVE_BIN=target/release/examples/serve
fi

# The photo directory: person id → bench photo; person 9 has none (placeholders).
images=$(mktemp -d)
bench=target/bench-images
cp "$bench/photo-22mp.jpg" "$images/1.jpg"
cp "$bench/photo-6mp.jpg" "$images/2.jpg"
cp "$bench/photo-3mp.jpg" "$images/3.jpg"
cp "$bench/alpha-3mp.png" "$images/4.png"
cp "$bench/photo-800px.gif" "$images/5.gif"
cp "$bench/animated-10f.gif" "$images/6.gif"
cp "$bench/photo-6mp-444.jpg" "$images/7.jpg"
cp fixtures/persons/2.png "$images/8.png"
: > "$images/9.none"

# shellcheck disable=SC2086
env ${SERVE_ENV:-} ${SERVE_WRAP:-} "$SERVE_BIN" --addr 127.0.0.1:$port --images "$images" --cache-mib "$cache_mib" \
  >/tmp/person-image-soak.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$images"' EXIT
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done

timeout "$timeout" python3 - "$server" "$port" "$requests" "$cache_mib" <<'PY'
import http.client, random, sys, threading, time

pid, port, total, cache_mib = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
CLIENTS = 16
AUTH = {"Authorization": "Basic ZGVtbzpkZW1v"}  # demo:demo
PHOTOS = [1, 2, 3, 4, 5, 6, 7, 8]
FORMATS = ["jpeg", "png", "gif", "tiff"]

def rss_kib():
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")

# The plan, fixed by the seed: of every 20 requests, 10 render a variant not asked before, 1 a
# placeholder for person 9 (no photo), 2 repeat an earlier variant with its ETag in If-None-Match
# (304) and 7 repeat one of the last 64 rendered variants (200, mostly from the render cache).
rng = random.Random(9)
variants = set()
while len(variants) < total:  # more than enough distinct ones
    person = rng.choice(PHOTOS)
    side = rng.randint(32, 1024)
    dim = rng.choice(["w", "h", "wh"])
    query = {"w": f"w={side}", "h": f"h={side}", "wh": f"w={side}&h={rng.randint(32, 1024)}"}[dim]
    variants.add(f"/api/v1/Person/{person}/Image?{query}&type={rng.choice(FORMATS)}")
variants = sorted(variants)
rng.shuffle(variants)
plan = []
fresh = iter(variants)
for i in range(total):
    if i % 10 == 9:
        plan.append(("304", None))
    elif i % 20 in (2, 6, 8, 12, 14, 16, 18):
        plan.append(("hit", None))
    elif i % 20 == 4:
        side = rng.randint(32, 1024)
        plan.append(("200", f"/api/v1/Person/9/Image?ifBlank=SrNoPhoto&w={side}&type={rng.choice(FORMATS)}"))
    else:
        plan.append(("200", next(fresh)))

lock = threading.Lock()
state = {"next": 0, "done": 0, "bad": 0, "errors": [], "304": 0}
etags = []  # (path, etag) of answered 200s
distinct = set()
readings = []  # (requests done, RSS KiB)
start = time.monotonic()

def worker():
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    while True:
        with lock:
            i = state["next"]
            if i >= total:
                break
            state["next"] += 1
            expect, path = plan[i]
            headers = dict(AUTH)
            if expect == "304":
                if etags:
                    path, tag = etags[rng.randrange(len(etags))]
                    headers["If-None-Match"] = tag
                else:
                    expect, path = "200", variants[-1 - i]
            elif expect == "hit":
                expect = "200"
                path = etags[-1 - rng.randrange(min(64, len(etags)))][0] if etags else variants[-1 - i]
            distinct.add(path)
        try:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            status, tag = response.status, response.getheader("ETag")
        except Exception as error:  # a broken connection is an unexpected outcome too
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            status, tag = f"error {error!r}", None
        with lock:
            ok = str(status) == expect
            if not ok:
                state["bad"] += 1
                if len(state["errors"]) < 10:
                    state["errors"].append(f"{path} {headers.get('If-None-Match', '')}: {status}, expected {expect}")
            if ok and expect == "304":
                state["304"] += 1
            if ok and expect == "200" and tag:
                etags.append((path, tag))
            state["done"] += 1
            done = state["done"]
            if done % 1000 == 0 or done == total:
                readings.append((done, rss_kib()))
                print(f"{done:6d} requests  RSS {readings[-1][1] / 1024:7.1f} MiB  "
                      f"{time.monotonic() - start:6.1f} s", flush=True)
    conn.close()

threads = [threading.Thread(target=worker) for _ in range(CLIENTS)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()

elapsed = time.monotonic() - start
print(f"{total} requests in {elapsed:.1f} s ({total / elapsed:.0f} req/s), {CLIENTS} clients, "
      f"{len(distinct)} distinct URLs, {state['304']} answered 304, cache {cache_mib} MiB")
failed = []
if state["bad"]:
    failed.append(f"{state['bad']} unexpected statuses, e.g. " + "; ".join(state["errors"]))
if len(distinct) < 5000:
    failed.append(f"only {len(distinct)} distinct variants")
by_count = dict(readings)
after_2000 = by_count.get(2000)
half = max((n for n, _ in readings if n <= total // 2), default=readings[0][0])
bound = (cache_mib + 64) * 1024
last = readings[-1][1]
print(f"RSS after 2000: {(after_2000 or 0) / 1024:.1f} MiB (target ≤ {bound / 1024:.0f} MiB); "
      f"half-way ({half}): {by_count[half] / 1024:.1f} MiB; last: {last / 1024:.1f} MiB "
      f"(target ≤ {1.05 * by_count[half] / 1024:.1f} MiB)")
if after_2000 is None or after_2000 > bound:
    failed.append("RSS after 2000 requests above cache bound + 64 MiB")
if last > 1.05 * by_count[half]:
    failed.append("RSS grew over the second half")
for failure in failed:
    print("FAIL:", failure)
if failed:
    sys.exit(1)
print("OK: 0 unexpected statuses, RSS within bound and flat")
PY
