"""The report page names the zone of a typed date-time: the volunteer typed "19:30" on her
village's wall clock, so an analyst in another zone must read "19:30 WITA", never a bare
"19:30" or the office's own zone. Real office under uvicorn, real sealed reports over HTTP."""
from __future__ import annotations

import forms
from jaga_desa.testing.dashboard import sign_in
from tests.dashboard.conftest import seal_report
from tests.support import enroll

PASSWORD = "kata-sandi-zona-1"


def test_a_typed_date_time_shows_the_zone_of_its_village(office_server, monkeypatch):
    monkeypatch.setenv("JAGA_PASSWORD", PASSWORD)
    office_server.admin(["add-staff", "--username", "analis", "--role", "admin"])
    seen = {}
    for village, region, zone in (("Sebatik", "Kalimantan Utara", "WITA"), ("Skouw", "Papua", "WIT"),
                                  ("Entikong", "Kalimantan Barat", "WIB")):
        office_server.admin(["add-village", "--name", village, "--region", region])
        vol, client = enroll(office_server, village, "volunteer", f"Relawan {village}")
        answers = {**forms.load("laporan_kecurigaan", 1).example(), "waktu_kejadian": "2026-11-20T19:30"}
        sealed = seal_report(vol, "laporan_kecurigaan", answers)
        assert client.push([sealed.envelope])[0]["status"] == "accepted"
        seen[sealed.envelope_id] = zone

    s = sign_in(office_server.url, "analis", PASSWORD)
    for envelope_id, zone in seen.items():
        r = s.get(f"{office_server.url}/dashboard/reports/{envelope_id}")
        assert r.status_code == 200
        assert f"<dd>20 November 2026 19:30 {zone}</dd>" in r.text, (zone, r.text[r.text.find("19:30") - 80:r.text.find("19:30") + 40])
        others = {"WIB", "WITA", "WIT"} - {zone}
        # the answer's cell only: the page's own clock times (received, history) are another
        # field and may read 19:30 in the office's zone when the test runs at that minute
        assert not any(f"20 November 2026 19:30 {z}</dd>" in r.text for z in others)


def test_zones_come_from_the_province_code_and_the_phone_and_reach_the_export(office_server, monkeypatch):
    """Issue 24 item 1: Nunukan (the demo's region, a kabupaten, code 65.03) is in Kalimantan
    Utara, WITA — the region text names no province, so only the Kemendagri code can tell. A
    report whose phone sealed its zone (a WIT phone in that village) is read in that zone, and
    the CSV export writes every typed date-time with its zone."""
    monkeypatch.setenv("JAGA_PASSWORD", PASSWORD)
    office_server.admin(["add-staff", "--username", "analis", "--role", "admin"])
    office_server.admin(["add-village", "--name", "Sebatik Tengah", "--region", "Nunukan"])
    vol, client = enroll(office_server, "Sebatik Tengah", "volunteer", "Siti")
    answers = {**forms.load("laporan_kecurigaan", 1).example(), "waktu_kejadian": "2026-11-20T19:30"}
    by_village = seal_report(vol, "laporan_kecurigaan", answers)
    by_phone = seal_report(vol, "laporan_kecurigaan", {**answers, "waktu_kejadian": "2026-11-21T08:05"}, zone="WIT")
    assert [r["status"] for r in client.push([by_village.envelope, by_phone.envelope])] == ["accepted"] * 2

    s = sign_in(office_server.url, "analis", PASSWORD)
    page = s.get(f"{office_server.url}/dashboard/reports/{by_village.envelope_id}").text
    assert "<dd>20 November 2026 19:30 WITA</dd>" in page, page[page.find("19:30") - 80:page.find("19:30") + 40]
    page = s.get(f"{office_server.url}/dashboard/reports/{by_phone.envelope_id}").text
    assert "<dd>21 November 2026 08:05 WIT</dd>" in page
    csv_text = s.get(f"{office_server.url}/dashboard/export?format=csv").content.decode("utf-8-sig")
    assert "2026-11-20 19:30 WITA" in csv_text and "2026-11-21 08:05 WIT" in csv_text
    assert "2026-11-20 19:30," not in csv_text and "2026-11-20 19:30\r" not in csv_text
