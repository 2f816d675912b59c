"""The derive worker: claim due jobs in batches, open each report once, run every consumer
in its own savepoint, delete its jobs in the same transaction as its writes, commit.

    run_once(engine, keys)      one batch; returns how many jobs it settled
    exhaust(engine, keys)       until no job is due (tests, benches, `office derive --once`)
    Worker(engine, keys)        the loop, as a thread in the office process or standalone

Claiming: the due jobs are looked at in a read; each step takes its own again inside its
write transaction — on PostgreSQL `FOR UPDATE SKIP LOCKED`, so several workers share the
queue and a job is in one transaction at a time. On SQLite every writer is serialised already (BEGIN
IMMEDIATE); a lease row makes one process the worker, so two processes do not both open
the same reports only for the second to find the jobs gone.

The reports are read in a read transaction and prepared before any write — opened once
(or taken from what this process's push has just opened, office/opening.remember) and each
consumer's per-report CPU work done (office/derive/prepare.py: in this process, or with
`workers` > 1 in a pool of processes while the previous batch is written) — and the consumers run in a background write
transaction (office/writer_gate.py) that commits early, between steps of CHUNK reports,
when a phone's push is waiting for SQLite's single writer — while the worker is within
LAG_BUDGET of its oldest job. The office's own worker thread instead lets the pushes of its
process go first, for the writer and the interpreter: all of it while its oldest job is within
LAG_BUDGET, turns past it (`push_first`), so a stream of pushes never starves derive.

Kill -9 at any point: before a commit nothing of its steps is written and their jobs are
still queued; after it the writes and the job deletions are both durable. A failing
consumer costs only its own savepoint; its batch is then tried report by report, so one
report that breaks it holds up no other: that report's job gets `attempts + 1`, the error,
and a due time pushed back exponentially (BACKOFF_BASE .. BACKOFF_MAX); the rest commit.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, and_, delete, func, select, update
from sqlalchemy.dialects import sqlite

from office import clock, db, opening
from office.keys import OfficeKeys
from office.schema import envelopes, persons
from office.writer_gate import WriterGate

from . import prepare, queue, registry
from .heap import freeze_heap
from .prepare import Pending, Preparer, Raw
from .registry import Consumer, Stored
from .schema import derive_jobs, derive_lease

log = logging.getLogger("jaga.office.derive")
BATCH = 400                                 # jobs: 100 reports × the four consumers
CHUNK = 100                                 # reports per consumer step (a consumer pays a fixed cost per
                                            # call: early warning derives 25 at a step at half the rate)
LAG_BUDGET = timedelta(seconds=2)           # behind by more: no longer gives way to pushes
BEHIND_SCALE = 4                            # ... and takes batches and steps this much larger
PUSH_TURN = 0.5                             # the office's own worker past LAG_BUDGET, between its steps while
                                            # pushes come: they get this times its last step's time to
                                            # themselves (during its step they still get part of the
                                            # interpreter: ~equal CPU); within the budget they get it all
POLL = 2.0                                  # seconds between looks when nothing woke the worker
LEASE = timedelta(seconds=30)
BACKOFF_BASE = timedelta(seconds=5)
BACKOFF_MAX = timedelta(hours=1)
HOLDER = f"{socket.gethostname()}:{os.getpid()}"[:100]


def backoff(attempts: int) -> timedelta:
    """Delay after the `attempts`-th failure: 5 s, 10 s, 20 s ... at most an hour."""
    return min(BACKOFF_BASE * (2 ** max(0, attempts - 1)), BACKOFF_MAX)


def take_lease(engine: Engine, holder: str = HOLDER, now: datetime | None = None) -> bool:
    """SQLite: become (or stay) the one worker process for LEASE; False while another live
    process holds it. PostgreSQL needs no lease (SKIP LOCKED) and always gets True."""
    if engine.dialect.name == "postgresql":
        return True
    now = now or clock.now()
    with db.background(engine).begin() as conn:
        row = conn.execute(select(derive_lease).where(derive_lease.c.name == "derive")).first()
        if row is not None and row.holder != holder and row.until > clock.iso(now):
            return False
        values = {"name": "derive", "holder": holder, "until": clock.iso(now + LEASE)}
        stmt = sqlite.insert(derive_lease).values(values)
        conn.execute(stmt.on_conflict_do_update(index_elements=["name"], set_=values))
    return True


def release_lease(engine: Engine, holder: str = HOLDER) -> None:
    if engine.dialect.name != "postgresql":
        with db.background(engine).begin() as conn:
            conn.execute(delete(derive_lease).where(and_(derive_lease.c.name == "derive",
                                                         derive_lease.c.holder == holder)))


def _due_jobs(conn: Connection, now: str, limit: int) -> list:
    """The next due jobs, oldest first (consumer, envelope_id, created_at) — only looked at:
    each step takes its own again in its write transaction (_still_queued)."""
    j = derive_jobs.c
    return conn.execute(select(j.consumer, j.envelope_id, j.created_at).where(j.due_at <= now)
                        .order_by(j.due_at, j.envelope_id).limit(limit)).all()


def _still_queued(conn: Connection, consumer: str, ids: list[str], now: str) -> list[str]:
    """Of `ids`, the reports whose `consumer` job is still queued and due, taken for this
    transaction (on PostgreSQL locked, skipping those another worker holds)."""
    q = (select(derive_jobs.c.envelope_id).where(and_(_jobs_where(consumer, ids), derive_jobs.c.due_at <= now))
         .order_by(derive_jobs.c.envelope_id))
    if conn.dialect.name == "postgresql":
        q = q.with_for_update(skip_locked=True)
    return list(conn.execute(q).scalars())


def _raws(conn: Connection, ids: set[str]) -> list[Raw]:
    """The claimed reports as stored (sealed bytes and author key), for prepare.py to open."""
    e = envelopes.c
    rows = conn.execute(select(e.id, e.data, e.village_id, e.form_id, e.form_version,
                               e.received_at, e.rahasia, persons.c.ed25519_public)
                        .join(persons, persons.c.id == e.author_id, isouter=True)
                        .where(e.id.in_(ids))).all()
    return [Raw((r.id, r.village_id, r.form_id, r.form_version, r.received_at, bool(r.rahasia)), bytes(r.data),
                None if r.ed25519_public is None else bytes(r.ed25519_public)) for r in rows]


def _open(conn: Connection, keys: OfficeKeys, ids: set[str]) -> dict[str, Stored]:
    """These reports opened (from what this process's push kept when it can), not prepared."""
    return {r.envelope_id: prepare.opened(keys, prepare.taken_from_push(keys, r)) for r in _raws(conn, ids)}


def _jobs_where(consumer: str, ids: list[str]):
    return and_(derive_jobs.c.consumer == consumer, derive_jobs.c.envelope_id.in_(ids))


def budget_left(oldest: datetime | None, now: datetime | None = None) -> float:
    """Seconds until the job created at `oldest` has waited LAG_BUDGET (<= 0: past it)."""
    if oldest is None:
        return 0.0
    return (LAG_BUDGET - ((now or clock.now()) - oldest)).total_seconds()


def push_first(gate: WriterGate | None, oldest: datetime | None, step_took: float) -> float:
    """The office's own worker (give_way) before each of its steps: the push first, derive
    within a bounded lag. While this process's pushes keep coming (not `gate.quiet()`):
    - its oldest job has waited less than LAG_BUDGET: derive does not compete at all, not even
      for half turns — it waits until the pushes pause, or until that job reaches the budget;
    - past the budget: it takes turns — the pushes get PUSH_TURN times its last step to
      themselves, then it goes next.
    So a stream of pushes (a hostile phone flooding them) can hold a report's derive back by
    at most LAG_BUDGET before derive gets turns again: it is never starved. Returns the
    timeout it waited with (0 when pushes were quiet: it did not wait)."""
    if gate is None or gate.quiet():
        return 0.0
    left = min(budget_left(oldest), LAG_BUDGET.total_seconds())     # a job stamped ahead of this clock too
    timeout = left if left > 0 else PUSH_TURN * step_took
    gate.wait_quiet(timeout)
    return timeout


def _blocked(conn: Connection, consumer: Consumer, ids: list[str]) -> set[str]:
    """Reports whose prerequisite jobs (consumer.after) are still queued."""
    if not consumer.after:
        return set()
    return set(conn.execute(select(derive_jobs.c.envelope_id).where(and_(
        derive_jobs.c.consumer.in_(consumer.after), derive_jobs.c.envelope_id.in_(ids)))).scalars())


def _fail(conn: Connection, name: str, ids: list[str], exc: BaseException, now: datetime) -> None:
    error = f"{type(exc).__name__}: {exc}"[:300]
    for (eid, attempts) in conn.execute(select(derive_jobs.c.envelope_id, derive_jobs.c.attempts)
                                        .where(_jobs_where(name, ids))).all():
        conn.execute(update(derive_jobs).where(_jobs_where(name, [eid])).values(
            attempts=attempts + 1, error=error, due_at=clock.iso(now + backoff(attempts + 1))))


def _settle(conn: Connection, keys: OfficeKeys, consumer: Consumer, ids: list[str], items: dict[str, Stored],
            now: datetime) -> bool:
    """Derive `ids` for `consumer` and delete their jobs, in one savepoint; on a failure roll
    the savepoint back and push the jobs back (attempts + 1, the error). True when done."""
    try:
        with conn.begin_nested():
            consumer.derive(conn, keys, [items[e] for e in ids if e in items], now)
            conn.execute(delete(derive_jobs).where(_jobs_where(consumer.name, ids)))
        return True
    except Exception as exc:      # noqa: BLE001 — a consumer's bug costs its jobs a retry, never the rest
        if len(ids) == 1:
            log.warning("derive %s failed for report %s: %s", consumer.name, ids[0], type(exc).__name__)
            _fail(conn, consumer.name, ids, exc, now)
        return False


@dataclass
class _Claim:
    """A batch looked at (its jobs) and its reports being prepared (prepare.Pending)."""
    jobs: list
    pending: Pending

    @property
    def ids(self) -> set[str]:
        return {e for _, e, _ in self.jobs}


class Pipeline:
    """Batch after batch: claim (look at due jobs, read their reports), prepare (open, and
    each consumer's per-report work: prepare.py), write (run_once's transaction).

    With `workers` > 1 the reports are prepared in a pool of `workers` - 1 processes, and the
    next batch is claimed and sent to the pool before this one is written: the pool reads
    while the one writer writes. The next batch leaves out the reports of this one; each
    step still takes its jobs again in its write transaction, so a job settled meanwhile (by
    this batch, another worker, a rebuild) is skipped, never derived twice.

    Behind by more than LAG_BUDGET the batches grow by BEHIND_SCALE: early warning pays a
    fixed cost per call (its look-ups of the window), which a backlog need not pay per 100
    reports; fresh work keeps small batches, so a push never waits long for the writer.

    `give_way` (the office's own worker thread): while this process's pushes keep coming
    (WriterGate.quiet) it hands them the writer *and* the interpreter (`push_first`): before
    claiming a batch and between its steps, within LAG_BUDGET it waits for the pushes to
    pause — the push gets the whole office — and past it they take turns of about equal CPU
    (it waits PUSH_TURN times as long as its last step ran, or until the pushes pause, then goes
    next), so derive still moves under a stream of pushes and its lag stays bounded.
    (Handing over only the writer, and all of it for a whole batch once LAG_BUDGET behind, made
    each push wait out derive work that grew with what was stored: bench/sync_bench.py's
    repeats declined.) `exhaust` (tests, benches, `office derive --once`) never waits."""

    def __init__(self, engine: Engine, keys: OfficeKeys, *, batch: int = BATCH, workers: int = 1,
                 give_way: bool = False) -> None:
        self.engine, self.keys, self.batch, self.give_way = engine, keys, batch, give_way
        self.preparer = Preparer(keys, workers)
        freeze_heap()
        self._next: _Claim | None = None
        self._behind = False
        self._step_took = 0.0                # s, its last batch (the turn it gives pushes past the budget)

    def _claim(self, now: datetime, busy: set[str]) -> _Claim | None:
        size = self.batch * (BEHIND_SCALE if self._behind else 1)
        with db.reading(self.engine) as conn:
            jobs = [j for j in _due_jobs(conn, clock.iso(now), size + len(busy) * len(registry.names()))
                    if j[1] not in busy][:size]
            if not jobs:
                return None
            raws = _raws(conn, {e for _, e, _ in jobs})
        return _Claim(jobs, self.preparer.submit([prepare.taken_from_push(self.keys, r) for r in raws]))

    def run_once(self, now: datetime | None = None) -> int:
        """One batch; returns how many jobs were settled (done, failed or deferred)."""
        if self.give_way and self._next is None:
            self._push_first(now)            # reading and preparing a batch competes with pushes too
        now = now or clock.now()
        started = time.monotonic()
        claim, self._next = self._next or self._claim(now, set()), None
        if claim is None:
            return 0
        self._behind = now - clock.parse(min(created for _, _, created in claim.jobs)) > LAG_BUDGET
        if self.preparer.workers > 1:
            self._next = self._claim(now, claim.ids)
        items = {s.envelope_id: s for s in claim.pending.get()}
        # the office's own worker (give_way) takes turns with the pushes instead of becoming an
        # ordinary writer when behind; reading and preparing the batch is a turn of its own
        _write(self.engine, self.keys, claim.jobs, items, now,
               chunk=CHUNK * (BEHIND_SCALE if self._behind else 1),
               behind=self._behind and not self.give_way,
               give_way=self.give_way, step_took=time.monotonic() - started)
        self._step_took = time.monotonic() - started
        return len(claim.jobs)

    def _push_first(self, now: datetime | None) -> None:
        """Before claiming: `push_first` with the oldest due job's age (one indexed read, only
        while pushes are coming)."""
        gate = db.writer_gate(self.engine)
        if gate is None or gate.quiet():
            return
        with db.reading(self.engine) as conn:
            oldest = _due_jobs(conn, clock.iso(now or clock.now()), 1)
        if oldest:
            push_first(gate, clock.parse(oldest[0][2]), self._step_took)

    def close(self) -> None:
        self._next = None
        self.preparer.close()

    def __enter__(self) -> "Pipeline":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def run_once(engine: Engine, keys: OfficeKeys, *, batch: int = BATCH, now: datetime | None = None,
             give_way: bool = False) -> int:
    """One batch in this process: returns how many jobs were settled (done, failed or deferred)."""
    with Pipeline(engine, keys, batch=batch, give_way=give_way) as pipeline:
        return pipeline.run_once(now)


def _write(engine: Engine, keys: OfficeKeys, jobs: list, items: dict[str, Stored], now: datetime, *,
           chunk: int = CHUNK, behind: bool = False, give_way: bool = False, step_took: float = 0.0) -> None:
    """The consumers over a claimed batch in the worker's write transaction, `chunk` reports
    at a step. On SQLite the writer is a background one (office/writer_gate.py): when a push
    is waiting for it between two steps, what is done so far is committed (its derived rows
    and its job deletions together) and the push goes first — unless the batch is `behind`
    (its oldest job more than LAG_BUDGET old): then the worker is an ordinary writer until it
    catches up. Each step takes its jobs again inside the write transaction (FOR UPDATE SKIP
    LOCKED on PostgreSQL): a job another worker settled meanwhile is skipped, never derived twice.
    With `give_way` it lets pushes go first (`push_first`) before its transaction and between steps."""
    wanted: dict[str, list[str]] = defaultdict(list)
    for name, eid, _ in jobs:
        wanted[name].append(eid)
    known = {c.name: c for c in registry.all_consumers()}
    gate = None if behind else db.writer_gate(engine)
    ran: list[Consumer] = []
    # the oldest job's stamp (ISO sorts as time), for push_first only
    oldest = clock.parse(min(created for _, _, created in jobs)) if give_way and jobs else None
    if give_way:
        push_first(gate, oldest, step_took)
    # The office's own worker has waited its turn out before each transaction: it goes next.
    with (engine if behind else db.background(engine, 0.0 if give_way else None)).connect() as conn:
        tx = conn.begin()
        try:
            for name in [n for n in wanted if n not in known]:     # a consumer removed from the code
                conn.execute(delete(derive_jobs).where(_jobs_where(name, wanted.pop(name))))
            for consumer in known.values():
                ids = sorted(wanted.get(consumer.name, ()))
                for k in range(0, len(ids), chunk):
                    if gate is not None and (gate.contended() or (give_way and not gate.quiet())):
                        tx.commit()                               # a push waits: hand it the writer
                        if give_way:                              # ... and the interpreter
                            push_first(gate, oldest, step_took)
                        tx = conn.begin()
                    started = time.monotonic()
                    if _step(conn, keys, consumer, ids[k:k + chunk], items, now) and consumer not in ran:
                        ran.append(consumer)
                    step_took = time.monotonic() - started
            tx.commit()
        except BaseException:
            tx.rollback()
            raise
    for consumer in ran:
        if consumer.after_commit is not None:
            try:
                consumer.after_commit(engine, keys)
            except Exception as exc:      # noqa: BLE001 — retried after the next batch
                log.warning("derive %s after commit: %s", consumer.name, type(exc).__name__)


def _step(conn: Connection, keys: OfficeKeys, consumer: Consumer, chunk: list[str], items: dict[str, Stored],
          now: datetime) -> bool:
    """`consumer` over the reports of `chunk` whose jobs are still queued and due; True when
    it ran for any of them."""
    ids = _still_queued(conn, consumer.name, chunk, clock.iso(now))
    if not ids:
        return False
    blocked = _blocked(conn, consumer, ids)
    if blocked:      # wait behind the prerequisite (its due time, not the queue's head)
        conn.execute(update(derive_jobs).where(_jobs_where(consumer.name, sorted(blocked)))
                     .values(due_at=clock.iso(now + BACKOFF_BASE)))
    ready = [e for e in ids if e not in blocked]
    if not ready:
        return False
    if not _settle(conn, keys, consumer, ready, items, now) and len(ready) > 1:
        for eid in ready:             # one report breaks the batch: find it, derive the rest
            _settle(conn, keys, consumer, [eid], items, now)
    return True


def due(engine: Engine, now: datetime | None = None) -> int:
    """Jobs due now (a job waiting out its back-off is not)."""
    with db.reading(engine) as conn:
        return conn.execute(select(func.count()).select_from(derive_jobs)
                            .where(derive_jobs.c.due_at <= clock.iso(now or clock.now()))).scalar_one()


def exhaust(engine: Engine, keys: OfficeKeys, *, timeout: float = 120.0, batch: int = BATCH,
            workers: int = 1) -> int:
    """Run batches until no job is due (like ODK Central's `exhaust()`): what tests and
    benches call after a push before they read anything derived. Jobs claimed by another
    worker are waited for, not skipped. `workers` > 1: reports prepared by a pool of `workers` - 1
    processes (Pipeline). Returns how many jobs this call settled."""
    deadline = time.monotonic() + timeout
    total = 0
    with Pipeline(engine, keys, batch=batch, workers=workers) as pipeline:
        while True:
            n = pipeline.run_once()
            total += n
            if n == 0:
                if due(engine) == 0:
                    return total
                if time.monotonic() > deadline:
                    raise TimeoutError("derive jobs still due after the deadline")
                queue.wait_for_work(0.05)      # another worker holds them: wait for its commit


def catch_up(engine: Engine, limit: int = 1000) -> int:
    """Queue what a consumer says it never derived (reports older than it), once at start."""
    n = 0
    for consumer in registry.all_consumers():
        if consumer.missing is None:
            continue
        while True:
            with db.background(engine).begin() as conn:
                ids = consumer.missing(conn, limit)
                if ids:
                    queue.enqueue(conn, ids, consumers=[consumer.name])
            n += len(ids)
            if len(ids) < limit:
                break
    return n


class Worker:
    """The derive loop: in a daemon thread of the office process (`start`/`stop`), or in the
    foreground for `jaga-desa office derive` (`run_forever`); `workers` > 1 prepares the
    reports in a pool of processes (Pipeline)."""

    def __init__(self, engine: Engine, keys: OfficeKeys, *, batch: int = BATCH, poll: float = POLL,
                 workers: int = 1) -> None:
        self.engine, self.keys, self.batch, self.poll, self.workers = engine, keys, batch, poll, workers
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pipeline: Pipeline | None = None

    def step(self) -> int:
        if self._pipeline is None:
            self._pipeline = Pipeline(self.engine, self.keys, batch=self.batch, workers=self.workers,
                                      give_way=True)
        if not take_lease(self.engine):
            self._pipeline._next = None           # what it looked at ahead may be another's now
            return 0
        return self._pipeline.run_once()

    def run_forever(self) -> None:
        try:
            catch_up(self.engine)
        except Exception as exc:          # noqa: BLE001 — the queue still runs
            log.warning("derive catch-up stopped: %s", type(exc).__name__)
        try:
            while not self._stop.is_set():
                try:
                    busy = self.step()
                except Exception as exc:      # noqa: BLE001 — the store went away for a moment
                    log.warning("derive batch failed: %s", type(exc).__name__)
                    if self._pipeline is not None:
                        self._pipeline._next = None
                    busy = 0
                if not busy:
                    queue.wait_for_work(self.poll)
        finally:
            if self._pipeline is not None:
                self._pipeline.close()
                self._pipeline = None
            release_lease(self.engine)

    def start(self) -> "Worker":
        opening.keep_for_derive(True)     # the push of this process keeps what it opened for us
        self._thread = threading.Thread(target=self.run_forever, name="jaga-derive", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        queue.wake()
        if self._thread is not None:
            self._thread.join(timeout)
        opening.keep_for_derive(False)
