#!/usr/bin/env python3
"""The fleet test: an S3 server (moto) and three serve replicas over one bucket, on loopback,
checked through HTTP. Run by `.ci/run`:

    python3 scripts/fleet.py --moto PATH/TO/moto_server --serve target/debug/examples/serve

The serve example must be built with `--features s3,metrics` (it reads `/metrics`). Checks, each
a failure when it does not hold (the exit status is 1, and the figures are printed either way):

1. one ETag: the same variant through A, B and C has the same ETag and bytes, and A's ETag is a
   304 from B and C;
2. read your writes: 100 uploads through A, each followed at once (under 10 ms) by a GET through
   B and C, which must serve the new photo every time;
3. outages: with the S3 server frozen (SIGSTOP: nothing answers) and then stopped (connections
   refused), an uncached variant is a 503 with Retry-After within the deadline + 1 s and a cached
   one a 200 (stale); resumed or restarted, every replica answers 200 again within 10 s, without
   being restarted;
4. render once: through the shared variant tier (`--variants`), 60 concurrent requests for one
   uncached variant spread over the three replicas are 1 render in all, and a 50-person list view
   requested through all three in random order is 50 renders (`person_image_render_seconds_count`
   summed over the replicas' `/metrics`).

Everything runs on 127.0.0.1, on free ports, and is stopped at the end whatever happens.
"""

import argparse
import concurrent.futures
import http.client
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from moto import Moto, free_port  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BUCKET = "fleet-photos"
AUTH = {"Authorization": "Basic ZGVtbzpkZW1v"}  # demo:demo, the serve example's default
DEADLINE_MS = 2000
LIST_PERSONS = 50
TRIALS = 100


class Replica:
    """One serve process over the bucket."""

    def __init__(self, name, serve, environment):
        self.name = name
        self.port = free_port()
        self.process = subprocess.Popen(
            [
                serve,
                "--addr", f"127.0.0.1:{self.port}",
                "--bucket", f"s3://{BUCKET}/persons",
                "--writable",
                "--variants", f"s3://{BUCKET}/variants",
                "--store-deadline-ms", str(DEADLINE_MS),
                # Room for the 60 concurrent requests below: none is shed with a 503.
                "--queue", "128",
            ],
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self.connection = None

    def wait_ready(self, seconds=60):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.process.stderr.read().decode()}")
            try:
                status = self.get("/metrics")[0]
                if status == 200:
                    return
            except OSError:
                self.connection = None
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not answer within {seconds} s")

    def request(self, method, path, body=None, headers=None):
        """(status, headers, body), on a kept-alive connection (reopened after an error)."""
        if self.connection is None:
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            self.connection.request(method, path, body=body, headers=dict(AUTH, **(headers or {})))
            response = self.connection.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        except (OSError, http.client.HTTPException):
            self.connection.close()
            self.connection = None
            raise

    def get(self, path, headers=None):
        return self.request("GET", path, headers=headers)

    def renders(self):
        """person_image_render_seconds_count summed over its label sets."""
        _, _, body = self.get("/metrics")
        total = 0.0
        for line in body.decode().splitlines():
            if line.startswith("person_image_render_seconds_count"):
                total += float(line.rsplit(" ", 1)[1])
        return int(total)

    def stop(self):
        if self.connection is not None:
            self.connection.close()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


class Checks:
    """Collects failures and figures."""

    def __init__(self):
        self.failures = []
        self.figures = []

    def expect(self, condition, message):
        if not condition:
            self.failures.append(message)
            print(f"FAIL: {message}", flush=True)
        return condition

    def figure(self, text):
        self.figures.append(text)
        print(text, flush=True)


def seed(moto):
    """The bucket: person 1 (JPEG), 2 (PNG), 3 without a photo, and 100..149 for list views."""
    moto.create_bucket(BUCKET)
    jpeg = (ROOT / "fixtures/persons/1.jpg").read_bytes()
    png = (ROOT / "fixtures/persons/2.png").read_bytes()
    objects = {"1.jpg": jpeg, "2.png": png, "3.none": b""}
    for person in range(100, 100 + LIST_PERSONS):
        objects[f"{person}.jpg"] = jpeg
    for key, body in objects.items():
        status = moto.put(BUCKET, f"persons/{key}", body)
        if status != 200:
            raise RuntimeError(f"seeding {key}: {status}")


def check_one_etag(checks, replicas):
    target = "/api/v1/Person/1/Image?w=64&type=png"
    answers = [replica.get(target) for replica in replicas]
    statuses = [status for status, _, _ in answers]
    tags = {headers.get("etag") for _, headers, _ in answers}
    bodies = {body for _, _, body in answers}
    checks.expect(statuses == [200] * 3, f"one ETag: statuses {statuses}")
    checks.expect(len(tags) == 1 and None not in tags, f"one ETag: tags differ {tags}")
    checks.expect(len(bodies) == 1, "one ETag: bytes differ between replicas")
    tag = answers[0][1].get("etag", "")
    revalidated = [replica.get(target, {"If-None-Match": tag})[0] for replica in replicas[1:]]
    checks.expect(revalidated == [304, 304], f"one ETag: B and C answered {revalidated} to A's tag")
    checks.figure(f"one ETag: A, B, C sent {tag} with identical bytes; A's tag -> {revalidated} from B, C")


def check_read_your_writes(checks, replicas):
    a, b, c = replicas
    photos = [(ROOT / "fixtures/persons/2.png").read_bytes(), (ROOT / "fixtures/persons/1.jpg").read_bytes()]
    target = "/api/v1/Person/1/Image?w=48&type=png"
    fresh, gaps = 0, []
    readers = concurrent.futures.ThreadPoolExecutor(2)
    for trial in range(TRIALS):
        # B and C hold the current photo in their caches first.
        old = {replica.get(target)[1].get("etag") for replica in (b, c)}
        status, _, _ = a.request("PUT", "/api/v1/Person/1/Image", body=photos[trial % 2],
                                 headers={"Content-Type": "application/octet-stream"})
        uploaded = time.monotonic()

        def read(replica):
            gaps.append(time.monotonic() - uploaded)
            return replica.get(target)

        # B and C are asked at once, each on its own kept-alive connection.
        answers = list(readers.map(read, (b, c)))
        expected = a.get(target)
        ok = status == 200 and all(
            answer[0] == 200
            and answer[1].get("etag") == expected[1].get("etag")
            and answer[1].get("etag") not in old
            and answer[2] == expected[2]
            for answer in answers
        )
        fresh += ok
        checks.expect(ok, f"read your writes: trial {trial} served an old photo or failed ({status})")
    readers.shutdown()
    slowest = max(gaps) * 1000
    checks.expect(slowest < 10, f"read your writes: a GET started {slowest:.1f} ms after the upload")
    checks.figure(f"read your writes: {fresh}/{TRIALS} trials served the new photo through B and C; "
                  f"GETs started at most {slowest:.2f} ms after the upload returned")


def check_outage(checks, replicas, moto, how):
    """`how`: "frozen" (SIGSTOP) or "stopped" (the process ends; restarted on the same port)."""
    cached = "/api/v1/Person/2/Image?w=40&type=png"
    for replica in replicas:
        checks.expect(replica.get(cached)[0] == 200, f"{how}: warming {replica.name} failed")
    if how == "frozen":
        moto.pause()
    else:
        moto.stop()
    limit = DEADLINE_MS / 1000 + 1
    try:
        for index, replica in enumerate(replicas):
            width = (20 if how == "frozen" else 30) + index
            started = time.monotonic()
            status, headers, _ = replica.get(f"/api/v1/Person/1/Image?w={width}&type=png")
            took = time.monotonic() - started
            checks.expect(status == 503 and "retry-after" in headers,
                          f"{how}: uncached variant through {replica.name} answered {status} "
                          f"(Retry-After {headers.get('retry-after')})")
            checks.expect(took <= limit, f"{how}: the 503 took {took:.2f} s > {limit} s")
            checks.figure(f"S3 {how}: uncached variant through {replica.name}: {status}, "
                          f"Retry-After {headers.get('retry-after')}, in {took:.2f} s (deadline {DEADLINE_MS} ms)")
            started = time.monotonic()
            status, _, _ = replica.get(cached)
            took = time.monotonic() - started
            checks.expect(status == 200, f"{how}: cached variant through {replica.name} answered {status}")
            checks.figure(f"S3 {how}: cached variant through {replica.name}: {status} (stale) in {took:.2f} s")
    finally:
        if how == "frozen":
            moto.resume()
        else:
            moto.start()
            seed(moto)
    back = time.monotonic()
    waiting = set(range(len(replicas)))
    probe = 0
    while waiting and time.monotonic() - back < 30:
        for index in sorted(waiting):
            probe += 1
            # A variant no replica has cached: the answer comes from the store.
            status = replicas[index].get(f"/api/v1/Person/1/Image?w={200 + probe % 300}&type=png")[0]
            if status == 200:
                waiting.discard(index)
        time.sleep(0.05)
    recovered = time.monotonic() - back
    checks.expect(not waiting and recovered <= 10,
                  f"{how}: replicas {sorted(waiting)} not back within 10 s ({recovered:.2f} s)")
    checks.figure(f"S3 {how}, then back: every replica answered 200 again {recovered:.2f} s later, without restarts")


def check_render_once(checks, replicas):
    """Renders summed over the replicas for one variant asked 60 times at once, then a list view."""
    before = sum(replica.renders() for replica in replicas)
    target = "/api/v1/Person/100/Image?w=72&type=png"
    with concurrent.futures.ThreadPoolExecutor(60) as pool:
        statuses = list(pool.map(
            lambda i: Replica.get(fresh_client(replicas[i % 3]), target)[0], range(60)))
    one_variant = sum(replica.renders() for replica in replicas) - before
    checks.expect(statuses == [200] * 60, f"render once: statuses {set(statuses)}")
    before = sum(replica.renders() for replica in replicas)
    order = [(person, replica) for person in range(100, 100 + LIST_PERSONS) for replica in range(3)]
    random.Random(21).shuffle(order)
    with concurrent.futures.ThreadPoolExecutor(12) as pool:
        list(pool.map(lambda pr: Replica.get(fresh_client(replicas[pr[1]]),
                                             f"/api/v1/Person/{pr[0]}/Image?w=56&type=png"), order))
    list_view = sum(replica.renders() for replica in replicas) - before
    checks.expect(one_variant == 1,
                  f"render once: 60 concurrent requests for one uncached variant over 3 replicas "
                  f"-> {one_variant} renders, not 1")
    checks.expect(list_view == LIST_PERSONS,
                  f"render once: a {LIST_PERSONS}-person list view through 3 replicas -> {list_view} "
                  f"renders, not {LIST_PERSONS}")
    checks.figure(f"render once: 60 concurrent requests for one uncached variant over 3 replicas -> "
                  f"{one_variant} renders (target 1); {LIST_PERSONS}-person list view through 3 "
                  f"replicas in random order -> {list_view} renders (target {LIST_PERSONS})")


def fresh_client(replica):
    """A client of its own on `replica`'s port (for concurrent requests)."""
    client = Replica.__new__(Replica)
    client.name, client.port, client.connection = replica.name, replica.port, None
    return client


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moto", required=True, help="the moto_server executable")
    parser.add_argument("--serve", required=True, help="the serve example, built with s3,metrics")
    arguments = parser.parse_args()
    checks = Checks()
    started = time.monotonic()
    moto = Moto(arguments.moto).start()
    replicas = []
    try:
        seed(moto)
        environment = dict(os.environ, **moto.environment())
        replicas = [Replica(name, arguments.serve, environment) for name in "ABC"]
        for replica in replicas:
            replica.wait_ready()
        check_one_etag(checks, replicas)
        check_read_your_writes(checks, replicas)
        check_outage(checks, replicas, moto, "frozen")
        check_outage(checks, replicas, moto, "stopped")
        check_render_once(checks, replicas)
    finally:
        for replica in replicas:
            replica.stop()
        moto.stop()
    print(f"fleet: {len(checks.failures)} failures in {time.monotonic() - started:.1f} s")
    return 1 if checks.failures else 0


if __name__ == "__main__":
    sys.exit(main())
