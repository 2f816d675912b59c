"""The admin hand-over page over real HTTP: admins get a verifiable zip, others a 403."""
from __future__ import annotations

import os
import re
import sqlite3

import pytest
import requests

from jaga_desa.testing.dashboard import CSRF_RE, sign_in
from office.handover import verify

PASSWORD = "kata-sandi-serah-terima"
CSRF = CSRF_RE


def login(url: str, username: str) -> requests.Session:
    return sign_in(url, username, PASSWORD)


@pytest.fixture(scope="module")
def staff(seeded):
    old = os.environ.get("JAGA_PASSWORD")
    os.environ["JAGA_PASSWORD"] = PASSWORD
    try:
        seeded.server.admin(["add-staff", "--username", "admin_ho", "--role", "admin"])
        seeded.server.admin(["add-staff", "--username", "intel_ho", "--role", "intel"])
    finally:
        if old is None:
            os.environ.pop("JAGA_PASSWORD")
        else:
            os.environ["JAGA_PASSWORD"] = old
    return {"admin": login(seeded.server.url, "admin_ho"), "intel": login(seeded.server.url, "intel_ho")}


def test_admin_downloads_a_package_that_verifies(seeded, staff, tmp_path):
    s = staff["admin"]
    page = s.get(seeded.server.url + "/dashboard/admin/handover")
    assert page.status_code == 200 and 'for="h-recipient"' in page.text
    day = seeded.today.isoformat()
    r = s.post(seeded.server.url + "/dashboard/admin/handover",
               data={"csrf": CSRF.search(page.text).group(1), "tier": "B", "from": day, "to": day,
                     "recipient": "BP3MI Kalimantan Utara", "k": "11"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    (tmp_path / "b.zip").write_bytes(r.content)
    assert verify(tmp_path / "b.zip")["rows"]["reports"] == 26
    with sqlite3.connect(seeded.data / "office.db") as db:
        who, = db.execute("SELECT username FROM dash_audit WHERE action='handover_export' "
                          "ORDER BY id DESC LIMIT 1").fetchone()
    assert who == "admin_ho"
    assert "BP3MI Kalimantan Utara" in s.get(seeded.server.url + "/dashboard/admin/handover").text


def test_a_bad_request_shows_the_message_not_a_500(seeded, staff):
    s = staff["admin"]
    page = s.get(seeded.server.url + "/dashboard/admin/handover")
    r = s.post(seeded.server.url + "/dashboard/admin/handover",
               data={"csrf": CSRF.search(page.text).group(1), "tier": "C", "recipient": "Polres"})
    assert r.status_code == 422 and "tier C refers chosen reports" in r.text


def test_intel_staff_cannot_make_packages(seeded, staff):
    r = staff["intel"].get(seeded.server.url + "/dashboard/admin/handover")
    assert r.status_code == 403


def test_admin_picks_a_village_from_the_code_list(seeded, staff):
    s = staff["admin"]
    found = s.get(seeded.server.url + "/dashboard/admin/villages", params={"q": "Sungai Pancang"})
    assert found.status_code == 200 and "65.03.11.2001" in found.text and "Sebatik Utara" in found.text
    code = re.search(r'name="code" value="(65\.03\.\d\d\.\d{4})"', found.text).group(1)
    r = s.post(seeded.server.url + "/dashboard/admin/villages",
               data={"csrf": CSRF.search(found.text).group(1), "code": code}, allow_redirects=False)
    assert r.status_code == 303
    with sqlite3.connect(seeded.data / "office.db") as db:
        name, version = db.execute("SELECT name, kode_version FROM villages WHERE kode_wilayah=?", (code,)).fetchone()
    from office import regions
    assert name == regions.get(code).name and version == regions.VERSION
    again = s.post(seeded.server.url + "/dashboard/admin/villages",
                   data={"csrf": CSRF.search(found.text).group(1), "code": code})
    assert again.status_code == 400 and "already belongs" in again.text
