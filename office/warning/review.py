"""Analysts and signals: list what a staff member may see, and confirm / dismiss (with a
reason) / assign. The caller audits every action and decides the region scope."""
from __future__ import annotations

import json

from sqlalchemy import Connection, desc, func, select, update

from core.errors import BadRequest, NotFound
from office import clock
from office.schema import envelopes, villages

from .rules import explain, title
from .schema import warn_signal_reports, warn_signals

STATUSES = ("new", "confirmed", "dismissed")
ACTIONS = ("confirm", "dismiss", "assign", "reopen")


def visible(conn: Connection, allowed: list[int] | None, status: str | None = None,
            lang: str = "id", limit: int = 200) -> list[dict]:
    """Signals with at least one report in `allowed` villages (None = all), newest first.
    Reports outside the scope are counted, never listed."""
    q = select(warn_signals).order_by(desc(warn_signals.c.updated_at)).limit(limit)
    if status:
        q = q.where(warn_signals.c.status == status)
    out = []
    names = dict(conn.execute(select(villages.c.id, villages.c.name)).all())
    for s in conn.execute(q).mappings():
        reps = conn.execute(select(envelopes.c.id, envelopes.c.village_id, envelopes.c.received_at,
                                   envelopes.c.form_id, envelopes.c.rahasia)
                            .join(warn_signal_reports, warn_signal_reports.c.envelope_id == envelopes.c.id)
                            .where(warn_signal_reports.c.signal_id == s["id"])
                            .order_by(envelopes.c.received_at)).mappings().all()
        mine = [dict(r) for r in reps if allowed is None or r["village_id"] in allowed]
        if not mine:
            continue
        detail = json.loads(s["detail"])
        out.append({**s, "detail": detail, "title": title(s["rule"], lang),
                    "explanation": explain(s["rule"], detail, lang), "reports": mine,
                    "hidden": len(reps) - len(mine),
                    "villages": sorted({names.get(v, str(v)) for v in detail.get("village_ids", [])})})
    return out


def in_scope(conn: Connection, signal_id: int, allowed: list[int] | None) -> bool:
    """Does the signal hold at least one report from the `allowed` villages (None = all)?"""
    q = (select(func.count()).select_from(warn_signal_reports)
         .join(envelopes, envelopes.c.id == warn_signal_reports.c.envelope_id)
         .where(warn_signal_reports.c.signal_id == signal_id))
    if allowed is not None:
        q = q.where(envelopes.c.village_id.in_(allowed))
    return conn.execute(q).scalar_one() > 0


def act(conn: Connection, signal_id: int, action: str, *, reason: str = "",
        assignee_id: int | None = None) -> dict:
    row = conn.execute(select(warn_signals).where(warn_signals.c.id == signal_id)).mappings().first()
    if row is None:
        raise NotFound(f"signal {signal_id}")
    values: dict = {"updated_at": clock.iso(clock.now())}
    if action == "confirm":
        values.update(status="confirmed", reason=None)
    elif action == "dismiss":
        reason = (reason or "").strip()
        if not reason:
            raise BadRequest("a dismissed signal needs a reason")
        values.update(status="dismissed", reason=reason[:500])
    elif action == "reopen":
        values.update(status="new", reason=None)
    elif action == "assign":
        values.update(assignee_id=assignee_id)
    else:
        raise BadRequest(f"unknown action {action!r}")
    conn.execute(update(warn_signals).where(warn_signals.c.id == signal_id).values(**values))
    return {"rule": row["rule"], "from": row["status"], **{k: v for k, v in values.items() if k != "updated_at"}}


def new_count(conn: Connection, allowed: list[int] | None) -> int:
    """New signals with a report the staff member may see (the dashboard badge)."""
    q = (select(func.count(func.distinct(warn_signals.c.id)))
         .join(warn_signal_reports, warn_signal_reports.c.signal_id == warn_signals.c.id)
         .join(envelopes, envelopes.c.id == warn_signal_reports.c.envelope_id)
         .where(warn_signals.c.status == "new"))
    if allowed is not None:
        q = q.where(envelopes.c.village_id.in_(allowed))
    return conn.execute(q).scalar_one()


