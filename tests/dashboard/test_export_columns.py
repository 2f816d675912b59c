"""Exports an analyst can use: one column per question with Indonesian headers and labels,
local time with its zone, the office's context (rahasia, assignee, note, verdict), XLSX with
filters, widths and a codebook, and GeoJSON of located reports only."""
from __future__ import annotations

import csv
import io
import json
import re

from openpyxl import load_workbook

from tests.dashboard.conftest import csrf_of

LOCAL = re.compile(r"^\d{2}-\d{2}-\d{4} \d{2}:\d{2} (WIB|WITA|WIT)$")


def _get(s, dash, fmt, query=""):
    r = s.get(f"{dash.url}/dashboard/export?format={fmt}&{query}")
    assert r.status_code == 200, r.text[:300]
    return r.content


def test_xlsx_is_ready_for_analysis(dash):
    s = dash.login("intel_sgu")
    calm = dash.reports["calm"]
    page = s.get(f"{dash.url}/dashboard/reports/{calm}").text
    assignee = re.search(r'<option value="(\d+)"[^>]*>intel_sgu', page).group(1)
    r = s.post(f"{dash.url}/dashboard/reports/{calm}/triage",
               data={"csrf": csrf_of(page), "state": "forwarded", "note": "Diteruskan ke Polres", "assignee": assignee})
    assert r.status_code == 200
    wb = load_workbook(io.BytesIO(_get(s, dash, "xlsx", "form=laporan_kecurigaan")))
    ws = wb["laporan"]
    rows = list(ws.iter_rows(values_only=True))
    head = list(rows[0])
    for col in ("ID laporan", "Diterima kantor", "Rahasia (hanya Imigrasi)", "Petugas",
                "Catatan tindak lanjut terakhir", "Tinjauan kepala desa", "Jenis kejadian",
                "Apa yang Anda lihat atau dengar?"):
        assert col in head, col
    assert "answers_json" not in head and "kategori" not in head      # codes live in the codebook
    by_id = {r[0]: dict(zip(head, r)) for r in rows[1:]}
    row = by_id[calm]
    assert row["Jenis kejadian"] == "Dokumen palsu (KTP, paspor, surat)"       # a label, not "dokumen_palsu"
    assert row["Rahasia (hanya Imigrasi)"] == "Tidak" and row["Petugas"] == "intel_sgu"
    assert row["Catatan tindak lanjut terakhir"] == "Diteruskan ke Polres"
    assert row["Status tindak lanjut"] == "Diteruskan ke instansi lain"
    assert LOCAL.match(row["Diterima kantor"]) and LOCAL.match(row["Waktu di HP"])
    assert by_id[dash.reports["urgent"]]["Tinjauan kepala desa"] == "Dibenarkan kepala desa"
    assert ws.auto_filter.ref.startswith("A1:") and ws.freeze_panes == "A2"
    assert ws.column_dimensions["A"].width >= 36                          # a whole id fits
    kode = [r for r in wb["kode"].iter_rows(values_only=True)]
    assert ("kategori", "Jenis kejadian", "select_one", "dokumen_palsu", "Dokumen palsu (KTP, paspor, surat)") in kode


def test_csv_has_labels_then_codes(dash):
    s = dash.login("admin")
    table = list(csv.reader(io.StringIO(_get(s, dash, "csv").decode("utf-8-sig"))))
    assert table[0][:3] == ["ID laporan", "Diterima kantor", "Waktu di HP"]
    assert table[1][:3] == ["envelope_id", "received_at", "phone_time"]
    assert "kategori" in table[1] and "jumlah_di_bawah_umur" in table[1]     # both forms' questions
    en = dash.login("admin")
    en.cookies.set("jd_lang", "en")
    assert list(csv.reader(io.StringIO(_get(en, dash, "csv").decode("utf-8-sig"))))[0][0] == "Report id"


def test_geojson_only_located_and_says_how_many_were_left_out(dash):
    s = dash.login("admin")
    geo = json.loads(_get(s, dash, "geojson"))
    assert geo["features"] and all(f["geometry"]["type"] == "Point" for f in geo["features"])
    n = len(list(csv.reader(io.StringIO(_get(s, dash, "csv").decode("utf-8-sig"))))) - 2
    assert geo["jaga_left_out_without_location"] == n - len(geo["features"]) > 0
