"""CSV, XLSX and GeoJSON of a filtered set. Rows come from queries.iter_reports (region
scoped); answers are opened per row with the office key. 0 rows -> a valid empty file."""
from __future__ import annotations

import csv
import io
import json
import re

from openpyxl import Workbook
from sqlalchemy import Connection, select

from office.keys import OfficeKeys
from office.schema import envelopes, villages

from . import export_columns, indexer, queries

MAX_ROWS = 50_000
COLUMNS = ["envelope_id", "received_at", "phone_time", "village_id", "village", "form_id",
           "category", "urgency", "urgent", "children", "route", "triage", "has_photo", "verdict",
           "lat", "lon", "decrypted", "answers_json"]


def rows(conn: Connection, keys: OfficeKeys, staff: dict, filters: queries.Filters) -> list[dict]:
    from .reports import ms_iso, typed_zone
    out = []
    places = {v.id: v for v in conn.execute(select(villages.c.id, villages.c.kode_wilayah, villages.c.region))}
    for r in queries.iter_reports(conn, staff, filters, MAX_ROWS, keys=keys):
        env_row = conn.execute(select(envelopes).where(envelopes.c.id == r["envelope_id"])).first()
        opened = indexer.open_report(conn, keys, env_row)
        answers = opened.payload.get("answers", {}) if opened else None
        place = places.get(r["village_id"])
        out.append({"answers": answers if isinstance(answers, dict) else {},
                    "typed_zone": typed_zone(opened.payload if opened else None, place and place.kode_wilayah,
                                             place and place.region),
                    "rahasia": bool(env_row.rahasia),       # the office's classification (reclassify.py)
                    **export_columns.extras(conn, keys, r["envelope_id"], r.get("assignee_id")),"envelope_id": r["envelope_id"], "received_at": r["received_at"],
                    "phone_time": ms_iso(r["created_ms"]), "village_id": r["village_id"],
                    "village": r["village_name"], "form_id": r["form_id"], "category": r["category"],
                    "urgency": r["urgency"], "urgent": bool(r["urgent"]), "children": bool(r["children"]),
                    "route": r["route"], "triage": r["triage"], "has_photo": bool(r["has_photo"]),
                    "verdict": r["verdict"], "lat": r["lat"], "lon": r["lon"],
                    "decrypted": opened is not None,
                    "answers_json": json.dumps(_without_voice(answers, env_row), ensure_ascii=False, sort_keys=True)
                    if answers is not None else ""})
    return out


def _without_voice(answers: dict, env_row) -> dict:
    """The answers for `answers_json` without voice-note ids: a note is played on the report
    page and never leaves the office (its column in the export is a count)."""
    form = indexer.load_form(env_row.form_id, env_row.form_version) if isinstance(answers, dict) else None
    voice = {f.name for f in form.fields if f.type == "audio"} if form else set()
    return {k: v for k, v in answers.items() if k not in voice} if voice else answers


FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# "-9.4612, 124.3721": a GPS answer south of the equator (most of Indonesia) starts with "-"
# but holds nothing a spreadsheet could run — digits, one sign each, a dot, a comma.
_COORDS = re.compile(r"-?\d{1,3}(\.\d+)?, -?\d{1,3}(\.\d+)?")


def neutral(value):
    """A text cell a spreadsheet would run as a formula (=HYPERLINK(...), @SUM(...), a leading
    tab or CR) gets a leading apostrophe: shown as text, never executed. Numbers and plain
    coordinates pass."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES) and not _COORDS.fullmatch(value):
        return "'" + value
    return value


def to_csv(data: list[dict], lang: str = "id", group: str | None = None) -> bytes:
    """Header row in the reader's language, then a row of column codes, then one row per report
    — or, for a repeat `group` (`terlibat`), one row per entry keyed by the report's id."""
    headers, codes, rows_ = (export_columns.group_table(data, group, lang) if group
                             else export_columns.table(data, lang))
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(headers)
    w.writerow(codes)
    for row in rows_:
        w.writerow([neutral(v) for v in row])
    return buf.getvalue().encode("utf-8-sig")     # BOM: Excel opens Indonesian text correctly


def _sheet(ws, headers: list[str], rows_: list[list]) -> None:
    """One table on a sheet: filters on, header frozen, widths to fit. Every text value is an
    explicit string cell: openpyxl would store "=..." as a formula."""
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    ws.append(headers)
    for row in rows_:
        ws.append(row)
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{max(1, len(rows_) + 1)}"
    for i, head in enumerate(headers, 1):
        longest = max([len(str(head))] + [len(str(r[i - 1])) for r in rows_[:500] if r[i - 1] is not None])
        ws.column_dimensions[get_column_letter(i)].width = min(60, max(10, longest + 2))


def to_xlsx(data: list[dict], lang: str = "id") -> bytes:
    """Sheet "laporan" (one row per report), a sheet per repeat group ("terlibat": one row per
    entry, keyed by report id and entry number, as ODK and Kobo export repeats) and sheet
    "kode" (the codebook)."""
    headers, codes, rows_ = export_columns.table(data, lang)
    wb = Workbook()
    ws = wb.active
    ws.title = "laporan"
    _sheet(ws, headers, rows_)
    for group in export_columns.repeat_groups(r["form_id"] for r in data):
        g_headers, _, g_rows = export_columns.group_table(data, group, lang)
        _sheet(wb.create_sheet(group[:31]), g_headers, g_rows)
    kode = wb.create_sheet("kode")
    for row in [["kode kolom", "judul kolom"]] + [[c, h] for c, h in zip(codes, headers)]:
        kode.append(row)
    kode.append([])
    for row in export_columns.codebook(data, lang):
        kode.append(row)
    for line in kode.iter_rows():
        for cell in line:
            if isinstance(cell.value, str):
                cell.data_type = "s"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def to_geojson(data: list[dict], lang: str = "id") -> bytes:
    """Only reports with a location are features; how many were left out is said at the top."""
    feats = []
    left_out = 0
    for r in data:
        if r["lat"] is None or r["lon"] is None:
            left_out += 1
            continue
        props = {k: r[k] for k in COLUMNS if k not in ("lat", "lon", "answers_json")}
        props["answers"] = json.loads(r["answers_json"]) if r["answers_json"] else None
        feats.append({"type": "Feature", "id": r["envelope_id"],
                      "geometry": {"type": "Point", "coordinates": [r["lon"], r["lat"]]}, "properties": props})
    return json.dumps({"type": "FeatureCollection", "features": feats,
                       "jaga_left_out_without_location": left_out}, ensure_ascii=False).encode()


def groups(data: list[dict]) -> list[str]:
    """The repeat groups a CSV export of `data` can be asked for (`group=terlibat`)."""
    return list(export_columns.repeat_groups(r["form_id"] for r in data))


FORMATS = {"csv": (to_csv, "text/csv; charset=utf-8"),
           "xlsx": (to_xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
           "geojson": (to_geojson, "application/geo+json")}
