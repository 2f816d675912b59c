"""Early warning: a report's link keys, then every rule over the batch (office.warning.observe).

observe appends link rows; a report derived again (a rebuild, a retry after a crash that
came before the commit cannot happen, but a rebuild can) first loses its old rows, so its
links are never counted twice. Signals are upserted by (rule, key) and their reports by
primary key, so an analyst's confirm/dismiss survives a rebuild.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, delete

from office import warning
from office.keys import OfficeKeys
from office.warning.schema import warn_links

from ..registry import Consumer, Stored, register
from .answers import clean_answers


def report_of(item: Stored) -> warning.Report | None:
    """The engine's view of a stored report, made once per batch (the roll-up links reuse its
    extracted facts)."""
    if "warning_report" not in item.memo:
        answers = clean_answers(item)
        item.memo["warning_report"] = None if answers is None else warning.Report(
            item.envelope_id, item.village_id, item.form_id, item.received_at, answers)
    return item.memo["warning_report"]


def derive(conn: Connection, keys: OfficeKeys, items: list[Stored], now: datetime) -> None:
    if not items:
        return
    conn.execute(delete(warn_links).where(warn_links.c.envelope_id.in_([i.envelope_id for i in items])))
    reports = [r for r in map(report_of, items) if r is not None]
    if reports:
        warning.observe(conn, keys, reports, warning.current_config(), now=now)


def clear(conn: Connection) -> None:
    conn.execute(delete(warn_links))


CONSUMER = register(Consumer("early_warning", derive, clear))
