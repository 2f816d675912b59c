"""The dashboard's search words, and the whole projection of reports stored before it existed.

The push writes a report's filter row (office/store/filter_row.py); its search terms are
derived afterwards by the `search` consumer (office/derive/consumers/search.py) from the
words chosen here. The index is never built in a dashboard GET. `catch_up` remains for
rows stored before migration 0006 (reports accepted by older code); the office runs it at
start-up in a bounded background loop. Search words per report are capped (MAX_WORDS): what a hostile author writes cannot
grow the search index without bound.
"""
from __future__ import annotations

import logging
import re
import unicodedata
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, func, select

import forms
from core.errors import FormError
from sync import envelope as env
from office import opening
from office.keys import OfficeKeys
from office.schema import envelopes
from office.store import filter_row
from office.store.filter_row import columns as derive, iso_week  # noqa: F401  (older callers' names)

from . import derived, search_index
from .schema import dash_reports

log = logging.getLogger("jaga.office.dashboard")
BATCH = 200
MAX_WORDS = 400          # distinct search words kept per report (a full honest report has ~150)
_WORD = re.compile(r"[a-z0-9]+")


def words(text: str) -> tuple[str, ...]:
    """Normalized search words, distinct, in order: lower case, accents folded, 2+ characters.
    Cached: every report repeats its choices' labels ("Malaysia", "rekrutmen")."""
    return _words(text) if len(text) <= 200 else _fold(text)


@lru_cache(maxsize=8192)
def _words(text: str) -> tuple[str, ...]:
    return _fold(text)


def _fold(text: str) -> tuple[str, ...]:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return tuple(dict.fromkeys(w for w in _WORD.findall(folded) if len(w) >= 2))


def open_report(conn: Connection, keys: OfficeKeys, row) -> env.Opened | None:
    """The opened envelope, or None when it cannot be verified/decrypted."""
    return opening.open_stored(keys, row.data, opening.authors_public(conn, [row.author_id]).get(row.author_id))


def load_form(form_id: str, version: int):
    try:
        return forms.load(form_id, version)
    except (FormError, KeyError, ValueError):
        return None


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
                    for w in _label_words(form, f, v):
                        if len(out) >= cap:
                            break
                        out[w] = None
    return set(out)


_LABELS: dict[tuple, tuple[str, ...]] = {}


def _label_words(form, field, value: Any) -> tuple[str, ...]:
    """The words of a choice's labels (Indonesian, then English), in the order `search_words`
    adds them: every report repeats the same few choices, so they are folded once per form
    version, field and value (an unhashable value, only ever hostile, is folded each time)."""
    labels = [field.choice_label(value, lang) for lang in ("id", "en")] if not _hashable(value) else None
    if labels is not None:
        return tuple(w for label in labels for w in words(label))
    key = (form.id, form.version, field.name, type(value), value)
    got = _LABELS.get(key)
    if got is None:
        if len(_LABELS) >= 50_000:
            _LABELS.clear()
        got = _LABELS[key] = tuple(w for lang in ("id", "en") for w in words(field.choice_label(value, lang)))
    return got


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def project(conn: Connection, keys: OfficeKeys, row: dict, payload: dict | None, form,
            now: datetime | None = None) -> None:
    """Write the dashboard projection of one envelope row from its already-opened payload
    (None: it could not be opened; shown as such, never retried in a loop)."""
    project_batch(conn, keys, [(row, payload, form)], now)


def project_batch(conn: Connection, keys: OfficeKeys, items: list[tuple[dict, dict | None, Any]],
                  now: datetime | None = None) -> None:
    """The whole projection of a batch of (row, payload or None, form): the filter row (as the
    push writes it) and the search terms (as the derive consumer writes them), one insert per
    table. For rows stored before either existed (`catch_up`) and the indexer bench."""
    filter_row.write_batch(conn, keys, [(row, payload) for row, payload, _ in items], now)
    terms = {}
    for row, payload, form in items:
        answers = payload.get("answers") if isinstance(payload, dict) else None
        terms[row["id"]] = derived.term_hashes(keys, search_words(form, answers)) if isinstance(answers, dict) else ()
    search_index.replace(conn, terms)


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
