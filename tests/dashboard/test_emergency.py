"""DARURAT at the office: its own level, a banner on every page for the staff of that
region until someone acknowledges it, and the acknowledgement in the audit log."""
from __future__ import annotations

import re

from tests.dashboard.conftest import csrf_of, seal_report
from tests.support import enroll as enroll_person


def _push_darurat(dash, text: str) -> str:
    person, client = enroll_person(dash.server, "Entikong", "volunteer", "Ani Relawan")
    sealed = seal_report(person, "laporan_darurat", {"apa_terjadi": text, "urgensi": "darurat", "rahasia": "ya",
                                                     "lokasi": {"lat": 1.01, "lon": 110.5}})
    assert client.push([sealed.envelope])[0]["status"] == "accepted"
    return sealed.envelope_id


def test_darurat_banner_until_acknowledged(dash):
    eid = _push_darurat(dash, "Truk bawa 10 orang ke dermaga")
    sgu, kh = dash.login("intel_sgu"), dash.login("intel_kh")
    for path in ("/dashboard/", "/dashboard/overview", f"/dashboard/reports/{dash.reports['calm']}"):
        html = sgu.get(dash.url + path).text
        assert 'class="emergency"' in html and eid[:8] in html, path
    assert eid[:8] not in kh.get(dash.url + "/dashboard/").text      # another region: not theirs
    inbox = sgu.get(dash.url + "/dashboard/?urgency=darurat").text
    assert re.search(r'class="badge darurat">DARURAT<', inbox)
    # someone outside the region cannot acknowledge it
    r = kh.post(dash.url + f"/dashboard/reports/{eid}/ack", data={"csrf": kh.csrf}, allow_redirects=False)
    assert r.status_code == 403
    # without the form's token: refused, nothing recorded
    r = sgu.post(dash.url + f"/dashboard/reports/{eid}/ack", data={"csrf": "x"}, allow_redirects=False)
    assert r.status_code == 403
    assert 'class="emergency"' in sgu.get(dash.url + "/dashboard/overview").text
    r = sgu.post(dash.url + f"/dashboard/reports/{eid}/ack", data={"csrf": sgu.csrf}, allow_redirects=False)
    assert r.status_code == 303
    sgu.post(dash.url + f"/dashboard/reports/{eid}/ack", data={"csrf": sgu.csrf})   # twice: one entry
    for s in (sgu, dash.login("admin")):
        assert 'class="emergency"' not in s.get(dash.url + "/dashboard/").text
    with dash.db() as db:
        acks = db.execute("SELECT username, target FROM dash_audit WHERE action='ack_emergency'").fetchall()
    assert acks == [("intel_sgu", eid)]


def test_banner_times_carry_their_zone(dash):
    eid = _push_darurat(dash, "Orang dikurung di gudang")
    html = dash.login("admin").get(dash.url + "/dashboard/").text
    row = html[html.index(eid[:8]) - 400: html.index(eid[:8])]
    assert re.search(r"\d{2}-\d{2}-\d{4} \d{2}:\d{2} (WIB|WITA|WIT)", row), row


def test_banner_and_pages_at_phone_and_desktop_width(dash, browser):
    """The banner in a real browser at 360x640 and 1440x900; no page scrolls sideways at 360 px."""
    from tests.dashboard.test_e2e import login, shot
    eid = _push_darurat(dash, "Perahu berangkat malam ini")
    for w, h in ((360, 640), (1440, 900)):
        ctx = browser.new_context(viewport={"width": w, "height": h})
        page = ctx.new_page()
        try:
            login(page, dash.url, "admin")
            banner = page.get_by_role("alert")
            # what is happening, in her words (issue 24), linked to the report
            assert "DARURAT" in banner.inner_text() and "Perahu berangkat malam ini" in banner.inner_text()
            assert banner.locator(f'a[href$="/reports/{eid}"]').count() == 1
            shot(page, f"emergency-banner-{w}")
            for path in ("/dashboard/", "/dashboard/overview", f"/dashboard/reports/{eid}", "/dashboard/admin/devices"):
                page.goto(dash.url + path)
                wide = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
                assert wide <= 0, f"{path} scrolls sideways by {wide} px at {w} px"
            page.goto(dash.url + f"/dashboard/reports/{eid}")
            shot(page, f"emergency-detail-{w}")
        finally:
            ctx.close()
    s = dash.login("admin")
    s.post(dash.url + f"/dashboard/reports/{eid}/ack", data={"csrf": s.csrf})


def test_urgency_first_sort_pages_by_keyset(dash):
    """sort=urgency: DARURAT, then urgent, then the rest; paging (2 per page) keeps that order."""
    from office import db as office_db, keys as office_keys
    from office.dashboard import queries, urgency
    eid = _push_darurat(dash, "Anak-anak dibawa ke kapal")
    admin = dash.login("admin")
    html = admin.get(dash.url + "/dashboard/?sort=urgency").text
    rows = html.split("<tbody>")[1].split("</tr>")
    assert "badge darurat" in rows[0] and "badge darurat" not in rows[-2]      # first in the inbox
    assert 'value="urgency" selected' in html
    engine = office_db.make_engine(office_db.sqlite_url(dash.server.data_dir))
    keys = office_keys.load_or_create(dash.server.data_dir)
    staff = {"id": 1, "role": "admin", "region": None}
    with engine.begin() as conn:
        everything, _ = urgency.list_reports(conn, staff, queries.Filters(), 500, keys=keys)
        ranks = [r["rank"] for r in everything]
        assert ranks == sorted(ranks, reverse=True) and ranks[0] == 3 and ranks[-1] == 1
        paged, cursor = [], None
        while True:
            rows, cursor = urgency.list_reports(conn, staff, queries.Filters(), 2, keys=keys, cursor=cursor)
            paged += [r["envelope_id"] for r in rows]
            if cursor is None:
                break
    assert paged == [r["envelope_id"] for r in everything]
    assert admin.get(dash.url + "/dashboard/?sort=urgency&ucursor=%%%").status_code == 400
