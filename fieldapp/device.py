"""The phone as a whole: its data dir, users, reports, and the sync-facing outbox/inbox.

`Device` is the one object the UI and the CLI hold. It implements `sync.ports.Outbox`
(no PIN needed: everything it hands out or takes in is sealed) and delegates the rest
to users.py and reports.py. It never speaks HTTP: the UI passes it to `sync.client`.
"""
from __future__ import annotations

import base64
import json
import shutil
import uuid
from pathlib import Path

import forms
from core.errors import EnvelopeError, JagaError, NotFound
from fieldapp import keys, reports, secret_store, store, users
from fieldapp.secret_store import SecretStore
from fieldapp.store import get_meta, set_meta, transaction
from fieldapp.users import Session, today
from sync import envelope
from sync.ports import InboxItem, OutboxItem, is_refusal
from sync.receipt import Receipt

OFFICE_AUTHOR = "00000000-0000-4000-8000-0000000000af"   # the office's fixed author id on feedback
VERDICTS = ("verified", "disputed", "needs_more_info")
RETENTION = ("purge", "keep")
REFUSED = "refused"       # the office refused the report for good: shown with its reason, never re-sent


def _receipt_aad(report_id: str) -> bytes:
    return f"jaga-desa/v1/reports/{report_id}/receipt".encode()


class Device:
    def __init__(self, data_dir: str | Path, create: bool = False,
                 secrets: SecretStore | None = None) -> None:
        self.data_dir = Path(data_dir)
        self.secrets = secrets if secrets is not None else secret_store.default_store()
        self.db = store.open_db(self.data_dir, create=create)

    # ── set-up ────────────────────────────────────────────────────────────
    @classmethod
    def init(cls, data_dir: str | Path, secrets: SecretStore | None = None) -> "Device":
        """Create the store, give the phone an id, its pepper, and calibrate the PIN KDF once."""
        dev = cls(data_dir, create=True, secrets=secrets)
        if get_meta(dev.db, "device_uuid") is None:
            with transaction(dev.db) as conn:
                set_meta(conn, "device_uuid", str(uuid.uuid4()))
        dev.pepper()
        users.kdf_params(dev.db)
        return dev

    def pepper(self) -> bytes:
        """The phone's secret from its SecretStore, created once per data folder. Once created,
        a missing secret is an error (SecretMissing), never silently replaced."""
        name = get_meta(self.db, "pepper_name")
        if name is None:
            name = f"jaga-desa-{get_meta(self.db, 'device_uuid') or uuid.uuid4()}"
            secret = self.secrets.create(name)
            with transaction(self.db) as conn:
                set_meta(conn, "pepper_name", name)
            return secret
        secret = self.secrets.get(name)
        if secret is None:
            raise secret_store.SecretMissing(
                "this phone's secret key is missing (data copied from another phone, or its key "
                "store was reset): nobody's PIN can open this data here")
        return secret

    def secret_store_text(self, lang: str = "id") -> str:
        """What protects a copied folder, in the user's language (settings, first run)."""
        return self.secrets.describe()[1 if lang == "en" else 0]

    def close(self) -> None:
        self.db.conn.close()

    def add_user(self, label: str, role: str, pin: str) -> str:
        return users.add_user(self.db, label, role, pin, pepper=self.pepper())

    def users(self) -> list[dict]:
        return users.list_users(self.db)

    def unlock(self, name_or_id: str, pin: str, *, now: float | None = None) -> Session:
        return users.unlock(self.db, name_or_id, pin, self.pepper, now=now)

    # ── settings ──────────────────────────────────────────────────────────
    def setting(self, key: str, default: str | None = None) -> str | None:
        return get_meta(self.db, f"setting.{key}", default)

    def set_setting(self, key: str, value: str) -> None:
        if key == "retention" and value not in RETENTION:
            raise JagaError(f"retention must be one of {RETENTION}")
        with transaction(self.db) as conn:
            set_meta(conn, f"setting.{key}", value)
            if key == "retention":
                set_meta(conn, "retention", value)

    def wipe(self) -> None:
        """Quick wipe: destroy every wrapped key first (instantly unreadable), then the files."""
        with transaction(self.db) as conn:
            conn.execute("UPDATE users SET wrapped_key=NULL, private_keys=NULL, locked=1")
        self.close()
        for child in self.data_dir.iterdir():
            shutil.rmtree(child) if child.is_dir() else child.unlink()

    # ── enrollment (the HTTP call itself is sync.client's) ────────────────
    def enrollment_request(self, session: Session, code: str) -> dict:
        """Keyword arguments for `sync.client.OfficeClient.enroll` (public keys only, raw bytes)."""
        req = {"code": code.strip(), "name": session.label,
               "x25519_public": session.x25519.public_key().public_bytes_raw(),
               "ed25519_public": session.ed25519.public_key().public_bytes_raw()}
        if self.device_id and self.sync_token:
            req.update(device_id=self.device_id, device_token=self.sync_token)
        return req

    def apply_enrollment(self, session: Session, office_url: str, resp: dict) -> None:
        b = base64.b64decode
        with transaction(self.db) as conn:
            conn.execute("UPDATE users SET person_id=?, village_id=? WHERE id=?",
                         (resp["person_id"], resp["village_id"], session.user_id))
            set_meta(conn, "office_url", office_url.rstrip("/"))
            set_meta(conn, "device_id", resp["device_id"])
            if resp.get("sync_token"):
                set_meta(conn, "sync_token", resp["sync_token"])
            set_meta(conn, "village_id", resp["village_id"])
            set_meta(conn, "village_name", resp.get("village_name"))
            set_meta(conn, "office_x25519_public", b(resp["office_x25519_public"]).hex())
            set_meta(conn, "office_ed25519_public", b(resp["office_ed25519_public"]).hex())
            self._set_recipients(conn, resp.get("recipients", []))
        session.person_id = resp["person_id"]

    @staticmethod
    def _set_recipients(conn, recipients: list[dict]) -> None:
        heads = [{"person_id": r["person_id"],
                  "x25519_public": base64.b64decode(r["x25519_public"]).hex()} for r in recipients]
        set_meta(conn, "recipients", json.dumps(heads))

    # ── reports (PIN needed) ──────────────────────────────────────────────
    def new_draft(self, session: Session, form_id: str, answers: dict | None = None) -> str:
        return reports.new_draft(self.db, session, form_id, answers)

    def save_draft(self, session: Session, report_id: str, answers: dict) -> None:
        reports.save_draft(self.db, session, report_id, answers)

    def load_answers(self, session: Session, report_id: str) -> dict:
        return reports.load_answers(self.db, session, report_id)

    def drafts(self, session: Session) -> list[dict]:
        return reports.drafts(self.db, session)

    def delete_draft(self, session: Session, report_id: str) -> None:
        reports.delete_draft(self.db, session, report_id)

    def report_form(self, report_id: str) -> tuple[str, int]:
        """(form id, version) of a report — plaintext metadata, no PIN needed."""
        row = self.db.conn.execute("SELECT form_id, form_version FROM reports WHERE id=?",
                                   (report_id,)).fetchone()
        if row is None:
            raise NotFound(f"no report {report_id}")
        return row[0], row[1]

    def photo_sizes(self, att_ids: list[str]) -> dict[str, int]:
        """Stored sizes of photos (plaintext metadata, no content) for the form screen."""
        if not att_ids:
            return {}
        q = "SELECT id, size FROM attachments WHERE id IN (%s)" % ",".join("?" * len(att_ids))
        return dict(self.db.conn.execute(q, att_ids))

    def add_photo(self, session: Session, report_id: str, raw: bytes) -> tuple[str, int]:
        return reports.add_photo(self.db, session, report_id, raw)

    def finalize(self, session: Session, report_id: str, **kw) -> str:
        return reports.finalize(self.db, session, report_id, **kw)

    def file(self, session: Session, form_id: str, answers: dict, *, rahasia: bool = False,
             lang: str = "id") -> str:
        """Draft + finalize in one go (CLI, scripts). The draft stays if validation fails."""
        report_id = self.new_draft(session, form_id, answers)
        return self.finalize(session, report_id, rahasia=rahasia, lang=lang)

    # ── outbox (no PIN) ───────────────────────────────────────────────────
    def outbox(self, owner: str | None = None) -> list[dict]:
        """Every report's state for the outbox screen: draft / waiting / received / returned."""
        sql = ("SELECT r.id,r.owner,r.form_id,r.form_version,r.status,r.created_day,r.attempts,"
               "r.last_error,r.received_day,r.envelope_id,"
               "(SELECT COUNT(*) FROM inbox i WHERE i.kind='feedback' AND i.body LIKE '%'||r.envelope_id||'%')"
               " FROM reports r" + (" WHERE r.owner=?" if owner else "") + " ORDER BY r.rowid DESC")
        out = []
        for row in self.db.conn.execute(sql, (owner,) if owner else ()):
            (rid, own, fid, ver, status, day, attempts, err, rday, eid, fb) = row
            state = {"draft": "draft", "sealed": "waiting", "received": "received",
                     REFUSED: REFUSED}[status]
            if status == "sealed" and attempts and err:
                state = "waiting"
            if status == "received" and fb:
                state = "returned"
            out.append({"id": rid, "owner": own, "form_id": fid, "form_version": ver, "status": status,
                        "state": state, "created_day": day, "attempts": attempts, "last_error": err,
                        "received_day": rday, "envelope_id": eid})
        return out

    def status(self) -> dict:
        counts = dict(self.db.conn.execute("SELECT status, COUNT(*) FROM reports GROUP BY status"))
        return {"device_id": self.device_id, "office_url": self.office_url,
                "enrolled": bool(self.sync_token), "village": get_meta(self.db, "village_name"),
                "users": len(self.users()), "drafts": counts.get("draft", 0),
                "outbox": counts.get("sealed", 0), "received": counts.get("received", 0),
                "refused": counts.get(REFUSED, 0),
                "last_sync": get_meta(self.db, "last_sync"), "inbox": self.db["inbox"].count}

    # ── sync.ports.Outbox ─────────────────────────────────────────────────
    office_url = property(lambda self: get_meta(self.db, "office_url"))
    sync_token = property(lambda self: get_meta(self.db, "sync_token"))
    device_id = property(lambda self: get_meta(self.db, "device_id"))

    @property
    def office_sign_public(self) -> bytes | None:
        raw = get_meta(self.db, "office_ed25519_public")
        return bytes.fromhex(raw) if raw else None

    def pending(self, limit: int = 100) -> list[OutboxItem]:
        rows = self.db.conn.execute(
            "SELECT id,envelope_id,envelope FROM reports WHERE status=? ORDER BY seq LIMIT ?",
            (reports.SEALED, limit)).fetchall()
        items = []
        for rid, eid, env in rows:
            blobs = dict(self.db.conn.execute(
                "SELECT id, sealed FROM attachments WHERE report_id=? AND sealed IS NOT NULL", (rid,)))
            items.append(OutboxItem(eid, env, blobs))
        return items

    def batch(self):
        """One transaction around a push batch's receipts (see store.transaction)."""
        return transaction(self.db)

    def pending_count(self) -> int:
        return self.db.conn.execute("SELECT COUNT(*) FROM reports WHERE status=?", (reports.SEALED,)).fetchone()[0]

    def mark_received(self, envelope_id: str, receipt: Receipt, wire: dict) -> None:
        """Purge to a minimal receipt row — called only after the receipt was verified.

        The signed receipt (office receive time to the second, hashes) is kept sealed to the
        report's owner; the clear row keeps only the day it arrived."""
        keep = get_meta(self.db, "retention", "purge") == "keep"
        with transaction(self.db) as conn:
            row = conn.execute("SELECT r.id, u.x25519_public FROM reports r LEFT JOIN users u ON u.id=r.owner "
                               "WHERE r.envelope_id=?", (envelope_id,)).fetchone()
            if row is None:
                return
            rid, owner_pub = row
            stored = (keys.seal_to_owner(bytes(owner_pub), json.dumps(wire).encode(), _receipt_aad(rid))
                      if owner_pub else None)
            conn.execute("DELETE FROM attachments WHERE report_id=?", (rid,))
            conn.execute(
                "UPDATE reports SET status=?, envelope=NULL, receipt=?, received_day=?, last_error=NULL, "
                "answers=CASE WHEN ? THEN answers ELSE NULL END WHERE id=?",
                (reports.RECEIVED, stored, today(), keep, rid))

    def receipt(self, session: Session, report_id: str) -> dict | None:
        """The office's signed receipt for one of this user's reports (PIN needed)."""
        row = self.db.conn.execute("SELECT receipt FROM reports WHERE id=? AND owner=?",
                                   (report_id, session.user_id)).fetchone()
        if row is None or row[0] is None:
            return None
        return json.loads(keys.open_from_owner(session.x25519, bytes(row[0]), _receipt_aad(report_id)))

    def mark_failed(self, envelope_id: str, code: str, message: str) -> None:
        """A refusal (sync.ports.is_refusal) takes the report out of the outbox for good as
        `refused` with the office's reason; anything else keeps it waiting with the reason."""
        status = REFUSED if is_refusal(code) else reports.SEALED
        with transaction(self.db) as conn:
            conn.execute("UPDATE reports SET attempts=attempts+1, last_error=?, status=? "
                         "WHERE envelope_id=? AND status=?",
                         (f"{code}: {message}"[:200], status, envelope_id, reports.SEALED))

    def record_round(self, ok: bool, error: str | None, when: str) -> None:
        """sync.runner.sync_round's report: only a completed round moves "last synced"."""
        with transaction(self.db) as conn:
            if ok:
                set_meta(conn, "last_sync", when)
                set_meta(conn, "setting.last_sync_error", "")
            else:
                set_meta(conn, "setting.last_sync_error", error or "sync_failed")

    def mark_synced(self, when: str) -> None:
        with transaction(self.db) as conn:
            set_meta(conn, "last_sync", when)

    def inbox_cursor(self) -> str | None:
        return get_meta(self.db, "inbox_cursor")

    def add_inbox(self, items: list[InboxItem], cursor: str | None) -> None:
        """Store what arrived, still sealed; recipient-key updates apply at once."""
        with transaction(self.db) as conn:
            for it in items:
                if it.kind == "recipient_keys":
                    self._set_recipients(conn, it.body.get("recipients", []))
                    continue
                conn.execute("INSERT OR IGNORE INTO inbox(item_id,kind,person_id,body,received_day) "
                             "VALUES(?,?,?,?,?)", (it.item_id, it.kind, it.person_id,
                                                   json.dumps(it.body), today()))
            if cursor is not None:
                set_meta(conn, "inbox_cursor", cursor)

    def pending_reviews(self) -> list[OutboxItem]:
        return [OutboxItem(e, env) for e, env in
                self.db.conn.execute("SELECT envelope_id, envelope FROM review_outbox")]

    def mark_review_sent(self, envelope_id: str) -> None:
        with transaction(self.db) as conn:
            conn.execute("DELETE FROM review_outbox WHERE envelope_id=?", (envelope_id,))

    # ── inbox, opened with a person's key (PIN needed) ────────────────────
    def _items(self, session: Session, kind: str) -> list[tuple[str, dict, str]]:
        return [(i, json.loads(b), s) for i, b, s in self.db.conn.execute(
            "SELECT item_id, body, state FROM inbox WHERE person_id=? AND kind=? ORDER BY item_id",
            (session.person_id, kind))]

    def review_items(self, session: Session) -> list[dict]:
        """Reports from the village for a head to review, decrypted with the head's own key."""
        out = []
        for item_id, body, state in self._items(session, "review_request"):
            entry = {"item_id": item_id, "state": state}
            try:
                author = envelope.load_public_ed25519(base64.b64decode(body["author_ed25519_public"]))
                opened = envelope.open(base64.b64decode(body["envelope"]), recipient_key=session.x25519,
                                       author_public=author)
                form = forms.load(opened.header.form_id, opened.header.form_version)
                entry.update(envelope_id=opened.header.envelope_id, form_id=form.id,
                             title=form.title, answers=opened.payload.get("answers", {}),
                             flags=opened.payload.get("flags", {}),
                             created_ms=opened.header.created_ms, ok=True)
            except (EnvelopeError, JagaError, KeyError, ValueError) as exc:
                entry.update(ok=False, error=str(exc))
            out.append(entry)
        return out

    def review(self, session: Session, item_id: str, verdict: str, note: str = "") -> str:
        """Seal a signed verdict for the office; it leaves with the next sync."""
        if verdict not in VERDICTS:
            raise JagaError(f"verdict must be one of {', '.join(VERDICTS)}")
        item = next((i for i in self.review_items(session) if i["item_id"] == item_id and i.get("ok")), None)
        if item is None:
            raise NotFound("no such report to review")
        office = envelope.load_public_x25519(bytes.fromhex(get_meta(self.db, "office_x25519_public")))
        sealed = envelope.seal({"envelope_id": item["envelope_id"], "verdict": verdict, "note": note[:2000]},
                               form_id="_review", form_version=1, author_id=session.person_id,
                               device_id=self.device_id, signing_key=session.ed25519, recipients=[office])
        with transaction(self.db) as conn:
            conn.execute("INSERT INTO review_outbox(envelope_id,owner,envelope,created_day) VALUES(?,?,?,?)",
                         (sealed.envelope_id, session.user_id, sealed.envelope, today()))
            conn.execute("UPDATE inbox SET state='answered', note=? WHERE item_id=?",
                         (session.cipher.encrypt_json("inbox", item_id, "note",
                                                      {"verdict": verdict, "note": note}), item_id))
        return sealed.envelope_id

    def feedback(self, session: Session) -> list[dict]:
        """Messages from the office about this person's reports, signature-checked."""
        office_pub = self.office_sign_public
        out = []
        for item_id, body, state in self._items(session, "feedback"):
            try:
                opened = envelope.open(base64.b64decode(body["envelope"]), recipient_key=session.x25519,
                                       author_public=envelope.load_public_ed25519(office_pub))
                out.append({"item_id": item_id, "state": state, **opened.payload,
                            "created_ms": opened.header.created_ms})
            except (EnvelopeError, KeyError, ValueError, TypeError):
                out.append({"item_id": item_id, "state": state, "error": "cannot be opened"})
        return out

    def alerts(self, session: Session) -> list[dict]:
        """General warnings from the office for this person's village, signature-checked with the
        pinned office key; one that does not verify is shown as such, never as text."""
        office_pub = self.office_sign_public
        out = []
        for item_id, body, state in self._items(session, "alert"):
            try:
                opened = envelope.open(base64.b64decode(body["envelope"]), recipient_key=session.x25519,
                                       author_public=envelope.load_public_ed25519(office_pub))
                if opened.header.form_id != "_alert" or not isinstance(opened.payload.get("message"), str):
                    raise ValueError("not an alert")
                out.append({"item_id": item_id, "state": state, "message": opened.payload["message"],
                            "sent_at": opened.payload.get("sent_at"), "created_ms": opened.header.created_ms})
            except (EnvelopeError, KeyError, ValueError, TypeError):
                out.append({"item_id": item_id, "state": state, "error": "cannot be opened"})
        return out

    def mark_read(self, item_id: str) -> None:
        with transaction(self.db) as conn:
            conn.execute("UPDATE inbox SET state='read' WHERE item_id=? AND state='new'", (item_id,))
