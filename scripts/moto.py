#!/usr/bin/env python3
"""An S3-compatible server (moto) on a free loopback port, for the opt-in S3 suites.

    python3 scripts/moto.py --moto PATH/TO/moto_server -- COMMAND ARGS...

starts the server, checks that its conditional writes refuse a failed condition with 412 (the
render-once lease and `Bucket`'s writes rely on it), creates no bucket, runs COMMAND with the
`AWS_*` variables `object_store` reads pointing at it, and stops the server whatever happens. The
server gets 30 s to start; COMMAND's exit status is this script's. Only `.ci/run` installs moto
(pinned, in a virtual environment outside the repository); this script installs nothing.

`scripts/fleet.py` imports `Moto` to stop and restart the server in its outage checks.
"""

import argparse
import http.client
import os
import signal
import socket
import subprocess
import sys
import time

# Credentials moto accepts as any other; the region is the one `object_store` signs for.
ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "person-image-test",
    "AWS_SECRET_ACCESS_KEY": "person-image-test",
    "AWS_REGION": "us-east-1",
    "AWS_ALLOW_HTTP": "true",
}
START_SECONDS = 30
# moto refuses some anonymous requests (a conditional PUT is 403 without one) but does not check
# signatures: the script's own requests carry this well-formed, unchecked one.
AUTHORIZATION = (
    "AWS4-HMAC-SHA256 Credential=person-image-test/20260101/us-east-1/s3/aws4_request, "
    "SignedHeaders=host, Signature=0"
)


def free_port():
    """A loopback port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Moto:
    """One moto server process on 127.0.0.1:port."""

    def __init__(self, executable, port=None):
        self.executable = executable
        self.port = port or free_port()
        self.process = None

    @property
    def endpoint(self):
        return f"http://127.0.0.1:{self.port}"

    def environment(self):
        """The variables that point `object_store` (and the serve example) at this server."""
        return dict(ENVIRONMENT, AWS_ENDPOINT=self.endpoint)

    def start(self):
        self.process = subprocess.Popen(
            [self.executable, "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"moto exited with {self.process.returncode} at start")
            try:
                if self.request("GET", "/")[0] == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"moto did not answer on {self.endpoint} within {START_SECONDS} s")

    def stop(self):
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.process = None

    def pause(self):
        """Freezes the server: connections are accepted by the kernel, nothing answers."""
        self.process.send_signal(signal.SIGSTOP)

    def resume(self):
        self.process.send_signal(signal.SIGCONT)

    def request(self, method, path, body=None, headers=None, timeout=5):
        """(status, headers, body) of one request (see AUTHORIZATION)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            headers = dict(headers or {}, Authorization=AUTHORIZATION)
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()

    def create_bucket(self, bucket):
        status, _, body = self.request("PUT", f"/{bucket}")
        if status != 200:
            raise RuntimeError(f"creating bucket {bucket}: {status} {body[:200]!r}")

    def put(self, bucket, key, body, headers=None):
        return self.request("PUT", f"/{bucket}/{key}", body=body, headers=headers)[0]


def check_conditional_writes(moto):
    """Fails unless a failed `If-None-Match: *` and a failed `If-Match` are 412 (and the
    successful ones 200), as S3 answers them."""
    bucket = "conditional-writes-check"
    moto.create_bucket(bucket)
    checks = [
        ("create", {"If-None-Match": "*"}, 200),
        ("create again", {"If-None-Match": "*"}, 412),
        ("update with a stale ETag", {"If-Match": '"0123456789abcdef0123456789abcdef"'}, 412),
    ]
    for name, headers, expected in checks:
        status = moto.put(bucket, "lease", b"x", headers)
        if status != expected:
            raise RuntimeError(f"moto's conditional write ({name}) answered {status}, not {expected}")
    status, headers, _ = moto.request("HEAD", f"/{bucket}/lease")
    etag = headers.get("ETag") or headers.get("etag")
    status = moto.put(bucket, "lease", b"y", {"If-Match": etag})
    if status != 200:
        raise RuntimeError(f"moto's conditional write (update with the current ETag) answered {status}")
    print(f"moto at {moto.endpoint}: conditional writes answer 412 on a failed condition")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moto", required=True, help="the moto_server executable")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    arguments = parser.parse_args()
    command = arguments.command[1:] if arguments.command[:1] == ["--"] else arguments.command
    if not command:
        parser.error("no command to run")
    moto = Moto(arguments.moto).start()
    try:
        check_conditional_writes(moto)
        environment = dict(os.environ, **moto.environment())
        return subprocess.call(command, env=environment)
    finally:
        moto.stop()


if __name__ == "__main__":
    sys.exit(main())
