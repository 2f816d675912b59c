"""Whom this phone trusts: the office pinned at enrollment, kept where tampering shows.

The phone's file is hostile ground: anyone who can write the data folder for a minute
can rewrite any plaintext row. So the office identity lives in two places, neither of
which a file-writer can forge:

- the **bundle** — AES-GCM under the user's own data key (users.trust): office URL and
  keys, TLS pin, the person's ids, the village's head list and when the office signed
  it. Sealing takes recipients only from here, so it needs the PIN.
- the **attestation** — the same office identity signed by the user's own Ed25519 key
  (users.office_attest), for the PIN-less background sync. A receipt may purge a report
  only if it verifies under the office key that the report's *author* attested, and the
  report's envelope verifies under that same author key: swapping the public key to
  forge an attestation breaks the author's signature on every pending envelope.

At every unlock the plaintext copies are compared with the bundle: differences are
repaired from the bundle and recorded as a tamper alert the app shows.
"""
from __future__ import annotations

import base64
import functools
import json
import logging
import time
from datetime import datetime

import sqlite_utils
from core.crypto import Ed25519PublicKey, InvalidSignature

from core.errors import DecryptError
from fieldapp.store import get_meta, set_meta, transaction
from fieldapp.users import Session, today
from sync import statement

log = logging.getLogger("jaga.trust")
ATTEST = "jaga-desa/v1/office-attestation"
# What an attestation names: enough for a PIN-less sync to reach and believe the office.
_ATTESTED = ("person_id", "office_url", "office_x25519", "office_ed25519", "tls_sha256", "insecure")


def load(db: sqlite_utils.Database, session: Session) -> dict | None:
    """The user's bundle (decrypted; tampering is a DecryptError), or None before enrollment."""
    row = db.conn.execute("SELECT trust FROM users WHERE id=?", (session.user_id,)).fetchone()
    if row is None or row[0] is None:
        return None
    return session.cipher.decrypt_json("users", session.user_id, "trust", row[0])


def save(conn, session: Session, bundle: dict) -> None:
    """Store the bundle and its signed attestation in the caller's transaction."""
    conn.execute("UPDATE users SET trust=?, office_attest=? WHERE id=?",
                 (session.cipher.encrypt_json("users", session.user_id, "trust", bundle),
                  json.dumps(attestation(session, bundle)), session.user_id))
    # A plaintext copy for `device status` to show without a PIN. Display only: sealing
    # reads the validity from the bundle (heads_current), never from here.
    set_meta(conn, f"heads_valid_until.{session.user_id}", bundle.get("recipients_valid_until") or "")


def heads_valid_until(bundle: dict) -> datetime | None:
    """When the bundle's signed head list stops being usable (None: no validity, expired)."""
    try:
        return datetime.fromisoformat(str(bundle.get("recipients_valid_until") or ""))
    except ValueError:
        return None


def heads_current(bundle: dict, now_ms: int | None = None) -> bool:
    """May a report sealed at `now_ms` (phone clock) go to the village heads? Only while the
    office-signed validity of the held list has not passed. Past it the phone seals for the
    office alone (always safe) until a newer list arrives: a holder who hides newer lists
    from the phone (e.g. moves the plaintext inbox cursor past a revocation) keeps a revoked
    head reading at most until then. The phone clock is the holder's too (THREAT_MODEL.md)."""
    until = heads_valid_until(bundle)
    now = time.time() * 1000 if now_ms is None else now_ms
    return until is not None and until.timestamp() * 1000 > now


def attestation(session: Session, bundle: dict) -> dict:
    fields = {"ctx": ATTEST, **{k: bundle.get(k) for k in _ATTESTED}}
    return {**fields, "signature": base64.b64encode(session.ed25519.sign(statement.canonical(fields))).decode()}


def check_attestation(raw: str | None, author_public: bytes | None) -> dict | None:
    """The attested office identity if `raw` is signed by `author_public`, else None."""
    if not raw or not author_public:
        return None
    found = _checked(raw, bytes(author_public))
    return dict(found) if found is not None else None


@functools.lru_cache(maxsize=64)
def _checked(raw: str, author_public: bytes) -> dict | None:
    """Pure (same bytes in, same answer out), so cached: a sync checks it once per report."""
    try:
        doc = json.loads(raw)
        fields = {"ctx": ATTEST, **{k: doc.get(k) for k in _ATTESTED}}
        if doc.get("ctx") != ATTEST:
            return None
        Ed25519PublicKey.from_public_bytes(bytes(author_public)).verify(
            base64.b64decode(doc["signature"], validate=True), statement.canonical(fields))
    except (ValueError, TypeError, KeyError, AttributeError, InvalidSignature):
        return None
    return fields


def attested_office(db: sqlite_utils.Database) -> dict | None:
    """The office every enrolled user attested — None if none did, or if they disagree
    (a forged user added to the file cannot silently redirect the others' sync)."""
    found = {}
    for raw, pub in db.conn.execute("SELECT office_attest, ed25519_public FROM users "
                                    "WHERE office_attest IS NOT NULL"):
        doc = check_attestation(raw, pub)
        if doc is None:
            log.warning("an attestation does not verify under its user's key: ignored")
            continue
        found[(doc["office_url"], doc["office_ed25519"], doc["office_x25519"], doc["tls_sha256"],
               bool(doc["insecure"]))] = doc
    if len(found) != 1:
        if len(found) > 1:
            log.warning("users of this phone attest different offices: not syncing until unlocked")
        return None
    return next(iter(found.values()))


def check_plaintext(db: sqlite_utils.Database, session: Session, bundle: dict) -> list[str]:
    """Compare every plaintext copy with the bundle; repair from the bundle; list what differed."""
    problems = []
    row = db.conn.execute("SELECT x25519_public, ed25519_public, person_id, village_id, office_attest "
                          "FROM users WHERE id=?", (session.user_id,)).fetchone()
    x_pub = session.x25519.public_key().public_bytes_raw()
    e_pub = session.ed25519.public_key().public_bytes_raw()
    if row[0] != x_pub or row[1] != e_pub:
        problems.append("public_keys")
    if row[2] != bundle["person_id"] or str(row[3]) != str(bundle["village_id"]):
        problems.append("person")
    attested = check_attestation(row[4], e_pub)
    if attested is None or any(attested[k] != bundle.get(k) for k in _ATTESTED):
        problems.append("office_attestation")
    if get_meta(db, "office_url") != bundle["office_url"]:
        problems.append("office_url")
    for legacy in ("office_x25519_public", "office_ed25519_public", "recipients"):
        if get_meta(db, legacy) is not None:       # no longer written: someone planted it
            problems.append(legacy)
    if problems:
        log.warning("plaintext trust data was changed (%s): restored from the sealed bundle",
                    ", ".join(problems))
        with transaction(db) as conn:
            conn.execute("UPDATE users SET x25519_public=?, ed25519_public=?, person_id=?, village_id=? "
                         "WHERE id=?", (x_pub, e_pub, bundle["person_id"], bundle["village_id"],
                                        session.user_id))
            save(conn, session, bundle)
            set_meta(conn, "office_url", bundle["office_url"])
            for legacy in ("office_x25519_public", "office_ed25519_public", "recipients"):
                set_meta(conn, legacy, None)
            set_meta(conn, "trust_alert", json.dumps({"day": today(), "changed": problems}))
    return problems


def safe_load(db: sqlite_utils.Database, session: Session) -> dict | None:
    """`load`, but a bundle that no longer decrypts (tampered) reads as not enrolled."""
    try:
        return load(db, session)
    except DecryptError:
        log.warning("this user's trust bundle was tampered with: enroll again")
        with transaction(db) as conn:
            set_meta(conn, "trust_alert", json.dumps({"day": today(), "changed": ["bundle"]}))
        return None
