"""A voice note, end to end, in real Chromium with a fake microphone (the one stand-in: no
phone's microphone exists here). Chromium plays a speech-like WAV written by this test
(jaga_desa/testing/voice.py) as its microphone; the real app records 2 minutes through
flet-audio-recorder, encodes and keeps the note in the draft, seals it with the report, and
the app's own sync carries it to the real office through the cutting proxy
(jaga_desa/testing/proxy.py) — chunked, resumed after each cut. Then a staff member opens
the report page: the <audio> element plays the note from the authenticated route, the
bytes served decode (libopus) to the length recorded, and the play is in the audit log."""
from __future__ import annotations

import os
import random
import re

import pytest

from fieldapp import voice
from jaga_desa.testing.dashboard import sign_in
from jaga_desa.testing.proxy import FaultProxy
from jaga_desa.testing.voice import write_wav
from tests.conftest import chromium
from tests.e2e.helpers import (ARTIFACTS, PHONE, PIN, bring, button, fill, no_crash, open_app, option, seed_device, shows, snap,
                               staff_browser, tap, until, wait_text)
from tests.e2e.test_live import STAFF_PASSWORD, _enroll_device, office_rows

pytestmark = pytest.mark.e2e
NOTE_SECONDS = 120


@pytest.fixture
def browser(tmp_path_factory):
    """Chromium whose microphone is a WAV this test wrote, permission granted without a prompt.
    One per test, not per module: a CI run once hung the Darurat test's first scroll (Playwright
    waiting on a renderer at 100% CPU) right after the two-minute test had used the same
    browser's fake capture device; both passed alone and together in every rerun, so the
    cause stays open, and the second test no longer inherits the first one's browser."""
    wav = write_wav(tmp_path_factory.mktemp("mic") / "speech.wav", seconds=8)
    yield from chromium("--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                        f"--use-file-for-fake-audio-capture={wav}")


def _sync_until_received(page, deadline_s: float = 300) -> None:
    """Tap "Sinkron sekarang" until the report is received (each cut round ends in "gagal")."""
    def received() -> bool:
        if shows(page, "Diterima kantor"):
            return True
        if button(page, "Sinkron sekarang").count() and button(page, "Sinkron sekarang").first.is_enabled():
            tap(button(page, "Sinkron sekarang"))
        return False
    until(page, received, "the report with its voice note received through the cutting proxy", timeout=deadline_s)


def test_two_minute_note_recorded_sealed_synced_over_cuts_and_played_at_the_office(
        browser, start_app, office_server, tmp_path):
    village = office_server.admin_json(["add-village", "--name", "Sebatik", "--region", "Nunukan"])
    vid = str(village.get("id") or village.get("village_id"))
    os.environ["JAGA_PASSWORD"] = STAFF_PASSWORD
    office_server.admin(["add-staff", "--username", "intel", "--role", "admin"])
    proxy = FaultProxy(office_server.port)              # clean while enrolling
    data = tmp_path / "phone"
    seed_device(data, enroll=False)
    _enroll_device(data, office_server, vid, office_url=proxy.url)
    srv = start_app(data)
    ctx, page, _ = open_app(browser, srv.url, PHONE, permissions=["microphone"])
    try:
        fill(page, "PIN", PIN)
        tap(button(page, "Masuk"))
        tap(button(page, "Laporan kecurigaan", exact=True))
        tap(option(page, "Dokumen palsu (KTP, paspor, surat)"))
        assert button(page, "Rekam suara").count() == 1
        snap(page, "voice-01-before-360")
        tap(button(page, "Rekam suara"))
        wait_text(page, "Merekam…", timeout=20000)
        assert button(page, "Berhenti").count() == 1 and button(page, "Rekam suara").count() == 0
        snap(page, "voice-02-recording-360")
        # the clock past 2:00 (any second of it: a loaded machine may draw 2:01 before a poll sees 2:00)
        page.get_by_text(re.compile(r"Merekam… [2-9]:\d\d")).first.wait_for(timeout=(NOTE_SECONDS + 60) * 1000)
        assert shows(page, "dari 3:00")                  # the limit is on screen while she talks
        tap(button(page, "Berhenti"))
        kept = page.get_by_text(re.compile(r"Rekaman suara: \d+:\d\d"))
        until(page, lambda: kept.count() or shows(page, "Rekaman tidak bisa disimpan"),
              "the note processed (or refused)", timeout=120)
        bring(kept.first)                                # the kept note, not the top of step 1
        snap(page, "voice-03-recorded-360")
        assert not shows(page, "Rekaman tidak bisa disimpan")
        minutes, seconds = re.search(r"Rekaman suara: (\d+):(\d\d)", kept.first.inner_text()).groups()
        shown = int(minutes) * 60 + int(seconds)
        # the length she spoke, not 2.76x it (a loaded machine's fake microphone may deliver a few
        # seconds less audio than the clock ran; the office must then decode what the form showed)
        assert NOTE_SECONDS - 5 <= shown <= NOTE_SECONDS + 8, shown
        wait_text(page, "Rekaman disimpan terkunci di ponsel")
        for label in ("Putar", "Hapus rekaman"):
            assert button(page, label).count() == 1, label
        # the typed answer is not asked once she has answered by voice
        assert page.get_by_role("textbox", name="Apa yang Anda lihat atau dengar? (wajib)").count() == 0
        tap(button(page, "Putar"))                       # plays the stored note back (no crash, no error)
        no_crash(page)
        assert not shows(page, "Rekaman tidak bisa disimpan")
        assert not list((data / "uploads").iterdir())    # the raw PCM never outlives the handler

        # the draft keeps the recording: leave the form and come back to it
        tap(button(page, "Kembali"))
        draft = page.get_by_role("button", name="Lanjutkan Laporan Kecurigaan (TPPO/TPPM)")
        draft.wait_for(timeout=15000)
        tap(draft)
        wait_text(page, f"Rekaman suara: {minutes}:{seconds}", timeout=20000)

        tap(button(page, "Lanjut"))
        tap(button(page, "Sekarang"))
        fill(page, "Di mana? (nama tempat, dusun, dermaga, jalan) (wajib)", "Rumah calo di dusun 2")
        tap(button(page, "Lanjut"))
        tap(option(page, "Tidak tahu"))
        tap(button(page, "Lanjut"))
        wait_text(page, "Langkah 4 dari 5")
        tap(button(page, "Lanjut"))
        wait_text(page, "Langkah 5 dari 5")
        tap(option(page, "Biasa"))
        tap(option(page, "Tidak", exact=True))
        tap(button(page, "Lanjut"))
        wait_text(page, "1 rekaman suara")               # the confirm screen names it
        snap(page, "voice-04-confirm-360")
        tap(button(page, "Segel & kirim"))
        wait_text(page, "Menunggu sinyal")

        # a flaky link: connections refused, requests and responses cut mid-way
        # (seeded so the link's first connection after this is refused: the test needs at least
        # one fault, and an unseeded draw gave none in 1 of the CI runs)
        proxy.rng = random.Random(1)
        assert random.Random(1).random() < 0.15
        proxy.refuse_rate, proxy.cut_after = 0.15, 120_000
        _sync_until_received(page)
        snap(page, "voice-05-received-360")
    finally:
        ctx.close()
        proxy.close()
    assert proxy.cuts + proxy.stats["refused"] >= 1, proxy.stats     # the link really was cut

    [(eid,)] = office_rows(office_server, "SELECT id FROM envelopes")
    [(att_id, complete)] = office_rows(office_server, "SELECT att_id, complete FROM attachments")
    assert complete
    staff = sign_in(office_server.url, "intel", STAFF_PASSWORD)
    page_html = staff.get(f"{office_server.url}/dashboard/reports/{eid}").text
    route = f"/dashboard/reports/{eid}/voice/{att_id}"
    assert f'<audio id="voice-1" controls preload="metadata" src="{route}">' in page_html
    r = staff.get(office_server.url + route)
    assert r.status_code == 200 and r.headers["content-type"] == "audio/ogg"
    assert r.headers["cache-control"] == "no-store"
    samples, granule = voice.decode(r.content)       # every page's CRC, every packet decoded
    assert abs(granule / 48000 - shown) <= 1.5, (granule / 48000, shown)   # what she was shown, decoded
    assert samples >= granule
    assert len(r.content) <= 120_000 * granule / 48000 / 60 * 1.05, len(r.content)   # ~120 kB a minute
    assert office_rows(office_server, "SELECT COUNT(*) FROM dash_audit WHERE action='play_voice'") == [(1,)]
    # another browser tab, signed out: the note is not served
    assert staff.__class__().get(office_server.url + route, allow_redirects=False).status_code in (302, 303, 401)

    # ...and the staff member's browser plays it: Chromium decodes the served Ogg Opus
    dctx, d = staff_browser(browser, office_server.url, "intel", STAFF_PASSWORD)
    try:
        d.goto(office_server.url + f"/dashboard/reports/{eid}")
        audio = d.locator("audio#voice-1")
        audio.wait_for()
        duration = audio.evaluate("""a => new Promise((ok, fail) => {
            if (a.readyState >= 1 && isFinite(a.duration)) return ok(a.duration);
            a.addEventListener('loadedmetadata', () => ok(a.duration)); a.addEventListener('error', () => fail(a.error && a.error.code));
            a.load(); })""")
        assert NOTE_SECONDS - 2 <= duration <= NOTE_SECONDS + 10, duration
        audio.scroll_into_view_if_needed()
        d.screenshot(path=str(ARTIFACTS / "voice-06-office-report-1280.png"), full_page=True)
    finally:
        dctx.close()


def test_darurat_takes_a_voice_note_beside_its_sentence(browser, start_app, tmp_path):
    """The Darurat screen: the sentence stays (the office's banner reads it), a short note goes
    with it, sealed in the same envelope; no office here (the phone's outbox is read)."""
    from fieldapp.device import Device
    data = tmp_path / "phone"
    seed_device(data)
    srv = start_app(data)
    ctx, page, _ = open_app(browser, srv.url, PHONE, permissions=["microphone"])
    try:
        fill(page, "PIN", PIN)
        tap(button(page, "Masuk"))
        tap(button(page, "Darurat — Ada orang dalam bahaya sekarang"))
        fill(page, "Apa yang sedang terjadi?", "Kapal menjemput orang di muara")
        tap(button(page, "Rekam suara"))
        page.get_by_text(re.compile(r"Merekam… 0:0[5-9]")).first.wait_for(timeout=30000)
        tap(button(page, "Berhenti"))
        until(page, lambda: page.get_by_text(re.compile(r"Rekaman suara: 0:(0[4-9]|1\d)")).count(),
              "the Darurat note kept", timeout=60)
        snap(page, "voice-07-darurat-360")
        tap(button(page, "Kirim sekarang"))
        tap(button(page, "Ke beranda"))
    finally:
        ctx.close()
    srv.stop()
    dev = Device(data)
    try:
        [item] = dev.pending()
        [blob] = item.blobs.values()
        assert b"OggS" not in blob and len(blob) > 4000       # sealed, and a note's worth of bytes
        assert dev.db.conn.execute("SELECT COUNT(*) FROM reports").fetchone()[0] == 1   # no stray draft
    finally:
        dev.close()
