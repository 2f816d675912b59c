"""Search terms: the keyed hashes of a report's words (dashboard search). Idempotent by the
table's primary key (term, report): a second run over the same report adds nothing. (No
delete first: dash_terms has no index by report, and one would cost every push's words a
second B-tree; a rebuild empties the table instead.)"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, delete

from office.dashboard import indexer
from office.dashboard.schema import dash_terms
from office.keys import OfficeKeys

from ..registry import Consumer, Stored, register


def derive(conn: Connection, keys: OfficeKeys, items: list[Stored], now: datetime) -> None:
    if not items:
        return
    terms = []
    for item in items:
        if item.answers is None:
            continue
        terms += indexer.term_rows(keys, item.envelope_id, indexer.load_form(item.form_id, item.form_version),
                                   item.answers)
    insert_many(conn, terms)


def insert_many(conn: Connection, terms: list[dict]) -> None:
    """~100 rows per report: straight to the driver's executemany (SQLAlchemy's per-row
    parameter building cost more than the insert itself), in the worker's transaction."""
    if not terms:
        return
    if conn.dialect.name == "postgresql":
        sql = "INSERT INTO dash_terms (term, envelope_id) VALUES (%s, %s) ON CONFLICT DO NOTHING"
    else:
        sql = "INSERT OR IGNORE INTO dash_terms (term, envelope_id) VALUES (?, ?)"
    conn.exec_driver_sql(sql, [(t["term"], t["envelope_id"]) for t in terms])


def clear(conn: Connection) -> None:
    conn.execute(delete(dash_terms))


CONSUMER = register(Consumer("search", derive, clear))
