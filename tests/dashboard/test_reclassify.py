"""Reclassifying a report as rahasia (issue 23 item 5), against a real office (uvicorn, SQLite).

A staff member who sees a report may mark it rahasia from its page; only an admin may take
the mark off; the office's command line does both. Each change is on the report's timeline
and in the audit log, and the report then leaves what excludes rahasia reports (the partner
API without the grant here; the roll-up copies in tests/rollup/test_reclassify_chain.py)."""
from __future__ import annotations

import re

import requests


def _audit(dash, action: str) -> list[tuple]:
    with dash.db() as db:
        return db.execute("SELECT username, target, detail FROM dash_audit WHERE action=? ORDER BY id",
                          (action,)).fetchall()


def _rahasia(dash, eid: str) -> bool:
    with dash.db() as db:
        return bool(db.execute("SELECT rahasia FROM envelopes WHERE id=?", (eid,)).fetchone()[0])


def _token(dash, username: str) -> dict:
    admin = dash.login("admin")
    sid = re.search(rf'/dashboard/admin/staff/(\d+)/token"(?:(?!/token").)*?aria-label="Buat token API {username}"',
                    admin.get(dash.url + "/dashboard/admin/staff").text, re.S).group(1)
    page = admin.post(f"{dash.url}/dashboard/admin/staff/{sid}/token", data={"csrf": admin.csrf}).text
    return {"Authorization": f"Bearer {re.search(r'(jdp_[A-Za-z0-9_-]+)', page).group(1)}"}


def test_staff_marks_a_report_rahasia_and_only_an_admin_takes_it_off(dash):
    eid = dash.reports["calm"]
    api = _token(dash, "intel_sgu")              # a partner token without the rahasia grant
    listed = lambda: {i["envelope_id"] for i in requests.get(   # noqa: E731
        f"{dash.url}/api/v1/partner/reports", headers=api).json()["items"]}
    assert eid in listed()
    intel = dash.login("intel_sgu")
    page = intel.get(f"{dash.url}/dashboard/reports/{eid}").text
    assert "Tandai rahasia" in page and 'for="rahasia-note"' in page
    r = intel.post(f"{dash.url}/dashboard/reports/{eid}/rahasia", allow_redirects=False,
                   data={"csrf": intel.csrf, "rahasia": "1", "note": "Menyebut informan polisi"})
    assert r.status_code == 303 and r.headers["location"].endswith(f"/reports/{eid}?done=rahasia")
    assert _rahasia(dash, eid)
    page = intel.get(f"{dash.url}/dashboard/reports/{eid}?done=rahasia").text
    assert "Klasifikasi disimpan" in page and "RAHASIA" in page
    assert "Biasa → <strong>Rahasia</strong> — intel_sgu" in page and "Menyebut informan polisi" in page
    assert "Cabut tanda rahasia" not in page                        # not offered to intel ...
    assert eid not in listed()                                     # the partner API no longer gives it
    assert [(u, t) for u, t, d in _audit(dash, "reclassify")] == [("intel_sgu", eid)]
    r = intel.post(f"{dash.url}/dashboard/reports/{eid}/rahasia", data={"csrf": intel.csrf, "rahasia": "0"})
    assert r.status_code == 403 and _rahasia(dash, eid)          # ... nor allowed by a forged POST
    assert any(t == eid and '"role"' in (d or "") for _, t, d in _audit(dash, "forbidden"))
    r = intel.post(f"{dash.url}/dashboard/reports/{eid}/rahasia", data={"rahasia": "1"})
    assert r.status_code == 403                                    # CSRF holds on this POST too
    admin = dash.login("admin")
    assert "Cabut tanda rahasia (admin)" in admin.get(f"{dash.url}/dashboard/reports/{eid}").text
    r = admin.post(f"{dash.url}/dashboard/reports/{eid}/rahasia", allow_redirects=False,
                   data={"csrf": admin.csrf, "rahasia": "0"})
    assert r.status_code == 303 and not _rahasia(dash, eid) and eid in listed()
    assert [d for u, t, d in _audit(dash, "reclassify")] == ['{"rahasia": true}', '{"rahasia": false}']


def test_reclassify_from_the_command_line_is_audited(dash):
    eid = dash.reports["pmi"]
    out = dash.server.admin(["reclassify", "--report", eid])
    assert _rahasia(dash, eid) and f"report {eid}: rahasia" in out
    assert "(already)" in dash.server.admin(["reclassify", "--report", eid])
    dash.server.admin(["reclassify", "--report", eid, "--not-rahasia"])
    assert not _rahasia(dash, eid)
    rows = [(u.startswith("cli:"), t, d) for u, t, d in _audit(dash, "reclassify") if t == eid]
    assert rows == [(True, eid, '{"rahasia": true, "via": "cli"}'), (True, eid, '{"rahasia": false, "via": "cli"}')]
    admin = dash.login("admin")
    assert admin.get(f"{dash.url}/dashboard/reports/{eid}").text.count("— cli") == 2
    try:
        dash.server.admin(["reclassify", "--report", "no-such-report"])
    except RuntimeError as exc:
        assert "error [not_found]" in str(exc)
    else:
        raise AssertionError("an unknown report was accepted")
