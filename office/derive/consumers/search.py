"""Search terms: the keyed hashes of a report's words (dashboard search), replaced whole per
report so a second run leaves the same rows."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, delete, insert

from office.dashboard import indexer
from office.dashboard.schema import dash_terms
from office.keys import OfficeKeys

from ..registry import Consumer, Stored, register


def derive(conn: Connection, keys: OfficeKeys, items: list[Stored], now: datetime) -> None:
    if not items:
        return
    conn.execute(delete(dash_terms).where(dash_terms.c.envelope_id.in_([i.envelope_id for i in items])))
    terms = []
    for item in items:
        if item.answers is None:
            continue
        terms += indexer.term_rows(keys, item.envelope_id, indexer.load_form(item.form_id, item.form_version),
                                   item.answers)
    if terms:
        conn.execute(insert(dash_terms), terms)


def clear(conn: Connection) -> None:
    conn.execute(delete(dash_terms))


CONSUMER = register(Consumer("search", derive, clear))
