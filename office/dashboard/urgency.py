"""Urgency first: the inbox ordered DARURAT, then MENDESAK (or urgent by its flags), then the
rest — newest first inside each level — with its own keyset cursor, so page N costs the same
as page 1 like the default time order (queries.list_reports)."""
from __future__ import annotations

import base64

from sqlalchemy import Connection, and_, case, desc, or_, select, true

from office.schema import villages

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


def list_reports(conn: Connection, staff: dict, filters: queries.Filters, limit: int = 50, *,
                 cursor: str | None = None, keys=None) -> tuple[list[dict], str | None]:
    """Like queries.list_reports, ordered by urgency level, then newest first."""
    limit = max(1, min(int(limit), queries.MAX_LIMIT))
    r = dash_reports.c
    cond = queries.conditions(conn, staff, filters, keys)
    if cursor:
        rank, at, eid = decode(cursor)
        cond.append(or_(RANK < rank, and_(RANK == rank, or_(r.received_at < at,
                                                             and_(r.received_at == at, r.envelope_id < eid)))))
    q = (select(dash_reports, villages.c.name.label("village_name"),
                queries._latest_verdict().label("verdict"), RANK.label("rank"))
         .join(villages, villages.c.id == r.village_id, isouter=True)
         .where(and_(true(), *cond)).order_by(desc(RANK), desc(r.received_at), desc(r.envelope_id))
         .limit(limit + 1))
    rows = queries._open_geo(conn.execute(q).mappings(), keys)
    nxt = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        nxt = encode(last["rank"], last["received_at"], last["envelope_id"])
    return rows, nxt
