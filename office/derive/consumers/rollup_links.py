"""Roll-up link keys (office/rollup/links.py): PostgreSQL offices in a roll-up only; nothing
elsewhere. Reports received before `rollup office-setup` are queued when a worker starts
(`missing`), which replaces the start-up backfill."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, text

from office import warning
from office.keys import OfficeKeys
from office.rollup import links

from ..registry import Consumer, Stored, register
from .early_warning import report_of


def derive(conn: Connection, keys: OfficeKeys, items: list[Stored], now: datetime) -> None:
    schema = links.share_schema(conn) if items else None
    if schema is None:
        return
    readable = {i.envelope_id: report_of(i) for i in items}
    links.record(conn, [r for r in readable.values() if r is not None], warning.current_config())
    links.mark_done(conn, schema, [e for e, r in readable.items() if r is None])


def missing(conn: Connection, limit: int) -> list[str]:
    schema = links.share_schema(conn)
    if schema is None:
        return []
    return list(conn.execute(text(
        f"SELECT s.envelope_id FROM {schema}.share_reports s WHERE NOT EXISTS (SELECT 1 FROM "
        f"{schema}.share_links_done d WHERE d.envelope_id = s.envelope_id) AND NOT EXISTS (SELECT 1 FROM "
        f"public.derive_jobs j WHERE j.envelope_id = s.envelope_id AND j.consumer = 'rollup_links') "
        f"ORDER BY 1 LIMIT :n"), {"n": limit}).scalars())


CONSUMER = register(Consumer("rollup_links", derive, missing=missing))
