"""The signals page on a real office (uvicorn): a recruiter's phone number in v2 reports
from two villages raises a signal at ingest; each analyst sees only the reports of their
region; confirm / dismiss-with-reason / assign are audited; the page says a signal is a
lead, never an accusation; the menu badge counts new signals."""
from __future__ import annotations

import re

import pytest

import forms
from sync import envelope as env
from tests.support import enroll as enroll_person
from tests.warning.conftest import login, staffed_office


def seal_v2(person, form_id: str, answers: dict) -> env.Sealed:
    form = forms.load(form_id, 2)
    clean = form.check(answers)
    payload = {"answers": clean, "flags": form.flags(clean), "rahasia": form.is_confidential(clean), "lang": "id"}
    rcpts = [person.office_x()] + ([] if payload["rahasia"] else person.heads())
    return env.seal(payload, form_id=form_id, form_version=2, author_id=person.id, device_id=person.device_id,
                    signing_key=person.ed, recipients=rcpts)


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    server = staffed_office(tmp_path_factory.mktemp("warn") / "office")
    try:
        a, aclient = enroll_person(server, "Entikong", "volunteer", "Siti Relawan")
        b, bclient = enroll_person(server, "Badau", "volunteer", "Budi Relawan")
        base = forms.load("keberangkatan_pmi", 2).example()
        ra = seal_v2(a, "keberangkatan_pmi", {**base, "terlibat": [{"peran": "calo", "telepon": "0812 3456 7890"}]})
        rb = seal_v2(b, "keberangkatan_pmi", {**base, "rahasia": "ya",
                                              "terlibat": [{"peran": "calo", "telepon": "+62 812-3456-7890"}]})
        assert aclient.push([ra.envelope])[0]["status"] == "accepted"
        assert bclient.push([rb.envelope])[0]["status"] == "accepted"
        server.derived()                      # signals are derived after the receipt, not inside the push
        server.reports = {"a": ra.envelope_id, "b": rb.envelope_id}
        yield server
    finally:
        server.stop()


def signal_ids(html: str) -> list[str]:
    return re.findall(r'id="sig-(\d+)"', html)


def test_admin_sees_the_link_with_its_explanation(office):
    s = login(office, "admin")
    html = s.get(office.url + "/dashboard/signals").text
    assert "Sinyal adalah petunjuk, bukan tuduhan" in html
    assert "Identitas sama di beberapa desa" in html
    assert "Nomor HP yang sama disebut dalam 2 laporan dari 2 desa berbeda dalam 90 hari" in html
    assert office.reports["a"] in html and office.reports["b"] in html
    assert "Badau, Entikong" in html
    assert "+6281234567890" in html          # staff see what matched (it is their office)
    en = s.get(office.url + "/dashboard/signals", cookies={"jd_lang": "en"}).text
    assert "A signal is a lead, never an accusation" in en


def test_region_scope(office):
    sgu = login(office, "intel_sgu").get(office.url + "/dashboard/signals").text
    assert office.reports["a"] in sgu and office.reports["b"] not in sgu
    assert "+1 laporan lain di luar wilayah Anda" in sgu
    kh = login(office, "intel_kh").get(office.url + "/dashboard/signals").text
    assert office.reports["b"] in kh and office.reports["a"] not in kh


def test_badge_counts_new_signals(office):
    html = login(office, "intel_sgu").get(office.url + "/dashboard/").text
    assert re.search(r'<span class="badge" aria-label="(\d+) Sinyal peringatan dini">', html)


def test_actions_are_audited_and_dismiss_needs_a_reason(office):
    s = login(office, "admin")
    [sid] = signal_ids(s.get(office.url + "/dashboard/signals").text)
    url = f"{office.url}/dashboard/signals/{sid}"
    r = s.post(url, data={"csrf": s.csrf, "action": "dismiss", "reason": " "}, allow_redirects=False)
    assert r.status_code == 400 and "reason" in r.text
    assert s.post(url, data={"csrf": s.csrf, "action": "confirm"}, allow_redirects=False).status_code == 303
    assert s.post(url, data={"csrf": s.csrf, "action": "assign", "assignee": "2"}, allow_redirects=False).status_code == 303
    assert s.post(url, data={"csrf": s.csrf, "action": "dismiss", "reason": "nomor kantor desa"},
                  allow_redirects=False).status_code == 303
    html = s.get(office.url + "/dashboard/signals?status=dismissed").text
    assert sid in signal_ids(html) and "nomor kantor desa" in html
    audit = s.get(office.url + "/dashboard/admin/audit").text
    assert audit.count(f"signal:{sid}") >= 3
    s.post(url, data={"csrf": s.csrf, "action": "reopen"})


def test_other_region_cannot_act_and_csrf_is_checked(office):
    s = login(office, "admin")
    [sid] = signal_ids(s.get(office.url + "/dashboard/signals").text)
    r = s.post(f"{office.url}/dashboard/signals/{sid}", data={"csrf": "wrong", "action": "confirm"}, allow_redirects=False)
    assert r.status_code == 403
    r = s.post(f"{office.url}/dashboard/signals/999999", data={"csrf": s.csrf, "action": "confirm"}, allow_redirects=False)
    assert r.status_code == 403


def test_staff_of_a_region_without_its_reports_cannot_see_or_act(office):
    [sid] = signal_ids(login(office, "admin").get(office.url + "/dashboard/signals").text)
    s = login(office, "intel_sbs")
    assert signal_ids(s.get(office.url + "/dashboard/signals").text) == []
    r = s.post(f"{office.url}/dashboard/signals/{sid}", data={"csrf": s.csrf, "action": "confirm"},
               allow_redirects=False)
    assert r.status_code == 403


def test_what_matched_local_time_and_form_names(office):
    """Issue 24 item 8: staff see the number that matched, reports in local time with its
    zone and the form's name (not its code)."""
    html = login(office, "admin").get(office.url + "/dashboard/signals").text
    assert "<code>+6281234567890</code>" in html and "Nomor HP:" in html
    items = re.findall(r'<ul class="signal-reports">(.*?)</ul>', html, re.S)[0]
    assert re.search(r"\d\d-\d\d-\d{4} \d\d:\d\d (WIB|WITA|WIT)", items)
    assert "Pengamatan Keberangkatan PMI" in items and "keberangkatan_pmi" not in items and "UTC" not in items


def test_after_confirm_next_steps_are_offered(office):
    s = login(office, "admin")
    [sid] = signal_ids(s.get(office.url + "/dashboard/signals").text)
    s.post(f"{office.url}/dashboard/signals/{sid}", data={"csrf": s.csrf, "action": "confirm"})
    html = s.get(office.url + "/dashboard/signals").text
    steps = re.findall(r'<nav class="next-steps".*?</nav>', html, re.S)[0]
    alert = re.search(r'href="([^"]*/alerts\?villages=[\d,]+)"', steps).group(1)
    assert "Lihat di peta" in steps and "/overview?village=" in steps
    refer = re.search(r'href="([^"]*/admin/handover\?tier=C&amp;ids=[^"]+)"', steps).group(1).replace("&amp;", "&")
    alerts_page = s.get(office.url + alert.removeprefix(office.url)).text
    assert len(re.findall(r'name="village_\d+" value="1" checked', alerts_page)) == 2   # both villages ticked
    handover = s.get(office.url + refer.removeprefix(office.url)).text
    assert office.reports["a"] in handover and office.reports["b"] in handover            # tier C ids filled in
    s.post(f"{office.url}/dashboard/signals/{sid}", data={"csrf": s.csrf, "action": "reopen"})


def test_badge_is_readable_in_the_menu(office):
    css = login(office, "admin").get(office.url + "/dashboard/static/dashboard.css").text
    assert re.search(r"header\.top nav \.badge \{[^}]*background:#fff; color:#0b2a4a", css)
