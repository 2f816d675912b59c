"""Local users on a shared phone: PINs, try counting, slowing down, lockout, each person's keys.

The failed-try counter and the time before the next try is allowed are written and
committed BEFORE the PIN is checked, so killing the app mid-check or mid-wait buys
nothing; a correct PIN resets both. An empty PIN is not a try. After FREE_TRIES wrong
PINs each further one makes the next wait longer (DELAYS); the last try says plainly
that the next wrong PIN destroys the user's data. After MAX_TRIES the wrapped key and
the person's private keys are destroyed: the data stays on disk as ciphertext nobody
can open.

Known limit: the wait is measured on the phone's wall clock, which whoever holds the
phone can move forward; the MAX_TRIES limit does not depend on the clock.
"""
from __future__ import annotations

import base64
import hashlib
import json
import dataclasses
import datetime as dt
import math
import os
import re
import time
import uuid
from dataclasses import dataclass
from typing import Callable

import sqlite_utils
from core.crypto import Ed25519PrivateKey, X25519PrivateKey
from core.errors import JagaError, LockedOut, NotFound, PinError
from fieldapp import keys
from fieldapp.store import get_meta, set_meta, transaction

MAX_TRIES = 10
FREE_TRIES = 2                                  # typos: no wait after the first two wrong PINs
DELAYS = (5, 15, 30, 60, 120, 300, 600)         # seconds before the next try after the 3rd, 4th... wrong PIN
ROLES = ("volunteer", "head")
PIN_RE = re.compile(r"^\d{4,12}$")
PASSPHRASE_MIN, PASSPHRASE_MAX = 8, 64


class BadPin(JagaError):
    """A new PIN must be 4 to 12 digits, or a passphrase of 8 to 64 characters."""
    code = "pin_format"


class PinEmpty(JagaError):
    """Enter the PIN first (an empty PIN is not counted as a try)."""
    code = "pin_empty"
    http_status = 400


class PinWait(PinError):
    """Too many wrong PINs in a row: wait before the next try (not counted)."""
    code = "pin_wait"

    def __init__(self, seconds: int, remaining: int) -> None:
        self.seconds = seconds
        super().__init__(f"too many wrong PINs: wait {seconds} s before the next try "
                         f"({remaining} tries left)", remaining=remaining)


def secret_ok(pin: str) -> bool:
    """A PIN (4–12 digits) or a longer passphrase (8–64 characters, letters allowed)."""
    pin = pin or ""
    return bool(PIN_RE.match(pin)) or (PASSPHRASE_MIN <= len(pin) <= PASSPHRASE_MAX and pin.strip() == pin)


def delay_after(failures: int) -> float:
    """Seconds the next try must wait after `failures` wrong PINs in a row.

    JAGA_PIN_DELAY_SCALE exists for the browser tests only (a 0 there keeps them fast); on a
    phone nobody sets the app's environment, and on a desktop whoever can set it can also
    copy the folder — which is what the pepper is for.
    """
    if failures <= FREE_TRIES:
        return 0.0
    base = DELAYS[min(failures - FREE_TRIES - 1, len(DELAYS) - 1)]
    return base * float(os.environ.get("JAGA_PIN_DELAY_SCALE", "1"))


def _ledger_name(wrapped_key: bytes | None) -> str:
    """The try ledger is named after the wrapped key the guesses are against: renaming the
    user in the file cannot give it a fresh ledger, and a restored copy finds the old one."""
    return "tries-" + hashlib.sha256(bytes(wrapped_key or b"")).hexdigest()[:32]


def _ledger_get(ledger, name: str) -> tuple[int, float]:
    raw = ledger.read_value(name) if ledger is not None else None
    if not raw:
        return 0, 0.0
    try:
        doc = json.loads(raw)
        return int(doc["failed"]), float(doc["retry_after"])
    except (ValueError, KeyError, TypeError):
        return 0, 0.0


def _ledger_put(ledger, name: str, failed: int, retry_after: float) -> None:
    if ledger is not None:
        ledger.write_value(name, json.dumps({"failed": failed, "retry_after": retry_after}).encode())


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
    return private.private_bytes_raw()


def add_user(db: sqlite_utils.Database, label: str, role: str, pin: str,
             pepper: bytes | None = None) -> str:
    """Create a local user with a fresh data key and fresh person keys (they never leave the phone).

    `pepper` (the phone's secret from secret_store) is mixed into the key that wraps the data
    key; None only for stores made before the pepper existed (tests of that migration).
    """
    if role not in ROLES:
        raise JagaError(f"role must be one of {', '.join(ROLES)}")
    if not secret_ok(pin):
        raise BadPin()
    label = (label or "").strip()
    if not label or len(label) > 40:
        raise JagaError("a user needs a short name (1–40 characters) to pick on the lock screen")
    if db.conn.execute("SELECT 1 FROM users WHERE label=?", (label,)).fetchone():
        raise JagaError(f"a user named {label!r} already exists on this phone")
    params = dataclasses.replace(kdf_params(db), peppered=pepper is not None)
    data_key, user_id = os.urandom(32), str(uuid.uuid4())
    x, e = X25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    cipher = keys.ColumnCipher(data_key)
    private = {"x25519": base64.b64encode(_raw(x)).decode(), "ed25519": base64.b64encode(_raw(e)).decode()}
    with transaction(db) as conn:
        conn.execute(
            "INSERT INTO users(id,label,role,kdf,wrapped_key,failed_attempts,locked,created_day,"
            "x25519_public,ed25519_public,private_keys) VALUES(?,?,?,?,?,0,0,?,?,?,?)",
            (user_id, label, role, _kdf_json(params, pin), keys.wrap_key(data_key, pin, params, pepper), today(),
             x.public_key().public_bytes_raw(), e.public_key().public_bytes_raw(),
             cipher.encrypt_json("users", user_id, "private_keys", private)))
    return user_id


def list_users(db: sqlite_utils.Database) -> list[dict]:
    """Users for the lock screen; `passphrase` tells it to offer a full keyboard."""
    cols = "id,label,role,failed_attempts,locked,person_id,village_id,kdf"
    out = []
    for r in db.conn.execute(f"SELECT {cols} FROM users ORDER BY created_day, label"):
        u = dict(zip(cols.split(","), r))
        u["passphrase"] = '"secret": "passphrase"' in (u.pop("kdf") or "")
        out.append(u)
    return out


def find_user(db: sqlite_utils.Database, name_or_id: str) -> dict:
    for u in list_users(db):
        if name_or_id in (u["id"], u["label"]):
            return u
    raise NotFound(f"no user {name_or_id!r} on this phone")


def unlock(db: sqlite_utils.Database, name_or_id: str, pin: str,
           pepper: Callable[[], bytes] | None = None, *, now: float | None = None,
           tries=None) -> Session:
    """Open a user's data key. `pepper()` gives the phone's secret (raises SecretMissing when
    it is gone — not counted as a try); `now` (epoch seconds) is injectable for tests.

    `tries` (the phone's SecretStore) keeps a copy of the try counter and the wait OUTSIDE the
    data folder: whoever rewrites the file, or puts back an older copy of it, cannot reset
    them — the larger of the two counts, and the later of the two waits, applies."""
    now = time.time() if now is None else now
    user = find_user(db, name_or_id)
    uid = user["id"]
    if user["locked"]:
        raise LockedOut("this user was locked after too many wrong PINs; their data can no longer be opened")
    if not pin:
        raise PinEmpty()
    kdf = db.conn.execute("SELECT kdf FROM users WHERE id=?", (uid,)).fetchone()[0]
    params = keys.KdfParams.from_json(kdf)
    secret = pepper() if pepper is not None and params.peppered else None
    ledger = _ledger_name(db.conn.execute("SELECT wrapped_key FROM users WHERE id=?", (uid,)).fetchone()[0])
    with transaction(db) as conn:      # the wait check and the bill for this try: one atomic step
        failed, retry_after = conn.execute(
            "SELECT failed_attempts, retry_after FROM users WHERE id=?", (uid,)).fetchone()
        kept_failed, kept_retry = _ledger_get(tries, ledger)
        failed, retry_after = max(failed, kept_failed), max(retry_after or 0, kept_retry)
        if failed < MAX_TRIES:
            wait = min((retry_after or 0) - now, DELAYS[-1] * float(os.environ.get("JAGA_PIN_DELAY_SCALE", "1")))
            if wait > 0:        # (capped: a clock moved backwards must not lock a user out for days)
                raise PinWait(math.ceil(wait), remaining=MAX_TRIES - failed)
            failures = failed + 1
            conn.execute("UPDATE users SET failed_attempts=?, retry_after=? WHERE id=?",
                         (failures, now + delay_after(failures), uid))
            _ledger_put(tries, ledger, failures, now + delay_after(failures))
    if failed >= MAX_TRIES:     # an older copy of a user already destroyed here (folder restored)
        destroy(db, uid)
        raise LockedOut("too many wrong PINs: this user's key was destroyed; their data can no longer be opened")
    row = db.conn.execute("SELECT wrapped_key, private_keys FROM users WHERE id=?", (uid,)).fetchone()
    data_key = keys.unwrap_key(row[0], pin, params, secret)
    if data_key is None:
        remaining = MAX_TRIES - failures
        if remaining <= 0:
            destroy(db, uid)
            raise LockedOut("too many wrong PINs: this user's key was destroyed; their data can no longer be opened")
        if remaining == 1:
            msg = "wrong PIN; 1 try left — the next wrong PIN destroys this user's data for good"
        else:
            msg = f"wrong PIN; {remaining} tries left"
        if delay_after(failures):
            msg += f"; wait {math.ceil(delay_after(failures))} s before the next try"
        err = PinError(msg, remaining=remaining)
        err.wait = delay_after(failures)
        raise err
    if tries is not None:
        tries.delete(ledger)           # the right PIN: the count starts again (as in the file)
    with transaction(db) as conn:
        conn.execute("UPDATE users SET failed_attempts=0, retry_after=0 WHERE id=?", (uid,))
        if not params.peppered and pepper is not None:
            # made before the pepper existed: from now on a copy of the folder is not enough
            new = dataclasses.replace(params, peppered=True)
            conn.execute("UPDATE users SET kdf=?, wrapped_key=? WHERE id=?",
                         (_kdf_json(new, pin), keys.wrap_key(data_key, pin, new, pepper()), uid))
    cipher = keys.ColumnCipher(data_key)
    private = cipher.decrypt_json("users", uid, "private_keys", row[1])
    return Session(uid, user["label"], user["role"], cipher, user["person_id"], private)


def change_pin(db: sqlite_utils.Database, name_or_id: str, old_pin: str, new_pin: str,
               pepper: Callable[[], bytes] | None = None, *, tries=None, now: float | None = None) -> None:
    """"Ganti PIN": the current PIN opens the data key exactly as `unlock` does (a wrong one is a
    counted try, with its wait), then the same data key is wrapped under the new PIN. Nothing
    else is re-encrypted: her person keys and everything under the data key stay as they are."""
    if not secret_ok(new_pin):
        raise BadPin()
    session = unlock(db, name_or_id, old_pin, pepper, now=now, tries=tries)
    session.lock()
    row = db.conn.execute("SELECT kdf, wrapped_key FROM users WHERE id=?", (session.user_id,)).fetchone()
    old = keys.KdfParams.from_json(row[0])
    secret = pepper() if pepper is not None else None
    data_key = keys.unwrap_key(row[1], old_pin, old, secret if old.peppered else None)
    if data_key is None:            # the row changed between the two reads
        raise PinError("the PIN could not be changed; try again", remaining=MAX_TRIES)
    new = dataclasses.replace(kdf_params(db), peppered=secret is not None)
    with transaction(db) as conn:
        conn.execute("UPDATE users SET kdf=?, wrapped_key=?, failed_attempts=0, retry_after=0 WHERE id=?",
                     (_kdf_json(new, new_pin), keys.wrap_key(data_key, new_pin, new, secret), session.user_id))


def _kdf_json(params: keys.KdfParams, pin: str) -> str:
    """The user's KDF record; notes a passphrase so the lock screen offers letters."""
    d = json.loads(params.to_json())
    if not PIN_RE.match(pin):
        d["secret"] = "passphrase"
    return json.dumps(d)


def destroy(db: sqlite_utils.Database, user_id: str) -> None:
    """Forget the wrapped key and private keys: everything else of this user becomes noise."""
    with transaction(db) as conn:
        conn.execute("UPDATE users SET wrapped_key=NULL, private_keys=NULL, locked=1 WHERE id=?", (user_id,))
