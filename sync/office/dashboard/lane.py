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


LOGIN = Lane()
