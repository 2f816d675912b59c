"""The report's filter row (dash_reports), written by the push in its own transaction.

Staff need some things the moment a receipt leaves: the report in the inbox, its filter
columns (category, urgency, children, route, GPS) and, for DARURAT, the banner. Those
columns can only be known after opening the report, which the push does anyway (to admit
it), so the push writes them — one insert for the whole batch. Everything else learnt from
a report is derived afterwards (office/derive). `columns` is THE rule for every column
derived from a report's answers, the envelope's own category/urgent included.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Column, Connection, Index, Integer, LargeBinary, String, Table

from office import clock
from office.keys import OfficeKeys
from office.schema import metadata

from . import bulk
from .sealed import seal_geo

CATEGORY_PMI = "pmi_nonprosedural"

dash_reports = Table(
    "dash_reports", metadata,
    Column("envelope_id", String(36), primary_key=True),
    Column("village_id", Integer, nullable=False),
    Column("form_id", String(255), nullable=False),
    Column("received_at", String(32), nullable=False),
    Column("created_ms", BigInteger, nullable=False),
    Column("has_photo", Boolean, nullable=False),
    Column("opened", Boolean, nullable=False),          # False: the envelope cannot be decrypted
    Column("category", String(100), nullable=True),
    Column("urgency", String(16), nullable=True),       # biasa | mendesak | darurat
    Column("urgent", Boolean, nullable=False),
    Column("children", Boolean, nullable=False),
    Column("route", String(64), nullable=True),
    Column("geo", LargeBinary, nullable=True),       # GPS point, sealed (derived.seal_geo)
    Column("week", String(8), nullable=False),          # ISO week of received_at, "2025-W03"
    Column("triage", String(32), nullable=False),
    Column("assignee_id", Integer, nullable=True),
    Column("indexed_at", String(32), nullable=False),
    # the report's search document (SQLite: its FTS5 rowid, dash_search.doc), kept by the search
    # consumer (search_index.replace), never by the push; NULL: none, or not known here (a row
    # written again), and a search looks it up. Counting a search over every report tests
    # this column against the match instead of looking up each report's document by its id
    # (migration search4_0001: the overview's charts at 100k, ~590 -> ~100 ms)
    Column("search_doc", Integer, nullable=True),
    Index("ix_dash_reports_recv", "received_at", "envelope_id"),
    Index("ix_dash_reports_village", "village_id", "received_at"),
    Index("ix_dash_reports_triage", "triage", "received_at"),
    # the DARURAT banner and menu count on every dashboard page: newest open emergencies, found
    # without reading the other 99% of the reports (issue 25: 125 ms of every page at 100k)
    Index("ix_dash_reports_urgency", "urgency", "received_at"),
)


def columns(form_id: str, payload: dict) -> dict:
    """THE rule for every column derived from a report's answers (both shipped forms; unknown
    forms degrade to nothing). Flags in the payload are the author's claim, so only the
    `urgent` flag the form itself computes is honoured, never a category override."""
    answers = payload.get("answers") if isinstance(payload, dict) and isinstance(payload.get("answers"), dict) else {}
    flags = payload.get("flags") if isinstance(payload, dict) and isinstance(payload.get("flags"), dict) else {}

    def num(name: str) -> float:
        v = answers.get(name)
        return v if isinstance(v, (int, float)) and not isinstance(v, bool) else 0

    category = answers.get("kategori") if isinstance(answers.get("kategori"), str) else None
    if category is None and form_id == "keberangkatan_pmi":
        category = CATEGORY_PMI
    urgency = answers.get("urgensi") if answers.get("urgensi") in ("biasa", "mendesak", "darurat") else None
    urgent = flags.get("urgent") is True or urgency in ("mendesak", "darurat")
    if urgency is None:
        urgency = "mendesak" if urgent else "biasa"
    children = answers.get("ada_anak") == "ya" or num("jumlah_anak") > 0 or num("jumlah_di_bawah_umur") > 0
    route = answers.get("jalur") if isinstance(answers.get("jalur"), str) else None
    lat = lon = None
    for v in answers.values():
        if isinstance(v, dict) and isinstance(v.get("lat"), (int, float)) and isinstance(v.get("lon"), (int, float)):
            if -90 <= v["lat"] <= 90 and -180 <= v["lon"] <= 180:
                lat, lon = float(v["lat"]), float(v["lon"])
                break
    return {"category": category[:100] if category else None, "urgency": urgency, "urgent": urgent,
            "children": bool(children), "route": route[:64] if route else None, "lat": lat, "lon": lon}


def iso_week(received_at: str) -> str:
    y, w, _ = clock.parse(received_at).isocalendar()
    return f"{y}-W{w:02d}"


def write_batch(conn: Connection, keys: OfficeKeys, items: list[tuple[dict, dict | None]],
                now: datetime | None = None, known: dict[str, dict] | None = None) -> None:
    """The filter rows of a batch of (envelope row, opened payload or None), one insert.
    None: the report could not be opened (shown as such, never retried in a loop).
    `known`: envelope id -> `columns` already worked out for it (the push's envelope row
    needs them first)."""
    indexed_at = clock.iso(now or clock.now())
    weeks: dict[str, str] = {}      # a push batch shares one received_at
    rows = []
    for row, payload in items:
        received = row["received_at"]
        if received not in weeks:
            weeks[received] = iso_week(received)
        base = {"envelope_id": row["id"], "village_id": row["village_id"], "form_id": row["form_id"],
                "received_at": received, "created_ms": row["created_ms"],
                "has_photo": bool(row["has_photo"]), "week": weeks[received],
                "triage": row.get("triage") or "new", "indexed_at": indexed_at}
        if payload is None:
            rows.append({**base, "opened": False, "category": row.get("category"), "urgency": None,
                         "urgent": bool(row.get("urgent")), "children": False, "route": None, "geo": None})
            continue
        d = dict(known[row["id"]]) if known and row["id"] in known else columns(row["form_id"], payload)
        d["geo"] = seal_geo(keys, row["id"], d.pop("lat"), d.pop("lon"))
        rows.append({**base, "opened": True, **d})
    bulk.insert_rows(conn, dash_reports, rows)
