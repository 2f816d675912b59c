"""A report's conversation, both ways, in the real app and the real office: the office asks
for more information ("perlu info") from its report page, the phone shows it by itself
(background sync, no tap), the volunteer opens the conversation and replies, the reply
leaves with the background sync, and the office's report page shows it under the
office's question — in Chromium at 360×640 and on the dashboard."""
from __future__ import annotations

import pytest

from tests.dashboard.conftest import Dash
from tests.e2e.helpers import (option, ARTIFACTS, button, no_crash, reach, snap, staff_browser, tap, textbox, wait_stored,
                               wait_text)
from tests.e2e.test_live import STAFF_PASSWORD, office_rows, phone_with_a_darurat_sent

pytestmark = pytest.mark.e2e
QUESTION = "Perlu info: siapa nama kapalnya?"
ANSWER = "Kapal kayu biru, namanya Harapan Jaya"


def test_office_asks_phone_shows_it_live_volunteer_replies_office_reads_it(browser, start_app, office_server,
                                                                             tmp_path):
    data, ctx, page, j = phone_with_a_darurat_sent(browser, start_app, office_server, tmp_path)
    try:
        wait_text(page, "Diterima kantor", timeout=30000)

        # The office asks from the report page (audited as a feedback send).
        dash = Dash(office_server)
        s = dash.login("intel", STAFF_PASSWORD)
        eid = office_rows(office_server, "SELECT id FROM envelopes")[0][0]
        r = s.post(office_server.url + f"/dashboard/reports/{eid}/feedback",
                   data={"csrf": s.csrf, "message": QUESTION, "kind": "needs_info"})
        assert r.status_code == 200, r.text[:300]
        assert office_rows(office_server, "SELECT action, target FROM dash_audit WHERE action='feedback'") \
            == [("feedback", eid)]

        # The phone shows it by itself, and offers the conversation.
        taps = len(j.steps)
        wait_text(page, QUESTION, timeout=30000)
        wait_text(page, "Perlu info tambahan")
        assert len(j.steps) == taps
        reach(button(page, "Percakapan (1 pesan)"))
        button(page, "Percakapan (1 pesan)").scroll_into_view_if_needed()
        snap(page, "conversation-home-360")
        j.tap(button(page, "Percakapan (1 pesan)"))
        wait_text(page, "Percakapan laporan")
        wait_text(page, "Kantor Imigrasi")
        wait_text(page, QUESTION)
        assert page.get_by_text("WIB").or_(page.get_by_text("WITA")).or_(page.get_by_text("WIT")).count() >= 1
        snap(page, "conversation-asked-360")

        j.type("Balasan Anda untuk kantor", ANSWER)
        j.tap(button(page, "Balas"))
        wait_text(page, "Balasan disimpan terenkripsi")
        wait_text(page, ANSWER)
        # The background sync takes it (triggered by the reply); the screen updates itself.
        wait_text(page, "terkirim ke kantor", timeout=30000)
        reach(textbox(page, "Balasan Anda untuk kantor"))
        snap(page, "conversation-replied-360")
        no_crash(page)

        # The retention of sent-report summaries (and her replies) is a setting.
        tap(button(page, "Kembali"))
        tap(button(page, "Pengaturan"))
        wait_text(page, "Simpan ringkasan laporan terkirim")
        tap(option(page, "7 hari"))
        wait_stored(data, lambda dev: dev.setting("summary_days") == "7", "the retention setting saved")
        page.get_by_text("Simpan ringkasan laporan terkirim").scroll_into_view_if_needed()
        snap(page, "conversation-retention-setting-360")

        # The office's report page shows the whole thread, in order, opened with its key.
        html = s.get(office_server.url + f"/dashboard/reports/{eid}").text
        assert html.index(QUESTION) < html.index(ANSWER)
        assert "Percakapan dengan pelapor" in html
        assert "BALASAN PELAPOR" in s.get(office_server.url + "/dashboard/").text    # marked in the inbox
        assert office_rows(office_server, "SELECT COUNT(*) FROM replies") == [(1,)]
        assert ANSWER.encode() not in (office_server.data_dir / "office.db").read_bytes()

        dctx, d = staff_browser(browser, office_server.url, "intel", STAFF_PASSWORD)
        try:
            d.goto(office_server.url + f"/dashboard/reports/{eid}")
            conv = d.locator("#conversation")
            conv.get_by_text(ANSWER).wait_for(timeout=10000)
            conv.scroll_into_view_if_needed()
            d.screenshot(path=str(ARTIFACTS / "office-conversation-1280.png"), full_page=True)
        finally:
            dctx.close()
    finally:
        ctx.close()
