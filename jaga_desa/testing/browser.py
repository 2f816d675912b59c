"""A phone's browser for the offline-app tests and benchmarks: Debian's Chromium with a
profile on disk (closed and started again like a phone whose browser was swiped away),
trusting the office's self-signed certificate by its key (jaga_desa/testing/tls.py).

`launch(killable=True)` starts Chromium as our own child process (Playwright attaches over
its DevTools port) so `kill()` can end it with SIGKILL by its pid: the phone's battery
pulled, no clean shutdown, nothing flushed on the way out."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from core.net import free_port
from jaga_desa.testing.servers import ServerProcess
from jaga_desa.testing.tls import chromium_trust

PHONE_VIEWPORT = {"width": 412, "height": 860}
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


class PhoneBrowser:
    def __init__(self, playwright, profile: Path, cert: Path) -> None:
        self.pw, self.profile, self.trust = playwright, Path(profile), chromium_trust(cert)
        self.ctx = None
        self.process: ServerProcess | None = None       # Chromium itself, when killable
        self.console: list[str] = []

    def launch(self, *, offline: bool = False, killable: bool = False, viewport: dict | None = None,
               netlog: Path | None = None):
        """Start the browser on the profile; returns its page. With `netlog`, Chromium records
        its network activity there (read it with `http_requests` once the browser is closed)."""
        viewport = viewport or PHONE_VIEWPORT
        extra = [f"--log-net-log={netlog}"] if netlog else []
        if killable:
            port = free_port()
            self.process = ServerProcess(
                [shutil.which("chromium"), "--headless", f"--remote-debugging-port={port}",
                 f"--user-data-dir={self.profile}", "--no-first-run", "--no-default-browser-check",
                 *FLAGS, self.trust, *extra, "about:blank"],
                port=port, health="/json/version", log=self.profile.parent / "chromium.log").start()
            self.ctx = self.pw.chromium.connect_over_cdp(f"http://127.0.0.1:{port}").contexts[0]
            if offline:
                self.ctx.set_offline(True)
        else:
            self.ctx = self.pw.chromium.launch_persistent_context(
                str(self.profile), executable_path=shutil.which("chromium"), viewport=viewport,
                offline=offline, args=[*FLAGS, self.trust, *extra])
        page = self.ctx.pages[0] if self.ctx.pages else self.ctx.new_page()
        if killable:
            page.set_viewport_size(viewport)
        page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"))
        return page

    def kill(self) -> None:
        """SIGKILL to the Chromium we started (its process group, by its pid): no clean close."""
        assert self.process is not None, "kill() needs launch(killable=True)"
        self.process.kill()
        self.process, self.ctx = None, None

    def precached(self, page, build: Path) -> bool:
        """True once the service worker holds the whole build (its cache is named for it)."""
        version = (Path(build) / ".jaga-desa-app").read_text().strip()
        return page.evaluate("v => navigator.serviceWorker.ready.then(() => caches.has('jaga-desa-app-' + v))",
                             version)

    def close(self) -> None:
        """A clean close, as a person closes the browser. The Chromium we started is asked over
        DevTools (Browser.close) and waited for: Playwright's close only disconnects from it, and
        a signal to its process group would end its network process before the net log is out."""
        if self.process is not None:
            from playwright.sync_api import Error
            try:
                self.ctx.browser.new_browser_cdp_session().send("Browser.close")
            except Error:                               # the connection may drop before the answer
                pass
            try:
                self.process.proc.wait(30)
            except subprocess.TimeoutExpired:
                pass
            self.process.stop()                         # a Chromium that would not close: SIGTERM, then SIGKILL
            self.process = None
        elif self.ctx is not None:
            self.ctx.close()
        self.ctx = None


def _events(netlog: Path, event: str) -> list[dict]:
    """The params of every `event` ("URL_REQUEST_START_JOB") in a net log Chromium wrote."""
    log = json.loads(Path(netlog).read_text())
    kind = log["constants"]["logEventTypes"][event]
    return [e.get("params", {}) for e in log["events"] if e["type"] == kind]


def http_requests(netlog: Path, host: str) -> list[str]:
    """The HTTP requests Chromium sent to `host` ("127.0.0.1:8443"), as their request lines,
    from a net log it wrote. A TLS handshake Chromium opens on speculation carries none."""
    return [p["line"].strip() for p in _events(netlog, "HTTP_TRANSACTION_SEND_REQUEST_HEADERS")
            if f"Host: {host}" in p.get("headers", [])]


def started_requests(netlog: Path, host: str) -> list[tuple[str, str]]:
    """(request type, URL) of every request Chromium's network stack began for `host`, sent or
    not: one the browser cancels before it leaves (e.g. when a service worker answered first)
    sends nothing, so whether it reaches the wire is a race — that it was begun is not."""
    return [(p["request_type"], p["url"]) for p in _events(netlog, "URL_REQUEST_START_JOB")
            if p.get("url", "").split("/")[2:3] == [host]]
