"""A phone's browser for the offline-app tests and benchmarks: Debian's Chromium with a
profile on disk (closed and started again like a phone whose browser was swiped away),
trusting the office's self-signed certificate by its key (jaga_desa/testing/tls.py)."""
from __future__ import annotations

import shutil
from pathlib import Path

from jaga_desa.testing.tls import chromium_trust

PHONE_VIEWPORT = {"width": 412, "height": 860}


class PhoneBrowser:
    def __init__(self, playwright, profile: Path, cert: Path) -> None:
        self.pw, self.profile, self.trust = playwright, Path(profile), chromium_trust(cert)
        self.ctx = None
        self.console: list[str] = []

    def launch(self, *, offline: bool = False):
        """Start the browser on the profile; returns its page."""
        self.ctx = self.pw.chromium.launch_persistent_context(
            str(self.profile), executable_path=shutil.which("chromium"), viewport=PHONE_VIEWPORT,
            offline=offline, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", self.trust])
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
