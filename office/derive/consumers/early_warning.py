"""Early warning: a report's link keys, then every rule over the batch (office.warning.observe).

observe appends link rows and counts the names into warn_name_stats; a report derived
again (a retry, a job queued twice) first gives back what its stored names counted and loses
its old rows, and a rebuild empties both, so neither a link nor a name is counted twice.
Signals are upserted by (rule, key) and their reports by primary key, so an analyst's confirm/dismiss survives a rebuild.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, delete

from office import warning
from office.keys import OfficeKeys
from office.warning.rings import forget_names
from office.warning.schema import warn_links, warn_name_stats

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
    ids = [i.envelope_id for i in items]
    forget_names(conn, keys, ids)
    conn.execute(delete(warn_links).where(warn_links.c.envelope_id.in_(ids)))
    reports = [r for r in map(report_of, items) if r is not None]
    if reports:
        warning.observe(conn, keys, reports, warning.current_config(), now=now)


def clear(conn: Connection) -> None:
    conn.execute(delete(warn_links))
    conn.execute(delete(warn_name_stats))


CONSUMER = register(Consumer("early_warning", derive, clear))
