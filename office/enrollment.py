"""Villages, one-time enrollment codes, persons, devices and revocation.

Keys belong to people, not phones: a phone (device) holds a sync token and may carry
several enrolled persons (a volunteer and the village head sharing one phone), each with
their own keys. Only hashes of codes and tokens are stored: a database copy alone cannot
enroll anyone or sync as any phone.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import uuid
from datetime import datetime, timedelta

from sqlalchemy import Connection, and_, func, insert, select, update

from core.errors import (AuthError, BadRequest, Conflict, EnrollCodeExpired, EnrollCodeInvalid,
                         EnrollCodeUsed, NotFound, Revoked)
from sync import identity
from sync.envelope import key_id, load_public_ed25519, load_public_x25519
from office import clock, inbox, regions
from office.schema import devices, enroll_codes, inbox_items, persons, villages

ROLES = ("volunteer", "head")
# How long a signed head list stays usable on a phone. A phone whose holder hides newer
# lists (e.g. moves the plaintext inbox cursor past a revocation) falls back to sealing for
# the office only once its newest list expires, so this bounds how long a revoked head can
# go on reading. Lists are re-issued when older than half of it (refresh_head_lists).
HEAD_LIST_DAYS_ENV = "JAGA_HEAD_LIST_DAYS"
HEAD_LIST_DAYS = 14.0
# Unambiguous alphabet for codes read aloud or typed on a phone (no 0/O, 1/I/L).
_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
MAX_CODE_TTL_HOURS = 30 * 24      # a one-time code is for handing over soon, not for keeping


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def normalize_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def add_village(conn: Connection, name: str, region: str | None = None) -> int:
    if not name.strip():
        raise BadRequest("village name is empty")
    if conn.execute(select(villages.c.id).where(villages.c.name == name.strip())).first():
        raise Conflict(f"village {name!r} exists already")
    return conn.execute(insert(villages).values(name=name.strip(), region=region)).inserted_primary_key[0]


def find_village(conn: Connection, ref: str | int) -> dict:
    """A village by id or by exact name."""
    cond = villages.c.name == str(ref)
    if str(ref).isascii() and str(ref).isdigit() and len(str(ref)) <= 18:   # "²".isdigit() is True
        cond = cond | (villages.c.id == int(ref))
    row = conn.execute(select(villages).where(cond)).mappings().first()
    if row is None:
        raise NotFound(f"no village {ref!r}")
    return dict(row)


def kecamatan_of(village: dict) -> str | None:
    """The kecamatan enclosing a village with a Kemendagri code (None without one): the phone
    offers "Desa X, Kecamatan Y" as the default place of a PMI departure report."""
    code = village.get("kode_wilayah")
    if not code:
        return None
    kec = [r for r in regions.path(code) if r.level == "kecamatan"]
    return kec[0].name if kec else None


def create_code(conn: Connection, *, village: str | int, role: str, name: str,
                ttl_hours: float = 72, now: datetime | None = None,
                fingerprint: str | None = None, office_url: str | None = None,
                tls_sha256: str | None = None) -> dict:
    """Issue a one-time code for a named person, village and role. Returns the code once.

    With the office `fingerprint` the answer also holds the enrollment ticket (`enroll`:
    the QR content, sync/identity.py) that lets the phone pin this office's keys (and its
    TLS certificate, `tls_sha256`)."""
    if role not in ROLES:
        raise BadRequest(f"role must be one of {ROLES}")
    if not name.strip():
        raise BadRequest("person name is empty")
    # 1e9 hours overflowed datetime (a traceback); nan and negative hours made a code that
    # was never, or already no longer, valid: each is a typed refusal now (issue 22, item 7).
    if not isinstance(ttl_hours, (int, float)) or not 0 < ttl_hours <= MAX_CODE_TTL_HOURS:
        raise BadRequest(f"a code lives more than 0 and at most {MAX_CODE_TTL_HOURS} hours, not {ttl_hours!r}")
    v = find_village(conn, village)
    now = now or clock.now()
    code = "".join(secrets.choice(_ALPHABET) for _ in range(12))
    expires = now + timedelta(hours=ttl_hours)
    conn.execute(insert(enroll_codes).values(
        code_hash=_sha(code), name=name.strip(), village_id=v["id"], role=role,
        created_at=clock.iso(now), expires_at=clock.iso(expires)))
    out = {"code": "-".join(code[i:i + 4] for i in range(0, 12, 4)), "village_id": v["id"],
           "village_name": v["name"], "role": role, "name": name.strip(),
           "expires_at": clock.iso(expires)}
    if fingerprint:
        ticket = identity.Ticket(out["code"], fingerprint, office_url, tls_sha256)
        out.update(fingerprint=identity.grouped(fingerprint), fingerprint_short=identity.short(fingerprint),
                   enroll=ticket.uri(), **({"tls_sha256": tls_sha256} if tls_sha256 else {}))
    return out


def _b64key(text: str, loader) -> bytes:
    try:
        raw = base64.b64decode(text, validate=True)
    except ValueError as exc:
        raise BadRequest("public key is not base64") from exc
    try:
        loader(raw)
    except Exception as exc:   # EnvelopeError: bad key bytes
        raise BadRequest("public key is not a valid 32-byte key") from exc
    return raw


def device_for_token(conn: Connection, token: str | None) -> dict:
    """The device a bearer sync token belongs to; 401 unknown, 403 revoked."""
    if not token:
        raise AuthError("a device sync token is required (Authorization: Bearer ...)")
    row = conn.execute(select(devices).where(devices.c.token_hash == _sha(token))).mappings().first()
    if row is None:
        raise AuthError("unknown sync token")
    if row["revoked_at"]:
        exc = Revoked("this device has been revoked by the office")
        exc.device_id = row["id"]           # the office signs its refusal for this device (deps.device)
        raise exc
    return dict(row)


def enroll(conn: Connection, *, code: str, name: str, x25519_public: str, ed25519_public: str,
           device_id: str | None = None, device_token: str | None = None,
           now: datetime | None = None) -> dict:
    """Redeem a code: register the person's public keys (and, the first time, the phone)."""
    now = now or clock.now()
    x_raw = _b64key(x25519_public, load_public_x25519)
    e_raw = _b64key(ed25519_public, load_public_ed25519)
    row = conn.execute(select(enroll_codes).where(
        enroll_codes.c.code_hash == _sha(normalize_code(code)))).mappings().first()
    if row is None:
        raise EnrollCodeInvalid("unknown enrollment code")
    if row["used_at"]:
        raise EnrollCodeUsed()
    if clock.parse(row["expires_at"]) <= now:
        raise EnrollCodeExpired()
    kid = key_id(load_public_x25519(x_raw)).hex()
    if conn.execute(select(persons.c.id).where(persons.c.key_id == kid)).first():
        raise Conflict("this public key is already enrolled")
    token = None
    if device_id or device_token:
        dev = device_for_token(conn, device_token)
        if device_id and dev["id"] != device_id:
            raise AuthError("device id and token do not match")
    else:
        token = secrets.token_urlsafe(32)
        dev = {"id": str(uuid.uuid4())}
        conn.execute(insert(devices).values(id=dev["id"], token_hash=_sha(token),
                                            created_at=clock.iso(now)))
    # Single use even under concurrency: only one UPDATE can flip used_at from NULL.
    claimed = conn.execute(update(enroll_codes).where(and_(
        enroll_codes.c.code_hash == row["code_hash"], enroll_codes.c.used_at.is_(None))
    ).values(used_at=clock.iso(now))).rowcount
    if claimed != 1:
        raise EnrollCodeUsed()
    person_id = str(uuid.uuid4())
    conn.execute(insert(persons).values(
        id=person_id, name=row["name"], village_id=row["village_id"], role=row["role"],
        device_id=dev["id"], x25519_public=x_raw, ed25519_public=e_raw, key_id=kid,
        created_at=clock.iso(now)))
    conn.execute(update(enroll_codes).where(enroll_codes.c.code_hash == row["code_hash"])
                 .values(person_id=person_id))
    if row["role"] == "head":
        announce_recipients(conn, row["village_id"], now)
    village = find_village(conn, row["village_id"])
    return {"person_id": person_id, "device_id": dev["id"], "sync_token": token,
            "village_id": village["id"], "village_name": village["name"], "role": row["role"],
            "kecamatan_name": kecamatan_of(village),
            "recipients": recipients(conn, village["id"]),
            "recipients_valid_until": clock.iso(now + head_list_validity())}


def head_list_validity() -> timedelta:
    """JAGA_HEAD_LIST_DAYS (default 14): a bad value is refused at start-up (create_app)."""
    raw = os.environ.get(HEAD_LIST_DAYS_ENV, "").strip()
    try:
        days = float(raw) if raw else HEAD_LIST_DAYS
    except ValueError:
        raise BadRequest(f"{HEAD_LIST_DAYS_ENV} must be a number of days, not {raw!r}") from None
    if not 0 < days <= 365:
        raise BadRequest(f"{HEAD_LIST_DAYS_ENV} must be more than 0 and at most 365 days")
    return timedelta(days=days)


def recipients(conn: Connection, village_id: int) -> list[dict]:
    """The village's current (unrevoked) heads: who a non-rahasia report is sealed to."""
    rows = conn.execute(select(persons.c.id, persons.c.key_id, persons.c.x25519_public).where(and_(
        persons.c.village_id == village_id, persons.c.role == "head",
        persons.c.revoked_at.is_(None))).order_by(persons.c.created_at, persons.c.id))
    return [{"person_id": r.id, "key_id": r.key_id,
             "x25519_public": base64.b64encode(r.x25519_public).decode()} for r in rows]


def _head_list(conn: Connection, village_id: int, now: datetime) -> dict:
    """A head-list inbox body: signed with the item, `valid_until` included."""
    return {"village_id": village_id, "recipients": recipients(conn, village_id),
            "valid_until": clock.iso(now + head_list_validity())}


def announce_recipients(conn: Connection, village_id: int, now: datetime | None = None,
                        people: list[str] | None = None) -> None:
    """Queue the village's new head list for every person of the village (or `people`)."""
    now = now or clock.now()
    body = json.dumps(_head_list(conn, village_id, now))
    if people is None:
        people = conn.execute(select(persons.c.id).where(and_(
            persons.c.village_id == village_id, persons.c.revoked_at.is_(None)))).scalars().all()
    inbox.queue(conn, [{"person_id": pid, "kind": "recipient_keys", "ref_id": None, "body": body,
                        "created_at": clock.iso(now)} for pid in people])


def refresh_head_lists(conn: Connection, device_id: str, now: datetime | None = None) -> int:
    """Before a phone's inbox pull: re-issue the head list to each live person on it whose
    newest list (inbox item, or the enrollment answer) is older than half its validity, so a
    phone that syncs never sees its list expire. Returns how many lists were queued."""
    now = now or clock.now()
    stale = clock.iso(now - head_list_validity() / 2)
    newest = (select(func.max(inbox_items.c.created_at))
              .where(and_(inbox_items.c.person_id == persons.c.id, inbox_items.c.kind == "recipient_keys"))
              .scalar_subquery())
    rows = conn.execute(select(persons.c.id, persons.c.village_id, persons.c.created_at, newest.label("newest"))
                        .where(and_(persons.c.device_id == device_id, persons.c.revoked_at.is_(None)))).all()
    due: dict[int, list[str]] = {}
    for r in rows:
        if max(r.newest or "", r.created_at) < stale:
            due.setdefault(r.village_id, []).append(r.id)
    for village_id, people in due.items():
        announce_recipients(conn, village_id, now, people)
    return sum(len(p) for p in due.values())


def revoke_person(conn: Connection, person_id: str, now: datetime | None = None) -> None:
    now = now or clock.now()
    row = conn.execute(select(persons).where(persons.c.id == person_id)).mappings().first()
    if row is None:
        raise NotFound(f"no person {person_id}")
    if row["revoked_at"]:
        return
    conn.execute(update(persons).where(persons.c.id == person_id).values(revoked_at=clock.iso(now)))
    # revoked_at: the phone tells its user when ("dicabut oleh kantor pada ... WITA")
    inbox.queue(conn, [{"person_id": person_id, "kind": "revoked", "ref_id": person_id,
                        "body": json.dumps({"person_id": person_id, "revoked_at": clock.iso(now)}),
                        "created_at": clock.iso(now)}])
    if row["role"] == "head":
        announce_recipients(conn, row["village_id"], now)


def revoke_device(conn: Connection, device_id: str, now: datetime | None = None) -> None:
    """A lost or seized phone: its token stops working and every person on it is revoked."""
    now = now or clock.now()
    if conn.execute(select(devices.c.id).where(devices.c.id == device_id)).first() is None:
        raise NotFound(f"no device {device_id}")
    for (pid,) in conn.execute(select(persons.c.id).where(persons.c.device_id == device_id)).all():
        revoke_person(conn, pid, now)
    conn.execute(update(devices).where(and_(devices.c.id == device_id, devices.c.revoked_at.is_(None)))
                 .values(revoked_at=clock.iso(now)))
