"""The dashboard's courier page (issue 26): intel staff upload a courier file, the office
takes it through the push's own ingest, the page says what arrived and what was not whole,
the receipts file downloads and verifies, and both steps are in the audit log.

Real office under uvicorn (the module's `dash`), real sealed reports and photos."""
from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest

import forms
from sync import courier as wire
from sync import envelope as env
from sync import receipt as rc
from sync.ports import OutboxItem
from tests.dashboard.conftest import png_bytes, seal_report


def _file(dash, n: int = 2, photo: bool = True) -> tuple[bytes, list]:
    vol = dash.people["vol"]
    lap = forms.load("laporan_kecurigaan", 1).example()
    att = "cd" * 16
    sealed = [seal_report(vol, "laporan_kecurigaan", {**lap, "foto": [att]}, attachments={att: png_bytes()})
              if photo and i == 0 else seal_report(vol, "laporan_kecurigaan", lap) for i in range(n)]
    items = [OutboxItem(s.envelope_id, s.envelope, s.blobs) for s in sealed]
    key_id = env.key_id(vol.office_x()).hex()
    return wire.pack(items, key_id), sealed


def _upload(s, dash, raw: bytes):
    return s.post(dash.url + "/dashboard/courier", data={"csrf": s.csrf},
                  files={"file": ("kurir.jdk", raw, "application/octet-stream")}, timeout=60)


def test_intel_imports_a_courier_file_and_downloads_verified_receipts(dash):
    raw, sealed = _file(dash)
    s = dash.login("intel_sgu")
    page = s.get(dash.url + "/dashboard/courier", timeout=30)
    assert page.status_code == 200 and 'type="file"' in page.text and "File kurir" in page.text
    r = _upload(s, dash, raw)
    assert r.status_code == 200, r.text[:500]
    assert "Hasil impor" in r.text and "Tidak utuh" not in r.text
    got = s.post(dash.url + "/dashboard/courier/receipts", timeout=30,
                 data={"csrf": s.csrf, "ids": " ".join(x.envelope_id for x in sealed)})
    assert got.status_code == 200 and "attachment" in got.headers["content-disposition"]
    office_id, results = wire.unpack_receipts(got.content)
    vol = dash.people["vol"]
    assert office_id == env.key_id(vol.office_x()).hex()
    by_id = {x["envelope_id"]: x["receipt"] for x in results}
    for x in sealed:
        receipt = rc.verify(by_id[x.envelope_id], vol.office_ed(), x.envelope,
                            {a: hashlib.sha256(b).hexdigest() for a, b in x.blobs.items()})
        assert receipt.complete
    with dash.db() as db:
        rows = db.execute("SELECT username, action, detail FROM dash_audit WHERE action LIKE 'courier%' "
                          "ORDER BY id").fetchall()
        stored = db.execute("SELECT author_id, complete FROM envelopes WHERE id IN (?, ?)",
                            [x.envelope_id for x in sealed]).fetchall()
    assert [(u, a) for u, a, _ in rows[-2:]] == [("intel_sgu", "courier_import"), ("intel_sgu", "courier_receipts")]
    assert json.loads(rows[-2][2])["accepted"] == 2
    assert stored == [(vol.id, 1), (vol.id, 1)]
    # the same file again: recognised, nothing doubled
    again = _upload(s, dash, raw)
    assert again.status_code == 200 and json.loads(_last_import(dash))["duplicate"] == 2


def test_receipts_stay_inside_the_staff_members_region(dash):
    """As an analyst of another region who learnt the envelope ids: the download holds none of
    them (the receipts say which reports the office holds), and the audit says how many were asked."""
    raw, sealed = _file(dash, n=2, photo=False)
    assert _upload(dash.login("intel_sgu"), dash, raw).status_code == 200
    other = dash.login("intel_kh")
    got = other.post(dash.url + "/dashboard/courier/receipts", timeout=30,
                     data={"csrf": other.csrf, "ids": " ".join(x.envelope_id for x in sealed)})
    assert got.status_code == 200
    assert wire.unpack_receipts(got.content)[1] == []
    with dash.db() as db:
        detail = db.execute("SELECT username, detail FROM dash_audit WHERE action='courier_receipts' "
                            "ORDER BY id DESC").fetchone()
    assert detail[0] == "intel_kh" and json.loads(detail[1]) == {"receipts": 0, "asked": 2}


def _last_import(dash) -> str:
    with dash.db() as db:
        return db.execute("SELECT detail FROM dash_audit WHERE action='courier_import' ORDER BY id DESC").fetchone()[0]


def test_a_damaged_or_foreign_file_is_a_page_not_a_crash(dash):
    raw, sealed = _file(dash, n=2, photo=False)
    s = dash.login("admin")
    cut = _upload(s, dash, raw[:raw.find(sealed[1].envelope) + 40])     # cut inside the second report
    assert cut.status_code == 200 and "Tidak utuh" in cut.text and "cut off" in cut.text
    foreign = bytearray(raw)
    foreign[len(wire.MAGIC)] ^= 0xFF                         # another office's key id
    r = _upload(s, dash, bytes(foreign))
    assert r.status_code == 422 and "another office" in r.text
    junk = _upload(s, dash, base64.b64encode(b"not a courier file"))
    assert junk.status_code == 422 and "not a Jaga Desa courier file" in junk.text
    nofile = s.post(dash.url + "/dashboard/courier", data={"csrf": s.csrf}, timeout=30)
    assert nofile.status_code == 422
    # without the CSRF token: refused, nothing imported
    before = _last_import(dash)
    bad = s.post(dash.url + "/dashboard/courier", data={"csrf": "x"},
                 files={"file": ("k.jdk", raw, "application/octet-stream")}, timeout=30)
    assert bad.status_code == 403 and _last_import(dash) == before


@pytest.mark.e2e
def test_the_courier_page_in_chromium(dash, browser, tmp_path):
    """The form a clerk uses in a real browser: pick the file, import, read the result, and the
    receipts download."""
    from tests.dashboard.test_e2e import login, shot
    raw, sealed = _file(dash, n=3, photo=False)
    (tmp_path / "kurir.jdk").write_bytes(raw)
    ctx = browser.new_context(viewport={"width": 1366, "height": 900}, accept_downloads=True)
    page = ctx.new_page()
    try:
        login(page, dash.url, "intel_sgu")
        page.get_by_role("link", name="File kurir").click()
        page.get_by_label("File kurir (.jdk)").set_input_files(str(tmp_path / "kurir.jdk"))
        shot(page, "courier")
        page.get_by_role("button", name="Impor").click()
        page.get_by_role("heading", name="Hasil impor").wait_for()
        assert page.get_by_role("row", name="Baru diterima 3").count() == 1
        shot(page, "courier-result")
        with page.expect_download() as dl:
            page.get_by_role("button", name="Unduh file tanda terima").click()
        _, results = wire.unpack_receipts(Path(dl.value.path()).read_bytes())
        assert {r["envelope_id"] for r in results} == {x.envelope_id for x in sealed}
    finally:
        ctx.close()
