"""Reading claimed reports for every consumer at once, before any write: open each report
once (verify + decrypt), then let each consumer compute what it needs of it (`Consumer.prepare`:
the search tokens, the early-warning facts). Pure CPU over bytes already read — no database —
so it runs outside the write transaction, in this process or in a pool of processes.

Why a pool: SQLite has one writer, and on a 2-core office one derive process cannot keep up
with the push on its own (bench/derive_bench.py). About half of a report's derive cost is
this reading (opening, cleaning the answers, HMACs of its words, extracting identifiers);
`Preparer(keys, workers=N)` spreads it over N - 1 processes while the worker's own process,
the one writer, does the SQL and the rules (and, when the pool is the slower, a share of the
preparing: Balance) — the write transaction stays as short as before, and nothing is written
outside it, so kill -9 and the queue's guarantees are those of office/derive/worker.py.

The pool's processes are spawned (never forked from a threaded office) and get the office's
private keys through their start-up pipe, as a process of the same user on the same machine
that holds them already; they hold no database connection. A pool process that dies (kill -9,
the OOM killer) breaks the pool: its batch is prepared here instead and a new pool started —
nothing lost, and nothing written twice, as preparing writes nothing. A pool process exits
when the worker does (killed -9 included): it watches a pipe only the worker holds open.
A consumer's `prepare` that raises on a report is logged and left undone; its `derive`, in
worker._settle's savepoint, does the same work and fails (or not) for that report alone.
"""
from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Callable

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from office import opening
from office.keys import OfficeKeys

from . import registry
from .heap import freeze_heap
from .registry import Stored

log = logging.getLogger("jaga.office.derive")


@dataclass(frozen=True)
class Raw:
    """One claimed report as stored: its plain columns (Stored's first six fields, in order),
    its sealed bytes and its author's key (None: unknown), or the payload the push of this
    process has just opened (`payload`, `data` None)."""
    columns: tuple
    data: bytes | None
    author_public: bytes | None
    payload: dict | None = None

    @property
    def envelope_id(self) -> str:
        return self.columns[0]


def taken_from_push(keys: OfficeKeys, raw: Raw) -> Raw:
    """`raw` with the payload this process's push opened moments ago (office/opening.remember),
    if it kept it: then nobody opens the bytes again."""
    if raw.data is None or raw.author_public is None:
        return raw
    payload = opening.take_remembered(keys, raw.data, raw.author_public)
    return raw if payload is None else Raw(raw.columns, None, raw.author_public, payload)


def opened(keys: OfficeKeys, r: Raw) -> Stored:
    """The report as consumers see it, its payload opened (None: it cannot be)."""
    payload = r.payload if r.data is None else opening.payload_of(opening.open_stored(keys, r.data, r.author_public))
    return Stored(*r.columns, payload)


def prepare(keys: OfficeKeys, raws: list[Raw]) -> list[Stored]:
    """Each report opened once and prepared for every consumer that reads it. A step that
    raises is undone (its memo entries dropped) and logged by consumer and error type only
    (never the answers): the consumer's `derive` redoes it inside worker._settle, where its
    failure costs that report's job a retry, not the batch."""
    steps = [(c.name, c.prepare) for c in registry.all_consumers() if c.prepare is not None]
    out = []
    for r in raws:
        item = opened(keys, r)
        for name, step in steps:
            had = set(item.memo)
            try:
                step(keys, item)
            except Exception as exc:  # noqa: BLE001 — a consumer's bug on one report holds up no other
                log.warning("derive %s: prepare failed: %s", name, type(exc).__name__)
                for k in set(item.memo) - had:
                    del item.memo[k]
        out.append(item)
    return out


class Pending:
    """Prepared reports on their way: `get()` waits for them (and tells `balance` what the
    writer did since the last batch, so the next one is split to match)."""

    def __init__(self, parts: list[Callable[[], list[Stored]]], balance: "Balance | None" = None) -> None:
        self._parts, self._balance = parts, balance

    def get(self) -> list[Stored]:
        if self._balance is not None:
            self._balance.writing_done()
        out = [item for part in self._parts for item in part()]
        if self._balance is not None:
            self._balance.batch_done(len(out))
        return out


class Balance:
    """How much of each batch the writer prepares itself, so that it and the pool finish
    together. A batch costs the writer its write W per report (and whatever it prepares, l
    per report) and the pool p per report it prepares; the pool prepares the next batch while
    the writer writes this one, so they keep pace when p·(1 - h) = W + l·h, that is when the
    writer's share is h = (p - W) / (p + l) (none when the pool is the faster). Each figure is
    CPU time — the writer thread's own (time.thread_time: pushes of the office process are
    not counted) and the pool's as it reports it — so a loaded machine does not move the
    split; each batch's estimate is averaged with the last. With a pool slower than the
    writer (preparing costs more than writing), all of it in the pool left the writer idle
    for a third of each batch (bench/derive_bench.py). Where a report is prepared changes
    nothing of what is derived from it."""

    MAX = 0.9

    def __init__(self) -> None:
        self.share = 0.0
        self._lock = threading.Lock()
        self._mark: float | None = None         # the writer thread's CPU clock when its last batch was prepared
        self._writing: float | None = None      # ... its CPU since then (the write, the next claim)
        self._here = [0, 0.0]                   # reports prepared here this batch, CPU seconds
        self._pool = [0, 0.0]                   # ... in the pool

    def writing_done(self) -> None:
        if self._mark is not None:
            self._writing = time.thread_time() - self._mark

    def here(self, n: int, cpu: float) -> None:
        with self._lock:
            self._here[0] += n
            self._here[1] += cpu

    def pooled(self, n: int, cpu: float) -> None:
        with self._lock:
            self._pool[0] += n
            self._pool[1] += cpu

    def batch_done(self, n: int) -> None:
        with self._lock:
            (here_n, here_cpu), (pool_n, pool_cpu) = self._here, self._pool
            self._here, self._pool = [0, 0.0], [0, 0.0]
        if pool_n and n and self._writing is not None:
            p = pool_cpu / pool_n
            l = here_cpu / here_n if here_n else p
            w = self._writing / n
            h = max(0.0, (p - w) / (p + l)) if p + l > 0 else 0.0
            self.share = min(self.MAX, (self.share + h) / 2)
        self._mark = time.thread_time()


class Preparer:
    """`submit(raws)` prepares in this process (workers=1: at once), or with `workers` > 1
    spreads them over a pool of `workers` - 1 processes and returns at once — the derive
    worker's own process is the writer, the Nth (on a 2-core office: one writes while one
    reads). Use as a context manager (the pool is closed on leaving)."""

    def __init__(self, keys: OfficeKeys, workers: int = 1) -> None:
        self.keys, self.workers = keys, max(1, workers)
        self._pool: ProcessPoolExecutor | None = None
        self._lifeline = multiprocessing.Pipe(duplex=False) if self.workers > 1 else None
        if self.workers > 1:
            self._pool = self._new_pool()
        self.balance = Balance()

    def _new_pool(self) -> ProcessPoolExecutor:
        from office import warning
        return ProcessPoolExecutor(self.workers - 1, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_start,
                                   initargs=(_private(self.keys.x25519), _private(self.keys.ed25519),
                                             warning.current_config(), self._lifeline[0]))

    def _restart(self, broken: ProcessPoolExecutor) -> None:
        """A pool process died: a new pool (once per broken pool, whoever notices first)."""
        if self._pool is broken:
            log.warning("derive: a prepare process died; starting a new pool")
            broken.shutdown(wait=False, cancel_futures=True)
            self._pool = self._new_pool()

    def submit(self, raws: list[Raw]) -> Pending:
        if self._pool is None or len(raws) < 2:
            done = prepare(self.keys, raws)
            return Pending([lambda: done])
        here = int(len(raws) * self.balance.share)         # the writer's own share (Balance)
        theirs = raws[here:]
        size = -(-len(theirs) // (self.workers - 1))
        chunks = [theirs[k:k + size] for k in range(0, len(theirs), size)]
        parts = [self._part(chunk) for chunk in chunks]
        return Pending(([self._here(raws[:here])] if here else []) + parts, self.balance)

    def _here(self, raws: list[Raw]) -> Callable[[], list[Stored]]:
        """The writer's share, prepared when the batch is wanted (the pool starts on the rest
        at once)."""
        def get() -> list[Stored]:
            cpu = time.thread_time()
            done = prepare(self.keys, raws)
            self.balance.here(len(raws), time.thread_time() - cpu)
            return done
        return get

    def _part(self, chunk: list[Raw]) -> Callable[[], list[Stored]]:
        pool = self._pool
        try:
            future: Future | None = pool.submit(_prepare_here, chunk)
        except BrokenProcessPool:
            future = None

        def get() -> list[Stored]:
            try:
                if future is not None:
                    done, cpu = future.result()
                    self.balance.pooled(len(done), cpu)
                    return done
            except BrokenProcessPool:
                pass
            self._restart(pool)
            return prepare(self.keys, chunk)        # here: the batch is not lost, nor written twice
        return get

    def pids(self) -> list[int]:
        """The pool's live processes (none without a pool)."""
        return [] if self._pool is None else list((self._pool._processes or {}).keys())

    def warm(self) -> None:
        """Wait until the pool's processes have started (imports, keys): a bench times the
        work, not a long-lived worker's one start-up."""
        if self._pool is not None:
            list(self._pool.map(_ready, range(self.workers * 4)))

    def close(self) -> None:
        if self._pool is not None:
            for p in list((self._pool._processes or {}).values()):
                p.terminate()
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        if self._lifeline is not None:
            for end in self._lifeline:
                end.close()
            self._lifeline = None

    def __enter__(self) -> "Preparer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _private(key) -> bytes:
    return key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                             serialization.NoEncryption())


_keys: list[OfficeKeys] = []          # a pool process's office keys (set once at its start)


def _start(x25519: bytes, ed25519: bytes, config, lifeline) -> None:
    """A pool process starts: the office keys and the warning settings of its parent, and a
    watch on `lifeline` (a pipe's reading end; only the parent holds its writing end): when
    the parent is gone, killed -9 included, the read ends and this process exits — no process
    holding the office's keys outlives its worker."""
    threading.Thread(target=_exit_with_parent, args=(lifeline,), daemon=True).start()
    from office.warning.config import set_current
    set_current(config)
    _keys.append(OfficeKeys(X25519PrivateKey.from_private_bytes(x25519), Ed25519PrivateKey.from_private_bytes(ed25519)))
    registry.all_consumers()
    freeze_heap()


def _exit_with_parent(lifeline) -> None:
    try:
        lifeline.recv()
    except (EOFError, OSError):
        pass
    os._exit(0)


def _ready(_: int) -> bool:
    return bool(_keys)


def _prepare_here(raws: list[Raw]) -> tuple[list[Stored], float]:
    """In a pool process: the prepared reports and the CPU seconds they took (Balance)."""
    cpu = time.process_time()
    done = prepare(_keys[0], raws)
    return done, time.process_time() - cpu
