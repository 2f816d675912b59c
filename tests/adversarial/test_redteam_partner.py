"""Red team on the partner API and the exports: canaries in every text field, at every depth.

The attacker holds a partner token (issued with `office-admin api-token issue`) for each
combination of the two grants (rahasia, free text) and reads everything a token can reach:
the report list, each report's detail (answers and summary), and every export the dashboard
offers. Every text field of the v2 suspicion form and the v2/v3 departure forms carries its
own canary — the top-level ones and each field of several `terlibat` entries (names, phone
numbers, handles, plates, boats) — plus one report marked rahasia. Before the fix the filter
removed top-level text only: a token without the free-text grant read every name in
`terlibat`, in `answers` and in `summary` (issue 22, item 1).

Staff exports, the other side (issue 24, item 6): the same reports, several entries each,
export as XLSX (500 before: openpyxl cannot write a list) and as CSV (the group written as
Python text before) with the repeat group as its own sheet / CSV keyed by report id, a column
per field. On SQLite and PostgreSQL: the office stores the reports.
"""
from __future__ import annotations

import csv
import io
import itertools
import json

import openpyxl
import pytest
import requests

import forms
from tests.support import enroll, village

STAFF_PASSWORD = "kata-sandi-uji-1"
# (form, version) pairs that ask `terlibat`; each gets one shared and (suspicion) one rahasia report.
FORMS = [("laporan_kecurigaan", 2), ("keberangkatan_pmi", 2), ("keberangkatan_pmi", 3)]
ENTRIES = 3
EXPORTS = ["format=csv", "format=csv&group=terlibat", "format=xlsx", "format=geojson"]


class Canaries:
    """Unique marks per text field and entry: letters where the field takes text, digits
    where a phone number must be digits (the `telepon` regex)."""

    def __init__(self) -> None:
        self.n = 0
        self.by_report: dict[str, set[str]] = {}

    def mark(self, field) -> str:
        self.n += 1
        if field.constraint.get("regex"):
            return f"+62 811 {self.n:04d} 9173"
        return f"Kq{self.n:04d}zv"[:field.constraint.get("max_length", 60)]

    def answers(self, form_id: str, version: int, *, rahasia: bool) -> tuple[dict, set[str]]:
        form = forms.load(form_id, version)
        a = form.example()
        # open every conditional text field: "other" chosen wherever a form offers it
        for f in form.fields:
            if f.name in ("kategori", "kewarganegaraan", "pekerjaan"):
                a[f.name] = "lainnya"
            if f.name == "negara_tujuan":
                a[f.name] = ["my", "lainnya"]
        a.pop("foto", None)
        a["rahasia"] = "ya" if rahasia else "tidak"
        marks: set[str] = set()
        group = form.field("terlibat")
        entries = []
        for i in range(ENTRIES):
            entry = {"peran": "lainnya" if i == 0 else "calo"}
            for sub in group.fields:
                if sub.type == "text" and (sub.name != "peran_lain" or i == 0):
                    entry[sub.name] = self.mark(sub)
                    marks.add(entry[sub.name])
            entries.append(entry)
        a["terlibat"] = entries
        for f in form.fields:
            if f.type == "text" and form.is_visible(f.name, a):
                a[f.name] = self.mark(f) + (" dan lebih" if f.constraint.get("min_length") else "")
                marks.add(a[f.name].split(" ")[0])
        assert form.validate(a) == {}                  # the office's own check passes
        return a, marks


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def partner_office(request, tmp_path_factory):
    from jaga_desa.testing.servers import OfficeServer
    url = request.getfixturevalue("postgres_server")("red_partner") if request.param == "postgresql" else None
    server = OfficeServer(tmp_path_factory.mktemp("partner") / "office", url).start()
    try:
        village(server)
        import os
        os.environ["JAGA_PASSWORD"] = STAFF_PASSWORD
        server.admin(["add-staff", "--username", "admin", "--role", "admin"])
        siti, client = enroll(server, "Entikong", "volunteer", "Siti")
        canaries = Canaries()
        reports: dict[str, tuple] = {}
        for (fid, version), rahasia in [(f, False) for f in FORMS] + [(FORMS[0], True)]:
            answers, marks = canaries.answers(fid, version, rahasia=rahasia)
            sealed = siti.report(answers=answers, form_id=fid, form_version=version, rahasia=rahasia)
            got = client.push([sealed.envelope])[0]
            assert got["status"] == "accepted", got
            reports[sealed.envelope_id] = (rahasia, marks, answers)
        client.close()
        yield server, reports
    finally:
        server.stop()


def _token(server, *, rahasia: bool, free_text: bool) -> str:
    argv = ["api-token", "issue", "--username", "admin"] + (["--rahasia"] if rahasia else []) \
        + (["--free-text"] if free_text else [])
    return server.admin(argv).strip()


def _texts_of_xlsx(body: bytes) -> str:
    wb = openpyxl.load_workbook(io.BytesIO(body))
    return "\n".join(str(c.value) for ws in wb for row in ws.iter_rows() for c in row if c.value is not None)


@pytest.mark.parametrize("rahasia,free_text", list(itertools.product([False, True], repeat=2)))
def test_a_partner_token_reads_no_text_it_was_not_granted_at_any_depth(partner_office, rahasia, free_text):
    server, reports = partner_office
    h = {"Authorization": f"Bearer {_token(server, rahasia=rahasia, free_text=free_text)}"}
    listed = requests.get(f"{server.url}/api/v1/partner/reports", headers=h, timeout=60)
    assert listed.status_code == 200, listed.text
    ids = {i["envelope_id"] for i in listed.json()["items"]}
    every_mark = set().union(*(m for _, m, _ in reports.values()))
    assert not any(m in listed.text for m in every_mark)            # the list carries codes only
    for rid, (is_rahasia, marks, _answers) in reports.items():
        got = requests.get(f"{server.url}/api/v1/partner/reports/{rid}", headers=h, timeout=60)
        if is_rahasia and not rahasia:
            assert got.status_code == 404 and rid not in ids
            assert not any(m in got.text for m in every_mark)
            continue
        assert got.status_code == 200 and rid in ids, got.text
        body = got.json()
        if free_text:          # granted: every canary is there, so the scan below can fail
            assert all(m in got.text for m in marks), sorted(m for m in marks if m not in got.text)
        else:
            leaked = sorted(m for m in every_mark if m in got.text)
            assert not leaked, (rid, leaked, body["summary"])
            entries = body["answers"]["terlibat"]                  # the codes stay: roles per entry
            assert [e["peran"] for e in entries] == ["lainnya"] + ["calo"] * (ENTRIES - 1)
            assert all(set(e) == {"peran"} for e in entries)
            assert body["summary"] and body["answers"]["jumlah_perempuan" if "kategori" in body["answers"]
                                                       else "jumlah_laki"] is not None
    # the dashboard's exports are staff pages: a token (any grants) gets a login redirect, no bytes
    for query in EXPORTS:
        r = requests.get(f"{server.url}/dashboard/export?{query}", headers=h, allow_redirects=False, timeout=60)
        assert r.status_code == 303 and "/dashboard/login" in r.headers["location"], (query, r.status_code)
        assert not any(m in r.text for m in every_mark)


def _staff(server) -> requests.Session:
    from jaga_desa.testing.dashboard import sign_in
    return sign_in(server.url, "admin", STAFF_PASSWORD)


def test_repeat_groups_export_as_their_own_sheet_and_csv_keyed_by_report(partner_office):
    server, reports = partner_office
    s = _staff(server)
    all_entries = {(rid, i + 1): e for rid, (_, _, a) in reports.items() for i, e in enumerate(a["terlibat"])}
    xlsx = s.get(f"{server.url}/dashboard/export?format=xlsx&lang=en", timeout=120)
    assert xlsx.status_code == 200, xlsx.text[-400:]
    wb = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    assert wb.sheetnames == ["laporan", "terlibat", "kode"]
    rows = list(wb["terlibat"].iter_rows(values_only=True))
    head, body = rows[0], rows[1:]
    assert len(body) == len(all_entries) == len(reports) * ENTRIES
    nama = head.index(forms.load("laporan_kecurigaan", 2).field("nama").label("id"))
    for row in body:
        entry = all_entries[(row[0], row[1])]                     # keyed by report id and entry no.
        assert row[nama] == entry["nama"]
    main = list(wb["laporan"].iter_rows(values_only=True))
    col = main[0].index(forms.load("laporan_kecurigaan", 2).field("terlibat").label("id"))
    assert {r[col] for r in main[1:]} == {ENTRIES}                 # the count, never Python text
    plain = s.get(f"{server.url}/dashboard/export?format=csv", timeout=120)
    assert plain.status_code == 200 and "[{'" not in plain.text and "{'peran'" not in plain.text
    group = s.get(f"{server.url}/dashboard/export?format=csv&group=terlibat", timeout=120)
    assert group.status_code == 200
    lines = list(csv.reader(io.StringIO(group.content.decode("utf-8-sig"))))
    codes, data = lines[1], lines[2:]
    assert codes[:2] == ["envelope_id", "entry"] and "terlibat.telepon" in codes
    assert len(data) == len(all_entries)
    tel = codes.index("terlibat.telepon")
    assert {(r[0], int(r[1])): r[tel].lstrip("'") for r in data} == {
        k: e["telepon"] for k, e in all_entries.items()}
    assert all(r[tel].lstrip("'").startswith("+62 811") for r in data)
    assert s.get(f"{server.url}/dashboard/export?format=xlsx&group=terlibat", timeout=60).status_code == 400
    assert s.get(f"{server.url}/dashboard/export?format=csv&group=../x", timeout=60).status_code == 400
    geo = s.get(f"{server.url}/dashboard/export?format=geojson", timeout=60)
    assert geo.status_code == 200 and json.loads(geo.content)["features"]
