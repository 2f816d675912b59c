"""Dashboard pages against a real office: login, inbox filters, detail, triage, feedback,
exports, lockout, CSRF, audit. Data is seeded once per module (conftest.py)."""
from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import struct
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
import requests
from openpyxl import load_workbook
from sqlalchemy import create_engine

from tests.dashboard.conftest import PASSWORD, csrf_of

ROOT = Path(__file__).resolve().parents[2]


def ids_on(html: str, dash) -> set[str]:
    return {k for k, eid in dash.reports.items() if f"/dashboard/reports/{eid}\"" in html}


def audit_rows(dash, action: str) -> list[tuple]:
    with dash.db() as db:
        return db.execute("SELECT username, target, detail FROM dash_audit WHERE action=? ORDER BY id",
                          (action,)).fetchall()


def test_login_then_inbox_is_region_scoped(dash):
    s = dash.login("intel_sgu")
    html = s.get(dash.url + "/dashboard/").text
    assert ids_on(html, dash) == {"urgent", "pmi", "calm", "broken"}
    assert "MENDESAK" in html and "ANAK" in html            # urgent and children stand out
    assert ids_on(dash.login("admin").get(dash.url + "/dashboard/").text, dash) == set(dash.reports)
    assert ids_on(dash.login("intel_kh").get(dash.url + "/dashboard/").text, dash) == {"other_region"}
    assert ids_on(dash.login("intel_none").get(dash.url + "/dashboard/").text, dash) == set()
    assert any(u == "intel_sgu" for u, _, _ in audit_rows(dash, "login"))


@pytest.mark.parametrize("query, expected", [
    ("urgency=mendesak", {"urgent", "pmi"}),
    ("urgency=biasa", {"calm"}),
    ("children=1", {"urgent", "pmi"}),
    ("form=keberangkatan_pmi", {"pmi"}),
    ("category=rekrutmen", {"urgent"}),
    ("category=pmi_nonprosedural", {"pmi"}),
    ("has_photo=1", {"urgent"}),
    ("verdict=verified", {"urgent"}),
    ("verdict=none", {"pmi", "calm", "broken"}),
    ("q=kelapa", {"calm"}),
    ("q=KELAPA+balai", {"calm"}),
    ("q=Facebook", {"urgent"}),                   # a choice label, not only typed text
    ("q=muara", set()),                           # exists, but outside this staff's region
    ("q=tidakadasamasekali", set()),
    (f"date_from={date.today() - timedelta(days=1)}&date_to={date.today() + timedelta(days=1)}",
     {"urgent", "pmi", "calm", "broken"}),
    (f"date_to={date.today() - timedelta(days=3)}", set()),
])
def test_inbox_filters(dash, query, expected):
    s = dash.login("intel_sgu")
    r = s.get(f"{dash.url}/dashboard/?{query}")
    assert r.status_code == 200
    assert ids_on(r.text, dash) == expected


@pytest.mark.parametrize("query, words", [
    ("urgency=zzz", "urgency"), ("village=abc", "village"), ("date_from=2025-13-01", "date_from"),
    ("has_photo=maybe", "has_photo"), ("cursor=%%%garbage", "cursor"), ("triage=open", "triage"),
    ("date_from=2025-02-01&date_to=2025-01-01", "date_from"), ("q=%21%21", "q"),
])
def test_malformed_filters_get_a_clear_message(dash, query, words):
    s = dash.login("intel_sgu")
    r = s.get(f"{dash.url}/dashboard/?{query}")
    assert r.status_code == 400
    assert "Saringan tidak valid" in r.text and words in r.text
    api = s.get(f"{dash.url}/api/v1/partner/reports?{query}")
    assert api.status_code == 422 and api.json()["code"] == "bad_request"


def test_list_reports_is_callable_directly_and_pages_by_keyset(dash):
    from office.dashboard import queries
    engine = create_engine(f"sqlite:///{dash.server.data_dir / 'office.db'}")
    dash.login("admin").get(dash.url + "/dashboard/")             # make sure everything is indexed
    admin = {"id": 1, "role": "admin", "region": None}
    seen, f = [], queries.Filters()
    with engine.connect() as conn:
        while True:
            rows, nxt = queries.list_reports(conn, admin, f, limit=2)
            seen += [r["envelope_id"] for r in rows]
            if not nxt:
                break
            f.cursor = queries.decode_cursor(nxt)
        assert sorted(seen) == sorted(dash.reports.values()) and len(seen) == len(set(seen))
        sgu = {"id": 2, "role": "intel", "region": "Sanggau"}
        rows, _ = queries.list_reports(conn, sgu, queries.parse_filters({"urgency": "mendesak"}), 50)
        assert {r["envelope_id"] for r in rows} == {dash.reports["urgent"], dash.reports["pmi"]}
    engine.dispose()


def test_detail_shows_answers_timeline_photo_and_gps(dash):
    s = dash.login("intel_sgu")
    eid = dash.reports["urgent"]
    html = s.get(f"{dash.url}/dashboard/reports/{eid}").text
    assert "Jenis kejadian" in html and "Ajakan kerja mencurigakan" in html       # id labels
    assert "laporan_kecurigaan v1" in html and "Siti Relawan" in html
    assert "Dibenarkan kepala desa" in html and "benar, sudah saya cek" in html   # head verdict + note
    assert "4.13681, 117.66642" in html and "<svg" in html                        # GPS plot
    assert "Sah (diperiksa ulang" in html and "semua lampiran diterima" in html
    photo = s.get(f"{dash.url}/dashboard/reports/{eid}/photos/{dash.att_id}")
    assert photo.status_code == 200 and photo.content == dash.photo
    assert photo.headers["content-type"] == "image/png"
    assert s.get(f"{dash.url}/dashboard/reports/{eid}/photos/{'cd' * 16}").status_code == 404
    s.get(f"{dash.url}/dashboard/lang?to=en&next=/dashboard/reports/{eid}")
    en = s.get(f"{dash.url}/dashboard/reports/{eid}").text
    assert "What kind of case" in en and "Suspicious recruitment" in en and "Verified by village head" in en
    assert any(t == eid for _, t, _ in audit_rows(dash, "view_report"))


def test_phone_and_office_time_both_shown_when_they_differ(dash):
    s = dash.login("intel_sgu")
    html = s.get(f"{dash.url}/dashboard/reports/{dash.reports['calm']}").text
    assert "Jam HP berbeda dari jam kantor" in html and "Waktu di HP" in html
    html = s.get(f"{dash.url}/dashboard/reports/{dash.reports['pmi']}").text
    assert "Jam HP berbeda" not in html


def test_undecryptable_report_is_shown_as_such(dash):
    s = dash.login("intel_sgu")
    r = s.get(f"{dash.url}/dashboard/reports/{dash.reports['broken']}")
    assert r.status_code == 200 and "tidak dapat dibuka" in r.text
    api = s.get(f"{dash.url}/api/v1/partner/reports/{dash.reports['broken']}").json()
    assert api["decrypted"] is False and api["answers"] == {}


def test_unknown_report_is_404_page(dash):
    r = dash.login("admin").get(f"{dash.url}/dashboard/reports/nope")
    assert r.status_code == 404 and "Tidak ditemukan" in r.text


def test_triage_changes_state_and_is_recorded(dash):
    s = dash.login("intel_sgu")
    eid = dash.reports["pmi"]
    page = s.get(f"{dash.url}/dashboard/reports/{eid}").text
    staff_ids = dict((name, sid) for sid, name in
                     __import__("re").findall(r'<option value="(\d+)" >([a-z_]+) \(', page))
    r = s.post(f"{dash.url}/dashboard/reports/{eid}/triage", allow_redirects=False,
               data={"csrf": s.csrf, "state": "in_progress", "note": "Koordinasi dengan Polres",
                     "assignee": staff_ids["intel_sgu"]})
    assert r.status_code == 303 and r.headers["location"].endswith(f"/reports/{eid}?done=triage")
    assert "Status disimpan" in s.get(f"{dash.url}/dashboard/reports/{eid}?done=triage").text
    html = s.get(f"{dash.url}/dashboard/reports/{eid}").text
    assert "Status disimpan" not in html          # the notice shows once, after the save only
    assert "Ditindaklanjuti" in html and "Koordinasi dengan Polres" in html
    assert ids_on(s.get(f"{dash.url}/dashboard/?triage=in_progress").text, dash) == {"pmi"}
    bad = s.post(f"{dash.url}/dashboard/reports/{eid}/triage", data={"csrf": s.csrf, "state": "dibuang"})
    assert bad.status_code == 400
    assert any(t == eid for _, t, _ in audit_rows(dash, "triage"))
    with dash.db() as db:    # the note is sealed at rest, and the mirror column follows
        note = db.execute("SELECT note FROM dash_events WHERE envelope_id=? AND kind='triage'", (eid,)).fetchone()[0]
        assert b"Polres" not in note
        assert db.execute("SELECT triage FROM envelopes WHERE id=?", (eid,)).fetchone()[0] == "in_progress"


def test_csrf_is_required_on_posts(dash):
    s = dash.login("intel_sgu")
    eid = dash.reports["calm"]
    for data in ({"state": "closed"}, {"state": "closed", "csrf": "forged"}):
        r = s.post(f"{dash.url}/dashboard/reports/{eid}/triage", data=data)
        assert r.status_code == 403 and "Formulir kedaluwarsa" in r.text
    assert "Baru" in s.get(f"{dash.url}/dashboard/reports/{eid}").text
    assert any('"csrf"' in (d or "") for _, _, d in audit_rows(dash, "forbidden"))
    fresh = requests.Session()   # a login post without the login form's cookie
    r = fresh.post(f"{dash.url}/dashboard/login", data={"csrf": "x", "username": "admin", "password": PASSWORD})
    assert r.status_code == 403


def test_throttled_after_repeated_failures(dash):
    s = requests.Session()
    page = s.get(dash.url + "/dashboard/login").text
    for _ in range(5):
        r = s.post(dash.url + "/dashboard/login", data={"csrf": csrf_of(page), "username": "intel_kh",
                                                         "password": "salah-sekali"})
        assert r.status_code == 401 and "salah" in r.text
    r = s.post(dash.url + "/dashboard/login", allow_redirects=False,
               data={"csrf": csrf_of(page), "username": "intel_kh", "password": PASSWORD})
    assert r.status_code == 429 and "Terlalu banyak" in r.text and int(r.headers["Retry-After"]) >= 1
    assert len([1 for u, _, _ in audit_rows(dash, "login_failed") if u == "intel_kh"]) >= 5
    assert any(u == "intel_kh" for u, _, _ in audit_rows(dash, "login_throttled"))
    with dash.db() as db:    # let the rest of the module log in as intel_kh again
        db.execute("UPDATE dash_login_attempts SET at='2000-01-01T00:00:00.000Z' WHERE username='intel_kh'")


def _export(s, dash, fmt: str, query: str) -> bytes:
    r = s.get(f"{dash.url}/dashboard/export?format={fmt}&{query}")
    assert r.status_code == 200, r.text[:300]
    return r.content


@pytest.mark.parametrize("query, expected", [("urgency=mendesak", {"urgent", "pmi"}), ("q=zzzzzz", set())])
def test_exports_hold_the_filtered_rows(dash, query, expected):
    s = dash.login("intel_sgu")
    want = {dash.reports[k] for k in expected}
    table = list(csv.reader(io.StringIO(_export(s, dash, "csv", query).decode("utf-8-sig"))))
    rows = [dict(zip(table[1], r)) for r in table[2:]]     # row 1: Indonesian headers, row 2: codes
    assert table[0][0] == "ID laporan" and {r["envelope_id"] for r in rows} == want
    for r in rows:
        assert json.loads(r["answers_json"])          # answers opened for the partner
    wb = load_workbook(io.BytesIO(_export(s, dash, "xlsx", query)))
    sheet = list(wb["laporan"].iter_rows(values_only=True))
    assert sheet[0][0] == "ID laporan" and {r[0] for r in sheet[1:]} == want
    geo = json.loads(_export(s, dash, "geojson", query))
    assert geo["type"] == "FeatureCollection" and {f["id"] for f in geo["features"]} <= want
    assert len(geo["features"]) + geo["jaga_left_out_without_location"] == len(want)   # only located ones
    points = [f for f in geo["features"] if f["geometry"]]
    if "urgent" in expected:
        assert points[0]["geometry"]["coordinates"] == [117.66642, 4.13681]
    assert audit_rows(dash, "export")[-1][1] == "geojson"
    assert s.get(f"{dash.url}/dashboard/export?format=pdf").status_code == 400


def test_overview_draws_charts_and_map(dash):
    html = dash.login("admin").get(dash.url + "/dashboard/overview").text
    assert html.count('class="chart"') == 4 and 'class="map"' in html
    assert "Entikong" in html and "Badau" in html and "Jalur tidak resmi" in html
    assert html.count("<circle") >= 2
    assert "Belum ada laporan yang masuk hitungan ini." not in html


def test_an_overview_chart_with_nothing_to_count_says_so(dash):
    """A search nothing matches leaves every chart empty: each card says so in words instead of
    showing a blank box that looks broken (seen at 360 px when no report had a route)."""
    html = dash.login("admin").get(dash.url + "/dashboard/overview", params={"q": "zzkatayangtidakada"}).text
    assert html.count('class="chart"') == 0
    assert html.count("Belum ada laporan yang masuk hitungan ini.") == 4


def test_partner_api_with_token(dash):
    admin = dash.login("admin")
    staff_page = admin.get(dash.url + "/dashboard/admin/staff").text
    import re
    sid = re.search(r'/dashboard/admin/staff/(\d+)/token"(?:(?!/token").)*?aria-label="Buat token API intel_sgu"',
                    staff_page, re.S).group(1)
    page = admin.post(f"{dash.url}/dashboard/admin/staff/{sid}/token", data={"csrf": admin.csrf}).text
    token = re.search(r"(jdp_[A-Za-z0-9_\-]+)", page).group(1)
    h = {"Authorization": f"Bearer {token}"}
    body = requests.get(f"{dash.url}/api/v1/partner/reports?urgency=mendesak", headers=h).json()
    assert {i["envelope_id"] for i in body["items"]} == {dash.reports["urgent"], dash.reports["pmi"]}
    one = requests.get(f"{dash.url}/api/v1/partner/reports/{dash.reports['urgent']}", headers=h).json()
    assert one["answers"]["kategori"] == "rekrutmen" and one["children"] is True
    assert requests.get(f"{dash.url}/api/v1/partner/reports/{dash.reports['other_region']}",
                        headers=h).status_code == 403
    assert requests.get(f"{dash.url}/api/v1/partner/reports",
                        headers={"Authorization": "Bearer jdp_wrong"}).status_code == 401
    spec = requests.get(f"{dash.url}/api/v1/openapi.json").json()
    assert "/api/v1/partner/reports" in spec["paths"] and "/api/v1/partner/reports/{report_id}" in spec["paths"]
    assert not any(p.startswith("/dashboard") for p in spec["paths"])


def test_admin_enroll_code_devices_revoke_and_audit(dash):
    admin = dash.login("admin")
    r = admin.post(dash.url + "/dashboard/admin/enroll",
                   data={"csrf": admin.csrf, "village": "1", "role": "volunteer", "name": "Relawan Baru"})
    assert r.status_code == 200 and 'src="data:image/png;base64,' in r.text and "Relawan Baru" in r.text
    devices = admin.get(dash.url + "/dashboard/admin/devices").text
    assert "Siti Relawan" in devices and "Hp Hilang" in devices
    spare = dash.people["spare"].device_id
    r = admin.post(f"{dash.url}/dashboard/admin/devices/{spare}/revoke", data={"csrf": admin.csrf})
    assert "Cabut perangkat ini?" in r.text               # one click only asks (who is cut off, and what it means)
    with dash.db() as db:
        assert db.execute("SELECT revoked_at FROM devices WHERE id=?", (spare,)).fetchone()[0] is None
    r = admin.post(f"{dash.url}/dashboard/admin/devices/{spare}/revoke", data={"csrf": admin.csrf, "confirm": "yes"})
    assert r.status_code == 200
    with dash.db() as db:
        assert db.execute("SELECT revoked_at FROM devices WHERE id=?", (spare,)).fetchone()[0]
    audit_html = admin.get(dash.url + "/dashboard/admin/audit").text
    for action in ("enroll_code", "revoke_device", "login"):
        assert f"<td>{action}</td>" in audit_html
    assert admin.get(dash.url + "/dashboard/admin/audit?before=xyz").status_code == 400


def test_audit_log_is_append_only_in_the_database(dash):
    with dash.db() as db:
        for sql in ("UPDATE dash_audit SET action='x'", "DELETE FROM dash_audit"):
            with pytest.raises(sqlite3.DatabaseError, match="append-only"):
                db.execute(sql)
    src = "".join(p.read_text() for p in (ROOT / "office/dashboard").glob("*.py"))
    assert "update(dash_audit" not in src and "delete(dash_audit" not in src


def _device(args: list[str], data: Path, **env) -> str:
    r = subprocess.run([sys.executable, "main.py", "device", "--data", str(data), *args], cwd=ROOT,
                       capture_output=True, text=True, timeout=120,
                       env={**os.environ, "JAGA_PIN": "246810", "JAGA_KDF_SECONDS": "0.02", **env})
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_feedback_reaches_the_volunteers_device(dash, tmp_path):
    code = dash.server.admin_json(["enroll-code", "--village", "Entikong", "--role", "volunteer",
                                   "--name", "Ani"])["enroll"]
    phone = tmp_path / "phone"
    _device(["init"], phone)
    _device(["add-user", "--name", "Ani"], phone)
    _device(["enroll", "--office", dash.url, "--code", code, "--user", "Ani"], phone)
    answers = tmp_path / "a.json"
    answers.write_text(json.dumps(__import__("forms").load("keberangkatan_pmi").example()))
    eid = json.loads(_device(["--json", "file", "--user", "Ani", "--form", "keberangkatan_pmi",
                              "--answers", str(answers)], phone))["envelope_id"]
    _device(["sync"], phone)
    s = dash.login("intel_sgu")
    assert "Ani" in s.get(f"{dash.url}/dashboard/reports/{eid}").text
    r = s.post(f"{dash.url}/dashboard/reports/{eid}/feedback", allow_redirects=False,
               data={"csrf": s.csrf, "message": "Terima kasih, tim TIMPORA sudah turun ke lokasi."})
    assert r.status_code == 303
    assert "tim TIMPORA sudah turun" in s.get(f"{dash.url}/dashboard/reports/{eid}").text
    assert s.post(f"{dash.url}/dashboard/reports/{eid}/feedback",
                  data={"csrf": s.csrf, "message": "  "}).status_code == 400
    _device(["sync"], phone)
    inbox = _device(["inbox", "--user", "Ani"], phone)
    assert "tim TIMPORA sudah turun ke lokasi" in inbox
    assert any(t == eid for _, t, _ in audit_rows(dash, "feedback"))


def test_gps_is_sealed_in_the_office_db(dash):
    """The map shows the point (above), yet no byte of the office's files holds it in clear."""
    s = dash.login("admin")
    assert s.get(f"{dash.url}/dashboard/overview").status_code == 200     # indexes everything
    blob = b"".join(p.read_bytes() for p in Path(dash.server.data_dir).rglob("office.db*"))
    assert len(blob) > 0
    for needle in (b"4.13681", b"117.66642", struct.pack("<d", 4.13681), struct.pack(">d", 4.13681)):
        assert needle not in blob
