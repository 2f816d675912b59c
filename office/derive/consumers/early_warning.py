"""Early warning: a report's link keys, then every rule over the batch (office.warning.observe).

observe appends link rows and counts the names into warn_name_stats; a report derived
again (a retry, a job queued twice) first gives back what its stored names counted and loses
its old rows, and a rebuild empties both, so neither a link nor a name is counted twice.
Signals are upserted by (rule, key) and their reports by primary key, so an analyst's confirm/dismiss survives a rebuild.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, delete, text

from office import warning
from office.keys import OfficeKeys
from office.warning.rings import forget_names
from office.warning.schema import warn_links, warn_name_stats

from ..registry import Consumer, Stored, register
from .answers import clean_answers

PG_LOCK = 0x4A440002          # advisory lock id: "JD" early warning (office/inbox.py holds ...0001)


def report_of(item: Stored) -> warning.Report | None:
    """The engine's view of a stored report, made once per batch (the roll-up links reuse its
    extracted facts)."""
    if "warning_report" not in item.memo:
        answers = clean_answers(item)
        item.memo["warning_report"] = None if answers is None else warning.Report(
            item.envelope_id, item.village_id, item.form_id, item.received_at, answers)
    return item.memo["warning_report"]


def prepare(keys: OfficeKeys, item: Stored) -> None:
    """Before the write transaction (maybe in a pool process): the report's facts under the
    current settings — extracting identifiers and places is most of what observe reads — and
    its link rows (the HMACs of its identifiers and name words, its sealed names), which
    observe would otherwise make in the one writing process."""
    report = report_of(item)
    if report is not None:
        report.links_for(keys, warning.current_config())


def _current_facts(report: warning.Report, config) -> warning.Report:
    """Facts prepared in another process were made under a copy of these settings' places:
    when the copy is equal they are these settings' facts (else facts_for extracts again)."""
    if report.facts is not None and report.places is not config.places and report.places == config.places:
        report.places = config.places
    return report


def derive(conn: Connection, keys: OfficeKeys, items: list[Stored], now: datetime) -> None:
    if not items:
        return
    if conn.dialect.name == "postgresql":
        # Workers of several processes share the queue (SKIP LOCKED), but two batches must not
        # be matched at once: neither would see the other's uncommitted links, and a pair of
        # reports split between them would never be linked. Held until the batch commits.
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PG_LOCK})
    ids = [i.envelope_id for i in items]
    forget_names(conn, keys, ids)
    conn.execute(delete(warn_links).where(warn_links.c.envelope_id.in_(ids)))
    config = warning.current_config()
    reports = [_current_facts(r, config) for r in map(report_of, items) if r is not None]
    if reports:
        warning.observe(conn, keys, reports, config, now=now)


def clear(conn: Connection) -> None:
    conn.execute(delete(warn_links))
    conn.execute(delete(warn_name_stats))


CONSUMER = register(Consumer("early_warning", derive, clear, prepare=prepare))
