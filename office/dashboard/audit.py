"""Append-only audit log of staff actions. There is deliberately no update or delete here."""
from __future__ import annotations

import json
import time
from datetime import timedelta

from sqlalchemy import Connection, desc, insert, select

from office import clock

from .schema import dash_audit

ACTIONS = ("login", "login_failed", "login_locked", "logout", "view_report", "view_photo",
           "forbidden", "export", "triage", "feedback", "revoke_device", "enroll_code",
           "add_village", "add_staff", "disable_staff", "api_token", "api_list", "view_list",
           "view_overview", "login_throttled", "revoke_api_token", "revoke_person", "expire_uploads",
           "handover_export", "view_devices", "view_quarantine", "view_staff", "view_audit",
           "ack_emergency", "signal", "alert", "reclassify",
           # issue 22, item 9: every read of report data and every admin action, CLI included
           "view_signals", "view_revoke_device", "view_revoke_person", "view_villages", "view_handover",
           "set_village_code", "deliver_webhooks", "list_api_tokens",
           # issue 24: a voice note played on the report page
           "play_voice")


def filters_detail(keys, filters) -> dict:
    """Filters for an audit entry: search words as keyed HMACs (as in the search index), so
    the log shows that two searches were for the same word without holding the word."""
    from . import derived
    from .indexer import words
    out = {k: v for k, v in filters.query_items() if k != "q"}
    if filters.q:
        out["q_terms"] = [derived.term_hash(keys, w) for w in sorted(words(filters.q))]
    return out


def record(conn: Connection, action: str, *, staff: dict | None = None, username: str | None = None,
           target: str | None = None, detail: dict | None = None, ip: str | None = None) -> None:
    conn.execute(insert(dash_audit).values(
        at=clock.iso(clock.now()), staff_id=staff["id"] if staff else None,
        username=(staff["username"] if staff else username), action=action,
        target=target, detail=json.dumps(detail, sort_keys=True) if detail else None, ip=ip))


THROTTLE_NOTE_EVERY = timedelta(minutes=1)
PLAY_NOTED_FOR = timedelta(minutes=1)


def play_noted(conn: Connection, staff: dict, envelope_id: str, att_id: str) -> bool:
    """Whether this staff member's play of this voice note was audited within the last minute:
    a browser's later range reads of one play (the seek to the last page) are not new plays,
    but a range read with no play before it is one (tests/adversarial/test_redteam_round4.py)."""
    since = clock.iso(clock.now() - PLAY_NOTED_FOR)
    return conn.execute(select(dash_audit.c.id).where(
        dash_audit.c.action == "play_voice", dash_audit.c.staff_id == staff["id"],
        dash_audit.c.target == envelope_id, dash_audit.c.detail == json.dumps({"att_id": att_id[:32]}),
        dash_audit.c.at > since).limit(1)).first() is not None


def throttle_noted(conn: Connection, ip: str | None) -> bool:
    """Whether a throttled login from this source was audited within the last minute."""
    since = clock.iso(clock.now() - THROTTLE_NOTE_EVERY)
    return conn.execute(select(dash_audit.c.id).where(
        dash_audit.c.action == "login_throttled", dash_audit.c.ip == ip, dash_audit.c.at > since)
        .order_by(desc(dash_audit.c.id)).limit(1)).first() is not None


def throttle_note_due(ip: str | None) -> bool:
    """Whether `record_throttled` could write anything for `ip` (memory only): when not, the
    async login handler answers a refused attempt without any thread or query."""
    return time.monotonic() - _noted.get(ip or "", -1e9) >= THROTTLE_NOTE_EVERY.total_seconds()


def record_throttled(engine, username: str, ip: str | None) -> None:
    """A refused (throttled) login, audited at most once a minute per source address: a flood
    of thousands of attempts leaves a handful of entries, not thousands — and, checked in a
    read first, costs no write lock when it leaves none."""
    from office import db
    key = ip or ""
    if time.monotonic() - _noted.get(key, -1e9) < THROTTLE_NOTE_EVERY.total_seconds():
        return                             # this process noted it within the minute
    with db.reading(engine) as conn:
        seen = throttle_noted(conn, ip)
    if not seen:
        with engine.begin() as conn:
            if not throttle_noted(conn, ip):
                record(conn, "login_throttled", username=username, ip=ip)
    if len(_noted) > 10_000:
        _noted.clear()
    _noted[key] = time.monotonic()


_noted: dict[str, float] = {}


def page(conn: Connection, before: int | None = None, limit: int = 100,
         action: str | None = None) -> list[dict]:
    q = select(dash_audit).order_by(desc(dash_audit.c.id)).limit(limit)
    if before:
        q = q.where(dash_audit.c.id < before)
    if action:
        q = q.where(dash_audit.c.action == action)
    return [dict(m) for m in conn.execute(q).mappings()]
