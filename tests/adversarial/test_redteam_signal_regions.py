"""Red team, issue 22 item 3: signals cross regions. As a RegionA (Sanggau) analyst against a
signal whose other report comes from a RegionB (Kapuas Hulu) village: the page must not name
the RegionB village, nor show what matched as RegionB wrote it, and confirming, dismissing,
reassigning or reopening it must be refused — acting on a shared signal needs a staff member
allowed in both regions, or an admin. Real office over uvicorn, real phones' envelopes."""
from __future__ import annotations

import re

from tests.warning.conftest import login
from tests.warning.test_signals_page import office, signal_ids  # noqa: F401 — the module's office fixture


def test_region_a_analyst_sees_only_region_a_part(office):  # noqa: F811
    html = login(office, "intel_sgu").get(office.url + "/dashboard/signals").text
    [sid] = signal_ids(html)
    section = html[html.index(f'id="sig-{sid}"'):]
    assert "Entikong" in section and "Badau" not in section          # RegionB's village is never named
    assert office.reports["b"] not in section
    assert "+6281234567890" not in section                             # what matched: only for staff of all regions
    assert "+1 laporan lain di luar wilayah Anda" in section


def test_region_a_analyst_cannot_act_on_region_b_part(office):  # noqa: F811
    s = login(office, "intel_sgu")
    [sid] = signal_ids(s.get(office.url + "/dashboard/signals").text)
    url = f"{office.url}/dashboard/signals/{sid}"
    for form in ({"action": "confirm"}, {"action": "dismiss", "reason": "bukan urusan"},
                 {"action": "assign", "assignee": "3"}, {"action": "reopen"}):
        r = s.post(url, data={"csrf": s.csrf, **form}, allow_redirects=False)
        assert r.status_code == 403, form
    admin = login(office, "admin")
    page = admin.get(office.url + "/dashboard/signals").text
    assert re.search(rf'id="sig-{sid}">[^<]*<span class="badge status-new">', page)   # nothing changed
    assert "Badau" in page and "+6281234567890" in page                # the admin sees the whole signal


def test_huge_ids_are_refused_not_crashed(office):  # noqa: F811
    s = login(office, "admin")
    for sid in ("9" * 20, "12345678901234567890123"):
        r = s.post(f"{office.url}/dashboard/signals/{sid}", data={"csrf": s.csrf, "action": "confirm"},
                   allow_redirects=False)
        assert r.status_code == 400
    [sid] = signal_ids(s.get(office.url + "/dashboard/signals").text)
    r = s.post(f"{office.url}/dashboard/signals/{sid}", data={"csrf": s.csrf, "action": "assign", "assignee": "9" * 25},
               allow_redirects=False)
    assert r.status_code == 400
