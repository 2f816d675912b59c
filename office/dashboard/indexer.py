"""Project a report into dash_reports/dash_terms once, at ingest, from the one opening.

Ingest opens every report (to check it against its form) and hands the opened answers
here in the same transaction: one decryption per report, one rule (`derive`) for every
derived column, the envelope's own category/urgent included. The index is never built in
a dashboard GET. `catch_up` remains for rows stored before migration 0006 (reports
accepted by older code); the office runs it at start-up in a bounded background loop.
Search words per report are capped (MAX_WORDS): what a hostile author writes cannot
grow dash_terms without bound.
"""
from __future__ import annotations

import logging
import re
import unicodedata
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select

import forms
from core.errors import EnvelopeError, FormError
from sync import envelope as env
from office import clock
from office.keys import OfficeKeys
from office.schema import envelopes, persons

from . import derived
from .i18n import CATEGORY_PMI
from .schema import dash_reports, dash_terms

log = logging.getLogger("jaga.office.dashboard")
BATCH = 200
MAX_WORDS = 400          # distinct search words kept per report (a full honest report has ~150)
_WORD = re.compile(r"[a-z0-9]+")


def words(text: str) -> list[str]:
    """Normalized search words, distinct, in order: lower case, accents folded, 2+ characters."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return list(dict.fromkeys(w for w in _WORD.findall(folded) if len(w) >= 2))


def open_report(conn: Connection, keys: OfficeKeys, row) -> env.Opened | None:
    """The opened envelope, or None when it cannot be verified/decrypted."""
    author = conn.execute(select(persons.c.ed25519_public).where(persons.c.id == row.author_id)).first()
    try:
        if author is None:
            raise EnvelopeError("unknown author")
        return env.open(row.data, recipient_key=keys.x25519,
                        author_public=env.load_public_ed25519(author.ed25519_public))
    except EnvelopeError:
        return None


def load_form(form_id: str, version: int):
    try:
        return forms.load(form_id, version)
    except (FormError, KeyError, ValueError):
        return None


def derive(form_id: str, payload: dict) -> dict:
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


def search_words(form, answers: dict, cap: int = MAX_WORDS) -> set[str]:
    """Words to index for a report, at most `cap` (first come, in form order)."""
    out: dict[str, None] = {}

    def add(value: Any) -> None:
        if len(out) >= cap:
            return
        if isinstance(value, str):
            for w in words(value):
                if len(out) >= cap:
                    return
                out[w] = None
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            add(str(value))
        elif isinstance(value, list):
            for x in value:
                add(x)
        elif isinstance(value, dict) and not {"lat", "lon"} & set(value):   # a repeat entry, never GPS
            for x in value.values():
                add(x)
    for name, value in answers.items():
        add(value)
        if form is not None:
            try:
                f = form.field(name)
            except KeyError:
                continue
            if f.choices:   # choice labels too, so "sawit" or "Malaysia" find coded answers
                for v in (value if isinstance(value, list) else [value]):
                    for lang in ("id", "en"):
                        add(f.choice_label(v, lang))
    return set(out)


def iso_week(received_at: str) -> str:
    y, w, _ = clock.parse(received_at).isocalendar()
    return f"{y}-W{w:02d}"


def project(conn: Connection, keys: OfficeKeys, row: dict, payload: dict | None, form,
            now: datetime | None = None) -> None:
    """Write the dashboard projection of one envelope row from its already-opened payload
    (None: it could not be opened; shown as such, never retried in a loop)."""
    project_batch(conn, keys, [(row, payload, form)], now)


def project_batch(conn: Connection, keys: OfficeKeys, items: list[tuple[dict, dict | None, Any]],
                  now: datetime | None = None) -> None:
    """`project` for a whole batch of (row, payload or None, form): the same stored values,
    written with one insert per table (an executemany) in the caller's transaction — one
    statement per report and per report's words cost most of an ingest before."""
    indexed_at = clock.iso(now or clock.now())
    weeks: dict[str, str] = {}      # a push batch shares one received_at
    reports, terms = [], []
    for row, payload, form in items:
        received = row["received_at"]
        if received not in weeks:
            weeks[received] = iso_week(received)
        base = {"envelope_id": row["id"], "village_id": row["village_id"], "form_id": row["form_id"],
                "received_at": received, "created_ms": row["created_ms"],
                "has_photo": bool(row["has_photo"]), "week": weeks[received],
                "triage": row.get("triage") or "new", "indexed_at": indexed_at}
        if payload is None:
            reports.append({**base, "opened": False, "category": row.get("category"), "urgency": None,
                            "urgent": bool(row.get("urgent")), "children": False, "route": None, "geo": None})
            continue
        d = derive(row["form_id"], payload)
        d["geo"] = derived.seal_geo(keys, row["id"], d.pop("lat"), d.pop("lon"))
        reports.append({**base, "opened": True, **d})
        answers = payload.get("answers") if isinstance(payload.get("answers"), dict) else {}
        terms += [{"term": t, "envelope_id": row["id"]}
                  for t in derived.term_hashes(keys, search_words(form, answers))]
    if reports:
        conn.execute(insert(dash_reports), reports)
    if terms:
        conn.execute(insert(dash_terms), terms)


def index_one(conn: Connection, keys: OfficeKeys, row, now: datetime | None = None) -> None:
    """Legacy path (rows stored before indexing moved into ingest): open, then project."""
    opened = open_report(conn, keys, row)
    payload = opened.payload if opened is not None and isinstance(opened.payload, dict) else None
    project(conn, keys, dict(row._mapping), payload,
            load_form(row.form_id, row.form_version) if payload is not None else None, now)


def pending(conn: Connection) -> int:
    total = conn.execute(select(func.count()).select_from(envelopes)).scalar_one()
    done = conn.execute(select(func.count()).select_from(dash_reports)).scalar_one()
    return max(0, total - done)


def catch_up(conn: Connection, keys: OfficeKeys, limit: int = BATCH) -> int:
    """Index up to `limit` legacy envelopes the dashboard has not seen; returns how many remain.
    Called by the start-up backfill only, never by a page."""
    if pending(conn) == 0:
        return 0
    missing = (select(envelopes).outerjoin(dash_reports, dash_reports.c.envelope_id == envelopes.c.id)
               .where(dash_reports.c.envelope_id.is_(None)).order_by(envelopes.c.received_at).limit(limit))
    batch = []
    for row in conn.execute(missing).all():
        opened = open_report(conn, keys, row)
        payload = opened.payload if opened is not None and isinstance(opened.payload, dict) else None
        batch.append((dict(row._mapping), payload,
                      load_form(row.form_id, row.form_version) if payload is not None else None))
    project_batch(conn, keys, batch)
    return pending(conn) if len(batch) == limit else 0


def backfill(engine, keys: OfficeKeys, batch: int = BATCH) -> int:
    """Index every legacy envelope, one short transaction per batch (so pushes interleave)."""
    total = 0
    while True:
        with engine.begin() as conn:
            before = pending(conn)
            if before == 0:
                return total
            left = catch_up(conn, keys, batch)
        total += before - left
        if left == 0:
            return total
