"""A report's conversation as the office sees it: what the office said (feedback envelopes,
sealed to the author and to the office) and what the author — or the head who reviewed
it — answered (reply envelopes, sealed to the office), in the order they happened.

Nothing of it is kept in the clear: every message is opened here with the office key and
checked under its signer's key (the office's own, or the replier's enrolled key), so a
row edited in the database shows as unreadable rather than as someone's words.
"""
from __future__ import annotations

import base64
import json

from sqlalchemy import Connection, and_, func, select
from sqlalchemy.sql.elements import ColumnElement

from core.errors import EnvelopeError
from sync import envelope as env
from office import clock, opening
from office.keys import OfficeKeys
from office.schema import envelopes, inbox_items, persons, replies

from office.dashboard.schema import dash_events


def thread(conn: Connection, keys: OfficeKeys, report_id: str,
           staff_names: dict[str, str] | None = None) -> list[dict]:
    """[{at, side: office|author|head, who, kind, message, ok}] oldest first. `staff_names`
    maps a feedback envelope id to the staff member who sent it (the dashboard's audit)."""
    author = conn.execute(select(envelopes.c.author_id).where(envelopes.c.id == report_id)).scalar()
    if author is None:
        return []
    names = staff_names or {}
    out = []
    for r in conn.execute(select(inbox_items.c.ref_id, inbox_items.c.body, inbox_items.c.created_at).where(and_(
            inbox_items.c.person_id == author, inbox_items.c.kind == "feedback",
            _mentions(inbox_items.c.body, report_id)))):
        try:
            body = json.loads(r.body)
        except ValueError:
            continue
        if not isinstance(body, dict) or body.get("envelope_id") != report_id:
            continue
        entry = {"at": r.created_at, "side": "office", "who": names.get(r.ref_id or ""), "kind": None,
                 "message": None, "ok": False, "id": r.ref_id}
        try:
            opened = env.open(base64.b64decode(body["envelope"]), recipient_key=keys.x25519,
                              author_public=keys.ed25519.public_key())
            if opened.payload.get("envelope_id") == report_id:
                entry.update(kind=opened.payload.get("kind"), message=opened.payload.get("message"), ok=True)
        except (EnvelopeError, KeyError, ValueError, TypeError):
            pass
        out.append(entry)
    for r in conn.execute(select(replies.c.id, replies.c.data, replies.c.received_at, replies.c.created_ms,
                                 persons.c.name, persons.c.role, persons.c.ed25519_public)
                          .join(persons, persons.c.id == replies.c.author_id)
                          .where(replies.c.report_id == report_id)):
        entry = {"at": r.received_at, "phone_at": clock.iso_ms(r.created_ms) or "", "side": "head" if r.role == "head" else "author",
                 "who": r.name, "kind": "reply", "message": None, "ok": False, "id": r.id}
        payload = opening.payload_of(opening.open_stored(keys, r.data, r.ed25519_public))
        if payload is not None and payload.get("envelope_id") == report_id and isinstance(payload.get("message"), str):
            entry.update(message=payload["message"], ok=True)
        out.append(entry)
    out.sort(key=lambda e: (e["at"], e["side"] != "office"))
    return out


def _mentions(body, report_id: str) -> ColumnElement:
    """Feedback items whose JSON body mentions the report id (the clear "envelope_id" beside
    the sealed envelope), so a thread fetches only its own report's items and not every item
    ever sent to a prolific author; the exact match is made in Python after json.loads.
    A substring test and not the database's JSON functions: those raise on one stored row
    that is not JSON (SQLite "malformed JSON", PostgreSQL "invalid input syntax for type
    json"), and one such row must cost its own message, not the whole report page (a 5xx;
    tests/adversarial/test_redteam_revocation.py). A uuid cannot occur in base64 (no "-")."""
    return body.contains(report_id, autoescape=True)


def awaiting_office(conn: Connection, report_ids: list[str]) -> set[str]:
    """Of these reports, those whose reporter (or head) wrote last: a reply received after the
    office's latest message from the report page — the inbox marks them so nobody misses it."""
    if not report_ids:
        return set()
    last_reply = dict(conn.execute(select(replies.c.report_id, func.max(replies.c.received_at))
                                   .where(replies.c.report_id.in_(report_ids)).group_by(replies.c.report_id)).all())
    if not last_reply:
        return set()
    last_sent = dict(conn.execute(select(dash_events.c.envelope_id, func.max(dash_events.c.at)).where(and_(
        dash_events.c.envelope_id.in_(list(last_reply)), dash_events.c.kind == "feedback"))
        .group_by(dash_events.c.envelope_id)).all())
    return {rid for rid, at in last_reply.items() if at > (last_sent.get(rid) or "")}
