#!/usr/bin/env bash
# End-to-end browser test: the serve example + headless Chromium.
#
#   [SERVE_FEATURES=webp] [PROFILE=debug] tests/browser/run.sh SCREENSHOT_PATH
#
# Needs Chromium (Debian's chromium package: .ci/run installs it; this script installs nothing)
# and python3 (standard library only). Builds and starts `examples/serve.rs` on a free loopback
# port, then tests/browser/check.py drives Chromium over the DevTools protocol: it loads
# tests/browser/page.html on the server's own origin, the page fetches every case, shows it in an
# <img> and measures it, and check.py compares naturalWidth/naturalHeight, Content-Type and more
# with the SPEC geometry; the last case uploads a photo with fetch (multipart, cookie + XSRF) into
# the server's copy of the fixtures and shows it; the avatar case stores a focal box for person 1
# (PUT …/ImageInfo), paints a row of round fit=cover avatars from one batch call with their
# ThumbHash placeholders first, and checks the box lies inside person 1's crop. Prints a table,
# saves a screenshot, exits
# non-zero on any mismatch. Servers and Chromium are always stopped.
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ $# -ne 1 ]; then
  echo "usage: $0 SCREENSHOT_PATH" >&2
  exit 2
fi
shot=$1
case $shot in /*) ;; *) shot=$PWD/$shot ;; esac

find_chromium() {
  for c in chromium chromium-browser google-chrome; do
    if command -v "$c" >/dev/null 2>&1; then command -v "$c"; return 0; fi
  done
  return 1
}
if ! chromium_bin=$(find_chromium); then
  echo "tests/browser/run.sh needs Chromium: install Debian's chromium package" >&2
  exit 1
fi
# Debian's /usr/bin/chromium is a shell launcher; the real binary keeps fds 3/4 the same either way.
[ -x /usr/lib/chromium/chromium ] && chromium_bin=/usr/lib/chromium/chromium
echo "chromium: $("$chromium_bin" --version 2>/dev/null || echo "$chromium_bin")"

# PROFILE=debug reuses the test build (CI); the default is the release build users run.
# SERVE_FEATURES (e.g. webp) builds the example with those cargo features; check.py reads it too
# to expect WebP where the feature negotiates it.
profile=${PROFILE:-release}
export SERVE_FEATURES=${SERVE_FEATURES:-}
features=()
[ -n "$SERVE_FEATURES" ] && features=(--features "$SERVE_FEATURES")
if [ "$profile" = release ]; then
  cargo build --release --example serve --quiet "${features[@]}"
else
  cargo build --example serve --quiet "${features[@]}"
fi
target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
serve_bin=$target_dir/$profile/examples/serve

server_pid=
log=$(mktemp)
# The server writes uploads into its photo directory: give it a copy of the fixtures.
photos=$(mktemp -d)
cp fixtures/persons/* "$photos/"
cleanup() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$log" "$photos"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Start the server on a free port; retry if another process takes the port in between.
for attempt in 1 2 3; do
  port=$(free_port)
  "$serve_bin" --addr "127.0.0.1:$port" --images "$photos" --writable >"$log" 2>&1 &
  server_pid=$!
  up=
  for _ in $(seq 1 100); do  # up to 10 s
    if ! kill -0 "$server_pid" 2>/dev/null; then break; fi
    if python3 - "$port" <<'PY' 2>/dev/null; then up=1; break; fi
import sys, urllib.request
req = urllib.request.Request(f"http://127.0.0.1:{sys.argv[1]}/api/v1/Person/2/Image",
                             headers={"Authorization": "Bearer demo-token"})
sys.exit(0 if urllib.request.urlopen(req, timeout=2).status == 200 else 1)
PY
    sleep 0.1
  done
  [ -n "$up" ] && break
  echo "serve did not come up on port $port (attempt $attempt):" >&2
  cat "$log" >&2
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=
done
if [ -z "$up" ]; then
  echo "could not start the serve example" >&2
  exit 1
fi
echo "serve: http://127.0.0.1:$port (pid $server_pid)"

timeout --kill-after=10 170 python3 tests/browser/check.py "http://127.0.0.1:$port" "$shot" "$chromium_bin"
