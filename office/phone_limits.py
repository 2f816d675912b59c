"""What one enrolled phone may cost the office: bytes per day, pushes per minute, and how
many of its requests run at once (issue 22, item 4).

An enrolled phone is trusted to sign what its people wrote, not to be gentle: one filled the
office's disk with five 15 MiB "photos" in one report and made every other phone's push wait
11–24 s. So, per phone (its device id, or for the in-flight and rate gates the hash of its
token, known before any database work):

- **bytes per day** (`JAGA_PHONE_BYTES_PER_DAY`, default 64 MiB): a report's envelope plus the
  attachment sizes its signed manifest declares count against the UTC day it arrives; the
  office derives the day's total from what it stored (envelopes by device and day, indexed),
  so every worker and a restart agree. A report that does not fit is *deferred* — a per-item
  `deferred` / `quota_exceeded` result, never a refusal: the phone keeps it and sends it
  again the next day. Uploads cannot exceed what was declared (ingest.attachments).
- **pushes per minute** (`JAGA_PHONE_PUSHES_PER_MINUTE`, default 30): `POST /envelopes` and
  `POST /courier` (a carried file) together over the rate is 429 `rate_limited` with Retry-After, before the body is read.
- **requests at once** (`JAGA_PHONE_CONCURRENT`, default 2: a round overlaps one push with
  one attachment upload): one more waits its turn on the event loop, holding no thread (at
  most 8 waiting, at most 30 s; beyond, 429 `rate_limited`), so one phone holds at most that
  many of the worker's threads and every other phone gets the rest — fairness.
- **reports waiting for derive** (`JAGA_PHONE_DERIVE_BACKLOG`, default 500): a phone with that
  many of its reports still queued for derive has its new reports *deferred* (per item,
  `deferred` / `rate_limited`, nothing opened, nothing refused: the phone sends them again
  after its back-off). Pushes are far cheaper than derive, so enrolled phones pushing at
  their full rate otherwise grew the backlog — and the lag every early-warning signal and
  DARURAT webhook waits behind — for as long as they kept at it (red team round 7: 42 s
  behind after a 36 s flood of four phones). Now no phone holds more than this plus one
  push in the queue, and a quiet phone's report waits behind at most that per flooding phone.
The rate and in-flight gates live in each worker process's memory (a worker restart forgets
a minute; N workers allow N times the rate); the byte quota is in the store.
"""
from __future__ import annotations

import asyncio
import hashlib
import math
import os
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, case, func, select, text

from core.errors import BadRequest
from office.compression import _error, bearer_token
from office.schema import attachments, envelopes

API = "/api/v1"
OPEN_PATHS = {f"{API}/health", f"{API}/enroll", f"{API}/office-identity"}
PUSH_PATH = f"{API}/envelopes"
COURIER_PATH = f"{API}/courier"     # a carried courier file is a push too (up to 64 MiB)
PUSHES = {PUSH_PATH, COURIER_PATH}
MIB = 1024 * 1024


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not (raw.isascii() and raw.isdigit()) or not 0 < int(raw) < 2**40:
        raise BadRequest(f"{name} must be a whole number above 0, not {raw[:40]!r}")
    return int(raw)


@dataclass(frozen=True)
class PhoneLimits:
    bytes_per_day: int = 64 * MIB
    pushes_per_minute: int = 30
    concurrent: int = 2
    derive_backlog: int = 500

    @classmethod
    def from_env(cls) -> "PhoneLimits":
        """The office's numbers (a bad value stops start-up with a typed error)."""
        return cls(_env_int("JAGA_PHONE_BYTES_PER_DAY", cls.bytes_per_day),
                   _env_int("JAGA_PHONE_PUSHES_PER_MINUTE", cls.pushes_per_minute),
                   _env_int("JAGA_PHONE_CONCURRENT", cls.concurrent),
                   _env_int("JAGA_PHONE_DERIVE_BACKLOG", cls.derive_backlog))


def day_start(received_at: str) -> str:
    """The UTC day of an office timestamp (ISO 8601, `...Z`), as the prefix it sorts from."""
    return received_at[:10] + "T00:00:00"


def used_today(conn: Connection, device_id: str, received_at: str) -> int:
    """Bytes this phone's reports stored today: envelopes plus their declared attachments.
    Every push asks, so both sums read index ix_envelopes_device_day alone (no table row:
    each is a few kilobytes of sealed data), and attachments only for reports with photos —
    a busy phone's thousands of reports a day cost a push microseconds each, not a B-tree
    descent each (that was ~0.1 ms per pushed report at 6,000 a day, and grew)."""
    since = day_start(received_at)
    mine = (envelopes.c.device_id == device_id) & (envelopes.c.received_at >= since)
    sealed, photos = conn.execute(select(func.coalesce(func.sum(envelopes.c.size), 0),
                                         func.count(case((envelopes.c.has_photo, 1)))).where(mine)).one()
    files = conn.execute(select(func.coalesce(func.sum(attachments.c.size), 0))
                         .select_from(attachments.join(envelopes, envelopes.c.id == attachments.c.envelope_id))
                         .where(mine & envelopes.c.has_photo)).scalar_one() if photos else 0
    return int(sealed) + int(files)


# Driven from the derive queue (what is waiting, bounded by this very limit) and probing each
# job's envelope by its key: SQLite's own choice ran the other way — every report the phone ever
# pushed, each scanning the queue — and a push's cost grew with the phone's store times the queue
# (bench/sync_bench.py: office CPU per pushed report 1.6 → 3.0 → 4.2 ms over three repeats).
# CROSS JOIN fixes SQLite's loop order; PostgreSQL plans it as the inner join it is.
_WAITING = text("SELECT count(*) FROM (SELECT DISTINCT j.envelope_id FROM derive_jobs AS j "
                "CROSS JOIN envelopes AS e WHERE e.id = j.envelope_id AND e.device_id = :device "
                "LIMIT :cap) AS waiting")


def waiting_for_derive(conn: Connection, device_id: str, cap: int) -> int:
    """This phone's reports still queued for derive (any consumer, due or backing off), counted
    up to `cap`: the question is only whether it has reached its bound."""
    return conn.execute(_WAITING, {"device": device_id, "cap": cap}).scalar_one()


def seconds_to_tomorrow(now: datetime) -> int:
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0).timestamp() + 86400
    return max(1, math.ceil(midnight - now.timestamp()))


class Gate:
    """The in-memory gates of one worker process: pushes per minute, and slots for a phone's
    requests in flight. A request beyond the phone's slots *waits* on the event loop (holding
    no worker thread) for up to SLOT_WAIT seconds, at most WAITING of them per phone; past
    either it is turned away. So a phone's burst is served in turn, never in parallel with
    more than `concurrent` of its own, and every other phone keeps the rest of the threads."""

    SLOT_WAIT = 30.0
    WAITING = 8

    def __init__(self, limits: PhoneLimits, clock=time.monotonic) -> None:
        self.limits, self.clock = limits, clock
        self._lock = threading.Lock()
        self._pushes: dict[str, deque] = {}
        self._slots: dict[str, asyncio.Semaphore] = {}
        self._waiting: dict[str, int] = {}
        self._held: dict[str, int] = {}

    def push_wait(self, phone: str) -> int:
        """0 when this push is within the phone's rate (it is counted), else seconds to wait."""
        now = self.clock()
        with self._lock:
            recent = self._pushes.setdefault(phone, deque())
            while recent and recent[0] <= now - 60:
                recent.popleft()
            if len(recent) >= self.limits.pushes_per_minute:
                return max(1, math.ceil(recent[0] + 60 - now))
            recent.append(now)
            if len(self._pushes) > 50_000:           # a flood of made-up tokens: forget the idle
                for key in [k for k, q in self._pushes.items() if not q or q[-1] <= now - 60]:
                    del self._pushes[key]
            return 0

    async def take_slot(self, phone: str) -> bool:
        """True once one of the phone's slots is held (give it back with give_slot)."""
        slot = self._slots.setdefault(phone, asyncio.Semaphore(self.limits.concurrent))
        if self._waiting.get(phone, 0) >= self.WAITING:
            return False
        self._waiting[phone] = self._waiting.get(phone, 0) + 1
        try:
            await asyncio.wait_for(slot.acquire(), self.SLOT_WAIT)
            self._held[phone] = self._held.get(phone, 0) + 1
            return True
        except asyncio.TimeoutError:
            return False
        finally:
            self._waiting[phone] -= 1
            if not self._waiting[phone]:
                del self._waiting[phone]

    def give_slot(self, phone: str) -> None:
        self._slots[phone].release()
        self._held[phone] -= 1
        if not self._held[phone]:
            del self._held[phone]
            if phone not in self._waiting:           # idle: forget it
                del self._slots[phone]


def _phone_key(headers: dict) -> str | None:
    token = bearer_token(headers)
    return hashlib.sha256(token.encode()).hexdigest()[:32] if token else None


class PhoneGate:
    """ASGI middleware: the rate and in-flight gates for every phone request under /api/v1
    (not enrollment, health or identity; the partner API and the dashboard have their own)."""

    def __init__(self, app, limits: PhoneLimits) -> None:
        self.app, self.gate = app, Gate(limits)

    async def __call__(self, scope, receive, send):
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not path.startswith(API + "/") or path in OPEN_PATHS or path.startswith(f"{API}/partner"):
            return await self.app(scope, receive, send)
        phone = _phone_key(dict(scope.get("headers") or []))
        if phone is None:
            return await self.app(scope, receive, send)
        wait = self.gate.push_wait(phone) if path in PUSHES and scope.get("method") == "POST" else 0
        if wait or not await self.gate.take_slot(phone):
            await _error(429, "rate_limited", "this phone is sending too fast; try again later",
                         {b"retry-after": str(wait or 1).encode()})(send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            self.gate.give_slot(phone)
