"""What the people on one phone receive, cursor-paged.

Items are queued at the moment they arise (a report reaches a head, the office sends
feedback, a village's head list changes) and numbered by a growing sequence; the
cursor is the last sequence number the phone stored, so paging is monotonic and a
re-fetched page is harmless (the phone dedupes by item_id).
"""
from __future__ import annotations

import json

from sqlalchemy import Connection, and_, func, or_, select, text

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from core.errors import BadRequest
from sync import statement
from office.keys import b64
from office.schema import envelopes, inbox_items, persons

MAX_LIMIT = 200
_PG_INBOX_LOCK = 0x4A440001     # advisory lock id: "JD" inbox


def queue(conn: Connection, rows: list[dict]) -> None:
    """Insert inbox rows (person_id, kind, ref_id, body, created_at).

    On PostgreSQL a sequence value is taken at insert but becomes visible at commit, so two
    transactions could commit out of order and a phone paging past the higher number would
    never see the lower one. A transaction-scoped advisory lock makes sequence order equal
    commit order. SQLite needs nothing: BEGIN IMMEDIATE already serialises writers.
    """
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_INBOX_LOCK})
    conn.execute(inbox_items.insert(), rows)


def _fill_review_requests(conn: Connection, items: list[dict]) -> None:
    """A review request is queued by report id; the phone gets the sealed report and its
    author's key with it (the wire as before), read from the store in one query."""
    wanted = {i["body"].get("envelope_id") for i in items
              if i["kind"] == "review_request" and isinstance(i["body"], dict) and "envelope" not in i["body"]}
    if not wanted:
        return
    stored = {r.id: r for r in conn.execute(
        select(envelopes.c.id, envelopes.c.data, persons.c.ed25519_public)
        .join(persons, persons.c.id == envelopes.c.author_id).where(envelopes.c.id.in_(wanted)))}
    for item in items:
        row = stored.get(item["body"].get("envelope_id")) if item["kind"] == "review_request" else None
        if row is not None and "envelope" not in item["body"]:
            item["body"] = {"envelope": b64(bytes(row.data)), "envelope_id": row.id,
                            "author_ed25519_public": b64(bytes(row.ed25519_public))}


def page(conn: Connection, device_id: str, cursor: str | None, limit: int,
         signing_key: Ed25519PrivateKey | None = None) -> dict:
    try:
        after = int(cursor) if cursor else 0
    except ValueError:
        raise BadRequest("cursor must be a value returned as next_cursor") from None
    limit = max(1, min(limit, MAX_LIMIT))
    if after and after > (conn.execute(select(func.max(inbox_items.c.seq))).scalar() or 0):
        # A cursor this office never handed out (the phone's plaintext file was edited, or the
        # phone synced with another server): start over rather than skip everything queued
        # from now on. Re-sent items are harmless — the phone dedupes and ignores stale lists.
        after = 0
    mine = select(persons.c.id).where(persons.c.device_id == device_id)
    live = select(persons.c.id).where(and_(persons.c.device_id == device_id,
                                           persons.c.revoked_at.is_(None)))
    rows = conn.execute(select(inbox_items).where(and_(
        inbox_items.c.seq > after,
        inbox_items.c.person_id.in_(mine),
        # A revoked person gets only the notice that they are revoked.
        or_(inbox_items.c.person_id.in_(live), inbox_items.c.kind == "revoked"),
    )).order_by(inbox_items.c.seq).limit(limit)).mappings().all()
    items = [{"item_id": str(r["seq"]), "kind": r["kind"], "person_id": r["person_id"],
              "issued_at": r["created_at"], "body": json.loads(r["body"])} for r in rows]
    _fill_review_requests(conn, items)
    if signing_key is not None:
        items = [statement.sign_item(i, signing_key) for i in items]
    return {"items": items, "next_cursor": items[-1]["item_id"] if items else (str(after) if after else None)}
