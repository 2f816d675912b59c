"""The SQLite store's single writer, handed over inside the office process.

SQLite lets one write transaction run at a time. Without this gate a second writer of the
same process (a phone's push while the derive worker commits) learns the writer is taken
only from SQLITE_BUSY and sleeps in SQLite's busy handler (1 ms, 2 ms ... 100 ms steps),
so it gets the writer up to 100 ms after it was let go. With the gate every write
transaction of the process first takes this lock (`make_engine`'s BEGIN hook) and gives it
back when its COMMIT or ROLLBACK has returned: a waiting writer is woken at once.

Two kinds of writer:
- foreground (default): phones' pushes and everything a request writes; taken first come.
- background (`engine.execution_options(jaga_writer="background")`): the derive worker.
  It waits while a foreground writer is waiting, up to `DEFER_MAX`; after that it goes
  next, before the foreground writers waiting then (a steady stream of pushes cannot starve
  it: the derive lag stays bounded). Between its steps it asks `contended()` to hand the
  writer over early (office/derive/worker.py).

The writer is not all a background writer takes from pushes: the worker's consumers run
in the same process, so while it derives, a push's verify/open/admit gets about half the
interpreter (the GIL). Measured in bench/sync_bench.py, derived work that grew with what was
stored made each repeat's pushes slower than the one before (678, 397, 306 reports/s; 1.2 s of
office CPU per 2,000 pushed without the worker, 2.4 -> 4.6 s with it). So the gate also
remembers when a foreground writer last held or waited for the writer: after each step
the worker waits (`wait_quiet()`) until pushes have paused for a moment or for a turn as
long as half that step, then goes next, so pushes and derive take turns (office/derive/worker.py).

Other processes sharing the file (uvicorn workers, `jaga-desa office derive`) still meet
through SQLite's own lock and busy_timeout; this gate only shortens the wait inside one.
A writer that cannot get the gate in `WAIT_MAX` goes on to BEGIN IMMEDIATE without it —
exactly what happened before the gate — so the gate never turns a slow writer into a hang.
"""
from __future__ import annotations

import threading
import time

BACKGROUND = "background"
QUIET = 0.25                 # s without a foreground writer: pushes have paused
DEFER_MAX = 0.5              # s a background writer gives way to waiting foreground ones
WAIT_MAX = 30.0              # s, as the connection's busy_timeout


class WriterGate:
    """One per SQLite engine. The holder is the DBAPI connection whose transaction has it."""

    def __init__(self, defer_max: float = DEFER_MAX, wait_max: float = WAIT_MAX) -> None:
        self.defer_max, self.wait_max = defer_max, wait_max
        self._cond = threading.Condition()
        self._holder: object | None = None
        self._waiting = 0                     # foreground writers waiting for the gate
        self._due = 0                         # background writers waiting past defer_max
        self._front = False                   # the holder is a foreground writer
        self._front_left = float("-inf")      # monotonic time the last foreground holder let go

    def acquire(self, holder: object, *, background: bool = False, defer: float | None = None) -> bool:
        """Block until `holder` has the writer; False when WAIT_MAX passed without it. `defer`:
        how long this background writer gives way (default defer_max; 0 for a worker that has
        just waited its turn out, so it goes next)."""
        start = time.monotonic()
        defer = self.defer_max if defer is None else defer
        deadline, give_way = start + self.wait_max, start + (defer if background else 0.0)
        due = False              # a background writer that has given way long enough goes next
        with self._cond:
            if not background:
                self._waiting += 1
            try:
                while True:
                    now = time.monotonic()
                    if background and not due and now >= give_way:
                        due, self._due = True, self._due + 1
                    free = self._holder is None
                    if free and ((due or not self._waiting) if background else not self._due):
                        self._holder, self._front = holder, not background
                        return True
                    if now >= deadline:
                        return False
                    self._cond.wait(min(deadline, give_way if background and not due else deadline) - now)
            finally:
                if due:
                    self._due -= 1
                if not background:
                    self._waiting -= 1

    def release(self, holder: object) -> None:
        """After COMMIT/ROLLBACK (or when the connection goes back to the pool): no-op for a
        connection that does not hold the gate (a read, or a writer that went on without)."""
        with self._cond:
            if self._holder is holder:
                if self._front:
                    self._front_left = time.monotonic()
                self._holder, self._front = None, False
                self._cond.notify_all()

    def contended(self) -> bool:
        """A foreground writer is waiting: a background writer should commit what it has."""
        return self._waiting > 0

    def quiet(self, quiet: float = QUIET) -> bool:
        """No foreground writer holds or waits for the writer, nor let go of it in `quiet` s."""
        with self._cond:
            return self._quiet_at(quiet) <= time.monotonic()

    def _quiet_at(self, quiet: float) -> float:
        if self._waiting or self._front:
            return float("inf")
        return self._front_left + quiet

    def wait_quiet(self, timeout: float, quiet: float = QUIET) -> bool:
        """For a background writer between its steps: block until foreground writers (pushes)
        have paused for `quiet` s — True — or `timeout` s have passed — False. It holds nothing
        while it waits, so a push meanwhile has the writer and the interpreter to itself."""
        deadline = time.monotonic() + max(0.0, timeout)
        with self._cond:
            while True:
                now, at = time.monotonic(), self._quiet_at(quiet)
                if at <= now:
                    return True
                if now >= deadline:
                    return False
                self._cond.wait(min(at, deadline) - now)
