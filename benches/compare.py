"""Runs person-image and libvips side by side, interleaved, and prints medians and ratios.

Called by benches/compare.sh after it built target/compare/vips_harness and the release examples.
"""
import os
import platform
import statistics
import subprocess
import time

IMAGES = os.environ.get("BENCH_IMAGES", "target/bench-images")  # made by benches/images.sh
ROUNDS = int(os.environ.get("ROUNDS", "5"))
ITER = int(os.environ.get("ITER", "4"))
EXAMPLES = "target/release/examples"
HARNESS = "target/compare/vips_harness"
LIBJPEG = "target/compare/libjpeg_harness"


def run_lines(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return [float(line) for line in out.split()]


def in_process(file, size, fmt):
    """Median ms per render for (ours, vips), rounds interleaved; first iteration of each dropped."""
    ours, vips = [], []
    for _ in range(ROUNDS):
        ours += run_lines([f"{EXAMPLES}/thumbbench", file, str(size), fmt, str(ITER + 1)])[1:]
        vips += run_lines([HARNESS, file, str(size), fmt, str(ITER + 1)])[1:]
    return statistics.median(ours), statistics.median(vips)


def decode_only(file):
    """Median ms of decoding alone at 1/8 scale for (ours, libjpeg-turbo), rounds interleaved."""
    ours, turbo = [], []
    for _ in range(ROUNDS):
        ours += run_lines([f"{EXAMPLES}/decodebench", file, "256", str(ITER + 1)])[1:]
        turbo += run_lines([LIBJPEG, file, "8", str(ITER + 1)])[1:]
    return statistics.median(ours), statistics.median(turbo)


def wall(cmd):
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    return (time.perf_counter() - start) * 1000


def whole_process(file, size):
    ours, vips = [], []
    for _ in range(ROUNDS * 2):
        ours.append(wall([f"{EXAMPLES}/render", file, "--w", str(size), "--type", "jpeg",
                          "-o", "target/compare/ours.jpg"]))
        vips.append(wall(["vipsthumbnail", file, "-s", f"{size}x10000000",
                          "-o", os.path.abspath("target/compare/vips.jpg") + "[Q=85,strip]"]))
    return statistics.median(ours), statistics.median(vips)


def peak_rss_kib(cmd):
    out = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, check=True,
                         capture_output=True, text=True).stderr
    return int(out.strip().splitlines()[-1])


def main():
    rows = []
    # Issue 13's targets for the crate's JPEG decoder.
    targets = {"photo-22mp.jpg": 0.8, "photo-6mp.jpg": 0.8, "photo-3mp.jpg": 0.8}
    jpeg_targets = dict(targets, **{"photo-6mp-444.jpg": 0.8, "photo-22mp-restart.jpg": 0.5,
                                    "photo-22mp-progressive.jpg": 0.25})
    for name, target in jpeg_targets.items():
        ours, vips = in_process(f"{IMAGES}/{name}", 256, "jpeg")
        rows.append((f"in-process {name} -> 256 JPEG", ours, vips, "ms", target))
    for name, fmt in [("alpha-3mp.png", "png"), ("photo-800px.gif", "gif")]:
        ours, vips = in_process(f"{IMAGES}/{name}", 256, fmt)
        rows.append((f"in-process {name} -> 256 {fmt.upper()}", ours, vips, "ms", 0.5))
    for name in jpeg_targets:
        ours, vips = whole_process(f"{IMAGES}/{name}", 256)
        rows.append((f"whole process {name} -> 256 JPEG", ours, vips, "ms", 0.5))
    for fmt in ["png", "gif", "tiff"]:
        ours, vips = in_process(f"{IMAGES}/photo-6mp.jpg", 256, fmt)
        rows.append((f"in-process photo-6mp.jpg -> 256 {fmt.upper()}", ours, vips, "ms", None))
    decode_rows = []
    for name in ["photo-22mp.jpg", "photo-22mp-restart.jpg", "photo-22mp-progressive.jpg"]:
        ours, turbo = decode_only(f"{IMAGES}/{name}")
        decode_rows.append((f"decode only {name} at 1/8", ours, turbo))
    big = f"{IMAGES}/photo-22mp.jpg"
    ours_rss = peak_rss_kib([f"{EXAMPLES}/render", big, "--w", "256", "-o", "target/compare/ours.jpg"])
    vips_rss = peak_rss_kib(["vipsthumbnail", big, "-s", "256x10000000",
                             "-o", os.path.abspath("target/compare/vips.jpg")])
    rows.append(("peak RSS 22 MP -> 256 (render example)", ours_rss / 1024, vips_rss / 1024, "MiB", 16 / (vips_rss / 1024)))
    progressive = f"{IMAGES}/photo-22mp-progressive.jpg"
    ours_rss = peak_rss_kib([f"{EXAMPLES}/render", progressive, "--w", "256", "-o", "target/compare/ours.jpg"])
    vips_rss = peak_rss_kib(["vipsthumbnail", progressive, "-s", "256x10000000",
                             "-o", os.path.abspath("target/compare/vips.jpg")])
    # Target: at most 16 MiB for ours, expressed as a ratio to libvips like the other rows.
    rows.append(("peak RSS 22 MP progressive -> 256 (render example)", ours_rss / 1024, vips_rss / 1024, "MiB", 16 / (vips_rss / 1024)))

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.platform()}")
    print(f"libvips: {subprocess.run(['vips', '--version'], capture_output=True, text=True).stdout.strip()}")
    print(f"rounds {ROUNDS} x {ITER} iterations, interleaved; medians\n")
    print(f"| case | person-image | libvips | ratio | target | met |")
    print(f"|---|---|---|---|---|---|")
    for case, ours, vips, unit, target in rows:
        ratio = ours / vips
        if target is None:
            print(f"| {case} | {ours:.2f} {unit} | {vips:.2f} {unit} | {ratio:.2f}x | - | - |")
        else:
            print(f"| {case} | {ours:.2f} {unit} | {vips:.2f} {unit} | {ratio:.2f}x | <= {target:.2f}x | {'yes' if ratio <= target else 'no'} |")
    print("\n| decode only (no resize, no encode) | person-image | libjpeg-turbo (as `djpeg -scale 1/8`) | ratio |")
    print("|---|---|---|---|")
    for case, ours, turbo in decode_rows:
        print(f"| {case} | {ours:.2f} ms | {turbo:.2f} ms | {ours / turbo:.2f}x |")
    service = subprocess.run([f"{EXAMPLES}/servicebench"], check=True, capture_output=True, text=True).stdout
    print("\n" + service.strip())


if __name__ == "__main__":
    main()
