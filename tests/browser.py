"""Headless Chromium driven over the DevTools protocol on a pipe (--remote-debugging-pipe: the browser
reads commands from fd 3 and writes replies and events to fd 4, each a JSON text ending in NUL).

`load(path)` opens a file, waits for it to load and for its plotly charts to draw, and returns what
a test checks: every console message and uncaught exception, every request the page made, a
screenshot, and values read from the DOM by JavaScript expressions.
"""

from __future__ import annotations

import base64
import json
import os
import selectors
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conftest import require

FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-default-apps",
    "--disable-extensions", "--mute-audio", "--window-size=1300,2000",
    # Anything the page would fetch goes to a closed port; the request is still seen below.
    "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
]


def chromium() -> str:
    """The browser. Missing, the test says how to install it: it skips, and in CI (env CI set) it fails."""
    found = next((path for name in ("chromium", "chromium-browser", "google-chrome") if (path := shutil.which(name))), None)
    require(found, "headless Chromium (`apt-get install -y chromium`; .ci/run installs it)")
    assert found is not None
    return found


@dataclass
class Page:
    console: list[dict[str, Any]] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    screenshot: bytes = b""
    values: dict[str, Any] = field(default_factory=dict)

    @property
    def errors(self) -> list[str]:
        found = [f"console.{c['type']}: {c['text']}" for c in self.console if c["type"] in ("error", "assert", "warning")]
        return found + [f"exception: {x}" for x in self.exceptions]


class _Pipe:
    def __init__(self, proc: subprocess.Popen[bytes], to_browser: int, from_browser: int) -> None:
        self.proc, self.out, self.inp = proc, to_browser, from_browser
        self.buffer = b""
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None,
             timeout: float = 30) -> dict[str, Any]:
        self.next_id += 1
        message: dict[str, Any] = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.out, json.dumps(message).encode() + b"\0")
        while True:
            reply = self.receive(timeout)
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise AssertionError(f"DevTools {method}: {reply['error']}")
                return dict(reply.get("result", {}))
            self.events.append(reply)

    def receive(self, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while b"\0" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0 or self.proc.poll() is not None:
                raise AssertionError(f"Chromium did not answer within {timeout}s (exit {self.proc.poll()})")
            with selectors.DefaultSelector() as sel:  # epoll: select() fails on descriptors past 1023
                sel.register(self.inp, selectors.EVENT_READ)
                ready = sel.select(left)
            if ready:
                chunk = os.read(self.inp, 1 << 20)
                if not chunk:
                    raise AssertionError("Chromium closed the DevTools pipe")
                self.buffer += chunk
        text, _, self.buffer = self.buffer.partition(b"\0")
        return dict(json.loads(text))

    def wait_event(self, method: str, timeout: float) -> None:
        if any(e.get("method") == method for e in self.events):
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            event = self.receive(deadline - time.monotonic())
            self.events.append(event)
            if event.get("method") == method:
                return
        raise AssertionError(f"no {method} within {timeout}s")


def load(path: Path, expressions: dict[str, str], ready: str = "true", timeout: float = 60) -> Page:
    """Open `path`, wait until the JavaScript `ready` is true, read `expressions` (name → JS returning
    JSON-able values), take a full-page screenshot."""
    browser = chromium()
    to_read, to_browser = os.pipe()
    from_browser, to_write = os.pipe()

    def fds() -> None:
        os.dup2(to_read, 3)
        os.dup2(to_write, 4)

    with tempfile.TemporaryDirectory(prefix="skillgit-chromium-", ignore_cleanup_errors=True) as profile:
        proc = subprocess.Popen([browser, *FLAGS, f"--user-data-dir={profile}", "about:blank"], preexec_fn=fds,
                                pass_fds=(3, 4), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_read)
        os.close(to_write)
        pipe = _Pipe(proc, to_browser, from_browser)
        try:
            target = pipe.send("Target.createTarget", {"url": "about:blank"})["targetId"]
            session = pipe.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
            for domain in ("Runtime", "Log", "Network", "Page"):
                pipe.send(f"{domain}.enable", session=session)
            pipe.send("Page.navigate", {"url": path.resolve().as_uri()}, session=session)
            pipe.wait_event("Page.loadEventFired", timeout)
            deadline = time.monotonic() + timeout
            while not _evaluate(pipe, session, ready):
                if time.monotonic() > deadline:
                    raise AssertionError(f"the page never got ready ({ready})")
                time.sleep(0.2)
            page = Page(values={name: _evaluate(pipe, session, js) for name, js in expressions.items()})
            shot = pipe.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}, session=session)
            page.screenshot = base64.b64decode(shot["data"])
            _collect(pipe.events, page)
            try:
                pipe.send("Browser.close", timeout=10)
            except AssertionError:
                pass
        finally:
            os.close(to_browser)
            os.close(from_browser)
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=30)
    return page


def _evaluate(pipe: _Pipe, session: str, expression: str) -> Any:
    result = pipe.send("Runtime.evaluate", {"expression": expression, "returnByValue": True}, session=session)
    if "exceptionDetails" in result:
        raise AssertionError(f"{expression}: {result['exceptionDetails']}")
    return result["result"].get("value")


def _collect(events: list[dict[str, Any]], page: Page) -> None:
    for event in events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.consoleAPICalled":
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", []))
            page.console.append({"type": params.get("type"), "text": text})
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            page.exceptions.append(str(details.get("exception", {}).get("description") or details.get("text")))
        elif method == "Log.entryAdded":
            entry = params.get("entry", {})
            page.console.append({"type": entry.get("level"), "text": f"{entry.get('source')}: {entry.get('text')}"})
        elif method == "Network.requestWillBeSent":
            page.requests.append(params.get("request", {}).get("url", ""))
