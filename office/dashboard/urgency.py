"""Urgency first: the inbox ordered DARURAT, then MENDESAK (or urgent by its flags), then the
rest — newest first inside each level — with its own keyset cursor, so page N costs the same
as page 1 like the default time order (queries.list_reports)."""
from __future__ import annotations

import base64

from sqlalchemy import Connection, case, or_

from . import queries
from .schema import dash_reports

RANK = case((dash_reports.c.urgency == "darurat", 3),
            (or_(dash_reports.c.urgency == "mendesak", dash_reports.c.urgent.is_(True)), 2), else_=1)


def encode(rank: int, received_at: str, envelope_id: str) -> str:
    return base64.urlsafe_b64encode(f"{rank}|{received_at}|{envelope_id}".encode()).decode().rstrip("=")


def decode(text: str) -> tuple[int, str, str]:
    try:
        rank, at, eid = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode().split("|")
        if rank not in ("1", "2", "3") or len(at) > 32 or len(eid) > 36:
            raise ValueError
        return int(rank), at, eid
    except ValueError:
        raise queries.FilterError("ucursor: not a cursor from this dashboard; start from the first page") from None


LEVELS = {3: dash_reports.c.urgency == "darurat",    # RANK's first branch, as SQLite can seek it
          2: RANK == 2, 1: RANK == 1}


def list_reports(conn: Connection, staff: dict, filters: queries.Filters, limit: int = 50, *,
                 cursor: str | None = None, keys=None) -> tuple[list[dict], str | None]:
    """Like queries.list_reports, ordered by urgency level, then newest first: level by level,
    each the report list's own newest-first page (`queries.newest`) restricted to that level,
    so a search among them walks or probes like the report list (search_index.holding_all)
    instead of fetching and sorting every match (one ORDER BY on RANK sorted them all)."""
    limit = max(1, min(int(limit), queries.MAX_LIMIT))
    start, at, eid = decode(cursor) if cursor else (3, None, None)
    rows: list[dict] = []
    for rank in range(start, 0, -1):
        after = (at, eid) if rank == start and at is not None else None
        got = queries.newest(conn, staff, filters, limit + 1 - len(rows), keys=keys, after=after,
                             also=[LEVELS[rank]])
        rows += [{**row, "rank": rank} for row in got]
        if len(rows) > limit:
            break
    nxt = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        nxt = encode(last["rank"], last["received_at"], last["envelope_id"])
    return rows, nxt
