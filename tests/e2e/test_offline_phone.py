"""The offline app (jaga-desa build-app) as a phone lives with it, in real Chromium from a
real office over HTTPS (tests/e2e/offline_steps.py): one enrolled phone for the module,
its browser a Chromium process of our own so it can be killed by its pid.

- the shortest suspicion report from the lock screen, counted as in web mode
  (test_counts.py), with its counts in artifacts/interaction-counts.json;
- nothing acknowledged is lost when the browser is killed (SIGKILL, no clean close) right
  after the screen says so: a sealed report ("Laporan disegel"), a draft ("Draf tersimpan");
- a photo with EXIF GPS and canaries in its metadata, re-encoded by the browser's canvas
  (no Pillow in Pyodide), reaches the office without any of it. The camera is a fake: the
  file chooser hands the app a test JPEG (a phone's camera cannot exist here);
- the room left, from the browser's quota for the app, is shown in Indonesian in Settings;
- the browser restarted online and the app opened asks the office for none of the app's files.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from jaga_desa.testing.browser import PhoneBrowser, http_requests, started_requests
from jaga_desa.testing.tls import TlsOffice
from tests.adversarial.test_plaintext_scan import assert_no_metadata, canary, exif_photo, office_photo, scan
from tests.e2e.helpers import (PHONE, PIN, Journey, button, enable_semantics, fill, option, record_metric, shows, tap,
                               until, value_of, wait_text)
from tests.e2e.offline_steps import (ADD_INVOLVED, OFFLINE_LOAD_S, WHAT, enroll, office_serving_app, scroll_to, snap,
                                     unlock)
from tests.e2e.test_counts import ZONED_TIME

pytestmark = pytest.mark.e2e
WHERE = "Di mana? (nama tempat, dusun, dermaga, jalan) (wajib)"


class Phone:
    """The enrolled phone and the office, shared by the module's tests in their order."""

    def __init__(self, office: TlsOffice, browser: PhoneBrowser, page, url: str) -> None:
        self.office, self.browser, self.page, self.url = office, browser, page, url

    def restart(self, killed: bool, netlog: Path | None = None):
        """The browser killed (SIGKILL to its pid) or closed, started again (recording its network
        activity to `netlog`), the app opened: the lock screen."""
        if killed:
            self.browser.kill()
        else:
            self.browser.close()
        self.page = self.browser.launch(killable=True, netlog=netlog)
        self.page.goto(self.url)
        return self._locked()

    def reload(self):
        """The app reloaded in the same browser: the lock screen."""
        self.page.reload()
        return self._locked()

    def _locked(self):
        enable_semantics(self.page, OFFLINE_LOAD_S)
        button(self.page, "Masuk").wait_for(timeout=OFFLINE_LOAD_S * 1000)
        return self.page


@pytest.fixture(scope="module")
def phone(offline_build, tmp_path_factory):
    from playwright.sync_api import sync_playwright
    tmp = tmp_path_factory.mktemp("offline-phone")
    office, cert, code = office_serving_app(tmp, offline_build)
    with sync_playwright() as pw:
        browser = PhoneBrowser(pw, tmp / "profile", cert)
        try:
            page = browser.launch(killable=True)
            enroll(page, office.url + "/app/", code)
            until(page, lambda: browser.precached(page, offline_build), "the service worker to hold the whole build",
                  timeout=120)
            yield Phone(office, browser, page, office.url + "/app/")
        finally:
            browser.close()
            office.stop()
    assert "Traceback" not in office.log_text()


def _waiting(page) -> int:
    return page.get_by_text("Menunggu sinyal").count()


def test_counted_suspicion_report_then_killed(phone):
    """test_counts.test_shortest_suspicion on the offline app, at the same 360x640, from the
    lock screen; the moment the seal is acknowledged the browser is killed, and the report
    is in the outbox after the restart (the office is down: it can only come from storage)."""
    phone.office.stop()
    page = phone.restart(killed=False)
    page.set_viewport_size(PHONE)
    j = Journey(page)
    j.type("PIN", PIN)
    j.tap(button(page, "Masuk"))
    j.tap(button(page, "Laporan kecurigaan", exact=True))
    j.tap(option(page, "Dokumen palsu (KTP, paspor, surat)"))
    j.type(WHAT, "KTP palsu dibuat di warung")
    j.tap(button(page, "Lanjut"))
    j.type(WHERE, "Warung dekat dermaga")
    j.tap(button(page, "Periksa & kirim (sisanya tidak wajib)"))
    wait_text(page, "Periksa sebelum mengirim")
    page.get_by_text(ZONED_TIME).first.wait_for()
    j.tap(button(page, "Segel & kirim"))
    wait_text(page, "Laporan disegel dan masuk kotak keluar", timeout=60000)
    counts = j.counts()
    record_metric("offline_shortest_suspicion", counts)
    assert counts["interactions"] <= 12, counts

    page = phone.restart(killed=True)               # kill -9 the moment the screen said "sealed"
    snap(page, "10-after-kill-lock")
    unlock(page)
    until(page, lambda: _waiting(page) == 1, "the sealed report in the outbox after the kill")
    snap(page, "11-after-kill-outbox")


def test_draft_survives_a_kill(phone):
    """Typed, "Draf tersimpan" on screen (IndexedDB holds it), the browser killed at once."""
    page = phone.page
    tap(button(page, "Laporan kecurigaan", exact=True))
    tap(option(page, "Ajakan kerja mencurigakan (termasuk lewat media sosial)"))
    text = "Perekrut datang malam hari dengan mobil hitam"
    fill(page, WHAT, text)
    wait_text(page, "Draf tersimpan")
    snap(page, "12-draft-saved")
    page = phone.restart(killed=True)
    unlock(page)
    tap(button(page, "Lanjutkan Laporan Kecurigaan").first)
    until(page, lambda: value_of(page, WHAT) == text, "the draft as typed before the kill")
    tap(button(page, "Kembali"))


def test_photo_reaches_the_office_without_metadata(phone, tmp_path):
    """A JPEG with EXIF (Artist, Make, Model, a GPS position), a comment and XMP, each with a
    canary; the browser re-encodes it (canvas) before it is encrypted into the store. At the
    office, opened with the office's key: no EXIF, no GPS, no canary, at most 1600 px."""
    c = {k: canary(k) for k in ("ARTIST", "MAKE", "COMMENT", "XMP")}
    photo = exif_photo(tmp_path / "kamera.jpg", c["ARTIST"], c["MAKE"], c["COMMENT"], c["XMP"], size=(2400, 1800))
    page = phone.page
    if not phone.office.running():
        phone.office.start()
    button(page, "Laporan kecurigaan", exact=True).wait_for()
    tap(button(page, "Laporan kecurigaan", exact=True))
    tap(option(page, "Dokumen palsu (KTP, paspor, surat)"))
    fill(page, WHAT, "Foto KTP palsu di warung")
    tap(button(page, "Lanjut"))
    fill(page, WHERE, "Warung")
    tap(button(page, "Lanjut"))
    tap(option(page, "Tidak tahu"))
    tap(button(page, "Lanjut"))
    button(page, ADD_INVOLVED).wait_for()
    tap(button(page, "Lanjut"))
    with page.expect_file_chooser() as chooser:       # the fake camera: a file chooser with the test JPEG
        tap(button(page, "Tambah foto"))
    chooser.value.set_files(str(photo))
    wait_text(page, "Foto 1:", timeout=60000)
    wait_text(page, "data lokasi di foto dihapus")
    snap(page, "13-photo-attached")
    tap(button(page, "Lanjut"))
    wait_text(page, "1 foto")
    tap(button(page, "Segel & kirim"))
    wait_text(page, "Laporan disegel dan masuk kotak keluar", timeout=60000)
    tap(button(page, "Sinkron sekarang"))
    until(page, lambda: _waiting(page) == 0 and _photo_envelope(phone.office),
          "the photo report at the office, its receipt verified", timeout=180)
    [eid] = _photo_envelope(phone.office)
    payload, jpeg = office_photo(phone.office.data_dir, eid)
    assert payload["answers"]["apa_dilihat"] == "Foto KTP palsu di warung"
    img = assert_no_metadata(jpeg, list(c.values()))
    assert max(img.size) <= 1600 and img.size[0] / img.size[1] == pytest.approx(2400 / 1800, rel=0.01)
    assert scan([phone.office.data_dir], list(c.values())) == []
    snap(page, "14-photo-sent")


def _photo_envelope(office) -> list[str]:
    """The stored envelopes whose photo the office holds whole."""
    import sqlite3
    db = sqlite3.connect(office.data_dir / "office.db")
    try:
        return [r[0] for r in db.execute("SELECT DISTINCT envelope_id FROM attachments WHERE complete")]
    finally:
        db.close()


def test_room_left_shown_from_the_browser(phone):
    """Settings says in Indonesian how much room is left — the browser's quota for the app
    less what it uses (navigator.storage.estimate), not the disk's — and whether the browser
    promised to keep the data. Below 30 MB the home screen warns, with web mode's words and
    code (Device.space; the warning itself is shown in web mode by tests/e2e/test_full_phone.py:
    Chromium's DevTools quota override did not reach the page's estimate here)."""
    page = phone.page
    est = page.evaluate("navigator.storage.estimate().then(e => [e.usage, e.quota])")
    tap(button(page, "Pengaturan"))
    free = page.get_by_text(re.compile(r"^Sisa ruang untuk laporan: [0-9.]+(,[0-9])? [KMG]B\.$"))
    scroll_to(page, free.first)
    number, unit = re.search(r"([0-9.]+(?:,[0-9])?) ([KMG]B)", free.first.inner_text()).groups()
    shown = float(number.replace(".", "").replace(",", ".")) * {"KB": 1 / 1024, "MB": 1, "GB": 1024}[unit]
    assert shown == pytest.approx((est[1] - est[0]) / 1024 / 1024, abs=64), (shown, est)     # Indonesian: "10,0 GB"
    assert shows(page, "Peramban berjanji menyimpan") or shows(page, "Peramban belum berjanji")
    snap(page, "15-settings-space")
    tap(button(page, "Kembali"))
    assert not shows(page, "hampir penuh")


def test_restart_online_takes_the_app_from_the_phone(phone, tmp_path):
    """Installed, the office up and reachable: the browser closed, started again and the app
    opened — its service worker not yet running — asks the office for none of the app's files;
    the page and everything it loads come from the service worker's cache. Counted from
    Chromium's net log, not timed. Until sw.js opted out with a static route, Chromium's
    ServiceWorkerAutoPreload began a request for the start page at every such launch, in a race
    with the service worker: it reached the office (answered 304, thrown away) whenever the
    worker was slower, so the check is that no navigation request was begun at all. What may
    reach the office is the sync API (the enrolled phone syncs); one call made on purpose
    shows the log records it."""
    if not phone.office.running():
        phone.office.start()
    netlog = tmp_path / "restart.netlog.json"
    page = phone.restart(killed=False, netlog=netlog)
    assert page.evaluate("fetch('/api/v1/health').then(r => r.status)") == 200
    phone.restart(killed=False)                     # closing the browser writes the net log out
    host = phone.url.split("/")[2]
    begun, sent = started_requests(netlog, host), http_requests(netlog, host)
    assert "GET /api/v1/health HTTP/1.1" in sent, sent
    assert [r for r in sent if not r.split()[1].startswith("/api/v1/")] == [], sent
    assert [url for kind, url in begun if kind == "main frame"] == [], begun
