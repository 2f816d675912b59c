"""Local users on a shared phone: PINs, try counting, lockout, and each person's keys.

The failed-try counter is incremented and committed BEFORE the PIN is checked, so
killing the app mid-check cannot buy free guesses; a correct PIN resets it.
After MAX_TRIES the wrapped key and the person's private keys are destroyed: the data
stays on disk as ciphertext nobody can open.
"""
from __future__ import annotations

import base64
import datetime as dt
import os
import re
import uuid
from dataclasses import dataclass

import sqlite_utils
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from core.errors import JagaError, LockedOut, NotFound, PinError
from fieldapp import keys
from fieldapp.store import get_meta, set_meta, transaction

MAX_TRIES = 10
ROLES = ("volunteer", "head")
PIN_RE = re.compile(r"^\d{4,12}$")


class BadPin(JagaError):
    """A new PIN must be 4 to 12 digits."""
    code = "pin_format"


def today() -> str:
    return dt.date.today().isoformat()


@dataclass
class Session:
    """An unlocked user: holds their data key in memory until lock()."""
    user_id: str
    label: str
    role: str
    cipher: keys.ColumnCipher
    person_id: str | None
    _private: dict

    @property
    def x25519(self) -> X25519PrivateKey:
        return X25519PrivateKey.from_private_bytes(base64.b64decode(self._private["x25519"]))

    @property
    def ed25519(self) -> Ed25519PrivateKey:
        return Ed25519PrivateKey.from_private_bytes(base64.b64decode(self._private["ed25519"]))

    def lock(self) -> None:
        self.cipher = None  # type: ignore[assignment]
        self._private = {}


def kdf_params(db: sqlite_utils.Database) -> keys.KdfParams:
    """The phone's calibrated KDF cost, measured once at `device init`."""
    raw = get_meta(db, "kdf")
    if raw is None:
        params = keys.calibrate(float(os.environ.get("JAGA_KDF_SECONDS", keys.TARGET_SECONDS)))
        with transaction(db) as conn:
            set_meta(conn, "kdf", params.to_json())
        return params
    return keys.KdfParams.from_json(raw)


def _raw(private) -> bytes:
    return private.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                 serialization.NoEncryption())


def add_user(db: sqlite_utils.Database, label: str, role: str, pin: str) -> str:
    """Create a local user with a fresh data key and fresh person keys (they never leave the phone)."""
    if role not in ROLES:
        raise JagaError(f"role must be one of {', '.join(ROLES)}")
    if not PIN_RE.match(pin or ""):
        raise BadPin()
    label = (label or "").strip()
    if not label or len(label) > 40:
        raise JagaError("a user needs a short name (1–40 characters) to pick on the lock screen")
    if db.conn.execute("SELECT 1 FROM users WHERE label=?", (label,)).fetchone():
        raise JagaError(f"a user named {label!r} already exists on this phone")
    params = kdf_params(db)
    data_key, user_id = os.urandom(32), str(uuid.uuid4())
    x, e = X25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    cipher = keys.ColumnCipher(data_key)
    private = {"x25519": base64.b64encode(_raw(x)).decode(), "ed25519": base64.b64encode(_raw(e)).decode()}
    with transaction(db) as conn:
        conn.execute(
            "INSERT INTO users(id,label,role,kdf,wrapped_key,failed_attempts,locked,created_day,"
            "x25519_public,ed25519_public,private_keys) VALUES(?,?,?,?,?,0,0,?,?,?,?)",
            (user_id, label, role, params.to_json(), keys.wrap_key(data_key, pin, params), today(),
             x.public_key().public_bytes_raw(), e.public_key().public_bytes_raw(),
             cipher.encrypt_json("users", user_id, "private_keys", private)))
    return user_id


def list_users(db: sqlite_utils.Database) -> list[dict]:
    cols = "id,label,role,failed_attempts,locked,person_id,village_id"
    return [dict(zip(cols.split(","), r)) for r in
            db.conn.execute(f"SELECT {cols} FROM users ORDER BY created_day, label")]


def find_user(db: sqlite_utils.Database, name_or_id: str) -> dict:
    for u in list_users(db):
        if name_or_id in (u["id"], u["label"]):
            return u
    raise NotFound(f"no user {name_or_id!r} on this phone")


def unlock(db: sqlite_utils.Database, name_or_id: str, pin: str) -> Session:
    user = find_user(db, name_or_id)
    uid = user["id"]
    if user["locked"]:
        raise LockedOut("this user was locked after too many wrong PINs; their data can no longer be opened")
    with transaction(db) as conn:
        conn.execute("UPDATE users SET failed_attempts=failed_attempts+1 WHERE id=?", (uid,))
    row = db.conn.execute("SELECT kdf,wrapped_key,failed_attempts,private_keys FROM users WHERE id=?",
                          (uid,)).fetchone()
    data_key = keys.unwrap_key(row[1], pin or "", keys.KdfParams.from_json(row[0]))
    if data_key is None:
        remaining = MAX_TRIES - row[2]
        if remaining <= 0:
            destroy(db, uid)
            raise LockedOut("too many wrong PINs: this user's key was destroyed; their data can no longer be opened")
        raise PinError(f"wrong PIN; {remaining} tries left", remaining=remaining)
    with transaction(db) as conn:
        conn.execute("UPDATE users SET failed_attempts=0 WHERE id=?", (uid,))
    cipher = keys.ColumnCipher(data_key)
    private = cipher.decrypt_json("users", uid, "private_keys", row[3])
    return Session(uid, user["label"], user["role"], cipher, user["person_id"], private)


def destroy(db: sqlite_utils.Database, user_id: str) -> None:
    """Forget the wrapped key and private keys: everything else of this user becomes noise."""
    with transaction(db) as conn:
        conn.execute("UPDATE users SET wrapped_key=NULL, private_keys=NULL, locked=1 WHERE id=?", (user_id,))
