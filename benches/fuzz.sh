#!/usr/bin/env bash
# A short fuzz pass over every target (default 60 s each), seeded from tests/corpus.
#   bash benches/fuzz.sh          # 60 s per target
#   SECONDS_PER_TARGET=600 bash benches/fuzz.sh
#   TARGETS=upload SECONDS_PER_TARGET=600 bash benches/fuzz.sh   # one target
# Needs cargo-fuzz (installed here if missing); uses RUSTC_BOOTSTRAP for the sanitizer flags on
# the stable toolchain. Crashes land in fuzz/artifacts/<target>/.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
export RUSTC_BOOTSTRAP=1
per_target=${SECONDS_PER_TARGET:-60}
seed() {
  local target=$1 dir=fuzz/corpus/$1
  mkdir -p "$dir"
  case $target in
    render) find tests/corpus -type f \( -name '*.jpg' -o -name '*.png' -o -name '*.gif' -o -name '*.tif*' -o -name '*.bmp' -o -name '*.webp' \) -size -200k -exec cp {} "$dir/" \; ;;
    parse_target) printf '/api/v1/Person/1/Image?w=64&h=32&type=png&ifBlank=SrNoPhoto' > "$dir/seed1"; printf '/API/v1/person/7/IMAGE?W=0&IfBlank=2&type=image%%2Fjpeg' > "$dir/seed2"; printf 'http://h/api/v1/Person/-3/Image/?h=%%31' > "$dir/seed3" ;;
    service) printf '\0\1\1\0w=64&type=gif\0' > "$dir/seed0"; find tests/corpus -type f -size -100k | head -40 | while read -r f; do { printf '\0\1\1\0w=32\0'; cat "$f"; } > "$dir/$(basename "$f").seed"; done ;;
    jpeg_decode) find tests/corpus -type f -name '*.jpg' -size -200k | while read -r f; do for s in 0 1 2 3; do { printf "\\x0$s"; cat "$f"; } > "$dir/$(basename "$f").$s"; done; done ;;
    upload)
      # Selector byte: 0 raw photo, 1 and 2 multipart (boundary b, "--x y"), 3 batch JSON.
      find tests/corpus -type f \( -name '*.jpg' -o -name '*.png' -o -name '*.gif' \) -size -60k | head -30 | while read -r f; do
        { printf '\0'; cat "$f"; } > "$dir/raw-$(basename "$f")"
        { printf '\1--b\r\nContent-Disposition: form-data; name="image"; filename="a"\r\nContent-Type: image/png\r\n\r\n'; cat "$f"; printf '\r\n--b--\r\n'; } > "$dir/form-$(basename "$f")"
      done
      printf '\3{"PersonIds":[1,2,-3],"ScaledWidth":32,"ScaledHeight":16}' > "$dir/batch" ;;
    parse_headers) printf 'Basic ZGVtbzpkZW1v\0t\0XSRF-TOKEN=t; s=1\0app\0image/png;q=0.5, */*;q=0.1\0"abc", W/"x"\0sv-SE,en;q=0.8\0nb\0nb-NO\0Europe/Oslo' > "$dir/seed1" ;;
  esac
}
for target in ${TARGETS:-parse_target parse_headers render service jpeg_decode upload}; do
  seed "$target"
  echo "== $target (${per_target}s)"
  cargo fuzz run "$target" --release -- -max_total_time="$per_target" -rss_limit_mb=2048 -timeout=10 2>&1 \
    | grep -E '^(#[0-9]+.*DONE|Done|==[0-9]+==|SUMMARY|artifact_prefix|Test unit written)' | tail -5
done
