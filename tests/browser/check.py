#!/usr/bin/env python3
"""Drive headless Chromium against a running `serve` example and check what it displays.

Usage: check.py BASE_URL SCREENSHOT_PATH [CHROMIUM]

Standard library only. Chromium is driven over the DevTools protocol through
`--remote-debugging-pipe` (NUL-separated JSON on file descriptors 3 and 4), so there is no
websocket client, no port for the browser and no WebDriver to match versions with.

How the page gets onto the API's origin without touching the server: the tab navigates to
BASE_URL/__browser_test__/page.html and the Fetch domain answers that navigation with
tests/browser/page.html. The page's fetch() calls are then same-origin, so they may send
Authorization or X-XSRF-TOKEN headers and read Content-Type; each response becomes a blob:
or data: URL for an <img>. The "plain" cases are bare <img src> requests with Chromium's own
Accept header and the session cookie; only the XSRF header, which markup cannot send, is added
to them by the driver (Fetch.continueRequest), as an SPA's HTTP interceptor would for XHR.

Expected sizes come from the SPEC §5/§6 geometry, implemented again here.
"""

import base64
import fcntl
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))

# run.sh passes the serve example's cargo features: with `webp`, Chromium's <img> Accept
# (image/avif,image/webp,...) gets WebP (SPEC §4.1), and type=webp is accepted.
WEBP = "webp" in os.environ.get("SERVE_FEATURES", "").replace(",", " ").split()

# Displayed sizes of fixtures/persons/ (person 3 after its EXIF orientation 6).
SOURCES = {1: (1200, 1800), 2: (128, 128), 3: (1200, 1800), 4: (370, 285), 6: (386, 395)}


def fit(source, w=None, h=None):
    """SPEC §5: fit inside the box, keep the aspect ratio, never enlarge, round, at least 1."""
    sw, sh = source
    scales = [s for s in (w / sw if w else None, h / sh if h else None) if s is not None]
    if not scales or min(scales) >= 1:
        return sw, sh
    s = min(scales)
    out_w = w if w and s == w / sw else max(1, int(sw * s + 0.5))
    out_h = h if h and s == h / sh else max(1, int(sh * s + 0.5))
    return out_w, out_h


def placeholder(kind, w=None, h=None):
    """SPEC §6: the box, one side squared, or 128×128; ClearPixel is 1×1 unless both are given."""
    if kind == "ClearPixel":
        return (w, h) if w and h else (1, 1)
    if w and h:
        return w, h
    side = w or h
    return (side, side) if side else (128, 128)


def query(**params):
    return "&".join(f"{k}={v}" for k, v in params.items() if v is not None)


def cases():
    out = []
    auths = ["basic", "ticket", "bearer"]

    def add(label, person, params, expect, auth=None, mode="blob", accept=None, corner=False):
        q = query(**params)
        out.append({
            "id": len(out) + 1, "label": label, "path": f"{person}/Image" + (f"?{q}" if q else ""),
            "auth": auth or auths[len(out) % 3], "mode": mode, "accept": accept, "corner": corner,
            "expect": expect,
        })

    def sized(size):
        return {"w": size[0], "h": size[1]}

    mime = {"jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif"}
    boxes = [{"w": 64}, {"w": 200}, {"h": 150}, {"w": 100, "h": 100}]
    # Every output format Chromium shows, at several boxes (person 1, 1200×1800 JPEG).
    for fmt in ("jpeg", "png", "gif"):
        for box in boxes:
            mode = "dataurl" if fmt == "png" else "blob"
            add(f"P1 {fmt} {query(**box)}", 1, {**box, "type": fmt},
                {"status": 200, "ctype": mime[fmt], **sized(fit(SOURCES[1], **box))}, mode=mode)
    # Never enlarged (128×128 PNG), passthrough and conversion.
    add("P2 png w=200 (no enlarge)", 2, {"w": 200, "type": "png"},
        {"status": 200, "ctype": "image/png", **sized(fit(SOURCES[2], w=200))})
    add("P2 jpeg w=200 (no enlarge)", 2, {"w": 200, "type": "jpeg"},
        {"status": 200, "ctype": "image/jpeg", **sized(fit(SOURCES[2], w=200))})
    add("P2 w=64 (stored png)", 2, {"w": 64},
        {"status": 200, "ctype": "image/png", **sized(fit(SOURCES[2], w=64))})
    # EXIF orientation 6: stored 1800×1200, shown 1200×1800.
    add("P3 rotated w=100", 3, {"w": 100},
        {"status": 200, "ctype": "image/jpeg", **sized(fit(SOURCES[3], w=100))})
    add("P3 rotated png w=100", 3, {"w": 100, "type": "png"},
        {"status": 200, "ctype": "image/png", **sized(fit(SOURCES[3], w=100))})
    add("P3 rotated gif h=150", 3, {"h": 150, "type": "gif"},
        {"status": 200, "ctype": "image/gif", **sized(fit(SOURCES[3], h=150))})
    add("P3 as stored (EXIF 6)", 3, {},
        {"status": 200, "ctype": "image/jpeg", **sized(SOURCES[3])})
    # The animated GIF: stays animated as GIF, first frame otherwise.
    add("P4 gif as stored", 4, {},
        {"status": 200, "ctype": "image/gif", "frames": 10, **sized(SOURCES[4])})
    add("P4 gif w=200 animated", 4, {"w": 200},
        {"status": 200, "ctype": "image/gif", "frames": 10, **sized(fit(SOURCES[4], w=200))})
    add("P4 png w=100 (1st frame)", 4, {"w": 100, "type": "png"},
        {"status": 200, "ctype": "image/png", **sized(fit(SOURCES[4], w=100))})
    add("P4 jpeg h=96 (1st frame)", 4, {"h": 96, "type": "jpeg"},
        {"status": 200, "ctype": "image/jpeg", **sized(fit(SOURCES[4], h=96))})
    # Placeholders for person 5 (no photo).
    for kind in ("ClearPixel", "SrNoPhoto", "SrNoPhotoWithBorder", "GenericFileIcon", "Default"):
        expect = {"status": 200, "ctype": "image/png", **sized(placeholder(kind, w=96))}
        if kind == "ClearPixel":
            expect["corner"] = "transparent"
        add(f"P5 {kind} w=96", 5, {"ifBlank": kind, "w": 96}, expect, corner=kind == "ClearPixel")
    add("P5 ClearPixel w=96&h=96", 5, {"ifBlank": "ClearPixel", "w": 96, "h": 96},
        {"status": 200, "ctype": "image/png", "corner": "transparent",
         **sized(placeholder("ClearPixel", 96, 96))}, corner=True)
    add("P5 SrNoPhoto 120x80 jpeg", 5, {"ifBlank": "SrNoPhoto", "w": 120, "h": 80, "type": "jpeg"},
        {"status": 200, "ctype": "image/jpeg", **sized(placeholder("SrNoPhoto", 120, 80))})
    add("P5 no ifBlank: 404", 5, {}, {"status": 404, "loaded": False})
    # WebP with alpha: converted, alpha kept in PNG/GIF, composited on white in JPEG.
    add("P6 webp->png", 6, {"type": "png"},
        {"status": 200, "ctype": "image/png", "corner": "transparent", **sized(SOURCES[6])}, corner=True)
    add("P6 webp->png w=100", 6, {"w": 100, "type": "png"},
        {"status": 200, "ctype": "image/png", "corner": "transparent",
         **sized(fit(SOURCES[6], w=100))}, corner=True)
    add("P6 webp->jpeg h=96 (white)", 6, {"h": 96, "type": "jpeg"},
        {"status": 200, "ctype": "image/jpeg", "corner": "white", **sized(fit(SOURCES[6], h=96))},
        corner=True)
    add("P6 webp->gif w=100", 6, {"w": 100, "type": "gif"},
        {"status": 200, "ctype": "image/gif", "corner": "transparent", "frames": 1,
         **sized(fit(SOURCES[6], w=100))}, corner=True)
    # Accept negotiation and the JSON/base64 form.
    add("P1 w=64 Accept: image/png", 1, {"w": 64},
        {"status": 200, "ctype": "image/png", "vary": "Accept", **sized(fit(SOURCES[1], w=64))},
        accept="image/png")
    add("P6 Accept: image/png", 6, {},
        {"status": 200, "ctype": "image/png", "vary": "Accept", "corner": "transparent",
         **sized(SOURCES[6])}, accept="image/png", corner=True)
    add("P2 Accept: json -> data:", 2, {},
        {"status": 200, "ctype": "application/json; charset=utf-8", **sized(SOURCES[2])},
        accept="application/json", mode="json")
    # Session cookie + XSRF double-submit from script (fetch's default Accept: */*).
    add("P1 w=64 cookie+XSRF", 1, {"w": 64},
        {"status": 200, "ctype": "image/jpeg", **sized(fit(SOURCES[1], w=64))}, auth="session")
    add("P3 w=100 cookie+XSRF", 3, {"w": 100},
        {"status": 200, "ctype": "image/jpeg", **sized(fit(SOURCES[3], w=100))}, auth="session")
    add("cookie, no XSRF: 401", 1, {"w": 64}, {"status": 401, "loaded": False}, auth="session-no-xsrf")
    add("cookie, wrong XSRF: 401", 1, {"w": 64}, {"status": 401, "loaded": False},
        auth="session-wrong-xsrf")
    # Plain <img src>: Chromium's own image Accept header and the cookies.
    add("<img> P6 (img Accept)", 6, {"plainimg": "xsrf"},
        {"loaded": True, "ctype": "image/webp", **sized(SOURCES[6])}, auth="session", mode="plain")
    add("<img> P1 w=120 (img Accept)", 1, {"w": 120, "plainimg": "xsrf"},
        {"loaded": True, "ctype": "image/webp" if WEBP else "image/jpeg",
         **sized(fit(SOURCES[1], w=120))},
        auth="session", mode="plain")
    add("<img> P1 w=120, no XSRF", 1, {"w": 120, "plainimg": "bare"},
        {"loaded": False, "status": 401}, auth="session-no-xsrf", mode="plain")
    if not WEBP:
        # Without the feature WebP is no output format: type=webp is refused like any unknown type.
        add("P1 type=webp: 400", 1, {"w": 64, "type": "webp"}, {"status": 400, "loaded": False})
    else:
        # WebP output (feature `webp`): negotiated for Chromium's <img>, asked for with type=webp.
        add("<img> P2 w=64 (img Accept)", 2, {"w": 64, "plainimg": "xsrf"},
            {"loaded": True, "ctype": "image/webp", **sized(fit(SOURCES[2], w=64))},
            auth="session", mode="plain")
        add("<img> P4 gif stays gif", 4, {"plainimg": "xsrf"},
            {"loaded": True, "ctype": "image/gif", **sized(SOURCES[4])}, auth="session", mode="plain")
        add("P1 w=64 Accept: webp,*/*", 1, {"w": 64},
            {"status": 200, "ctype": "image/webp", "vary": "Accept", **sized(fit(SOURCES[1], w=64))},
            accept="image/webp,*/*")
        add("P1 webp w=100", 1, {"w": 100, "type": "webp"},
            {"status": 200, "ctype": "image/webp", **sized(fit(SOURCES[1], w=100))})
        add("P3 rotated webp h=120", 3, {"h": 120, "type": "webp"},
            {"status": 200, "ctype": "image/webp", **sized(fit(SOURCES[3], h=120))}, mode="dataurl")
        add("P6 webp w=100 (alpha)", 6, {"w": 100, "type": "webp"},
            {"status": 200, "ctype": "image/webp", "corner": "transparent",
             **sized(fit(SOURCES[6], w=100))}, corner=True)
        add("P4 webp w=200 animated", 4, {"w": 200, "type": "webp"},
            {"status": 200, "ctype": "image/webp", "minFrames": 2, **sized(fit(SOURCES[4], w=200))})
        add("P5 SrNoPhoto w=96 webp", 5, {"ifBlank": "SrNoPhoto", "w": 96},
            {"status": 200, "ctype": "image/webp", "vary": "Accept",
             **sized(placeholder("SrNoPhoto", w=96))}, accept="image/webp,*/*")
    # Last, since it gives person 5 a photo: the page fetches person 2's portrait, uploads it as
    # multipart form data (cookie + XSRF), then shows person 5 at w=64.
    add("upload to P5, then w=64", 5, {"w": 64},
        {"status": 200, "ctype": "image/png", "uploaded": 200, **sized(fit(SOURCES[2], w=64))},
        auth="session", mode="upload")
    out[-1].update({"upload_from": "2/Image", "upload_to": "5/Image"})
    # The avatar row: a focal box stored for person 1 (its lower third, which the upper-centre
    # default would cut away), then round 64×64 fit=cover avatars of the test people from one
    # batch call, their ThumbHash placeholders painted first. The page finds where the avatar
    # sits in the whole photo at the same scale and checks the stored box lies inside it.
    add("avatars: focal box kept", 1, {"w": 64, "h": 64, "fit": "cover", "type": "png"},
        {"status": 200, "ctype": "image/png", "w": 64, "h": 64}, auth="bearer", mode="avatars")
    out[-1].update({"focal": {"Left": 300, "Top": 1400, "Width": 300, "Height": 300},
                    "row": [1, 2, 3, 4, 6]})
    return out


class Pipe:
    """A DevTools protocol connection over Chromium's --remote-debugging-pipe."""

    def __init__(self, to_browser, from_browser):
        self.out = os.fdopen(to_browser, "wb", buffering=0)
        self.inp = os.fdopen(from_browser, "rb", buffering=0)
        self.next_id = 0
        self.lock = threading.Lock()
        self.cond = threading.Condition()
        self.replies = {}
        self.handlers = []
        self.closed = False
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        buf = b""
        while True:
            chunk = self.inp.read(1 << 16)
            if not chunk:
                break
            buf += chunk
            while b"\0" in buf:
                raw, buf = buf.split(b"\0", 1)
                msg = json.loads(raw)
                if "id" in msg:
                    with self.cond:
                        self.replies[msg["id"]] = msg
                        self.cond.notify_all()
                else:
                    for handler in self.handlers:
                        try:
                            handler(msg)
                        except Exception as error:  # keep reading; report it
                            print(f"event handler failed: {error!r}", file=sys.stderr)
        with self.cond:
            self.closed = True
            self.cond.notify_all()

    def send(self, method, params=None, session=None):
        with self.lock:
            self.next_id += 1
            msg = {"id": self.next_id, "method": method, "params": params or {}}
            if session:
                msg["sessionId"] = session
            self.out.write(json.dumps(msg).encode() + b"\0")
            return self.next_id

    def call(self, method, params=None, session=None, timeout=30):
        ident = self.send(method, params, session)
        deadline = time.monotonic() + timeout
        with self.cond:
            while ident not in self.replies:
                left = deadline - time.monotonic()
                if left <= 0 or self.closed:
                    raise RuntimeError(f"{method}: no answer within {timeout}s (browser closed: {self.closed})")
                self.cond.wait(left)
            reply = self.replies.pop(ident)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply.get("result", {})


def launch(chromium, profile):
    # Our ends: write to_child_w, read from_child_r. The child reads fd 3 and writes fd 4.
    to_child_r, to_child_w = os.pipe()
    from_child_r, from_child_w = os.pipe()

    flags = [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--no-default-browser-check",
        "--disable-dev-shm-usage", "--hide-scrollbars", "--mute-audio", "--remote-debugging-pipe",
        f"--user-data-dir={profile}", "about:blank",
    ]
    # bash puts the pipe ends on fds 3 and 4, where --remote-debugging-pipe expects them, then execs.
    # Moved to fds >= 10 first so that they never are 3 or 4 themselves.
    a, b = (fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in (to_child_r, from_child_w))
    os.close(to_child_r)
    os.close(from_child_w)
    script = f'exec "$0" "$@" 3<&{a} 4>&{b} {a}<&- {b}>&-'
    proc = subprocess.Popen(
        ["bash", "-c", script, chromium, *flags], pass_fds=(a, b),
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=open(os.path.join(profile, "stderr.log"), "wb"), start_new_session=True,
    )
    os.close(a)
    os.close(b)
    return proc, Pipe(to_child_w, from_child_r)


def check(case, got, network, xsrf):
    """Our own verdict on what the page measured (the page shows its own, for the screenshot)."""
    e, problems = case["expect"], []
    if got.get("error"):
        return [got["error"]]
    status, ctype = got.get("status"), got.get("ctype")
    if case["mode"] == "plain":
        status, ctype = network.get("status"), network.get("mime")
    if "status" in e and status != e["status"]:
        problems.append(f"status {status} != {e['status']}")
    if "ctype" in e and ctype != e["ctype"]:
        problems.append(f"type {ctype} != {e['ctype']}")
    if "vary" in e and e["vary"].lower() not in (got.get("vary") or "").lower():
        problems.append(f"vary {got.get('vary')!r}")
    if "loaded" in e and got.get("loaded") != e["loaded"]:
        problems.append(f"loaded {got.get('loaded')} != {e['loaded']}")
    if "w" in e and (got.get("w"), got.get("h")) != (e["w"], e["h"]):
        have = f"{got['w']}x{got['h']}" if got.get("w") is not None else "no image"
        problems.append(f"{have} != {e['w']}x{e['h']}")
    if "frames" in e and got.get("frames") != e["frames"]:
        problems.append(f"frames {got.get('frames')} != {e['frames']}")
    if "minFrames" in e and (got.get("frames") or 0) < e["minFrames"]:
        problems.append(f"frames {got.get('frames')} < {e['minFrames']}")
    corner = got.get("corner")
    if e.get("corner") == "transparent" and not (corner and corner[3] == 0):
        problems.append(f"corner {corner} not transparent")
    if e.get("corner") == "white" and not (corner and min(corner[:3]) >= 245 and corner[3] == 255):
        problems.append(f"corner {corner} not white")
    if case["mode"] == "plain":
        accept = network.get("accept") or ""
        if not accept.startswith("image/"):
            problems.append(f"request Accept {accept!r} is not Chromium's image Accept")
        if "session=demo-session" not in (network.get("cookie") or ""):
            problems.append("the session cookie was not sent")
        if case["auth"] == "session" and network.get("xsrf") != xsrf:
            problems.append("the X-XSRF-TOKEN header was not sent")
    return problems


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: check.py BASE_URL SCREENSHOT_PATH [CHROMIUM]")
    base, shot = sys.argv[1].rstrip("/"), sys.argv[2]
    chromium = sys.argv[3] if len(sys.argv) > 3 else "chromium"
    all_cases = cases()
    xsrf = secrets.token_hex(8)
    with open(os.path.join(HERE, "page.html"), encoding="utf-8") as f:
        page = f.read().replace("__CONFIG__", json.dumps({"xsrf": xsrf, "cases": all_cases}).replace("</", "<\\/"))
    page_url = base + "/__browser_test__/page.html"

    profile = tempfile.mkdtemp(prefix="person-image-chromium-")
    proc, cdp = launch(chromium, profile)
    network = {}  # requestId -> facts about plain <img> requests
    challenges = []  # URLs whose 401 made Chromium ask for credentials
    try:
        target = cdp.call("Target.createTarget", {"url": "about:blank"}, timeout=30)["targetId"]
        session = cdp.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]

        def on_event(msg):
            method, params = msg.get("method"), msg.get("params", {})
            if msg.get("sessionId") != session:
                return
            if method == "Fetch.requestPaused":
                url = params["request"]["url"]
                if url.split("?")[0] == page_url:
                    cdp.send("Fetch.fulfillRequest", {
                        "requestId": params["requestId"], "responseCode": 200,
                        "responseHeaders": [{"name": "Content-Type", "value": "text/html; charset=utf-8"},
                                            {"name": "Cache-Control", "value": "no-store"}],
                        "body": base64.b64encode(page.encode()).decode()}, session)
                elif "plainimg=xsrf" in url:  # a plain <img> that should carry the XSRF header
                    headers = [{"name": k, "value": v} for k, v in params["request"]["headers"].items()]
                    headers.append({"name": "X-XSRF-TOKEN", "value": xsrf})
                    cdp.send("Fetch.continueRequest", {"requestId": params["requestId"], "headers": headers}, session)
                else:
                    cdp.send("Fetch.continueRequest", {"requestId": params["requestId"]}, session)
            elif method == "Fetch.authRequired":
                # A 401 with "WWW-Authenticate: Basic" makes Chromium ask for a password, which headless
                # would wait on forever; cancel as a user would, so the page sees the 401.
                challenges.append(params["request"]["url"])
                cdp.send("Fetch.continueWithAuth", {"requestId": params["requestId"],
                                                    "authChallengeResponse": {"response": "CancelAuth"}}, session)
            elif method == "Network.requestWillBeSentExtraInfo":
                headers = {k.lower(): v for k, v in params.get("headers", {}).items()}
                network.setdefault(params["requestId"], {}).update(
                    accept=headers.get("accept"), cookie=headers.get("cookie"), xsrf=headers.get("x-xsrf-token"))
            elif method == "Network.requestWillBeSent":
                network.setdefault(params["requestId"], {})["url"] = params["request"]["url"]
            elif method == "Network.responseReceived":
                r = params["response"]
                network.setdefault(params["requestId"], {}).update(status=r["status"], mime=r["mimeType"])

        cdp.handlers.append(on_event)
        for method in ("Page.enable", "Runtime.enable", "Network.enable"):
            cdp.call(method, {}, session)
        cdp.call("Network.setCacheDisabled", {"cacheDisabled": True}, session)
        cdp.call("Fetch.enable", {"handleAuthRequests": True, "patterns": [
            {"urlPattern": page_url, "requestStage": "Request"},
            {"urlPattern": base + "/api/v1/Person/*", "requestStage": "Request"},
        ]}, session)
        cdp.call("Emulation.setDeviceMetricsOverride",
                 {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False}, session)
        nav = cdp.call("Page.navigate", {"url": page_url}, session, timeout=30)
        if nav.get("errorText"):
            raise RuntimeError(f"navigation failed: {nav['errorText']}")

        deadline = time.monotonic() + 30
        while True:
            ready = cdp.call("Runtime.evaluate", {"expression": "typeof window.__results", "returnByValue": True},
                             session)["result"].get("value")
            if ready == "object":
                break
            if time.monotonic() > deadline:
                raise RuntimeError("the test page did not start within 30s")
            time.sleep(0.2)
        results = cdp.call("Runtime.evaluate", {"expression": "window.__results", "awaitPromise": True,
                                                "returnByValue": True}, session, timeout=120)
        got_list = results["result"]["value"]

        # Screenshot of the whole page.
        metrics = cdp.call("Page.getLayoutMetrics", {}, session)
        size = metrics.get("cssContentSize") or metrics["contentSize"]
        height = int(size["height"]) + 1
        cdp.call("Emulation.setDeviceMetricsOverride",
                 {"width": 1280, "height": height, "deviceScaleFactor": 1, "mobile": False}, session)
        time.sleep(0.3)
        png = cdp.call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}, session,
                       timeout=60)["data"]
        os.makedirs(os.path.dirname(os.path.abspath(shot)), exist_ok=True)
        with open(shot, "wb") as f:
            f.write(base64.b64decode(png))
        try:
            cdp.call("Browser.close", {}, timeout=10)
        except RuntimeError:
            pass
    finally:
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        try:  # Chromium and its helpers share the process group we started it in
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=10)
        shutil.rmtree(profile, ignore_errors=True)

    # Facts about the plain <img> requests, by the case's path.
    by_path = {}
    for facts in network.values():
        url = facts.get("url", "")
        if "/api/v1/Person/" in url and "plainimg=" in url:
            by_path[url.split("/api/v1/Person/", 1)[1]] = facts

    got_by_id = {g.get("id"): g for g in got_list}
    if "page" in got_by_id:
        print(f"page failed: {got_by_id['page']}", file=sys.stderr)
        return 1
    rows, failures = [], 0
    for case in all_cases:
        got = got_by_id.get(case["id"], {"error": "no result"})
        net = by_path.get(case["path"], {})
        problems = check(case, got, net, xsrf)
        failures += bool(problems)
        e = case["expect"]
        status = net.get("status") if case["mode"] == "plain" else got.get("status")
        ctype = net.get("mime") if case["mode"] == "plain" else got.get("ctype")
        want = f"{e['w']}x{e['h']}" if "w" in e else "no image"
        have = f"{got['w']}x{got['h']}" if got.get("w") is not None else "no image"
        rows.append((str(case["id"]), case["label"], case["auth"] + "/" + case["mode"], str(status),
                     (ctype or "-").replace("; charset=utf-8", ""), want, have,
                     "ok" if not problems else "FAIL: " + "; ".join(problems)))
    header = ("#", "case", "auth/mode", "st", "content-type", "expected", "natural", "result")
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(len(header))]
    for row in [header, tuple("-" * w for w in widths)] + rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
    img_accept = next((f.get("accept") for f in by_path.values() if f.get("accept")), None)
    print(f"\nChromium's <img> Accept header: {img_accept}")
    print(f"401 answers that made Chromium ask for a password (cancelled): {len(challenges)}")
    print(f"{len(all_cases) - failures}/{len(all_cases)} cases pass; screenshot: {shot}")
    return 1 if failures else 0


if __name__ == "__main__":
    # On SIGTERM (the runner's timeout) unwind through the finally that stops Chromium.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(124))
    sys.exit(main())
