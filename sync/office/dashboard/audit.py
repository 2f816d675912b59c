"""Append-only audit log of staff actions. There is deliberately no update or delete here."""
from __future__ import annotations

import json

from sqlalchemy import Connection, desc, insert, select

from sync.office import clock

from .schema import dash_audit

ACTIONS = ("login", "login_failed", "login_locked", "logout", "view_report", "view_photo",
           "forbidden", "export", "triage", "feedback", "revoke_device", "enroll_code",
           "add_village", "add_staff", "disable_staff", "api_token", "api_list",
           "handover_export", "signal", "alert")


def record(conn: Connection, action: str, *, staff: dict | None = None, username: str | None = None,
           target: str | None = None, detail: dict | None = None, ip: str | None = None) -> None:
    conn.execute(insert(dash_audit).values(
        at=clock.iso(clock.now()), staff_id=staff["id"] if staff else None,
        username=(staff["username"] if staff else username), action=action,
        target=target, detail=json.dumps(detail, sort_keys=True) if detail else None, ip=ip))


def page(conn: Connection, before: int | None = None, limit: int = 100,
         action: str | None = None) -> list[dict]:
    q = select(dash_audit).order_by(desc(dash_audit.c.id)).limit(limit)
    if before:
        q = q.where(dash_audit.c.id < before)
    if action:
        q = q.where(dash_audit.c.action == action)
    return [dict(m) for m in conn.execute(q).mappings()]
