"""Test helpers shared by tests/sync and tests/office: real keys, real enrollment, real
envelopes, and `SqliteOutbox` — a small Outbox implementation backed by a real SQLite
file. The real device store (fieldapp) implements the same protocol; the lead
integrates it later, these tests only need the protocol's behaviour.
"""
from __future__ import annotations

import base64
import json
import sqlite3
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from sync import envelope as env
from sync.client import OfficeClient
from sync.ports import InboxItem, OutboxItem
from sync.receipt import Receipt


@dataclass
class Person:
    name: str
    x: X25519PrivateKey = field(default_factory=X25519PrivateKey.generate)
    ed: Ed25519PrivateKey = field(default_factory=Ed25519PrivateKey.generate)
    enrolled: dict = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.enrolled["person_id"]

    @property
    def device_id(self) -> str:
        return self.enrolled["device_id"]

    @property
    def key_id(self) -> str:
        return env.key_id(self.x.public_key()).hex()

    def office_x(self):
        return env.load_public_x25519(base64.b64decode(self.enrolled["office_x25519_public"]))

    def office_ed(self):
        return env.load_public_ed25519(base64.b64decode(self.enrolled["office_ed25519_public"]))

    def heads(self) -> list:
        return [env.load_public_x25519(base64.b64decode(r["x25519_public"]))
                for r in self.enrolled["recipients"]]

    def report(self, *, rahasia: bool = False, attachments: dict | None = None,
               created_ms: int | None = None, extra_recipients=(), answers=None,
               form_id: str = "laporan_kecurigaan", form_version: int = 1) -> env.Sealed:
        rcpts = [self.office_x()] + ([] if rahasia else self.heads()) + list(extra_recipients)
        payload = {"answers": answers or valid_answers(form_id, attachments),
                   "flags": {"urgent": True}, "rahasia": rahasia, "lang": "id"}
        return env.seal(payload, form_id=form_id, form_version=form_version, author_id=self.id,
                        device_id=self.device_id, signing_key=self.ed, recipients=rcpts,
                        attachments=attachments, created_ms=created_ms)

    def review(self, report_id: str, verdict: str = "verified", note: str = "benar") -> env.Sealed:
        return env.seal({"envelope_id": report_id, "verdict": verdict, "note": note},
                        form_id="_review", form_version=1, author_id=self.id,
                        device_id=self.device_id, signing_key=self.ed, recipients=[self.office_x()])


SECRET_TEXT = "rahasia sekali: orang asing menawarkan kerja"


def valid_answers(form_id: str = "laporan_kecurigaan", attachments: dict | None = None,
                  version: int = 1) -> dict:
    """Answers the office accepts (it checks every report against its form): the form's own
    example, with a marker text the plaintext scans look for, and the photos named.
    Version 1 by default: the helpers here seal reports as form version 1."""
    import forms
    answers = forms.load(form_id, version).example()
    if "apa_dilihat" in answers:
        answers["apa_dilihat"] = SECRET_TEXT
    if attachments:
        answers["foto"] = sorted(attachments)
    return answers


def new_code(server, village: str, role: str, name: str, **kw) -> str:
    argv = ["enroll-code", "--village", village, "--role", role, "--name", name]
    for k, v in kw.items():
        argv += [f"--{k.replace('_', '-')}", str(v)]
    return server.admin_json(argv)["code"]


def enroll(server, village: str, role: str, name: str, client: OfficeClient | None = None,
           device: Person | None = None) -> tuple[Person, OfficeClient]:
    """Issue a code and redeem it with fresh keys; `device` = an already-enrolled person whose
    phone this one shares."""
    client = client or OfficeClient(server.url)
    person = Person(name)
    code = new_code(server, village, role, name)
    kw = {"device_id": device.device_id, "device_token": client.token} if device else {}
    person.enrolled = client.enroll(code, name, env.raw_public(person.x.public_key()),
                                    env.raw_public(person.ed.public_key()), **kw)
    return person, client


def enroll_on_device(dev, server, village: str, label: str, role: str, pin: str, *,
                     via: str | None = None):
    """A local user of the real `Device` enrolled through the office API; `via` is the URL
    the enrollment code names (a man in the middle, say). Returns the unlocked session."""
    dev.add_user(label, role, pin)
    session = dev.unlock(label, pin)
    text = server.admin_json(["enroll-code", "--village", village, "--role", role, "--name", label,
                              "--office-url", via or server.url])["enroll"]
    ticket = dev.ticket(text)
    client = OfficeClient(ticket.office_url)
    try:
        dev.apply_enrollment(session, ticket, client.enroll(**dev.enrollment_request(session, ticket)))
    finally:
        client.close()
    return session


def sync_device(dev, url: str | None = None):
    """One real sync round of `dev` against its office (or `url`), as the phone runs it."""
    from sync.runner import sync_once
    client = OfficeClient(url or dev.office_url, token=dev.sync_token, **dev.client_options())
    try:
        return sync_once(dev, client)
    finally:
        client.close()


def village(server, name: str = "Entikong") -> str:
    server.admin(["add-village", "--name", name, "--region", "Sanggau"])
    return name


class SqliteOutbox:
    """A minimal Outbox over a real SQLite file (thread-safe by one lock)."""

    def __init__(self, path: Path, *, office_url: str, sync_token: str, device_id: str,
                 office_sign_public: bytes) -> None:
        self.office_url, self.sync_token, self.device_id = office_url, sync_token, device_id
        self.office_sign_public = office_sign_public
        self._lock = threading.Lock()
        self.db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.db.executescript("""
            PRAGMA journal_mode=WAL;
            CREATE TABLE IF NOT EXISTS outbox (envelope_id TEXT PRIMARY KEY, seq INTEGER,
              envelope BLOB, status TEXT, code TEXT, receipt TEXT);
            CREATE TABLE IF NOT EXISTS blobs (envelope_id TEXT, att_id TEXT, blob BLOB,
              PRIMARY KEY (envelope_id, att_id));
            CREATE TABLE IF NOT EXISTS reviews (envelope_id TEXT PRIMARY KEY, envelope BLOB, sent INTEGER);
            CREATE TABLE IF NOT EXISTS inbox (item_id TEXT PRIMARY KEY, kind TEXT, person_id TEXT, body TEXT);
            CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT);
        """)

    # filling (the device's finalize)
    def add(self, sealed: env.Sealed) -> None:
        with self._lock:
            self.db.execute("BEGIN")
            seq = self.db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM outbox").fetchone()[0]
            self.db.execute("INSERT INTO outbox VALUES (?, ?, ?, 'pending', NULL, NULL)",
                            (sealed.envelope_id, seq, sealed.envelope))
            for att_id, blob in sealed.blobs.items():
                self.db.execute("INSERT INTO blobs VALUES (?, ?, ?)", (sealed.envelope_id, att_id, blob))
            self.db.execute("COMMIT")

    def add_review(self, sealed: env.Sealed) -> None:
        with self._lock:
            self.db.execute("INSERT INTO reviews VALUES (?, ?, 0)", (sealed.envelope_id, sealed.envelope))

    # the Outbox protocol
    def pending(self, limit: int = 100) -> list[OutboxItem]:
        with self._lock:
            rows = self.db.execute("SELECT envelope_id, envelope FROM outbox WHERE status='pending' "
                                   "ORDER BY seq LIMIT ?", (limit,)).fetchall()
            out = []
            for eid, data in rows:
                blobs = dict(self.db.execute("SELECT att_id, blob FROM blobs WHERE envelope_id=?", (eid,)))
                out.append(OutboxItem(eid, data, blobs))
            return out

    def pending_count(self) -> int:
        with self._lock:
            return self.db.execute("SELECT COUNT(*) FROM outbox WHERE status='pending'").fetchone()[0]

    def mark_received(self, envelope_id: str, receipt: Receipt, wire: dict) -> None:
        assert receipt.complete
        with self._lock:
            self.db.execute("BEGIN")
            self.db.execute("UPDATE outbox SET status='received', envelope=NULL, receipt=? "
                            "WHERE envelope_id=?", (json.dumps(wire), envelope_id))
            self.db.execute("DELETE FROM blobs WHERE envelope_id=?", (envelope_id,))
            self.db.execute("COMMIT")

    def mark_failed(self, envelope_id: str, code: str, message: str, refusal: dict | None = None,
                    nonce: str | None = None) -> None:
        if code == "refusal_untrusted":
            return                  # not the office refusing: the item stays pending
        with self._lock:
            self.db.execute("UPDATE outbox SET status='failed', code=? WHERE envelope_id=?", (code, envelope_id))

    def inbox_cursor(self) -> str | None:
        with self._lock:
            row = self.db.execute("SELECT v FROM meta WHERE k='cursor'").fetchone()
            return row[0] if row else None

    def add_inbox(self, items: list[InboxItem], cursor: str | None) -> None:
        with self._lock:
            self.db.execute("BEGIN")
            for i in items:
                self.db.execute("INSERT OR IGNORE INTO inbox VALUES (?, ?, ?, ?)",
                                (i.item_id, i.kind, i.person_id, json.dumps(i.body)))
            self.db.execute("INSERT OR REPLACE INTO meta VALUES ('cursor', ?)", (cursor,))
            self.db.execute("COMMIT")

    def pending_reviews(self) -> list[OutboxItem]:
        with self._lock:
            return [OutboxItem(e, d) for e, d in
                    self.db.execute("SELECT envelope_id, envelope FROM reviews WHERE sent=0")]

    def mark_review_sent(self, envelope_id: str) -> None:
        with self._lock:
            self.db.execute("UPDATE reviews SET sent=1 WHERE envelope_id=?", (envelope_id,))

    # test queries
    def statuses(self) -> dict[str, int]:
        with self._lock:
            return dict(self.db.execute("SELECT status, COUNT(*) FROM outbox GROUP BY status"))

    def receipts(self) -> dict[str, dict]:
        with self._lock:
            return {e: json.loads(r) for e, r in
                    self.db.execute("SELECT envelope_id, receipt FROM outbox WHERE receipt IS NOT NULL")}

    def inbox_items(self) -> list[tuple]:
        with self._lock:
            return self.db.execute("SELECT item_id, kind, person_id, body FROM inbox ORDER BY CAST(item_id AS INTEGER)").fetchall()


def outbox_for(path: Path, person: Person, client: OfficeClient, url: str) -> SqliteOutbox:
    return SqliteOutbox(path, office_url=url, sync_token=client.token, device_id=person.device_id,
                        office_sign_public=base64.b64decode(person.enrolled["office_ed25519_public"]))


def office_count(server, table) -> int:
    """Rows in one of a running office's tables (SQLAlchemy Table), read as another process
    would: a fresh engine on its SQLite file, disposed after."""
    from sqlalchemy import func, select

    from office import db
    eng = db.make_engine(db.sqlite_url(server.data_dir))
    try:
        with eng.connect() as c:
            return c.execute(select(func.count()).select_from(table)).scalar()
    finally:
        eng.dispose()
