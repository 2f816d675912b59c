"""Issue 24 item 12: axe-core finds no violation on any dashboard page, at 1440 px and at
360 px, in real Chromium against the seeded office (a DARURAT banner showing, signals and
alerts pages, the report page, every admin page and the sign-in page)."""
from __future__ import annotations

import pytest

from tests.a11y import summary, violations
from tests.dashboard.test_e2e import login, shot
from tests.dashboard.test_emergency import _push_darurat

pytestmark = pytest.mark.e2e


def _pages(dash, eid: str) -> list[str]:
    return ["/dashboard/", "/dashboard/?urgency=darurat", "/dashboard/overview", f"/dashboard/reports/{eid}",
            f"/dashboard/reports/{dash.reports['urgent']}", "/dashboard/signals", "/dashboard/alerts",
            "/dashboard/admin/villages", "/dashboard/admin/enroll", "/dashboard/admin/devices",
            "/dashboard/admin/staff", "/dashboard/admin/audit", "/dashboard/admin/handover",
            "/dashboard/admin/quarantine"]


def test_axe_finds_nothing_on_any_dashboard_page(dash, browser):
    eid = _push_darurat(dash, "Perahu penuh orang berangkat malam ini")
    found: dict[str, str] = {}
    for w, h in ((1440, 900), (360, 640)):
        ctx = browser.new_context(viewport={"width": w, "height": h}, bypass_csp=True)
        page = ctx.new_page()
        try:
            page.goto(dash.url + "/dashboard/login")
            bad = violations(page)
            if bad:
                found[f"login@{w}"] = summary(bad)
            login(page, dash.url, "admin")
            for path in _pages(dash, eid):
                page.goto(dash.url + path)
                bad = violations(page)
                if bad:
                    found[f"{path}@{w}"] = summary(bad)
            shot(page, f"axe-last-{w}")
        finally:
            ctx.close()
    assert not found, "\n\n".join(f"{k}\n{v}" for k, v in found.items())
