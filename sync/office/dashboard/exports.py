"""CSV, XLSX and GeoJSON of a filtered set. Rows come from queries.iter_reports (region
scoped); answers are opened per row with the office key. 0 rows -> a valid empty file."""
from __future__ import annotations

import csv
import io
import json

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from sqlalchemy import Connection, select

from sync.office.keys import OfficeKeys
from sync.office.schema import envelopes

from . import indexer, queries

MAX_ROWS = 50_000
COLUMNS = ["envelope_id", "received_at", "phone_time", "village_id", "village", "form_id",
           "category", "urgency", "urgent", "children", "route", "triage", "has_photo", "verdict",
           "lat", "lon", "decrypted", "answers_json"]


def rows(conn: Connection, keys: OfficeKeys, staff: dict, filters: queries.Filters) -> list[dict]:
    from .reports import ms_iso
    out = []
    for r in queries.iter_reports(conn, staff, filters, MAX_ROWS, keys=keys):
        env_row = conn.execute(select(envelopes).where(envelopes.c.id == r["envelope_id"])).first()
        opened = indexer.open_report(conn, keys, env_row)
        answers = opened.payload.get("answers", {}) if opened else None
        out.append({"envelope_id": r["envelope_id"], "received_at": r["received_at"],
                    "phone_time": ms_iso(r["created_ms"]), "village_id": r["village_id"],
                    "village": r["village_name"], "form_id": r["form_id"], "category": r["category"],
                    "urgency": r["urgency"], "urgent": bool(r["urgent"]), "children": bool(r["children"]),
                    "route": r["route"], "triage": r["triage"], "has_photo": bool(r["has_photo"]),
                    "verdict": r["verdict"], "lat": r["lat"], "lon": r["lon"],
                    "decrypted": opened is not None,
                    "answers_json": json.dumps(answers, ensure_ascii=False, sort_keys=True)
                    if answers is not None else ""})
    return out


FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutral(value):
    """A text cell a spreadsheet would run as a formula (=HYPERLINK(...), @SUM(...), a leading
    tab or CR) gets a leading apostrophe: shown as text, never executed. Numbers pass."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def to_csv(data: list[dict]) -> bytes:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=COLUMNS)
    w.writeheader()
    for r in data:
        w.writerow({k: neutral(v) for k, v in r.items()})
    return buf.getvalue().encode("utf-8-sig")     # BOM: Excel opens Indonesian text correctly


def to_xlsx(data: list[dict]) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("laporan")
    ws.append(COLUMNS)
    for r in data:
        ws.append([_cell(ws, r[c]) for c in COLUMNS])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _cell(ws, value):
    """Every text value as an explicit string cell: openpyxl would store "=..." as a formula."""
    if not isinstance(value, str):
        return value
    cell = WriteOnlyCell(ws, value=value)
    cell.data_type = "s"
    return cell


def to_geojson(data: list[dict]) -> bytes:
    feats = []
    for r in data:
        props = {k: r[k] for k in COLUMNS if k not in ("lat", "lon", "answers_json")}
        props["answers"] = json.loads(r["answers_json"]) if r["answers_json"] else None
        geom = ({"type": "Point", "coordinates": [r["lon"], r["lat"]]}
                if r["lat"] is not None and r["lon"] is not None else None)
        feats.append({"type": "Feature", "id": r["envelope_id"], "geometry": geom, "properties": props})
    return json.dumps({"type": "FeatureCollection", "features": feats}, ensure_ascii=False).encode()


FORMATS = {"csv": (to_csv, "text/csv; charset=utf-8"),
           "xlsx": (to_xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
           "geojson": (to_geojson, "application/geo+json")}
