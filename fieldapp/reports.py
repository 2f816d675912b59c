"""A report's life on the phone: draft → sealed (outbox) → received → (feedback).

Drafts are encrypted under their owner's data key and saved in one transaction per
change. Finalizing validates against the form, then *seals*: answers and photos go
into a signed envelope for the office (and the village heads unless rahasia). From then
on the report is immutable and the outbox holds only ciphertext nobody on the phone
can open; syncing needs no PIN.
"""
from __future__ import annotations

import time
import uuid

import sqlite_utils

import forms
from core import localtime
from core.errors import JagaError, NotFound, StoreError
from fieldapp import photos, trust, voice
from fieldapp.store import transaction
from fieldapp.users import Session, today
from sync import envelope

DRAFT, SEALED, RECEIVED = "draft", "sealed", "received"


class Immutable(JagaError):
    """A finalized report cannot be changed."""
    code = "report_immutable"
    http_status = 409


class NotEnrolled(JagaError):
    """This user is not enrolled with an immigration office yet."""
    code = "not_enrolled"


def _row(db: sqlite_utils.Database, session: Session, report_id: str) -> dict:
    cur = db.conn.execute("SELECT * FROM reports WHERE id=? AND owner=?", (report_id, session.user_id))
    row = cur.fetchone()
    if row is None:
        raise NotFound(f"no report {report_id} for this user")
    return dict(zip([c[0] for c in cur.description], row))


def new_draft(db: sqlite_utils.Database, session: Session, form_id: str,
              answers: dict | None = None) -> str:
    form = forms.load(form_id)
    report_id = str(uuid.uuid4())
    with transaction(db) as conn:
        conn.execute(
            "INSERT INTO reports(id,owner,form_id,form_version,status,created_day,updated_day,answers) "
            "VALUES(?,?,?,?,?,?,?,?)",
            (report_id, session.user_id, form.id, form.version, DRAFT, today(), today(),
             session.cipher.encrypt_json("reports", report_id, "answers", answers or {})))
    return report_id


def save_draft(db: sqlite_utils.Database, session: Session, report_id: str, answers: dict) -> None:
    """Autosave: one transaction, so a crash leaves either the old or the new draft, never half."""
    row = _row(db, session, report_id)
    if row["status"] != DRAFT:
        raise Immutable()
    blob = session.cipher.encrypt_json("reports", report_id, "answers", answers)
    with transaction(db) as conn:
        conn.execute("UPDATE reports SET answers=?, updated_day=? WHERE id=? AND status=?",
                     (blob, today(), report_id, DRAFT))


def load_answers(db: sqlite_utils.Database, session: Session, report_id: str) -> dict:
    row = _row(db, session, report_id)
    if row["answers"] is None:
        raise NotFound("this report's content was purged after the office received it")
    return session.cipher.decrypt_json("reports", report_id, "answers", row["answers"])


def drafts(db: sqlite_utils.Database, session: Session) -> list[dict]:
    return [{"id": r[0], "form_id": r[1], "updated_day": r[2]} for r in db.conn.execute(
        "SELECT id,form_id,updated_day FROM reports WHERE owner=? AND status=? ORDER BY rowid DESC",
        (session.user_id, DRAFT))]


def delete_draft(db: sqlite_utils.Database, session: Session, report_id: str) -> None:
    if _row(db, session, report_id)["status"] != DRAFT:
        raise Immutable()
    with transaction(db) as conn:
        conn.execute("DELETE FROM attachments WHERE report_id=?", (report_id,))
        conn.execute("DELETE FROM reports WHERE id=?", (report_id,))


def add_photo(db: sqlite_utils.Database, session: Session, report_id: str, raw: bytes) -> tuple[str, int]:
    """Re-encode (EXIF gone), encrypt and attach a photo; returns (attachment id, stored size)."""
    if _row(db, session, report_id)["status"] != DRAFT:
        raise Immutable()
    return _attach(db, session, report_id, photos.reencode(raw))


def add_voice(db: sqlite_utils.Database, session: Session, report_id: str, pcm: bytes,
              rate: int = voice.RATE, channels: int = voice.CHANNELS) -> tuple[str, int]:
    """Encode raw PCM to a bare Ogg Opus (no tags), encrypt and attach it like a photo."""
    if _row(db, session, report_id)["status"] != DRAFT:
        raise Immutable()
    return _attach(db, session, report_id, voice.encode(pcm, rate, channels))


def _attach(db: sqlite_utils.Database, session: Session, report_id: str, clean: bytes) -> tuple[str, int]:
    att_id = uuid.uuid4().hex
    with transaction(db) as conn:
        conn.execute("INSERT INTO attachments(id,report_id,owner,data,size) VALUES(?,?,?,?,?)",
                     (att_id, report_id, session.user_id,
                      session.cipher.encrypt("attachments", att_id, "data", clean), len(clean)))
    return att_id, len(clean)


def photo_bytes(db: sqlite_utils.Database, session: Session, att_id: str) -> bytes:
    row = db.conn.execute("SELECT data FROM attachments WHERE id=? AND owner=?",
                          (att_id, session.user_id)).fetchone()
    if row is None or row[0] is None:
        raise NotFound("no such photo")
    return session.cipher.decrypt("attachments", att_id, "data", row[0])


def recipients(bundle: dict, rahasia: bool, now_ms: int | None = None) -> list:
    """The office always; the village heads unless the volunteer chose rahasia or the signed
    head list has expired (trust.heads_current) — both from the user's own verified bundle
    (fieldapp/trust.py), never from a row anyone could rewrite."""
    keys = [envelope.load_public_x25519(bytes.fromhex(bundle["office_x25519"]))]
    if not rahasia and trust.heads_current(bundle, now_ms):
        keys += [envelope.load_public_x25519(bytes.fromhex(h["x25519_public"])) for h in bundle["recipients"]]
    return keys


def finalize(db: sqlite_utils.Database, session: Session, report_id: str, *, bundle: dict | None,
             lang: str = "id", rahasia: bool = False, created_ms: int | None = None,
             zone: str | None = None) -> str:
    """Validate, seal and sign; raises ValidationFailed (draft kept) listing every bad field.
    `bundle` is the user's verified trust bundle: recipients, village and device come from it.
    `zone` (WIB/WITA/WIT) is the wall clock her date-times were typed on: sealed with them, so
    the office and every export name it rather than guess it from the village."""
    row = _row(db, session, report_id)
    if row["status"] != DRAFT:
        raise Immutable()
    form = forms.load(row["form_id"], row["form_version"])
    zone = localtime.zone(zone)
    if created_ms is None:          # one clock reading: the envelope's time and the list's check
        created_ms = int(time.time() * 1000)
    answers = form.check(load_answers(db, session, report_id), lang,
                         localtime.wall_clock(zone, localtime.parse_utc(created_ms)))
    if not session.person_id or not bundle or bundle.get("person_id") != session.person_id:
        raise NotEnrolled()
    rahasia = rahasia or form.is_confidential(answers)
    photo_ids = [a for f in form.fields if f.type in forms.ATTACHMENT_TYPES for a in answers.get(f.name, [])]
    plain = {a: photo_bytes(db, session, a) for a in photo_ids}
    sealed = envelope.seal(
        {"answers": answers, "flags": form.flags(answers), "rahasia": rahasia, "lang": lang,
         "village_id": bundle["village_id"], "zone": zone},
        form_id=form.id, form_version=form.version, author_id=session.person_id,
        device_id=bundle["device_id"], signing_key=session.ed25519,
        recipients=recipients(bundle, rahasia, created_ms), attachments=plain, created_ms=created_ms)
    with transaction(db) as conn:
        seq = conn.execute("SELECT COALESCE(MAX(seq),0)+1 FROM reports").fetchone()[0]
        cur = conn.execute(
            "UPDATE reports SET status=?, envelope_id=?, envelope=?, seq=?, updated_day=?, "
            "answers=?, envelope_binding=? WHERE id=? AND status=?",
            # the owner's own encrypted copy of the *clean* answers, until the receipt
            (SEALED, sealed.envelope_id, sealed.envelope, seq, today(),
             session.cipher.encrypt_json("reports", report_id, "answers", answers),
             _binding(session, report_id, sealed.envelope_id), report_id, DRAFT))
        if cur.rowcount != 1:
            raise StoreError("report changed while sealing; try again")
        conn.execute("DELETE FROM attachments WHERE report_id=? AND id NOT IN (%s)"
                     % ",".join("?" * len(photo_ids)) if photo_ids else
                     "DELETE FROM attachments WHERE report_id=?", (report_id, *photo_ids))
        for att_id, blob in sealed.blobs.items():
            conn.execute("UPDATE attachments SET sealed=?, data=NULL, size=? WHERE id=?",
                         (blob, len(blob), att_id))
    return sealed.envelope_id


# ── which envelope a report became, authenticated ─────────────────────────
# The plaintext envelope_id column is what a PIN-less sync matches receipts and office
# messages by; anyone with the file could swap it between two of her reports, and the
# office's words would show under the other report and her reply there would answer it.
# The binding is that pair under her data key, the row id as associated data: a swapped
# column, a swapped or copied binding, or a removed one no longer opens as this pair.

BINDINGS_DONE = "envelope_bindings"     # set in her trust bundle once older rows were bound


def _binding(session: Session, report_id: str, envelope_id: str) -> bytes:
    return session.cipher.encrypt_json("reports", report_id, "envelope_binding", {"envelope_id": envelope_id})


def bound_envelope_id(db: sqlite_utils.Database, session: Session, report_id: str) -> str | None:
    """The envelope id of her sent report when its binding confirms the column, else None
    (a draft, another user's report, or a row someone edited: shown as unreadable)."""
    row = db.conn.execute("SELECT envelope_id, envelope_binding FROM reports WHERE id=? AND owner=?",
                          (report_id, session.user_id)).fetchone()
    if row is None or not row[0] or row[1] is None:
        return None
    try:
        bound = session.cipher.decrypt_json("reports", report_id, "envelope_binding", row[1])
    except Exception:   # noqa: BLE001 — any failure to open is the same answer: not hers to trust
        return None
    return row[0] if isinstance(bound, dict) and bound.get("envelope_id") == row[0] else None


def bound_envelope_ids(db: sqlite_utils.Database, session: Session) -> dict[str, str]:
    """report id -> its confirmed envelope id, for every sent report of hers that has one."""
    out = {}
    for (rid,) in db.conn.execute("SELECT id FROM reports WHERE owner=? AND envelope_id IS NOT NULL",
                                  (session.user_id,)):
        eid = bound_envelope_id(db, session, rid)
        if eid:
            out[rid] = eid
    return out


def bind_older(db: sqlite_utils.Database, session: Session, bundle: dict | None) -> dict | None:
    """Once per user, at the first unlock after m008: bind the rows sealed before it, as they
    are then (nothing on the phone can say otherwise). The mark lives in her authenticated
    bundle, so removing a binding later cannot earn a fresh one: that row stays unreadable."""
    if not bundle or bundle.get(BINDINGS_DONE) or bundle.get("person_id") != session.person_id:
        return bundle
    with transaction(db) as conn:
        for rid, eid in conn.execute("SELECT id, envelope_id FROM reports WHERE owner=? AND envelope_id IS NOT NULL "
                                     "AND envelope_binding IS NULL", (session.user_id,)).fetchall():
            conn.execute("UPDATE reports SET envelope_binding=? WHERE id=?", (_binding(session, rid, eid), rid))
        bundle[BINDINGS_DONE] = True
        trust.save(conn, session, bundle)
    return bundle
