"""The phone as a whole: its data dir, users, reports, and the sync-facing outbox/inbox.

`Device` is the one object the UI and the CLI hold. It implements `sync.ports.Outbox`
(no PIN needed: everything it hands out or takes in is sealed) and delegates the rest
to users.py and reports.py. It never speaks HTTP: the UI passes it to `sync.client`.
"""
from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import logging
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

from core import localtime
from core.errors import EnvelopeError, IdentityMismatch, JagaError, NotFound, Revoked, TrustError
from fieldapp import conversation, courier, history, inbox, keys, reports, secret_place, secret_store, store, trust, users
from fieldapp.secret_store import SecretStore
from fieldapp.store import get_meta, set_meta, transaction
from fieldapp.users import Session, today
from sync import courier as sync_courier
from sync import envelope, identity, statement
from sync import receipt as rc
from sync.ports import InboxItem, OutboxItem, is_refusal
from sync.receipt import Receipt

log = logging.getLogger("jaga.device")

VERDICTS = inbox.VERDICTS
RETENTION = ("purge", "keep")
REFUSED = "refused"       # the office refused the report for good: shown with its reason, never re-sent


class RevokedHere(Revoked):
    """The office revoked this person or this phone: a new report, verdict or reply could
    never be accepted, so none is started (the office would refuse it anyway). The same
    `revoked` code as the office's refusal: one meaning, one code."""


LOW_SPACE_MB = 30          # a few photos and a sync round's spare room: warn below this


def _receipt_aad(report_id: str) -> bytes:
    return f"jaga-desa/v1/reports/{report_id}/receipt".encode()


class Device:
    def __init__(self, data_dir: str | Path, create: bool = False,
                 secrets: SecretStore | None = None) -> None:
        self.data_dir = Path(data_dir)
        self.secrets = secrets if secrets is not None else secret_place.default_store()
        self.db = store.open_db(self.data_dir, create=create)
        self._sealer: keys.OwnerSealer | None = None      # a push batch's, while batch() is open

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
        if name is None and self.db.conn.execute(
                "SELECT 1 FROM users WHERE kdf LIKE '%\"pepper\": true%' LIMIT 1").fetchone():
            # Users already depend on a pepper whose name was removed from the file: a new one
            # would turn every right PIN into a "wrong" one. Refuse, count no try.
            raise secret_store.SecretMissing(
                "the name of this phone's secret key is missing from the data folder (edited?): "
                "nobody's PIN can open this data here")
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
        """Unlock, then check the plaintext trust data against the user's sealed bundle
        (differences are repaired and listed in `session.trust_alert`) and verify what the
        office sent this person since the last unlock."""
        session = users.unlock(self.db, name_or_id, pin, self.pepper, now=now, tries=self.secrets)
        session.trust_alert = []
        bundle = trust.safe_load(self.db, session)
        if bundle is None:
            if session.person_id:      # enrolled, but the bundle is gone or was tampered with
                session.trust_alert = ["bundle"]
            return session
        session.trust_alert = trust.check_plaintext(self.db, session, bundle)
        bundle = inbox.verify_pending(self.db, session, bundle)
        reports.bind_older(self.db, session, bundle)
        if bundle and bundle.get("revoked"):
            self._keep_revocation(session, bundle)
        self.purge_old_summaries()
        return session

    def space(self) -> dict:
        """Free space where the store lives, and whether it is low enough to warn her now —
        before a save fails (below LOW_SPACE_MB); in the offline app the browser's room for
        it and whether the browser keeps it (store.space)."""
        room = store.space(self.data_dir)
        return {**room, "low": room["free"] < LOW_SPACE_MB * 1024 * 1024}

    def change_pin(self, name_or_id: str, old_pin: str, new_pin: str, *, now: float | None = None) -> None:
        """"Ganti PIN" (users.change_pin): the old PIN is a counted try like any unlock."""
        users.change_pin(self.db, name_or_id, old_pin, new_pin, self.pepper, tries=self.secrets, now=now)

    def locked_out_outbox(self) -> dict[str, int]:
        """For each user locked out by wrong PINs: how many of their sealed reports still wait
        to be sent. Their key is gone, but what they sealed is ciphertext for the office (and
        heads) that needs no key of theirs to travel: it keeps going out with every sync."""
        return dict(self.db.conn.execute(
            "SELECT u.label, COUNT(r.id) FROM users u LEFT JOIN reports r ON r.owner=u.id AND r.status=? "
            "WHERE u.locked=1 GROUP BY u.id", (reports.SEALED,)).fetchall())

    def trust_bundle(self, session: Session) -> dict | None:
        """This user's verified view of the office (after applying pending signed items)."""
        return inbox.verify_pending(self.db, session, trust.safe_load(self.db, session))

    def revocation(self, session: Session) -> dict | None:
        """What the office cut off, for telling the user: {"scope": "person", "at": the
        office's signed time} when this person was revoked (a signed inbox item), else
        {"scope": "device", "at": when this phone learned it} when the office refused the
        whole phone, else None.

        The person's revocation is believed from her AES-GCM bundle, or from the signed item
        itself kept outside the data folder (the SecretStore, like the PIN try ledger) and
        verified again under her pinned office key: putting back an older bundle from before
        the revocation does not take it back."""
        bundle = self.trust_bundle(session) if session.person_id else None
        if bundle and bundle.get("revoked"):
            self._keep_revocation(session, bundle)
            return {"scope": "person", "at": bundle.get("revoked_at") or None}
        kept = self._kept_revocation(bundle) if bundle else None
        return kept or self.device_revoked()

    def refuse_if_revoked(self, session: Session) -> None:
        """Raise RevokedHere before starting anything the office could never accept."""
        if self.revocation(session):
            raise RevokedHere("the office revoked this person or this phone")

    def _record_name(self, what: str) -> str | None:
        """A SecretStore record of this phone (named after its pepper: renaming it in the file
        locks every user out, so it cannot be used to look up another, empty record)."""
        pepper = get_meta(self.db, "pepper_name")
        return f"{pepper}.{what}" if pepper else None

    def _person_record(self, person_id: str) -> str | None:
        return self._record_name("revoked-" + hashlib.sha256(person_id.encode()).hexdigest()[:24])

    def _keep_revocation(self, session: Session, bundle: dict) -> None:
        """Copy the verified, signed revocation item out of the data folder (once). Only a row
        that verifies is copied, and a kept record that does not verify is replaced: the rows
        are in the folder, so a decoy planted there before the first unlock must not become
        the kept copy (tests/adversarial/test_redteam_revocation.py)."""
        name = self._person_record(str(bundle.get("person_id") or ""))
        if not name or self._verified_revocation(self.secrets.read_value(name), bundle):
            return
        for (body,) in self.db.conn.execute("SELECT body FROM inbox WHERE person_id=? AND kind='revoked' "
                                            "AND state!='unverified' ORDER BY rowid",
                                            (bundle.get("person_id"),)):
            raw = body.encode() if isinstance(body, str) else bytes(body or b"")
            if self._verified_revocation(raw, bundle):
                self.secrets.write_value(name, raw)
                return

    def _kept_revocation(self, bundle: dict) -> dict | None:
        """The signed revocation kept outside the folder, if it verifies for this person."""
        name = self._person_record(str(bundle.get("person_id") or ""))
        body = self._verified_revocation(self.secrets.read_value(name) if name else None, bundle, log_refusal=True)
        if body is None:
            return None
        log.warning("the bundle says not revoked but the office's signed revocation is kept: an older "
                    "bundle was put back?")
        return {"scope": "person", "at": str(body.get("revoked_at") or body.get("issued_at") or "")[:40] or None}

    @staticmethod
    def _verified_revocation(raw: bytes | None, bundle: dict, log_refusal: bool = False) -> dict | None:
        """The body (with the item's `issued_at`) of a signed revocation of this bundle's person
        under its pinned office key, else None."""
        if not raw:
            return None
        try:
            item = statement.check_item(json.loads(raw), envelope.load_public_ed25519(
                bytes.fromhex(bundle["office_ed25519"])))
            body = item["body"]
            if item["kind"] != "revoked" or item["person_id"] != bundle["person_id"] \
                    or body.get("person_id") != bundle["person_id"]:
                raise TrustError("the kept revocation is about someone else")
        except (TrustError, EnvelopeError, ValueError, KeyError, TypeError, AttributeError) as exc:
            if log_refusal:
                log.warning("kept revocation record not believed: %s", getattr(exc, "message", type(exc).__name__))
            return None
        return {**body, "issued_at": item.get("issued_at")}

    def device_revoked(self) -> dict | None:
        """The office refused this phone's token as revoked (no PIN needed: the lock screen
        says so). Sync sets it only on the office's refusal signed for this device id
        (sync/statement.py), and it is kept twice: in the file, and outside it in the
        SecretStore, where whoever edits the file cannot remove it; only a round the office
        accepts again clears both. Either copy counts — a forged copy only hides the report
        buttons, the office decides anyway."""
        at = get_meta(self.db, "device_revoked_at")
        if not at:
            name = self._record_name("device-revoked")
            raw = self.secrets.read_value(name) if name else None
            at = raw.decode(errors="replace")[:40] if raw else None
        return {"scope": "device", "at": at} if at else None

    def trust_alert(self) -> dict | None:
        """The last tampering found at an unlock (kept until cleared), for the app to show."""
        raw = get_meta(self.db, "trust_alert")
        return json.loads(raw) if raw else None

    def clear_trust_alert(self) -> None:
        with transaction(self.db) as conn:
            set_meta(conn, "trust_alert", None)

    # ── settings ──────────────────────────────────────────────────────────
    def setting(self, key: str, default: str | None = None) -> str | None:
        return get_meta(self.db, f"setting.{key}", default)

    def set_setting(self, key: str, value: str) -> None:
        if key == "retention" and value not in RETENTION:
            raise JagaError(f"retention must be one of {RETENTION}")
        if key == "summary_days" and value not in history.SUMMARY_DAYS:
            raise JagaError(f"summary_days must be one of {history.SUMMARY_DAYS}")
        with transaction(self.db) as conn:
            set_meta(conn, f"setting.{key}", value)
            if key == "retention":
                set_meta(conn, "retention", value)
        if key == "summary_days":
            self.purge_old_summaries()

    def purge_old_summaries(self) -> int:
        """Apply "keep summaries of sent reports for N days" (at unlock, after each sync round,
        when the setting changes); no PIN needed, it only deletes."""
        return history.purge_old(self.db, self.setting("summary_days", history.DEFAULT_SUMMARY_DAYS))

    def wipe(self) -> None:
        """Quick wipe: destroy every wrapped key first (instantly unreadable), then the files."""
        with transaction(self.db) as conn:
            conn.execute("UPDATE users SET wrapped_key=NULL, private_keys=NULL, locked=1")
        name = get_meta(self.db, "pepper_name")
        records = [self._record_name("device-revoked")] + [
            self._person_record(pid) for (pid,) in self.db.conn.execute(
                "SELECT person_id FROM users WHERE person_id IS NOT NULL")]
        self.close()
        for record in filter(None, records):     # the revocation records outside the folder too
            self.secrets.delete(record)
        if name:            # a copy of the folder taken earlier can no longer be opened either
            self.secrets.delete(name)
        for child in self.data_dir.iterdir():
            shutil.rmtree(child) if child.is_dir() else child.unlink()

    # ── enrollment (the HTTP call itself is sync.client's) ────────────────
    @staticmethod
    def ticket(text: str, **given) -> identity.Ticket:
        """The enrollment code / QR content, with the office fingerprint it must carry."""
        return identity.parse(text, **given)

    def enrollment_request(self, session: Session, code: "str | identity.Ticket") -> dict:
        """Keyword arguments for `sync.client.OfficeClient.enroll` (public keys only, raw bytes)."""
        bare = code.code if isinstance(code, identity.Ticket) else code.strip()
        req = {"code": bare, "name": session.label,
               "fingerprint": code.fingerprint if isinstance(code, identity.Ticket) else None,
               "x25519_public": session.x25519.public_key().public_bytes_raw(),
               "ed25519_public": session.ed25519.public_key().public_bytes_raw()}
        if self.device_id and self.sync_token:
            req.update(device_id=self.device_id, device_token=self.sync_token)
        return req

    def apply_enrollment(self, session: Session, ticket: identity.Ticket, resp: dict, *,
                         insecure: bool = False) -> str:
        """Believe the office's answer only if its keys match the ticket's fingerprint, it is
        signed by that key, and it is about this person's own keys. Returns the fingerprint.
        Raises IdentityMismatch / TrustError (nothing stored) otherwise."""
        if not ticket.office_url:
            raise identity.BadTicket("the office address is missing")
        identity.check_transport(ticket.office_url, insecure=insecure)
        b = base64.b64decode
        try:
            office_x, office_e = b(resp["office_x25519_public"]), b(resp["office_ed25519_public"])
        except (KeyError, TypeError, ValueError) as exc:
            raise TrustError("the enrollment answer has no readable office keys") from exc
        fp = ticket.check(office_x, office_e)
        answer = statement.check_answer(resp, envelope.load_public_ed25519(office_e))
        mine = (session.x25519.public_key().public_bytes_raw(), session.ed25519.public_key().public_bytes_raw())
        try:
            theirs = (b(answer["x25519_public"]), b(answer["ed25519_public"]))
            recipients = [{"person_id": r["person_id"], "x25519_public": b(r["x25519_public"]).hex()}
                          for r in answer["recipients"]]
            for r in recipients:
                envelope.load_public_x25519(bytes.fromhex(r["x25519_public"]))
        except (KeyError, TypeError, ValueError, EnvelopeError) as exc:
            raise TrustError("the enrollment answer is incomplete") from exc
        if theirs != mine:
            raise TrustError("the enrollment answer is for other keys than this person's")
        other = trust.attested_office(self.db)
        if other is not None and other["office_ed25519"] != office_e.hex():
            raise IdentityMismatch("another user of this phone is enrolled with a different office")
        bundle = {"v": 1, "office_url": ticket.office_url, "office_x25519": office_x.hex(),
                  "office_ed25519": office_e.hex(), "fingerprint": fp, "tls_sha256": ticket.tls_sha256,
                  "insecure": bool(insecure), "person_id": answer["person_id"],
                  "device_id": answer["device_id"], "village_id": answer["village_id"],
                  "village_name": answer.get("village_name"), "role": answer.get("role"),
                  "recipients": recipients, "recipients_issued_at": answer.get("issued_at", ""),
                  "recipients_valid_until": str(answer.get("recipients_valid_until") or ""),
                  "revoked": False}
        with transaction(self.db) as conn:
            conn.execute("UPDATE users SET person_id=?, village_id=? WHERE id=?",
                         (answer["person_id"], answer["village_id"], session.user_id))
            trust.save(conn, session, bundle)
            set_meta(conn, "office_url", ticket.office_url)
            set_meta(conn, "device_id", answer["device_id"])
            if answer.get("sync_token"):
                set_meta(conn, "sync_token", answer["sync_token"])
            set_meta(conn, "village_id", str(answer["village_id"]))
            set_meta(conn, "village_name", answer.get("village_name"))
            if isinstance(answer.get("kecamatan_name"), str):
                set_meta(conn, "kecamatan_name", answer["kecamatan_name"][:100])
        session.person_id = answer["person_id"]
        return fp

    # ── reports (PIN needed) ──────────────────────────────────────────────
    def new_draft(self, session: Session, form_id: str, answers: dict | None = None) -> str:
        self.refuse_if_revoked(session)
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

    def add_voice(self, session: Session, report_id: str, pcm: bytes, rate: int = 16000) -> tuple[str, int]:
        return reports.add_voice(self.db, session, report_id, pcm, rate)

    def attachment_bytes(self, session: Session, att_id: str) -> bytes:
        """A draft's attachment, decrypted with her key (a voice note to play back before sending)."""
        return reports.photo_bytes(self.db, session, att_id)

    def finalize(self, session: Session, report_id: str, **kw) -> str:
        """Seal for the recipients in the user's verified bundle (never from plaintext rows);
        never for a revoked person or phone (RevokedHere; the draft stays)."""
        self.refuse_if_revoked(session)
        kw.setdefault("zone", localtime.zone(self.setting("tz")))      # the zone the phone shows
        return reports.finalize(self.db, session, report_id, bundle=self.trust_bundle(session), **kw)

    def file(self, session: Session, form_id: str, answers: dict, *, rahasia: bool = False,
             lang: str = "id", created_ms: int | None = None) -> str:
        """Draft + finalize in one go (CLI, scripts). The draft stays if validation fails.
        `created_ms`: the phone clock at sealing (default now)."""
        report_id = self.new_draft(session, form_id, answers)
        return self.finalize(session, report_id, rahasia=rahasia, lang=lang, created_ms=created_ms)

    def heads_current(self, session: Session) -> bool:
        """False when this user's signed head list has expired: reports then go to the office
        only (the home screen says so)."""
        bundle = self.trust_bundle(session)
        return bool(bundle) and trust.heads_current(bundle)

    def _head_list_status(self) -> str | None:
        """For `device status` (no PIN): the earliest head-list expiry among the users, from
        the plaintext display copy (trust.save). Sealing never reads it."""
        rows = [v for (v,) in self.db.conn.execute(
            "SELECT value FROM meta WHERE key LIKE 'heads\\_valid\\_until.%' ESCAPE '\\'")]
        if not rows:
            return None
        first = min(rows)
        if not trust.heads_current({"recipients_valid_until": first}):
            return f"expired ({first or 'no validity'}): reports go to the office only until the next sync"
        return f"valid until {first}"

    # ── outbox (no PIN) ───────────────────────────────────────────────────
    def outbox(self, owner: str | None = None) -> list[dict]:
        """Every report's state for the outbox screen: draft / waiting / received / returned."""
        sql = ("SELECT r.id,r.owner,r.form_id,r.form_version,r.status,r.created_day,r.attempts,"
               "r.last_error,r.received_day,r.envelope_id,r.courier_day,"
               "(SELECT COUNT(*) FROM inbox i WHERE i.kind='feedback' AND i.state!='unverified' "
               "AND i.body LIKE '%'||r.envelope_id||'%')"
               " FROM reports r" + (" WHERE r.owner=?" if owner else "") + " ORDER BY r.rowid DESC")
        out = []
        for row in self.db.conn.execute(sql, (owner,) if owner else ()):
            (rid, own, fid, ver, status, day, attempts, err, rday, eid, cday, fb) = row
            state = {"draft": "draft", "sealed": "waiting", "received": "received",
                     REFUSED: REFUSED}[status]
            if status == "sealed" and cday:
                state = "courier"          # left in a courier file: waiting for its receipt
            if status == "received" and fb:
                state = "returned"
            out.append({"id": rid, "owner": own, "form_id": fid, "form_version": ver, "status": status,
                        "state": state, "created_day": day, "attempts": attempts, "last_error": err,
                        "received_day": rday, "envelope_id": eid, "courier_day": cday})
        return out

    def status(self) -> dict:
        counts = dict(self.db.conn.execute("SELECT status, COUNT(*) FROM reports GROUP BY status"))
        office = trust.attested_office(self.db)
        fp = identity.fingerprint(bytes.fromhex(office["office_x25519"]),
                                  bytes.fromhex(office["office_ed25519"])) if office else None
        return {"device_id": self.device_id, "office_url": self.office_url,
                "office_fingerprint": identity.short(fp) if fp else None,
                "enrolled": bool(self.sync_token), "village": get_meta(self.db, "village_name"),
                "users": len(self.users()), "drafts": counts.get("draft", 0),
                "outbox": counts.get("sealed", 0), "received": counts.get("received", 0),
                "refused": counts.get(REFUSED, 0),
                "carried": self.db.conn.execute("SELECT COUNT(*) FROM carried WHERE state='waiting'").fetchone()[0],
                "last_sync": get_meta(self.db, "last_sync"), "inbox": self.db["inbox"].count,
                "inbox_dropped": int(get_meta(self.db, "inbox_dropped", "0")),
                "trust_alert": self.trust_alert(), "head_list": self._head_list_status()}

    def home_place(self) -> str | None:
        """The enrolled village as a place ("Desa X, Kecamatan Y" when the office sent the
        kecamatan): the default answer to "where was it seen" on the PMI form."""
        village = get_meta(self.db, "village_name")
        if not village:
            return None
        kec = get_meta(self.db, "kecamatan_name")
        place = village if village.lower().startswith(("desa ", "kelurahan ")) else f"Desa {village}"
        return f"{place}, Kecamatan {kec}" if kec else place

    # ── sync.ports.Outbox ─────────────────────────────────────────────────
    # The office a PIN-less sync talks to and believes is the one the users *signed*
    # (trust.attested_office), never the plaintext meta copy.
    sync_token = property(lambda self: get_meta(self.db, "sync_token"))
    device_id = property(lambda self: get_meta(self.db, "device_id"))

    @property
    def office_url(self) -> str | None:
        office = trust.attested_office(self.db)
        return office["office_url"] if office else None

    @property
    def office_sign_public(self) -> bytes | None:
        office = trust.attested_office(self.db)
        return bytes.fromhex(office["office_ed25519"]) if office else None

    def client_options(self) -> dict:
        """`sync.client.OfficeClient` keyword arguments pinned at enrollment (TLS pin, --insecure)."""
        office = trust.attested_office(self.db) or {}
        return {"tls_sha256": office.get("tls_sha256"), "insecure": bool(office.get("insecure"))}

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

    @contextlib.contextmanager
    def batch(self) -> Iterator[sqlite3.Connection]:
        """One transaction around a push batch's receipts (see store.transaction), sealed to
        their owners with one key agreement per owner for the batch (keys.OwnerSealer)."""
        with transaction(self.db) as conn:
            outer, self._sealer = self._sealer, self._sealer or keys.OwnerSealer()
            try:
                yield conn
            finally:
                self._sealer = outer

    def pending_count(self) -> int:
        return self.db.conn.execute("SELECT COUNT(*) FROM reports WHERE status=?", (reports.SEALED,)).fetchone()[0]

    def mark_received(self, envelope_id: str, receipt: Receipt, wire: dict) -> bool:
        """Purge to a minimal receipt row — only if the receipt verifies under the office key
        the report's own author attested (see fieldapp/trust.py); otherwise keep it, say why
        and return False.

        The signed receipt (office receive time to the second, hashes) is kept sealed to the
        report's owner; the clear row keeps only the day it arrived."""
        keep = get_meta(self.db, "retention", "purge") == "keep"
        with transaction(self.db) as conn:
            row = conn.execute("SELECT r.id, u.x25519_public FROM reports r LEFT JOIN users u ON u.id=r.owner "
                               "WHERE r.envelope_id=?", (envelope_id,)).fetchone()
            if row is None:
                return True
            rid, owner_pub = row
            why = self._untrusted_receipt(conn, rid, wire)
            if why:
                log.warning("receipt for %s not trusted (%s): the report stays in the outbox", envelope_id, why)
                conn.execute("UPDATE reports SET attempts=attempts+1, last_error=? WHERE id=?",
                             (f"receipt_untrusted: {why}"[:200], rid))
                return False
            stored = ((self._sealer or keys.OwnerSealer()).seal(bytes(owner_pub), json.dumps(wire).encode(),
                                                                 _receipt_aad(rid))
                      if owner_pub else None)
            conn.execute("DELETE FROM attachments WHERE report_id=?", (rid,))
            conn.execute(
                "UPDATE reports SET status=?, envelope=NULL, receipt=?, received_day=?, last_error=NULL, "
                "answers=CASE WHEN ? THEN answers ELSE NULL END WHERE id=?",
                (reports.RECEIVED, stored, today(), keep, rid))
        return True

    def _untrusted_receipt(self, conn, report_id: str, wire: dict) -> str | None:
        """Why this receipt may not purge the report, or None. The author key comes from the
        plaintext row, so it is checked twice: the stored envelope must verify under it (a
        swapped key breaks the author's signature) and it must have attested the office key."""
        env_bytes, author_pub, attest = conn.execute(
            "SELECT r.envelope, u.ed25519_public, u.office_attest FROM reports r "
            "JOIN users u ON u.id = r.owner WHERE r.id=?", (report_id,)).fetchone()
        if not env_bytes:
            return "no envelope"
        office_pub, why = _attested_office(env_bytes, author_pub, attest)
        if why:
            return why
        blobs = {a: hashlib.sha256(b).hexdigest() for a, b in conn.execute(
            "SELECT id, sealed FROM attachments WHERE report_id=? AND sealed IS NOT NULL", (report_id,))}
        try:
            got = rc.verify(wire, office_pub, env_bytes, blobs)
        except EnvelopeError:
            return "not signed by the office the author pinned"
        if not got.complete:
            return "incomplete"
        return None

    def receipt(self, session: Session, report_id: str) -> dict | None:
        """The office's signed receipt for one of this user's reports (PIN needed)."""
        row = self.db.conn.execute("SELECT receipt FROM reports WHERE id=? AND owner=?",
                                   (report_id, session.user_id)).fetchone()
        if row is None or row[0] is None:
            return None
        return json.loads(keys.open_from_owner(session.x25519, bytes(row[0]), _receipt_aad(report_id)))

    def mark_failed(self, envelope_id: str, code: str, message: str, refusal: dict | None = None,
                    nonce: str | None = None, purpose: str = "push") -> bool:
        """A refusal (sync.ports.is_refusal) takes the report out of the outbox for good as
        `refused` with the office's reason; anything else keeps it waiting with the reason.
        Sync passes the office's signed `refusal` and the `nonce` its push carried: it closes the
        report only if it verifies, for these bytes, this phone and that push, under the office
        key the report's own author attested (as mark_received does receipts); otherwise the
        report stays waiting and this returns False. A courier receipts file passes
        `purpose="courier"` (no nonce: the office answered a file, not a request of this phone).
        (Without `refusal` the caller is local — the CLI, a test — and vouches for the code.)"""
        status = REFUSED if is_refusal(code) else reports.SEALED
        with transaction(self.db) as conn:
            if status == REFUSED and refusal is not None:
                why = self._untrusted_refusal(conn, envelope_id, code, refusal, purpose, nonce)
                if why:
                    log.warning("refusal of %s not trusted (%s): the report stays in the outbox", envelope_id, why)
                    code, message, status = "refusal_untrusted", f"{code}: {why}", reports.SEALED
            conn.execute("UPDATE reports SET attempts=attempts+1, last_error=?, status=? "
                         "WHERE envelope_id=? AND status=?",
                         (f"{code}: {message}"[:200], status, envelope_id, reports.SEALED))
        return code != "refusal_untrusted"

    def _untrusted_refusal(self, conn, envelope_id: str, code: str, refusal: dict, purpose: str,
                           nonce: str | None) -> str | None:
        """Why this signed refusal may not close the report, or None (the author key is checked
        against the sealed report first, as for receipts)."""
        row = conn.execute("SELECT r.envelope, u.ed25519_public, u.office_attest FROM reports r "
                           "JOIN users u ON u.id = r.owner WHERE r.envelope_id=?", (envelope_id,)).fetchone()
        if row is None or not row[0]:
            return "no envelope"
        return self._refusal_check(*row, envelope_id, code, refusal, purpose, nonce)

    def _refusal_check(self, env_bytes: bytes, author_pub, attest, envelope_id: str, code: str,
                       refusal: dict, purpose: str, nonce: str | None) -> str | None:
        office_pub, why = _attested_office(env_bytes, author_pub, attest)
        if why:
            return why
        try:
            statement.check_refusal(refusal, office_pub, code=code, device_id=self.device_id, purpose=purpose,
                                    nonce=nonce, envelope=bytes(env_bytes), envelope_id=envelope_id)
        except TrustError:
            return "not signed for this item, phone and request by the office the author pinned"
        return None

    def record_round(self, ok: bool, error: str | None, when: str) -> None:
        """sync.runner.sync_round's report: only a completed round moves "last synced"."""
        with transaction(self.db) as conn:
            if ok:
                set_meta(conn, "last_sync", when)
                set_meta(conn, "setting.last_sync_error", "")
                set_meta(conn, "device_revoked_at", None)
            else:
                set_meta(conn, "setting.last_sync_error", error or "sync_failed")
                if error == "revoked" and not conn.execute(
                        "SELECT 1 FROM meta WHERE key='device_revoked_at'").fetchone():
                    set_meta(conn, "device_revoked_at", when)   # the first round that was refused
        name = self._record_name("device-revoked")
        if name and ok:
            self.secrets.delete(name)
        elif name and error == "revoked" and not self.secrets.read_value(name):
            self.secrets.write_value(name, (get_meta(self.db, "device_revoked_at") or when).encode())
        self.purge_old_summaries()

    def mark_synced(self, when: str) -> None:
        with transaction(self.db) as conn:
            set_meta(conn, "last_sync", when)

    def inbox_cursor(self) -> str | None:
        return get_meta(self.db, "inbox_cursor")

    def add_inbox(self, items: list[InboxItem], cursor: str | None) -> None:
        """Store what arrived, unverified; nothing here changes whom reports are sealed to."""
        office = self.office_sign_public
        inbox.store(self.db, items, cursor, envelope.load_public_ed25519(office) if office else None)

    # ── courier mode (fieldapp/courier.py): what this phone carries for others ──
    def carried_file(self) -> bytes | None:
        """sync.runner: a courier file of the envelopes this phone carries, None when none."""
        items = courier.carried_items(self)
        if not items:
            return None
        office = trust.attested_office(self.db)
        return sync_courier.pack(items, sync_courier.office_key_id(bytes.fromhex(office["office_x25519"])),
                                 pad=False) if office else None

    def take_carried_receipts(self, answer: bytes | dict) -> courier.Settled:
        """sync.runner: the office's receipts file for what this phone carried (verified here)."""
        return courier.take_receipts(self, answer)

    def pending_reviews(self) -> list[OutboxItem]:
        return [OutboxItem(e, env) for e, env in
                self.db.conn.execute("SELECT envelope_id, envelope FROM review_outbox")]

    def mark_review_sent(self, envelope_id: str) -> bool:
        """The office holds the verdict: forget it and the head's copy of the report — only
        if this sync's office is the one the verdict's author attested (as mark_received)."""
        why = self._untrusted_office_for_review(envelope_id)
        if why:
            log.warning("receipt for verdict %s not trusted (%s): it stays to be sent", envelope_id, why)
            return False
        inbox.review_sent(self.db, envelope_id)
        return True

    def close_review(self, envelope_id: str, code: str, message: str, refusal: dict | None = None,
                     nonce: str | None = None) -> bool:
        """A refusal closes a verdict or reply only when it comes from the office its author
        attested — a server a rewritten file points at must not make the phone drop it — and,
        from sync, only on that office's signed `refusal` of these bytes for this phone (a
        network answering in the office's place must not either). False: kept, to be sent."""
        why = self._untrusted_office_for_review(envelope_id)
        if not why and refusal is not None:
            row = self.db.conn.execute(
                "SELECT r.envelope, u.ed25519_public, u.office_attest FROM review_outbox r "
                "JOIN users u ON u.id = r.owner WHERE r.envelope_id=?", (envelope_id,)).fetchone()
            why = self._refusal_check(*row, envelope_id, code, refusal, "review", nonce) if row else None
        if why:
            log.warning("refusal of verdict %s not trusted (%s): it stays to be sent", envelope_id, why)
            return False
        inbox.review_closed(self.db, envelope_id, code, message)
        return True

    def _untrusted_office_for_review(self, envelope_id: str) -> str | None:
        """Why the office this PIN-less sync talks to may not settle this verdict, or None. The
        author key comes from the plaintext row, so it is checked twice, as for reports: the
        sealed verdict must verify under it, and it must have attested this very office key."""
        row = self.db.conn.execute(
            "SELECT r.envelope, u.ed25519_public, u.office_attest FROM review_outbox r "
            "JOIN users u ON u.id = r.owner WHERE r.envelope_id=?", (envelope_id,)).fetchone()
        if row is None:
            return None
        env_bytes, author_pub, attest = row
        try:
            envelope.verify(env_bytes, envelope.load_public_ed25519(bytes(author_pub or b"")))
        except EnvelopeError:
            return "the author key on file does not match the sealed verdict"
        office = trust.check_attestation(attest, author_pub)
        if office is None or bytes.fromhex(office["office_ed25519"]) != self.office_sign_public:
            return "not the office the author pinned"
        return None

    # ── inbox, opened with a person's key (PIN needed) ────────────────────
    def review_items(self, session: Session) -> list[dict]:
        """Reports from the village for a head to review, decrypted with the head's own key."""
        self.trust_bundle(session)
        return inbox.review_items(self.db, session)

    def review(self, session: Session, item_id: str, verdict: str, note: str = "") -> str:
        """Seal a signed verdict for the pinned office; it leaves with the next sync."""
        bundle = self.trust_bundle(session)
        if bundle is None:
            raise reports.NotEnrolled()
        self.refuse_if_revoked(session)
        return inbox.review(self.db, session, bundle, item_id, verdict, note, bundle["device_id"])

    def feedback(self, session: Session) -> list[dict]:
        """Messages from the office about this person's reports, signature-checked."""
        return inbox.feedback(self.db, session, self.trust_bundle(session))

    def alerts(self, session: Session) -> list[dict]:
        """General warnings from the office for this person's village, signature-checked."""
        return inbox.alerts(self.db, session, self.trust_bundle(session))

    def mark_read(self, item_id: str) -> None:
        inbox.mark_read(self.db, item_id)

    # ── a sent report's conversation (PIN needed) ─────────────────────────
    def reply(self, session: Session, report_id: str, message: str) -> str:
        """Her answer to the office about one of her sent reports; leaves with the next sync."""
        bundle = self.trust_bundle(session)
        if bundle is None or bundle.get("person_id") != session.person_id:
            raise reports.NotEnrolled()
        self.refuse_if_revoked(session)
        return conversation.reply(self.db, session, bundle, report_id, message)

    def thread(self, session: Session, report_id: str) -> list[dict]:
        """Office messages and her replies about one sent report, oldest first."""
        return conversation.thread(self.db, session, self.trust_bundle(session), report_id)


def _attested_office(env_bytes: bytes, author_pub, attest) -> tuple[object, str | None]:
    """(the office key this item's author attested, None) or (None, why it may not be used).
    The author key comes from the plaintext row, so it is checked twice: the sealed item must
    verify under it (a swapped key breaks the author's signature) and it must have attested
    the office key — the one rule for receipts and refusals alike."""
    try:
        envelope.verify(env_bytes, envelope.load_public_ed25519(bytes(author_pub or b"")))
    except EnvelopeError:
        return None, "the author key on file does not match the sealed item"
    office = trust.check_attestation(attest, author_pub)
    if office is None:
        return None, "the author did not attest an office"
    return envelope.load_public_ed25519(bytes.fromhex(office["office_ed25519"])), None
