"""Staff sessions, lockout, CSRF and API tokens.

Sessions: a random 256-bit token in an HttpOnly, SameSite=Strict cookie; only its
sha256 is stored (a database copy cannot hijack a session). 12 h absolute lifetime,
2 h idle. Each session has its own CSRF token, required in every POST form.
Before login there is no session, so the login form uses a double-submit cookie.
Lockout: LOCK_AFTER failed logins for one username within LOCK_WINDOW refuse that
username (even with the right password) until the failures age out.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from sqlalchemy import Connection, and_, delete, func, insert, or_, select, update

from core.errors import AuthError
from sync.office import clock
from sync.office.schema import staff as staff_table
from sync.office.staff import verify_staff

from .schema import dash_api_tokens, dash_login_attempts, dash_sessions

COOKIE = "jd_session"
PRE_CSRF_COOKIE = "jd_login_csrf"
LOCK_AFTER = 5
LOCK_WINDOW = timedelta(minutes=15)
LIFETIME = timedelta(hours=12)
IDLE = timedelta(hours=2)
TOUCH_EVERY = timedelta(minutes=1)   # idle time is tracked to the minute: one write a minute, not per page
TOKEN_PREFIX = "jdp_"


class Locked(Exception):
    pass


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def same(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))


def recent_failures(conn: Connection, username: str) -> int:
    since = clock.iso(clock.now() - LOCK_WINDOW)
    last_ok = conn.execute(select(func.max(dash_login_attempts.c.at)).where(and_(
        dash_login_attempts.c.username == username, dash_login_attempts.c.ok.is_(True)))).scalar()
    if last_ok and last_ok > since:
        since = last_ok
    return conn.execute(select(func.count()).select_from(dash_login_attempts).where(and_(
        dash_login_attempts.c.username == username, dash_login_attempts.c.ok.is_(False),
        dash_login_attempts.c.at > since))).scalar_one()


def login(conn: Connection, username: str, password: str) -> tuple[dict, str]:
    """(staff row, session token). Raises Locked or AuthError; the attempt is recorded."""
    username = username.strip()[:100]
    if recent_failures(conn, username) >= LOCK_AFTER:
        conn.execute(insert(dash_login_attempts).values(username=username, at=clock.iso(clock.now()), ok=False))
        raise Locked()
    try:
        staff = verify_staff(conn, username, password)
    except AuthError:
        conn.execute(insert(dash_login_attempts).values(username=username, at=clock.iso(clock.now()), ok=False))
        raise
    now = clock.now()
    conn.execute(insert(dash_login_attempts).values(username=username, at=clock.iso(now), ok=True))
    token = secrets.token_urlsafe(32)
    conn.execute(insert(dash_sessions).values(
        token_hash=_sha(token), staff_id=staff["id"], csrf=secrets.token_urlsafe(24),
        created_at=clock.iso(now), expires_at=clock.iso(now + LIFETIME), last_seen_at=clock.iso(now)))
    return staff, token


def _active_staff(conn: Connection, staff_id: int) -> dict | None:
    row = conn.execute(select(staff_table).where(staff_table.c.id == staff_id)).mappings().first()
    if row is None or row["disabled_at"]:
        return None
    return {k: v for k, v in row.items() if k != "password_hash"}


def session_lookup(conn: Connection, token: str | None) -> tuple[dict, str, bool] | None:
    """(staff, csrf, stale) for a live session cookie, else None; reads only. `stale`: its
    last_seen is older than TOUCH_EVERY and should be touched (in a writing transaction)."""
    if not token or len(token) > 100:
        return None
    row = conn.execute(select(dash_sessions).where(dash_sessions.c.token_hash == _sha(token))).mappings().first()
    if row is None:
        return None
    now = clock.now()
    if clock.parse(row["expires_at"]) <= now or clock.parse(row["last_seen_at"]) + IDLE <= now:
        return None
    staff = _active_staff(conn, row["staff_id"])
    if staff is None:
        return None
    return staff, row["csrf"], clock.parse(row["last_seen_at"]) + TOUCH_EVERY <= now


def touch(conn: Connection, token: str) -> None:
    conn.execute(update(dash_sessions).where(dash_sessions.c.token_hash == _sha(token))
                 .values(last_seen_at=clock.iso(clock.now())))


def session_staff(conn: Connection, token: str | None) -> tuple[dict, str] | None:
    """(staff, csrf) for a live session cookie, else None, in a writing transaction: drops an
    expired session, touches last_seen when stale."""
    got = session_lookup(conn, token)
    if got is None:
        if token and len(token) <= 100:
            conn.execute(delete(dash_sessions).where(and_(
                dash_sessions.c.token_hash == _sha(token),
                or_(dash_sessions.c.expires_at <= clock.iso(clock.now()),
                    dash_sessions.c.last_seen_at <= clock.iso(clock.now() - IDLE)))))
        return None
    staff, csrf, stale = got
    if stale:
        touch(conn, token)  # type: ignore[arg-type]
    return staff, csrf


def logout(conn: Connection, token: str | None) -> None:
    if token:
        conn.execute(delete(dash_sessions).where(dash_sessions.c.token_hash == _sha(token)))


def issue_api_token(conn: Connection, staff_id: int, label: str) -> str:
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    conn.execute(insert(dash_api_tokens).values(token_hash=_sha(token), staff_id=staff_id,
                                                label=label.strip()[:100] or "partner",
                                                created_at=clock.iso(clock.now())))
    return token


def api_token_staff(conn: Connection, token: str | None) -> dict | None:
    if not token or not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        return None
    row = conn.execute(select(dash_api_tokens).where(dash_api_tokens.c.token_hash == _sha(token))).mappings().first()
    if row is None or row["revoked_at"]:
        return None
    return _active_staff(conn, row["staff_id"])
