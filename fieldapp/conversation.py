"""One sent report's conversation on the phone: what the office said about it (feedback
items, verified under the pinned office key — fieldapp.inbox) and what its author answered.

Her reply is sealed like a verdict: signed with her own key, sealed to the pinned office
only, queued in `review_outbox` and pushed by the normal sync (the office's reviews door
routes form_id "_reply"). Her readable copy stays under her data key: the full text until
the office's receipt (then only the first words, unless she keeps report copies — as a
report keeps only its summary), and the summary-retention setting ends both.
"""
from __future__ import annotations

import time

import sqlite_utils

from core.errors import JagaError, NotFound
from fieldapp import inbox, reports
from fieldapp.store import transaction
from fieldapp.users import Session, today
from sync import envelope
from sync.formids import REPLY_FORM

MAX_REPLY = 2000          # the office refuses longer replies (office/ingest/replies.py)
FIRST_WORDS = 60


class EmptyReply(JagaError):
    """A reply needs some words."""
    code = "reply_empty"
    http_status = 422


class ReportUnreadable(JagaError):
    """The report's link to what was sent does not open under her key (the file was edited)."""
    code = "report_unreadable"
    http_status = 409


class ReplyTooLong(JagaError):
    """The reply is longer than the office accepts."""
    code = "reply_too_long"
    http_status = 422


def _report(db: sqlite_utils.Database, session: Session, report_id: str) -> tuple[str, str]:
    """(envelope id, status) of her sent report — the envelope id only as her encrypted
    binding confirms it (fieldapp.reports.bound_envelope_id); an edited row raises."""
    row = db.conn.execute("SELECT envelope_id, status FROM reports WHERE id=? AND owner=?",
                          (report_id, session.user_id)).fetchone()
    if row is None or not row[0]:
        raise NotFound("no such sent report for this user")
    if reports.bound_envelope_id(db, session, report_id) != row[0]:
        raise ReportUnreadable("this report's record was changed on the phone; it cannot be answered")
    return row[0], row[1]


def reply(db: sqlite_utils.Database, session: Session, bundle: dict, report_id: str, message: str,
          *, created_ms: int | None = None) -> str:
    """Seal her answer for the pinned office; it leaves with the next sync. Returns its id."""
    message = (message or "").strip()
    if not message:
        raise EmptyReply()
    if len(message) > MAX_REPLY:
        raise ReplyTooLong(f"at most {MAX_REPLY} characters")
    envelope_id, status = _report(db, session, report_id)
    if status != reports.RECEIVED:          # the office must hold the report it answers
        raise NotFound("the office has not received this report yet")
    created_ms = created_ms if created_ms is not None else int(time.time() * 1000)
    office = envelope.load_public_x25519(bytes.fromhex(bundle["office_x25519"]))
    sealed = envelope.seal({"envelope_id": envelope_id, "message": message},
                           form_id=REPLY_FORM, form_version=1, author_id=session.person_id,
                           device_id=bundle["device_id"], signing_key=session.ed25519,
                           recipients=[office], created_ms=created_ms)
    rid = sealed.envelope_id
    with transaction(db) as conn:
        conn.execute("INSERT INTO review_outbox(envelope_id,owner,envelope,created_day) VALUES(?,?,?,?)",
                     (rid, session.user_id, sealed.envelope, today()))
        conn.execute("INSERT INTO replies(envelope_id,owner,report_id,report_envelope_id,text,summary,state,"
                     "created_day) VALUES(?,?,?,?,?,?,'waiting',?)",
                     (rid, session.user_id, report_id, envelope_id,
                      session.cipher.encrypt_json("replies", rid, "text", {"message": message,
                                                                           "created_ms": created_ms,
                                                                           "report_id": report_id}),
                      session.cipher.encrypt_json("replies", rid, "summary",
                                                  {"message": message[:FIRST_WORDS],
                                                   "cut": len(message) > FIRST_WORDS,
                                                   "created_ms": created_ms, "report_id": report_id}),
                      today()))
    return rid


def thread(db: sqlite_utils.Database, session: Session, bundle: dict | None, report_id: str) -> list[dict]:
    """[{side: office|me, message, created_ms, kind?, state?, cut?, item_id?}] oldest first.
    A report whose binding does not open shows one unreadable entry (`unbound`) instead of
    anyone's words: the office's messages could belong to another report."""
    try:
        envelope_id, _ = _report(db, session, report_id)
    except ReportUnreadable:
        return [{"side": "office", "error": "cannot be opened", "unbound": True}]
    out = [{"side": "office", **f} for f in inbox.feedback(db, session, bundle)
           if f.get("envelope_id") == envelope_id]
    for rid, text, summary, state in db.conn.execute(
            "SELECT envelope_id, text, summary, state FROM replies WHERE owner=? AND report_id=?",
            (session.user_id, report_id)):
        entry = {"side": "me", "id": rid, "state": state}
        try:
            opened = (session.cipher.decrypt_json("replies", rid, "text", text) if text is not None else
                      session.cipher.decrypt_json("replies", rid, "summary", summary) if summary is not None
                      else {})
            # The plaintext report_id column could be edited to show her words under another
            # report: the encrypted copy names the report it answers (red team).
            if opened and opened.pop("report_id", report_id) != report_id:
                raise ValueError("reply moved to another report")
            entry.update(opened)
        except Exception:   # noqa: BLE001 — a damaged row shows as unreadable, never hides the rest
            entry["error"] = "cannot be opened"
        out.append(entry)
    out.sort(key=lambda e: (e.get("created_ms") or 0, e["side"] != "office"))
    return out


def counts(db: sqlite_utils.Database, session: Session) -> dict[str, int]:
    """report id -> how many of her replies are on the phone (for the sent list)."""
    return dict(db.conn.execute("SELECT report_id, COUNT(*) FROM replies WHERE owner=? GROUP BY report_id",
                                (session.user_id,)))
