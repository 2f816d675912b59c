"""Issue 24 item 12 in the field app: axe-core finds no violation on the lock screen and the
home screen at 360x640 (pinch-zoom allowed, so no `meta-viewport`), and a pick-one question
is a radio group a screen reader announces as such (not checkboxes wrapping buttons)."""
from __future__ import annotations

import pytest

from tests.a11y import summary, violations
from tests.e2e.helpers import PHONE, PIN, button, fill, no_crash, open_app, seed_device, snap, tap, until, wait_text

pytestmark = pytest.mark.e2e


def test_axe_on_lock_and_home_and_radios_for_pick_one(browser, start_app, tmp_path):
    data = tmp_path / "phone"
    seed_device(data, users=(("Siti", "volunteer"), ("Pak Budi", "head")))
    srv = start_app(data)
    ctx, page, _ = open_app(browser, srv.url, PHONE)
    try:
        page.get_by_role("radio", name="Siti", exact=True).wait_for()
        found = {"lock": violations(page)}
        tap(page.get_by_role("radio", name="Siti", exact=True))
        fill(page, "PIN", PIN)
        tap(button(page, "Masuk"))
        wait_text(page, "Kotak keluar")
        found["home"] = violations(page)
        tap(button(page, "Laporan kecurigaan", exact=True))
        page.get_by_role("radio", name="Dokumen palsu (KTP, paspor, surat)").wait_for()
        tap(page.get_by_role("radio", name="Dokumen palsu (KTP, paspor, surat)"))
        until(page, lambda: "checked" in page.get_by_role("radio", name="Dokumen palsu (KTP, paspor, surat)").aria_snapshot(), "the option chosen")
        assert page.get_by_role("checkbox", name="Dokumen palsu (KTP, paspor, surat)").count() == 0
        snap(page, "24-12-radios")
        no_crash(page)
    finally:
        ctx.close()
    assert not any(found.values()), "\n\n".join(f"{k}\n{summary(v)}" for k, v in found.items() if v)
