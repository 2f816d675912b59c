"""The installable offline app (jaga-desa build-app) in real Chromium, from a real office
over HTTPS: the phone keeps working with every network and server gone.

Built once per test session (tests/e2e/conftest.py: offline_build), served by the office
at /app/ with a self-signed certificate Chromium trusts by its key (jaga_desa/testing/tls.py).
One browser profile on disk plays the phone: it is closed and started again like a phone
whose browser was swiped away.

1. online: open /app/, create the user, enroll with a real one-time code, file a report;
2. the network is cut (`context.set_offline(True)`) and the office stopped; a draft is
   started; the page is reloaded, then the whole browser restarted, offline: the lock screen
   comes up, unlocks, the draft and the outbox are there, the settings screen says where the
   PIN pepper is kept (the browser: no hardware); the draft becomes the second report;
3. the office comes back: both reports arrive, their receipts verify on the phone (it marks
   a report received only then), and the outbox has nothing waiting any more.
"""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from jaga_desa.testing.browser import PhoneBrowser
from jaga_desa.testing.tls import TlsOffice, make_cert
from tests.e2e.helpers import (ARTIFACTS, PIN, button, enable_semantics, fill, first_user, frames, no_crash, option, reach,
                               shows, tap, textbox, until, value_of, wait_text)

pytestmark = pytest.mark.e2e

ADD_INVOLVED = "Tambah data: Orang atau kendaraan yang terlibat (calo / tekong / sponsor)"
WHAT = "Apa yang Anda lihat atau dengar? (wajib)"
DRAFT_TEXT = "Calo menawarkan kerja ke Malaysia tanpa paspor"
FIRST_LOAD_S = 180          # Pyodide + CanvasKit from the office, on a loaded 2-core machine
OFFLINE_LOAD_S = 90


def _snap(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"offline-{name}.png"))
    no_crash(page)


def _scroll_to(page, locator) -> None:
    """Swipe until the node is on the screen (Flutter scrolls its canvas, not the DOM)."""
    reach(locator)
    page.mouse.move(200, 430)
    for _ in range(30):
        box = locator.bounding_box()
        if box and 60 <= box["y"] and box["y"] + box["height"] <= 860:
            return
        page.mouse.wheel(0, 300)
        frames(page, 3)
    raise AssertionError("could not scroll the node onto the screen")


def _open(page, url: str, timeout: float) -> None:
    page.goto(url)
    enable_semantics(page, timeout)


def _file_short_report(page, what: str) -> None:
    """The shortest suspicion report (test_journey's), from the home screen to the outbox."""
    tap(button(page, "Laporan kecurigaan", exact=True))
    tap(option(page, "Dokumen palsu (KTP, paspor, surat)"))
    fill(page, WHAT, what)
    _finish_report(page)


def _finish_report(page) -> None:
    tap(button(page, "Lanjut"))
    tap(button(page, "Sekarang"))
    fill(page, "Di mana? (nama tempat, dusun, dermaga, jalan) (wajib)", "Warung")
    tap(button(page, "Lanjut"))
    tap(option(page, "Tidak tahu"))
    tap(button(page, "Lanjut"))
    button(page, ADD_INVOLVED).wait_for()
    tap(button(page, "Lanjut"))
    tap(option(page, "Biasa"))
    tap(option(page, "Tidak", exact=True))
    tap(button(page, "Lanjut"))
    tap(button(page, "Segel & kirim"))
    wait_text(page, "Laporan disegel dan masuk kotak keluar", timeout=30000)


def _unlock(page) -> None:
    button(page, "Masuk").wait_for(timeout=OFFLINE_LOAD_S * 1000)
    fill(page, "PIN", PIN)
    tap(button(page, "Masuk"))
    button(page, "Laporan kecurigaan", exact=True).wait_for(timeout=30000)


def _stored_envelopes(office) -> set[str]:
    engine = sa.create_engine(f"sqlite:///{office.data_dir / 'office.db'}")
    try:
        with engine.connect() as c:
            return {r[0] for r in c.execute(sa.text("SELECT id FROM envelopes"))}
    finally:
        engine.dispose()


def test_offline_app_files_keeps_and_later_sends(offline_build, tmp_path):
    from playwright.sync_api import sync_playwright
    cert, key, _ = make_cert(tmp_path / "tls", "office")
    office = TlsOffice(tmp_path / "office", cert, key, extra_args=["--app-dir", str(offline_build)]).start()
    app_url = office.url + "/app/"
    office.admin(["add-village", "--name", "Entikong"])
    code = office.admin_json(["enroll-code", "--village", "Entikong", "--role", "volunteer", "--name", "Siti",
                              "--office-url", office.url, "--tls-cert", str(cert)])
    with sync_playwright() as pw:
        phone = PhoneBrowser(pw, tmp_path / "profile", cert)
        try:
            # ── 1. online, at the office: install, create the user, enroll, file ─────────
            page = phone.launch()
            _open(page, app_url, FIRST_LOAD_S)
            first_user(page, "Siti", timeout=FIRST_LOAD_S)
            fill(page, "Isi kode QR (jagadesa://...)", code["enroll"])
            until(page, lambda: shows(page, code["code"]), "the QR text parsed into the fields")
            tap(button(page, "Daftarkan"))
            wait_text(page, "Terdaftar: Siti", timeout=60000)
            _snap(page, "01-enrolled")
            _file_short_report(page, "KTP palsu dibuat di warung dekat dermaga")
            # every file of the build is in the service worker's cache before the network goes
            until(page, lambda: phone.precached(page, offline_build), "the service worker to hold the whole build",
                  timeout=120)

            # ── 2. no network, no office ──────────────────────────────────────────────────
            phone.ctx.set_offline(True)
            office.stop()
            tap(button(page, "Laporan kecurigaan", exact=True))
            tap(option(page, "Ajakan kerja mencurigakan (termasuk lewat media sosial)"))
            fill(page, WHAT, DRAFT_TEXT)
            page.reload()                         # every change was autosaved: a draft now
            enable_semantics(page, OFFLINE_LOAD_S)
            button(page, "Masuk").wait_for(timeout=OFFLINE_LOAD_S * 1000)
            _snap(page, "02-reloaded-offline-lock")
            phone.close()

            page = phone.launch(offline=True)     # the browser was closed: a cold start, no network
            _open(page, app_url, OFFLINE_LOAD_S)
            button(page, "Masuk").wait_for(timeout=OFFLINE_LOAD_S * 1000)
            _snap(page, "03-restarted-offline-lock")
            _unlock(page)
            button(page, "Lanjutkan Laporan Kecurigaan").first.wait_for()   # the draft
            until(page, lambda: shows(page, "Menunggu sinyal") or shows(page, "Diterima kantor"),
                  "the first report in the outbox")            # synced before the cut, or waiting
            _snap(page, "04-offline-home-draft-outbox")
            tap(button(page, "Pengaturan"))          # honest about the pepper: no hardware key store here
            _scroll_to(page, page.get_by_text("penyimpanan peramban").first)
            _snap(page, "04b-settings-pepper-in-browser")
            tap(button(page, "Kembali"))
            tap(page.get_by_role("button", name="Lanjutkan Laporan Kecurigaan").first)
            assert value_of(page, WHAT) == DRAFT_TEXT, "the draft typed before the restart"
            _snap(page, "05-draft-reopened")
            _finish_report(page)
            _snap(page, "06-second-report-offline")

            # ── 3. the office is back ────────────────────────────────────────────────────
            office.start()
            phone.ctx.set_offline(False)
            tap(button(page, "Sinkron sekarang"))
            until(page, lambda: len(_stored_envelopes(office)) == 2, "both reports at the office", timeout=120)
            until(page, lambda: page.get_by_text("Diterima kantor").count() == 2 and not shows(page, "Menunggu sinyal"),
                  "both receipts verified on the phone and nothing waiting", timeout=60)
            _snap(page, "07-both-received")
        finally:
            phone.close()
            office.stop()
    assert "Traceback" not in office.log_text()
