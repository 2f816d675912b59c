"""The login lane: one dedicated thread and a short bounded queue for password checks.

Why: FastAPI runs sync handlers — the phone push among them — on one shared worker-thread
pool (AnyIO's default limiter, 40 threads). A login flood run on that pool holds its
threads while Argon2 and the login's database work happen, and pushes queue behind it.
Logins therefore never enter that pool: the async login handler hands the attempt to this
lane and awaits it without holding any thread; when the lane is already `depth` attempts
deep the attempt is refused at once (429, Retry-After) instead of waiting. A flood then
costs at most one thread and one core's share of Argon2, whatever its size.
"""
from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Callable, TypeVar

T = TypeVar("T")
DEPTH = 4           # attempts in the lane at once (one hashing, the rest queued)


class LaneFull(Exception):
    """The lane already holds `depth` attempts: refuse this one now (never queue it)."""


class Lane:
    """A single worker thread with a bounded number of admitted jobs (running + queued)."""

    def __init__(self, depth: int = DEPTH, name: str = "login-lane") -> None:
        self.depth, self.name = depth, name
        self._admitted = 0
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None

    @property
    def admitted(self) -> int:
        return self._admitted

    def _executor(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=self.name)
        return self._pool

    def submit(self, fn: Callable[..., T], *args) -> Future:
        """Admit `fn(*args)` to the lane, or raise LaneFull. The slot is freed when the job
        ends, even if whoever awaited it went away (a client hanging up mid-login)."""
        with self._lock:
            if self._admitted >= self.depth:
                raise LaneFull()
            self._admitted += 1
            pool = self._executor()
        try:
            future = pool.submit(fn, *args)
        except BaseException:
            self._release()
            raise
        future.add_done_callback(lambda _f: self._release())
        return future

    async def run(self, fn: Callable[..., T], *args) -> T:
        """`fn(*args)` on the lane's thread, awaited without holding any other thread."""
        return await asyncio.wrap_future(self.submit(fn, *args))

    def _release(self) -> None:
        with self._lock:
            self._admitted -= 1


class Pace:
    """How long to hold a refusal before sending it. A flooding client waits for each answer
    before its next attempt, so answering refusals instantly only invites more of them, each
    costing the office's one interpreter a request's parsing and rendering. Refusals are sent
    at once while they are few (`rate` a second, `burst` at once: one person retrying never
    waits); beyond that each is held, on the event loop with no thread, for the wait it
    announces, up to `hold` seconds, and for at most `holding` connections at once."""

    def __init__(self, rate: float = 10.0, burst: float = 20.0, hold: float = 5.0, holding: int = 2000) -> None:
        self.rate, self.burst, self.hold, self.holding = rate, burst, hold, holding
        self.tokens, self.at, self.held = burst, time.monotonic(), 0
        self._lock = threading.Lock()

    def delay(self, retry_after: float) -> float:
        with self._lock:
            now = time.monotonic()
            self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
            self.at = now
            if self.tokens >= 1:
                self.tokens -= 1
                return 0.0
            return 0.0 if self.held >= self.holding else min(self.hold, max(0.0, retry_after))

    async def refuse(self, retry_after: float) -> None:
        """Wait (without a thread) before a refusal goes out, when refusals are many."""
        seconds = self.delay(retry_after)
        if seconds <= 0:
            return
        with self._lock:
            self.held += 1
        try:
            await asyncio.sleep(seconds)
        finally:
            with self._lock:
                self.held -= 1


LOGIN = Lane()
REFUSALS = Pace()
