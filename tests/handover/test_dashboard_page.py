"""The admin hand-over page over real HTTP: admins get a verifiable zip, others a 403."""
from __future__ import annotations

import re
import sqlite3

from jaga_desa.testing.dashboard import CSRF_RE
from office.handover import verify

CSRF = CSRF_RE


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
    """In Indonesian first, in English after the switch (issue 24.7)."""
    s = staff["admin"]
    page = s.get(seeded.server.url + "/dashboard/admin/handover")
    r = s.post(seeded.server.url + "/dashboard/admin/handover",
               data={"csrf": CSRF.search(page.text).group(1), "tier": "C", "recipient": "Polres"})
    assert r.status_code == 422 and "tingkat C merujuk laporan terpilih" in r.text
    s.cookies.set("jd_lang", "en")
    try:
        r = s.post(seeded.server.url + "/dashboard/admin/handover",
                   data={"csrf": CSRF.search(page.text).group(1), "tier": "C", "recipient": "Polres"})
        assert r.status_code == 422 and "tier C refers chosen reports" in r.text
    finally:
        s.cookies.set("jd_lang", "id")


def test_hand_over_from_the_web_alone(seeded, staff, tmp_path):
    """Issue 24.7, an admin with only the browser: tier A is refused for a village without a
    code in Indonesian with a link to the Villages page (no command line); she sets the code
    there (audited); tier C reports are chosen with the inbox's checkboxes, not typed."""
    s, url = staff["admin"], seeded.server.url + "/dashboard"
    uncoded = seeded.ids["uncoded"][0]
    with sqlite3.connect(seeded.data / "office.db") as db:        # an ordinary report of that village
        db.execute("UPDATE envelopes SET rahasia=0 WHERE id=?", (uncoded,))
        vid, = db.execute("SELECT id FROM villages WHERE name='Dusun Tanpa Kode'").fetchone()
    try:
        page = s.get(url + "/admin/handover")
        csrf = CSRF.search(page.text).group(1)
        day = seeded.today.isoformat()
        r = s.post(url + "/admin/handover", data={"csrf": csrf, "tier": "B", "from": day, "to": day,
                                                  "recipient": "Polda", "k": "11"})
        assert r.status_code == 422 and "desa tanpa kode wilayah Kemendagri: Dusun Tanpa Kode" in r.text
        assert "office-admin" not in r.text and f'href="/dashboard/admin/villages"' in r.text

        villages = s.get(url + "/admin/villages")
        assert f'for="code-{vid}"' in villages.text           # a labelled control per village
        bad = s.post(url + "/admin/villages/code", data={"csrf": csrf, "village": str(vid), "code": "65.03.01"})
        assert bad.status_code == 422 and "bukan kode desa/kelurahan" in bad.text
        ok = s.post(url + "/admin/villages/code", data={"csrf": csrf, "village": str(vid), "code": "65.03.01.2002"},
                    allow_redirects=False)
        assert ok.status_code == 303
        with sqlite3.connect(seeded.data / "office.db") as db:
            name, code = db.execute("SELECT name, kode_wilayah FROM villages WHERE id=?", (vid,)).fetchone()
            audit, = db.execute("SELECT detail FROM dash_audit WHERE action='set_village_code' "
                                "ORDER BY id DESC LIMIT 1").fetchone()
        from office import regions
        assert code == "65.03.01.2002" and name == regions.get(code).name
        assert '"old_name": "Dusun Tanpa Kode"' in audit
        r = s.post(url + "/admin/handover", data={"csrf": csrf, "tier": "B", "from": day, "to": day,
                                                  "recipient": "Polda", "k": "11"})
        assert r.status_code == 200 and r.headers["content-type"] == "application/zip"

        inbox = s.get(url + "/")
        boxes = re.findall(r'name="ref" value="([0-9a-f-]{36})"', inbox.text)
        assert seeded.ids["rekrutmen"][0] in boxes and 'id="refer"' in inbox.text
        picked = seeded.ids["rekrutmen"][:2]
        form = s.get(url + "/admin/handover", params=[("ref", i) for i in picked])
        assert form.status_code == 200 and 'value="C" checked' in form.text
        assert all(f">{i[:8]}</a>" in form.text for i in picked)
        r = s.post(url + "/admin/handover", data={"csrf": csrf, "tier": "C", "ids": "\n".join(picked),
                                                  "recipient": "Polres Nunukan", "reason": "rujukan dari kotak masuk"})
        assert r.status_code == 200, r.text[-400:]
        (tmp_path / "c.zip").write_bytes(r.content)
        assert verify(tmp_path / "c.zip")["rows"]["reports"] == 2
        assert 'name="ref"' not in staff["intel"].get(url + "/").text       # only admins refer
    finally:    # the other tests expect the uncoded village and its rahasia report as seeded
        with sqlite3.connect(seeded.data / "office.db") as db:
            db.execute("UPDATE envelopes SET rahasia=1 WHERE id=?", (uncoded,))
            db.execute("UPDATE villages SET kode_wilayah=NULL, kode_version=NULL, name='Dusun Tanpa Kode' "
                       "WHERE id=?", (vid,))


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
