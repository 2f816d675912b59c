"""Open new envelopes once with the office key and project them into dash_reports/dash_terms.

Runs at the start of dashboard requests (bounded per call), so there is no second
process to keep alive and ingest stays untouched. A report that cannot be opened is
indexed with opened=False and shown as such; it is never retried in a loop.
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
from sync.office import clock
from sync.office.keys import OfficeKeys
from sync.office.schema import envelopes, persons

from . import derived
from .i18n import CATEGORY_PMI
from .schema import dash_reports, dash_terms

log = logging.getLogger("jaga.office.dashboard")
BATCH = 1000
_WORD = re.compile(r"[a-z0-9]+")


def words(text: str) -> set[str]:
    """Normalized search words: lower case, accents folded, 2+ characters."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return {w for w in _WORD.findall(folded) if len(w) >= 2}


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


def derive(form_id: str, payload: dict, fallback_category: str | None) -> dict:
    """Filter columns from a report's answers (both shipped forms; unknown forms degrade)."""
    answers = payload.get("answers") if isinstance(payload.get("answers"), dict) else {}
    flags = payload.get("flags") if isinstance(payload.get("flags"), dict) else {}

    def num(name: str) -> float:
        v = answers.get(name)
        return v if isinstance(v, (int, float)) and not isinstance(v, bool) else 0

    category = answers.get("kategori") if isinstance(answers.get("kategori"), str) else None
    if category is None and form_id == "keberangkatan_pmi":
        category = CATEGORY_PMI
    urgency = answers.get("urgensi") if answers.get("urgensi") in ("biasa", "mendesak", "darurat") else None
    urgent = bool(flags.get("urgent")) or urgency in ("mendesak", "darurat")
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
    return {"category": (category or fallback_category), "urgency": urgency, "urgent": urgent,
            "children": bool(children), "route": route, "lat": lat, "lon": lon}


def search_words(form, answers: dict) -> set[str]:
    out: set[str] = set()

    def add(value: Any) -> None:
        if isinstance(value, str):
            out.update(words(value))
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            out.update(words(str(value)))
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
    return out


def iso_week(received_at: str) -> str:
    y, w, _ = clock.parse(received_at).isocalendar()
    return f"{y}-W{w:02d}"


def index_one(conn: Connection, keys: OfficeKeys, row, now: datetime | None = None) -> None:
    opened = open_report(conn, keys, row)
    base = {"envelope_id": row.id, "village_id": row.village_id, "form_id": row.form_id,
            "received_at": row.received_at, "created_ms": row.created_ms,
            "has_photo": bool(row.has_photo), "week": iso_week(row.received_at),
            "triage": row.triage or "new", "indexed_at": clock.iso(now or clock.now())}
    if opened is None:
        conn.execute(insert(dash_reports).values(
            **base, opened=False, category=row.category, urgency=None, urgent=bool(row.urgent),
            children=False, route=None, geo=None))
        return
    payload = opened.payload
    d = derive(row.form_id, payload, row.category)
    d["geo"] = derived.seal_geo(keys, row.id, d.pop("lat"), d.pop("lon"))
    conn.execute(insert(dash_reports).values(**base, opened=True, **d))
    answers = payload.get("answers") if isinstance(payload.get("answers"), dict) else {}
    terms = {derived.term_hash(keys, w) for w in search_words(load_form(row.form_id, row.form_version), answers)}
    if terms:
        conn.execute(insert(dash_terms), [{"term": t, "envelope_id": row.id} for t in terms])


def pending(conn: Connection) -> int:
    total = conn.execute(select(func.count()).select_from(envelopes)).scalar_one()
    done = conn.execute(select(func.count()).select_from(dash_reports)).scalar_one()
    return max(0, total - done)


def catch_up(conn: Connection, keys: OfficeKeys, limit: int = BATCH) -> int:
    """Index up to `limit` envelopes the dashboard has not seen; returns how many remain."""
    if pending(conn) == 0:
        return 0
    missing = (select(envelopes).outerjoin(dash_reports, dash_reports.c.envelope_id == envelopes.c.id)
               .where(dash_reports.c.envelope_id.is_(None)).order_by(envelopes.c.received_at).limit(limit))
    n = 0
    for row in conn.execute(missing).all():
        index_one(conn, keys, row)
        n += 1
    return pending(conn) if n == limit else 0
