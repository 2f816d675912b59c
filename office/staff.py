"""Staff accounts for the dashboard (intel, admin), passwords hashed with Argon2id.

The dashboard's login builds on `verify_staff`; nothing here issues sessions.
"""
from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Connection, insert, select, update

from core.errors import AuthError, BadRequest, Conflict
from office import clock
from office.schema import staff

ROLES = ("intel", "admin")
_hasher = PasswordHasher()


def create_staff(conn: Connection, username: str, password: str, role: str,
                 region: str | None = None) -> int:
    if role not in ROLES:
        raise BadRequest(f"role must be one of {ROLES}")
    if not username.strip() or len(password) < 8:
        raise BadRequest("a username and a password of at least 8 characters are required")
    if conn.execute(select(staff.c.id).where(staff.c.username == username.strip())).first():
        raise Conflict(f"staff user {username!r} exists already")
    return conn.execute(insert(staff).values(
        username=username.strip(), password_hash=_hasher.hash(password), role=role, region=region,
        created_at=clock.iso(clock.now()))).inserted_primary_key[0]


def staff_row(conn: Connection, username: str) -> dict | None:
    row = conn.execute(select(staff).where(staff.c.username == username)).mappings().first()
    return dict(row) if row else None


def check_password(row: dict | None, password: str) -> dict:
    """Pure Argon2 check of a row read earlier: no database, so callers run it outside any
    transaction (a login flood must not hold the store's write lock while hashing).
    The staff row without its hash, or AuthError."""
    try:
        if row is None or row["disabled_at"]:
            _hasher.hash(password)          # same cost either way: no user enumeration by timing
            raise AuthError("wrong username or password")
        _hasher.verify(row["password_hash"], password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        raise AuthError("wrong username or password") from None
    return {k: v for k, v in row.items() if k != "password_hash"}


def rehash_if_needed(conn: Connection, row: dict, password: str) -> None:
    if _hasher.check_needs_rehash(row["password_hash"]):
        conn.execute(update(staff).where(staff.c.id == row["id"])
                     .values(password_hash=_hasher.hash(password)))


def verify_staff(conn: Connection, username: str, password: str) -> dict:
    """The staff row (without the hash) if the password is right; AuthError otherwise."""
    row = conn.execute(select(staff).where(staff.c.username == username)).mappings().first()
    found = check_password(row, password)
    rehash_if_needed(conn, row, password)
    return found
