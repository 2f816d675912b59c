"""Analysts and signals: list what a staff member may see (ranked, paged, their region's
part only), and confirm / dismiss (with a reason) / assign. The caller audits every action
and decides the region scope: seeing needs one report in scope, acting needs all of them."""
from __future__ import annotations

import json
from functools import lru_cache

from sqlalchemy import Connection, and_, case, desc, exists, func, select, update

from core.errors import BadRequest, NotFound
from office import clock
from office.keys import OfficeKeys
from office.schema import envelopes, villages

from .linkkeys import open_values

from .rules import explain, title
from .schema import warn_signal_reports, warn_signals

STATUSES = ("new", "confirmed", "dismissed")
ACTIONS = ("confirm", "dismiss", "assign", "reopen")


PAGE_SIZE = 20
REPORTS_SHOWN = 12


def _scope(q, allowed: list[int] | None):
    """Signals with at least one report in `allowed` villages (None = all)."""
    if allowed is None:
        return q
    return q.where(exists(select(warn_signal_reports.c.signal_id).where(and_(
        warn_signal_reports.c.signal_id == warn_signals.c.id, warn_signal_reports.c.village_id.in_(allowed)))))


def visible(conn: Connection, allowed: list[int] | None, status: str | None = None,
            lang: str = "id", page: int = 1, per_page: int = PAGE_SIZE,
            keys: OfficeKeys | None = None) -> tuple[list[dict], int]:
    """One page of the signals a staff member may see, strongest first (rank.score:
    strength plus recency; dismissed ones last), and how many there are. Each shows only the staff member's part:
    their reports and villages; other regions' reports are counted, never listed or named,
    and the matched values are shown only when every report of the signal is theirs (a
    value as written in another region's report is that region's)."""
    where = warn_signals.c.status == status if status else warn_signals.c.status.in_(STATUSES)
    q = _scope(select(warn_signals.c.id).where(where), allowed)
    total = conn.execute(select(func.count()).select_from(q.subquery())).scalar_one()
    settled = case((warn_signals.c.status == "dismissed", 1), else_=0)     # open leads before dismissed ones
    ids = [i for (i,) in conn.execute(q.order_by(settled, desc(warn_signals.c.score), desc(warn_signals.c.id))
                                       .limit(per_page).offset(max(page - 1, 0) * per_page))]
    if not ids:
        return [], total
    rows = {s["id"]: s for s in conn.execute(select(warn_signals).where(warn_signals.c.id.in_(ids))).mappings()}
    reps: dict[int, list[dict]] = {i: [] for i in ids}
    for r in conn.execute(select(warn_signal_reports.c.signal_id, envelopes.c.id, envelopes.c.village_id,
                                 envelopes.c.received_at, envelopes.c.form_id, envelopes.c.rahasia)
                          .join(envelopes, envelopes.c.id == warn_signal_reports.c.envelope_id)
                          .where(warn_signal_reports.c.signal_id.in_(ids))
                          .order_by(envelopes.c.received_at)).mappings():
        reps[r["signal_id"]].append(dict(r))
    names = dict(conn.execute(select(villages.c.id, villages.c.name)).all())
    out = []
    for sid in ids:
        s = rows[sid]
        mine = [r for r in reps[sid] if allowed is None or r["village_id"] in allowed]
        detail = json.loads(s["detail"])
        hidden = len(reps[sid]) - len(mine)
        values = [] if hidden or keys is None else matched_values(keys, s)
        out.append({**s, "detail": detail, "title": title(s["rule"], lang),
                    "explanation": explain(s["rule"], detail, lang), "reports": mine[-REPORTS_SHOWN:],
                    "more": max(len(mine) - REPORTS_SHOWN, 0), "hidden": hidden, "whole": hidden == 0,
                    "values": values, "form_titles": {r["form_id"]: form_title(r["form_id"], lang) for r in mine},
                    "village_ids": sorted({r["village_id"] for r in mine}),
                    "villages": sorted({names.get(r["village_id"], str(r["village_id"])) for r in mine})})
    return out, total


def matched_values(keys: OfficeKeys, signal: dict) -> list[tuple[str, str]]:
    """What linked the signal's reports (phone numbers, accounts, plates, boats, names), for
    the staff: unsealed only here, never stored or logged in the clear."""
    vals = open_values(keys, signal["key"], signal.get("sealed"))
    return sorted({(k, v) for k, v in vals if not v.startswith("#")})


@lru_cache(maxsize=64)
def form_title(form_id: str, lang: str) -> str:
    try:
        import forms
        return forms.load(form_id).title(lang)
    except Exception:   # noqa: BLE001 — an unknown or retired form shows its id
        return form_id


def in_scope(conn: Connection, signal_id: int, allowed: list[int] | None) -> bool:
    """Does the signal hold at least one report from the `allowed` villages (None = all)?"""
    q = (select(func.count()).select_from(warn_signal_reports)
         .join(envelopes, envelopes.c.id == warn_signal_reports.c.envelope_id)
         .where(warn_signal_reports.c.signal_id == signal_id))
    if allowed is not None:
        q = q.where(envelopes.c.village_id.in_(allowed))
    return conn.execute(q).scalar_one() > 0


def wholly_in_scope(conn: Connection, signal_id: int, allowed: list[int] | None) -> bool:
    """Are all of the signal's reports in `allowed` villages? Acting on a signal acts for every
    region it spans, so it needs a staff member allowed in all of them (or an admin)."""
    if allowed is None:
        return True
    q = (select(func.count()).select_from(warn_signal_reports)
         .join(envelopes, envelopes.c.id == warn_signal_reports.c.envelope_id)
         .where(and_(warn_signal_reports.c.signal_id == signal_id, envelopes.c.village_id.notin_(allowed))))
    return conn.execute(q).scalar_one() == 0


def act(conn: Connection, signal_id: int, action: str, *, reason: str = "",
        assignee_id: int | None = None) -> dict:
    row = conn.execute(select(warn_signals).where(warn_signals.c.id == signal_id)).mappings().first()
    if row is None or row["status"] not in STATUSES:
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
    q = _scope(select(warn_signals.c.id).where(warn_signals.c.status == "new"), allowed)
    return conn.execute(select(func.count()).select_from(q.subquery())).scalar_one()


