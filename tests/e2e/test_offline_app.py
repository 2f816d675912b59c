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

from jaga_desa.testing.browser import PhoneBrowser
from tests.e2e.helpers import button, enable_semantics, fill, option, shows, tap, until, value_of, wait_text
from tests.e2e.offline_steps import (DRAFT_TEXT, OFFLINE_LOAD_S, WHAT, enroll, file_short_report, finish_report, load,
                                     office_serving_app, scroll_to, snap, stored_envelopes, unlock)

pytestmark = pytest.mark.e2e


def test_offline_app_files_keeps_and_later_sends(offline_build, tmp_path):
    from playwright.sync_api import sync_playwright
    office, cert, code = office_serving_app(tmp_path, offline_build)
    app_url = office.url + "/app/"
    with sync_playwright() as pw:
        phone = PhoneBrowser(pw, tmp_path / "profile", cert)
        try:
            # ── 1. online, at the office: install, create the user, enroll, file ─────────
            page = phone.launch()
            asked, stopped = [], set()            # every request the page makes; those its policy stopped
            page.on("request", lambda r: asked.append(r.url))
            page.on("requestfailed", lambda r: "csp" in (r.failure or "").lower() and stopped.add(r.url))
            enroll(page, app_url, code)
            snap(page, "01-enrolled")
            file_short_report(page, "KTP palsu dibuat di warung dekat dermaga")
            # every file of the build is in the service worker's cache before the network goes
            until(page, lambda: phone.precached(page, offline_build), "the service worker to hold the whole build",
                  timeout=120)

            # ── 2. no network, no office ──────────────────────────────────────────────────
            phone.ctx.set_offline(True)
            office.stop()
            tap(button(page, "Laporan kecurigaan", exact=True))
            tap(option(page, "Ajakan kerja mencurigakan (termasuk lewat media sosial)"))
            fill(page, WHAT, DRAFT_TEXT)
            wait_text(page, "Draf tersimpan")     # the last keystroke is in IndexedDB (storage.then_flushed)
            page.reload()                         # every change was autosaved: a draft now
            enable_semantics(page, OFFLINE_LOAD_S)
            button(page, "Masuk").wait_for(timeout=OFFLINE_LOAD_S * 1000)
            snap(page, "02-reloaded-offline-lock")
            phone.close()

            page = phone.launch(offline=True)     # the browser was closed: a cold start, no network
            load(page, app_url, OFFLINE_LOAD_S)
            button(page, "Masuk").wait_for(timeout=OFFLINE_LOAD_S * 1000)
            snap(page, "03-restarted-offline-lock")
            unlock(page)
            button(page, "Lanjutkan Laporan Kecurigaan").first.wait_for()   # the draft
            until(page, lambda: shows(page, "Menunggu sinyal") or shows(page, "Diterima kantor"),
                  "the first report in the outbox")            # synced before the cut, or waiting
            snap(page, "04-offline-home-draft-outbox")
            tap(button(page, "Pengaturan"))          # honest about the pepper: no hardware key store here
            scroll_to(page, page.get_by_text("penyimpanan peramban").first)
            snap(page, "04b-settings-pepper-in-browser")
            tap(button(page, "Kembali"))
            tap(page.get_by_role("button", name="Lanjutkan Laporan Kecurigaan").first)
            assert value_of(page, WHAT) == DRAFT_TEXT, "the draft typed before the restart"
            snap(page, "05-draft-reopened")
            finish_report(page)
            snap(page, "06-second-report-offline")

            # ── 3. the office is back ────────────────────────────────────────────────────
            office.start()
            phone.ctx.set_offline(False)
            tap(button(page, "Sinkron sekarang"))
            until(page, lambda: len(stored_envelopes(office)) == 2, "both reports at the office", timeout=120)
            until(page, lambda: page.get_by_text("Diterima kantor").count() == 2 and not shows(page, "Menunggu sinyal"),
                  "both receipts verified on the phone and nothing waiting", timeout=60)
            snap(page, "07-both-received")
            # Flutter's engine adds a script from cdn.jsdelivr.net at launch (its rive plugin): the
            # page's policy stops it before it leaves, so the phone asks its office and nobody else.
            others = {u.split("/")[2] for u in asked
                      if u.startswith("http") and not u.startswith(office.url + "/") and u not in stopped}
            assert asked and not others, others
        finally:
            phone.close()
            office.stop()
    assert "Traceback" not in office.log_text()
