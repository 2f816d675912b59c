"""A phone's browser for the offline-app tests and benchmarks: Debian's Chromium with a
profile on disk (closed and started again like a phone whose browser was swiped away),
trusting the office's self-signed certificate by its key (jaga_desa/testing/tls.py)."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

from jaga_desa.testing.tls import chromium_trust

PHONE_VIEWPORT = {"width": 412, "height": 860}


class PhoneBrowser:
    def __init__(self, playwright, profile: Path, cert: Path) -> None:
        self.pw, self.profile, self.trust = playwright, Path(profile), chromium_trust(cert)
        self.ctx = None
        self.console: list[str] = []

    def launch(self, *, offline: bool = False, netlog: Path | None = None):
        """Start the browser on the profile; returns its page. With `netlog`, Chromium records
        its network activity there (read it with `http_requests` once the browser is closed)."""
        extra = [f"--log-net-log={netlog}"] if netlog else []
        self.ctx = self.pw.chromium.launch_persistent_context(
            str(self.profile), executable_path=shutil.which("chromium"), viewport=PHONE_VIEWPORT,
            offline=offline, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", self.trust,
                                   *extra])
        page = self.ctx.pages[0] if self.ctx.pages else self.ctx.new_page()
        page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"))
        return page

    def precached(self, page, build: Path) -> bool:
        """True once the service worker holds the whole build (its cache is named for it)."""
        version = (Path(build) / ".jaga-desa-app").read_text().strip()
        return page.evaluate("v => navigator.serviceWorker.ready.then(() => caches.has('jaga-desa-app-' + v))",
                             version)

    def close(self) -> None:
        if self.ctx is not None:
            self.ctx.close()
            self.ctx = None


def http_requests(netlog: Path, host: str) -> list[str]:
    """The HTTP requests Chromium sent to `host` ("127.0.0.1:8443"), as their request lines,
    from a net log it wrote. A TLS handshake Chromium opens on speculation carries none."""
    log = json.loads(Path(netlog).read_text())
    send = log["constants"]["logEventTypes"]["HTTP_TRANSACTION_SEND_REQUEST_HEADERS"]
    return [e["params"]["line"].strip() for e in log["events"]
            if e["type"] == send and f"Host: {host}" in e.get("params", {}).get("headers", [])]
