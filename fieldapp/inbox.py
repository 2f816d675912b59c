"""What the office sends to the people on this phone: stored as it arrives, believed only
once verified under the office key pinned in the person's own bundle.

An item's life:  unverified ──unlock: signature OK──► new ─► read / answered ─► (purged)
                      └──────signature bad, wrong person, stale──► dropped (logged, counted)

A PIN-less sync stores items still 'unverified' (it may drop obvious forgeries early,
under the attested office key, but it never changes trust). When their person unlocks,
each is checked under the key in that person's AES-GCM bundle: head lists then update the
bundle (only if newer than the one held: an old signed list cannot be replayed to bring
back a revoked head), revocations mark the person, review requests and feedback become
visible. One bad item never stops the others.
"""
from __future__ import annotations

import base64
import json
import logging

import sqlite_utils

import forms
from core.errors import EnvelopeError, JagaError, NotFound, TrustError
from fieldapp import trust
from fieldapp.store import scrub, set_meta, transaction
from fieldapp.users import Session, today
from sync import envelope, statement
from sync.formids import ALERT_FORM, REVIEW_FORM
from sync.ports import InboxItem

log = logging.getLogger("jaga.inbox")
VERDICTS = ("verified", "disputed", "needs_more_info")
MAX_NOTE = 2000        # the office refuses a longer verdict note (office/ingest/reviews.py)


class NoteTooLong(JagaError):
    """The head's note is longer than the office accepts."""
    code = "note_too_long"
    http_status = 422
_SHOWN = ("new", "read", "answered", "closed")


def _count_dropped(conn, n: int = 1) -> None:
    set_meta(conn, "inbox_dropped", str(int(get_meta_conn(conn, "inbox_dropped") or 0) + n))


def get_meta_conn(conn, key: str) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
    return row[0] if row else None


def store(db: sqlite_utils.Database, items: list[InboxItem], cursor: str | None,
          office_public) -> int:
    """Keep a pulled page (no PIN). Items failing the attested key's signature are dropped
    at once; the rest wait, unverified, for their person. Returns how many were dropped."""
    dropped = 0
    with transaction(db) as conn:
        for it in items:
            raw = getattr(it, "raw", None) or {"item_id": it.item_id, "kind": it.kind,
                                               "person_id": it.person_id, "body": it.body}
            try:
                if office_public is not None:
                    statement.check_item(raw, office_public)
                if str(raw.get("item_id")) != it.item_id or raw.get("person_id") != it.person_id:
                    raise TrustError("item fields differ from the signed ones")
            except TrustError as exc:
                log.warning("inbox item %s (%s) dropped: %s", it.item_id, it.kind, exc.message)
                dropped += 1
                continue
            conn.execute("INSERT OR IGNORE INTO inbox(item_id,kind,person_id,body,received_day,state,issued_at) "
                         "VALUES(?,?,?,?,?,'unverified',?)",
                         (it.item_id, it.kind, it.person_id, json.dumps(raw), today(),
                          str(raw.get("issued_at") or "")))
        if dropped:
            _count_dropped(conn, dropped)
        if cursor is not None:
            set_meta(conn, "inbox_cursor", cursor)
    return dropped


def verify_pending(db: sqlite_utils.Database, session: Session, bundle: dict | None) -> dict | None:
    """Check this person's unverified items under their pinned office key and apply them."""
    if not bundle or not session.person_id:
        return bundle
    rows = db.conn.execute("SELECT item_id, kind, body FROM inbox WHERE person_id=? AND state='unverified' "
                           "ORDER BY CAST(item_id AS INTEGER)", (session.person_id,)).fetchall()
    if not rows:
        return bundle
    office = envelope.load_public_ed25519(bytes.fromhex(bundle["office_ed25519"]))
    changed = False
    with transaction(db) as conn:
        for item_id, kind, body in rows:
            try:
                item = statement.check_item(json.loads(body), office)
                if item["person_id"] != session.person_id or item["kind"] != kind \
                        or str(item["item_id"]) != item_id:
                    raise TrustError("signed for another person, kind or slot")
                state, changed = _apply(item, bundle, changed)
            except (TrustError, ValueError, KeyError, TypeError) as exc:
                reason = exc.message if isinstance(exc, JagaError) else f"malformed ({type(exc).__name__})"
                log.warning("inbox item %s (%s) dropped: %s", item_id, kind, reason)
                conn.execute("DELETE FROM inbox WHERE item_id=?", (item_id,))
                _count_dropped(conn)
                continue
            if state is None:
                conn.execute("DELETE FROM inbox WHERE item_id=?", (item_id,))
            else:
                conn.execute("UPDATE inbox SET state=? WHERE item_id=?", (state, item_id))
        if changed:
            trust.save(conn, session, bundle)
    return bundle


def _apply(item: dict, bundle: dict, changed: bool) -> tuple[str | None, bool]:
    """-> (new state or None to discard, bundle changed)."""
    body, kind = item["body"], item["kind"]
    if kind == "recipient_keys":
        if str(body["village_id"]) != str(bundle["village_id"]):
            raise TrustError("head list for another village")
        if item["issued_at"] <= bundle.get("recipients_issued_at", ""):
            log.info("head list of %s is not newer than the one held: ignored", item["issued_at"])
            return None, changed
        bundle["recipients"] = [{"person_id": r["person_id"],
                                 "x25519_public": base64.b64decode(r["x25519_public"], validate=True).hex()}
                                for r in body["recipients"]]
        for r in bundle["recipients"]:
            envelope.load_public_x25519(bytes.fromhex(r["x25519_public"]))
        bundle["recipients_issued_at"] = item["issued_at"]
        bundle["recipients_valid_until"] = str(body.get("valid_until") or "")   # none: expired
        return None, True
    if kind == "revoked":
        if body.get("person_id") != item["person_id"]:
            raise TrustError("revocation names another person")
        bundle["revoked"] = True
        bundle["revoked_at"] = str(body.get("revoked_at") or item.get("issued_at") or "")[:40]
        return "new", True
    return "new", changed


# ── reading, opened with the person's key ─────────────────────────────────

def _items(db: sqlite_utils.Database, session: Session, kind: str) -> list[tuple[str, dict, str]]:
    return [(i, json.loads(b).get("body", {}), s) for i, b, s in db.conn.execute(
        "SELECT item_id, body, state FROM inbox WHERE person_id=? AND kind=? AND state IN (%s) "
        "ORDER BY CAST(item_id AS INTEGER)" % ",".join("?" * len(_SHOWN)),
        (session.person_id, kind, *_SHOWN))]


def review_items(db: sqlite_utils.Database, session: Session) -> list[dict]:
    """Reports for a head to review, opened with the head's key and checked under the author
    key the office vouched for in the signed item."""
    out = []
    for item_id, body, state in _items(db, session, "review_request"):
        entry = {"item_id": item_id, "state": state}
        if state == "closed":
            out.append({**entry, "ok": False, "error": "the office no longer holds this report"})
            continue
        try:
            author = envelope.load_public_ed25519(base64.b64decode(body["author_ed25519_public"]))
            opened = envelope.open(base64.b64decode(body["envelope"]), recipient_key=session.x25519,
                                   author_public=author)
            form = forms.load(opened.header.form_id, opened.header.form_version)
            entry.update(envelope_id=opened.header.envelope_id, form_id=form.id,
                         title=form.title, answers=opened.payload.get("answers", {}),
                         flags=opened.payload.get("flags", {}),
                         created_ms=opened.header.created_ms, ok=True)
        except (EnvelopeError, JagaError, KeyError, ValueError, TypeError) as exc:
            entry.update(ok=False, error=str(exc))
        out.append(entry)
    return out


def review(db: sqlite_utils.Database, session: Session, bundle: dict, item_id: str, verdict: str,
           note: str, device_id: str) -> str:
    """Seal a signed verdict for the pinned office; it leaves with the next sync."""
    if verdict not in VERDICTS:
        raise JagaError(f"verdict must be one of {', '.join(VERDICTS)}")
    note = (note or "").strip()
    if len(note) > MAX_NOTE:            # refused whole, never cut silently: he decides what to drop
        raise NoteTooLong(f"at most {MAX_NOTE} characters")
    item = next((i for i in review_items(db, session) if i["item_id"] == item_id and i.get("ok")), None)
    if item is None:
        raise NotFound("no such report to review")
    office = envelope.load_public_x25519(bytes.fromhex(bundle["office_x25519"]))
    sealed = envelope.seal({"envelope_id": item["envelope_id"], "verdict": verdict, "note": note},
                           form_id=REVIEW_FORM, form_version=1, author_id=session.person_id,
                           device_id=device_id, signing_key=session.ed25519, recipients=[office])
    with transaction(db) as conn:
        conn.execute("INSERT INTO review_outbox(envelope_id,owner,envelope,created_day,item_id) "
                     "VALUES(?,?,?,?,?)", (sealed.envelope_id, session.user_id, sealed.envelope, today(), item_id))
        conn.execute("UPDATE inbox SET state='answered', note=? WHERE item_id=?",
                     (session.cipher.encrypt_json("inbox", item_id, "note",
                                                  {"verdict": verdict, "note": note}), item_id))
    return sealed.envelope_id


def review_sent(db: sqlite_utils.Database, envelope_id: str) -> None:
    """The office acknowledged the verdict (verified receipt): forget it and the request.
    A reply (fieldapp.conversation) rides the same queue: it is marked sent and, like a
    received report, keeps only its first words unless the user keeps report copies."""
    keep = (get_meta_conn(db.conn, "retention") or "purge") == "keep"
    with transaction(db) as conn:
        row = conn.execute("SELECT item_id FROM review_outbox WHERE envelope_id=?", (envelope_id,)).fetchone()
        conn.execute("DELETE FROM review_outbox WHERE envelope_id=?", (envelope_id,))
        cut = conn.execute("UPDATE replies SET state='sent', text=CASE WHEN ? THEN text ELSE NULL END "
                           "WHERE envelope_id=?", (keep, envelope_id)).rowcount
        if row and row[0]:
            conn.execute("DELETE FROM inbox WHERE item_id=? AND state='answered'", (row[0],))
    if cut and not keep:
        scrub(db)           # the full text's older page images leave the -wal too (red team)


def review_closed(db: sqlite_utils.Database, envelope_id: str, code: str, message: str) -> None:
    """The office refused the verdict for good (e.g. 404: it no longer knows the report):
    close it here so it is not re-sent on every sync; the head sees it closed."""
    log.warning("review %s closed locally: %s %s", envelope_id, code, message)
    with transaction(db) as conn:
        row = conn.execute("SELECT item_id FROM review_outbox WHERE envelope_id=?", (envelope_id,)).fetchone()
        conn.execute("DELETE FROM review_outbox WHERE envelope_id=?", (envelope_id,))
        conn.execute("UPDATE replies SET state='refused' WHERE envelope_id=?", (envelope_id,))
        if row and row[0]:
            conn.execute("UPDATE inbox SET state='closed' WHERE item_id=?", (row[0],))


def feedback(db: sqlite_utils.Database, session: Session, bundle: dict | None) -> list[dict]:
    """Messages from the office about this person's reports, checked under the pinned key."""
    out = []
    office_pub = bytes.fromhex(bundle["office_ed25519"]) if bundle else b""
    for item_id, body, state in _items(db, session, "feedback"):
        try:
            opened = envelope.open(base64.b64decode(body["envelope"]), recipient_key=session.x25519,
                                   author_public=envelope.load_public_ed25519(office_pub))
            out.append({"item_id": item_id, "state": state, **opened.payload,
                        "created_ms": opened.header.created_ms})
        except (EnvelopeError, KeyError, ValueError, TypeError):
            out.append({"item_id": item_id, "state": state, "error": "cannot be opened"})
    return out


def alerts(db: sqlite_utils.Database, session: Session, bundle: dict | None) -> list[dict]:
    """General warnings from the office for this person's village: the item is signed (checked
    at unlock, above) and the alert inside is an envelope signed by the pinned office key."""
    out = []
    office_pub = bytes.fromhex(bundle["office_ed25519"]) if bundle else b""
    for item_id, body, state in _items(db, session, "alert"):
        try:
            opened = envelope.open(base64.b64decode(body["envelope"]), recipient_key=session.x25519,
                                   author_public=envelope.load_public_ed25519(office_pub))
            if opened.header.form_id != ALERT_FORM or not isinstance(opened.payload.get("message"), str):
                raise ValueError("not an alert")
            out.append({"item_id": item_id, "state": state, "message": opened.payload["message"],
                        "sent_at": opened.payload.get("sent_at"), "created_ms": opened.header.created_ms})
        except (EnvelopeError, KeyError, ValueError, TypeError):
            out.append({"item_id": item_id, "state": state, "error": "cannot be opened"})
    return out


def mark_read(db: sqlite_utils.Database, item_id: str) -> None:
    with transaction(db) as conn:
        conn.execute("UPDATE inbox SET state='read' WHERE item_id=? AND state='new'", (item_id,))
