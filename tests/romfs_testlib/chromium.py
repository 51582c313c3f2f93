"""Headless Chromium driven over its DevTools protocol, with the standard
library only: the browser reads commands from fd 3 and writes answers
and events to fd 4 (--remote-debugging-pipe), each message JSON ended
by a NUL byte. Enough to open a page, wait for its script, evaluate
expressions in it, watch what it requests, and take screenshots.

The browser runs in a process group of its own, with a fresh profile
and every background service that would reach for the network off; its
JavaScript heap is bounded (js_heap_mib), so a page that needs more fails
instead of swapping the machine."""
import base64
import fcntl
import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time


def find():
    """The Chromium to run (ROMFS_CHROMIUM, else chromium or
    chromium-browser on PATH), or None."""
    named = os.environ.get("ROMFS_CHROMIUM")
    if named:
        return shutil.which(named) or (named if os.access(named, os.X_OK) else None)
    return shutil.which("chromium") or shutil.which("chromium-browser")


class BrowserError(AssertionError):
    pass


class Browser:
    """One headless browser with one page. Use as a context manager."""

    def __init__(self, exe, scratch, js_heap_mib=512, timeout=60):
        self.timeout = timeout
        self.events = []
        self._buf = b""
        self._next_id = 0
        self.profile = tempfile.mkdtemp(prefix="chromium-profile.", dir=scratch)
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()
        # Above 4, so that putting them on 3 and 4 cannot overwrite either.
        keep_r = fcntl.fcntl(to_browser_r, fcntl.F_DUPFD, 10)
        keep_w = fcntl.fcntl(from_browser_w, fcntl.F_DUPFD, 10)
        os.close(to_browser_r)
        os.close(from_browser_w)

        def on_3_and_4():
            os.dup2(keep_r, 3)
            os.dup2(keep_w, 4)

        args = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--no-default-browser-check", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-extensions",
                "--disable-default-apps", "--mute-audio", "--hide-scrollbars",
                "--disable-dev-shm-usage", f"--js-flags=--max-old-space-size={js_heap_mib}",
                f"--user-data-dir={self.profile}", "--remote-debugging-pipe", "about:blank"]
        self.log = open(os.path.join(scratch, "chromium.log"), "wb")
        self.proc = subprocess.Popen(args, preexec_fn=on_3_and_4, pass_fds=(3, 4),
                                     stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        os.close(keep_r)
        os.close(keep_w)
        try:
            targets = self.call("Target.getTargets", session=None)["targetInfos"]
            page = next(t for t in targets if t["type"] == "page")
            self.session = self.call("Target.attachToTarget",
                                     {"targetId": page["targetId"], "flatten": True},
                                     session=None)["sessionId"]
        except BaseException:
            self.close()
            raise

    # -- the protocol --

    def _send(self, msg):
        data = json.dumps(msg).encode() + b"\0"
        while data:
            data = data[os.write(self._to_browser, data):]

    def _receive(self, deadline):
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BrowserError(f"no answer from Chromium within {self.timeout} s")
            ready, _, _ = select.select([self._from_browser], [], [], left)
            if ready:
                chunk = os.read(self._from_browser, 1 << 20)
                if not chunk:
                    raise BrowserError(f"Chromium closed the pipe (exit {self.proc.poll()}); "
                                       f"see {self.log.name}")
                self._buf += chunk
        msg, self._buf = self._buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, params=None, session="page", timeout=None):
        """Sends a command (to the page's session unless session=None)
        and returns its result; events that arrive meanwhile are kept in
        self.events as (method, params)."""
        self._next_id += 1
        msg = {"id": self._next_id, "method": method, "params": params or {}}
        if session == "page":
            msg["sessionId"] = self.session
        elif session is not None:
            msg["sessionId"] = session
        self._send(msg)
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            answer = self._receive(deadline)
            if answer.get("id") == self._next_id:
                if "error" in answer:
                    raise BrowserError(f"{method}: {answer['error']}")
                return answer.get("result", {})
            if "method" in answer:
                self.events.append((answer["method"], answer.get("params", {})))

    def wait_event(self, method, timeout=None):
        """The parameters of the first event `method` (kept or to come)."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            for i, (name, params) in enumerate(self.events):
                if name == method:
                    del self.events[i]
                    return params
            answer = self._receive(deadline)
            if "method" in answer:
                self.events.append((answer["method"], answer.get("params", {})))

    # -- what the tests use --

    def open(self, path, width=1280, height=900, timeout=None):
        """Loads the file at `path` in a window of width x height CSS
        pixels and waits for its load event. Network events are kept, so
        that requests() can say what the page asked for."""
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
        self.call("Page.enable")
        self.call("Network.enable")
        self.call("Runtime.enable")
        self.call("Log.enable")
        url = "file://" + os.path.abspath(path)
        self.call("Page.navigate", {"url": url})
        self.wait_event("Page.loadEventFired", timeout)
        return url

    def evaluate(self, expression, timeout=None):
        """The value of a JavaScript expression in the page (by value:
        JSON-able results only); an exception in it fails."""
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                "awaitPromise": True}, timeout=timeout)
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression[:200]}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression, timeout=None, interval=0.05):
        """Evaluates `expression` until it is truthy; returns its value."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise BrowserError(f"still false after {timeout or self.timeout} s: {expression}")
            time.sleep(interval)

    def requests(self):
        """The URLs the page requested (Network.requestWillBeSent), in order."""
        return [p["request"]["url"] for name, p in self.events if name == "Network.requestWillBeSent"]

    def console_errors(self):
        """Messages the page logged as errors, and exceptions it threw."""
        out = []
        for name, p in self.events:
            if name == "Runtime.exceptionThrown":
                out.append(p["exceptionDetails"].get("text", "") + " " +
                           str(p["exceptionDetails"].get("exception", {}).get("description", "")))
            elif name == "Runtime.consoleAPICalled" and p.get("type") == "error":
                out.append(" ".join(str(a.get("value", a.get("description", ""))) for a in p["args"]))
            elif name == "Log.entryAdded" and p["entry"].get("level") == "error":
                out.append(p["entry"].get("text", ""))
        return out

    def screenshot(self, path, clip=None, full_page=False):
        """A PNG of the page (or of clip {x, y, width, height} in page
        coordinates) saved at `path`; returns its bytes."""
        params = {"format": "png", "captureBeyondViewport": bool(full_page or clip)}
        if clip is not None:
            params["clip"] = dict(clip, scale=1)
        data = base64.b64decode(self.call("Page.captureScreenshot", params)["data"])
        with open(path, "wb") as f:
            f.write(data)
        return data

    def metrics(self):
        """Performance.getMetrics as a dict (Nodes, JSHeapUsedSize, ...)."""
        self.call("Performance.enable")
        return {m["name"]: m["value"] for m in self.call("Performance.getMetrics")["metrics"]}

    def close(self):
        if self.proc.poll() is None:
            try:
                self._send({"id": 0, "method": "Browser.close", "params": {}})
                self.proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                pass
        if self.proc.poll() is None:
            # The browser's own group: its renderer and helpers, nothing else.
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()
        for fd in (self._to_browser, self._from_browser):
            try:
                os.close(fd)
            except OSError:
                pass
        self.log.close()
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
