"""Staff sessions, lockout, CSRF and API tokens.

Sessions: a random 256-bit token in an HttpOnly, SameSite=Strict cookie; only its
sha256 is stored (a database copy cannot hijack a session). 12 h absolute lifetime,
2 h idle. Each session has its own CSRF token, required in every POST form.
Before login there is no session, so the login form uses a double-submit cookie.
Throttling (not lockout): growing delays per source address and per account, see
`throttle`; Argon2 runs outside any transaction, see `login`.
"""
from __future__ import annotations

import hashlib
import ipaddress
import json
import hmac
import secrets
import threading
import time
from datetime import timedelta

from sqlalchemy import Connection, and_, delete, func, insert, or_, select, update

from core.errors import AuthError, BadRequest, NotFound
from office import clock
from office.schema import staff as staff_table
from office.staff import check_password, rehash_if_needed, staff_row

from . import audit
from .schema import dash_api_tokens, dash_login_attempts, dash_sessions

COOKIE = "jd_session"
PRE_CSRF_COOKIE = "jd_login_csrf"
FREE_FAILURES = 5                    # failures before any delay (typos happen)
WINDOW = timedelta(minutes=15)       # failures older than this no longer count
SOURCE_CAP = timedelta(minutes=15)   # longest delay for one source address
ACCOUNT_CAP = timedelta(minutes=1)   # longest delay on one account
WIDE_ATTACK = 50                     # account failures (all sources) that slow every source
LOCK_AFTER, LOCK_WINDOW = FREE_FAILURES, WINDOW
BUSY_RETRY = timedelta(seconds=1)    # answer to a login arriving while another one is hashing
HASHES_PER_SECOND = 2.0              # Argon2 verifications per second per process (burst 4) for
HASH_BURST = 4.0                     # sources that failed recently; a clean source is never budgeted


class _Bucket:
    """A token bucket: at most `rate` takes per second on average, `burst` at once."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.burst, self.tokens = rate, burst, burst
        self.at = time.monotonic()
        self.lock = threading.Lock()

    def take(self) -> bool:
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
            self.at = now
            if self.tokens < 1:
                return False
            self.tokens -= 1
            return True


_BUDGET = _Bucket(HASHES_PER_SECOND, HASH_BURST)
BOX_MIN, BOX_MAX = timedelta(seconds=3), timedelta(seconds=5)


class _PenaltyBox:
    """Sources this process already found throttled, until when: a flood's repeated
    attempts are refused from memory, costing the office neither queries nor locks.
    Per process and bounded; the database stays the authority (a restart forgets)."""

    def __init__(self, size: int = 10_000) -> None:
        self.size, self.until, self.lock = size, {}, threading.Lock()

    def wait(self, ip: str | None) -> timedelta:
        if not ip:
            return timedelta(0)
        with self.lock:
            left = self.until.get(ip, 0.0) - time.monotonic()
            if left <= 0:
                self.until.pop(ip, None)
        return timedelta(seconds=max(0.0, left))

    def hold(self, ip: str | None, wait: timedelta, force: bool = False) -> None:
        """Remember a source for min(wait, BOX_MAX) once its wait is at least BOX_MIN (a
        typo-level delay is left to the database, which tests and admins can see)."""
        if not ip or (wait < BOX_MIN and not force):
            return
        with self.lock:
            if len(self.until) >= self.size:
                self.until.pop(next(iter(self.until)))
            self.until[ip] = time.monotonic() + min(wait, BOX_MAX).total_seconds()


_BOX = _PenaltyBox()
_HASHING = threading.Semaphore(1)    # Argon2 verifications at a time, per office process
LIFETIME = timedelta(hours=12)
IDLE = timedelta(hours=2)
TOUCH_EVERY = timedelta(minutes=1)   # idle time is tracked to the minute: one write a minute, not per page
TOKEN_PREFIX = "jdp_"
TOKEN_DAYS = 90          # partner tokens expire; an admin issues a new one
MAX_TOKEN_DAYS = 366


class Throttled(Exception):
    """Too many recent failures from this source (or on this account): wait `retry_after`."""

    def __init__(self, retry_after: timedelta) -> None:
        super().__init__(f"retry after {retry_after}")
        self.retry_after = retry_after


Locked = Throttled      # the old name


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def same(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))


def _failures(conn: Connection, since: str, **where) -> tuple[int, str | None]:
    """(count, time of the latest) failed attempts since `since` (or the last success) for
    one username or one source address."""
    col = dash_login_attempts.c[next(iter(where))]
    value = next(iter(where.values()))
    last_ok = conn.execute(select(func.max(dash_login_attempts.c.at)).where(and_(
        col == value, dash_login_attempts.c.ok.is_(True)))).scalar()
    if last_ok and last_ok > since:
        since = last_ok
    n, last = conn.execute(select(func.count(), func.max(dash_login_attempts.c.at)).where(and_(
        col == value, dash_login_attempts.c.ok.is_(False), dash_login_attempts.c.at > since))).one()
    return n, last


def _delay(n: int, cap: timedelta) -> timedelta:
    if n < FREE_FAILURES:
        return timedelta(0)
    return min(timedelta(seconds=2 ** min(n - FREE_FAILURES, 20)), cap)


def throttle(conn: Connection, username: str, ip: str | None) -> timedelta:
    return assess(conn, username, ip)[0]


def assess(conn: Connection, username: str, ip: str | None) -> tuple[timedelta, bool]:
    """(how long this source must still wait before a password is even checked, whether it
    has failed recently — then its Argon2 runs under the hashing budget).

    Two counters, each a growing delay since its latest failure, never a lock:
    - per source address, over every username (40 usernames from one address are slowed);
    - per account, but only for sources that have failed on it themselves, unless the
      account is under a wide (many-source) attack: the rightful user on a clean address
      is not shut out by someone else's guesses.
    Throttled attempts are not recorded as failures, so hammering does not extend the
    wait; failures age out after WINDOW, so the user gets in once an attack stops.
    """
    now = clock.now()
    since = clock.iso(now - WINDOW)
    waits = []
    suspicious = False
    if ip:
        n, last = _failures(conn, since, ip=ip)
        suspicious = n > 0
        if last:
            waits.append(clock.parse(last) + _delay(n, SOURCE_CAP) - now)
    n, last = _failures(conn, since, username=username)
    if last:
        own = conn.execute(select(func.count()).select_from(dash_login_attempts).where(and_(
            dash_login_attempts.c.username == username, dash_login_attempts.c.ip == ip,
            dash_login_attempts.c.ok.is_(False), dash_login_attempts.c.at > since))).scalar_one() if ip else n
        suspicious = suspicious or bool(own)
        if own or n >= WIDE_ATTACK:
            waits.append(clock.parse(last) + _delay(n, ACCOUNT_CAP) - now)
    return max([timedelta(0), *waits]), suspicious


def recent_failures(conn: Connection, username: str) -> int:
    return _failures(conn, clock.iso(clock.now() - WINDOW), username=username)[0]


def record_attempt(conn: Connection, username: str, ip: str | None, ok: bool) -> None:
    conn.execute(insert(dash_login_attempts).values(username=username, at=clock.iso(clock.now()),
                                                    ok=ok, ip=(ip or "")[:64] or None))


def start_session(conn: Connection, staff: dict) -> str:
    now = clock.now()
    token = secrets.token_urlsafe(32)
    conn.execute(insert(dash_sessions).values(
        token_hash=_sha(token), staff_id=staff["id"], csrf=secrets.token_urlsafe(24),
        created_at=clock.iso(now), expires_at=clock.iso(now + LIFETIME), last_seen_at=clock.iso(now)))
    return token


def source(ip: str | None) -> str | None:
    """The unit a login throttle counts: an IPv4 address, or an IPv6 address's /64. One
    subscriber is routinely given a whole /64 (2^64 addresses), so counting IPv6 addresses one
    by one would let one attacker guess from a fresh address every time. An IPv4-mapped
    address counts as its IPv4 address; anything unparsable counts as itself."""
    if not ip:
        return ip
    try:
        addr = ipaddress.ip_address(ip.split("%", 1)[0])
    except ValueError:
        return ip
    if isinstance(addr, ipaddress.IPv6Address):
        if addr.ipv4_mapped:
            return str(addr.ipv4_mapped)
        return str(ipaddress.IPv6Network((addr, 64), strict=False))
    return str(addr)


def boxed(ip: str | None) -> timedelta:
    """How long this process still refuses `ip` from memory (0: not boxed). No database: the
    async login handler asks this on the event loop before queueing any work."""
    return _BOX.wait(source(ip))


def login(engine, username: str, password: str, ip: str | None = None) -> tuple[dict, str]:
    """(staff row, session token). Raises Throttled or AuthError; the attempt is recorded.

    Three steps so that Argon2 (tens of ms, on purpose) never runs inside a transaction:
    read (throttle + the row), hash with no transaction open, then one short write.
    """
    from office import db
    username = username.strip()[:100]
    where = ip                             # the address the audit log keeps
    ip = source(ip)                        # what the throttle counts (an IPv6 /64)
    boxed = _BOX.wait(ip)
    if boxed > timedelta(0):               # known to be throttled: no database work at all
        raise Throttled(boxed)
    with db.reading(engine) as conn:
        wait, suspicious = assess(conn, username, ip)
        row = staff_row(conn, username) if wait <= timedelta(0) else None
    if wait > timedelta(0):
        _BOX.hold(ip, wait)
        raise Throttled(wait)
    hashing = _HASHING.acquire(blocking=False)   # never wait: a waiting login holds a request thread
    if not hashing or (suspicious and not _BUDGET.take()):
        if hashing:
            _HASHING.release()
        if suspicious:                     # a failing source over budget: refuse it from memory a while
            _BOX.hold(ip, BOX_MIN, force=True)
        # Over the hashing budget, or another login is hashing right now: answer at once
        # instead of queueing. A flood then costs a bounded share of one core in Argon2
        # and never holds the request thread pool that phone pushes also run in.
        raise Throttled(BUSY_RETRY)
    try:
        try:
            staff = check_password(row, password)
        finally:
            _HASHING.release()
    except AuthError:
        with engine.begin() as conn:           # one short write per real attempt, audit included
            record_attempt(conn, username, ip, False)
            audit.record(conn, "login_failed", username=username, ip=where)
        raise
    with engine.begin() as conn:
        record_attempt(conn, username, ip, True)
        rehash_if_needed(conn, row, password)       # type: ignore[arg-type]
        audit.record(conn, "login", staff=staff, ip=where)
        return staff, start_session(conn, staff)


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


def issue_api_token(conn: Connection, staff_id: int, label: str, *, days: int = TOKEN_DAYS,
                    regions: list[str] | None = None, rahasia: bool = False, free_text: bool = False) -> str:
    """A partner token: expires after `days`, sees only `regions` (None: the staff member's
    own scope) and, unless granted, neither rahasia reports nor free-text answers."""
    if not 1 <= int(days) <= MAX_TOKEN_DAYS:
        raise BadRequest(f"a token lives 1 to {MAX_TOKEN_DAYS} days")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = clock.now()
    scope = {"regions": sorted({r.strip()[:200] for r in regions if r.strip()}) if regions else None,
             "rahasia": bool(rahasia), "free_text": bool(free_text)}
    conn.execute(insert(dash_api_tokens).values(token_hash=_sha(token), staff_id=staff_id,
                                                label=label.strip()[:100] or "partner",
                                                created_at=clock.iso(now),
                                                expires_at=clock.iso(now + timedelta(days=int(days))),
                                                scope=json.dumps(scope, sort_keys=True)))
    return token


def token_id(token_hash: str) -> str:
    """The public handle of a token (shown, audited, used to revoke it): a prefix of its hash."""
    return token_hash[:12]


def api_token_lookup(conn: Connection, token: str | None) -> dict | None:
    """The staff member behind a live token, with the token's `scope` and `token_id`; reads only."""
    if not token or not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        return None
    row = conn.execute(select(dash_api_tokens).where(dash_api_tokens.c.token_hash == _sha(token))).mappings().first()
    if row is None or row["revoked_at"]:
        return None
    if row["expires_at"] and clock.parse(row["expires_at"]) <= clock.now():
        return None
    staff = _active_staff(conn, row["staff_id"])
    if staff is None:
        return None
    try:
        scope = json.loads(row["scope"]) if row["scope"] else None
    except ValueError:
        scope = None
    scope = scope if isinstance(scope, dict) else {"regions": None, "rahasia": False, "free_text": False}
    return {**staff, "scope": scope, "token_id": token_id(row["token_hash"])}


def api_token_staff(conn: Connection, token: str | None) -> dict | None:
    return api_token_lookup(conn, token)


def touch_token(conn: Connection, tid: str) -> None:
    conn.execute(update(dash_api_tokens).where(dash_api_tokens.c.token_hash.startswith(tid[:12], autoescape=True))
                 .values(last_used_at=clock.iso(clock.now())))


def list_api_tokens(conn: Connection) -> list[dict]:
    rows = conn.execute(select(dash_api_tokens, staff_table.c.username)
                        .join(staff_table, staff_table.c.id == dash_api_tokens.c.staff_id)
                        .order_by(dash_api_tokens.c.created_at)).mappings()
    return [{"id": token_id(r["token_hash"]), "username": r["username"], "label": r["label"],
             "created_at": r["created_at"], "expires_at": r["expires_at"], "last_used_at": r["last_used_at"],
             "revoked_at": r["revoked_at"], "scope": r["scope"]} for r in rows]


def revoke_api_token(conn: Connection, tid: str) -> None:
    """Revoke one token by its id; NotFound if there is no such live token."""
    if not tid or len(tid) != 12 or not all(c in "0123456789abcdef" for c in tid):
        raise NotFound("no such API token")
    done = conn.execute(update(dash_api_tokens).where(and_(
        dash_api_tokens.c.token_hash.startswith(tid, autoescape=True), dash_api_tokens.c.revoked_at.is_(None)))
        .values(revoked_at=clock.iso(clock.now()))).rowcount
    if not done:
        raise NotFound("no such API token, or it is already revoked")
