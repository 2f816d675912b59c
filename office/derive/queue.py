"""The push's side of derive: queue one job per stored report and consumer, in the push's
transaction, and wake the in-process worker after the commit.

Ingest imports this module only — never a consumer: the names come from the registry,
which loads the consumers itself (registry.names()).
"""
from __future__ import annotations

import threading
from datetime import datetime
from typing import Iterable

from sqlalchemy import Connection, case, func, select

from office import clock

from . import registry
from .schema import derive_jobs

_wake = threading.Event()


def enqueue(conn: Connection, envelope_ids: Iterable[str], now: datetime | None = None,
            consumers: Iterable[str] | None = None) -> int:
    """A job per (consumer, report), due now; a job already queued stays as it is (a rebuild
    or a start-up catch-up may queue what is already there). Returns how many were asked."""
    stamp = clock.iso(now or clock.now())
    names = list(consumers) if consumers is not None else registry.names()
    rows = [(c, e, stamp, stamp) for e in envelope_ids for c in names]
    if not rows:
        return 0
    # Straight to the driver's executemany: four rows per report in every push, where
    # SQLAlchemy's per-row parameter building would cost more than the insert.
    if conn.dialect.name == "postgresql":
        sql = ("INSERT INTO derive_jobs (consumer, envelope_id, created_at, due_at, attempts) "
               "VALUES (%s, %s, %s, %s, 0) ON CONFLICT DO NOTHING")
    else:
        sql = ("INSERT OR IGNORE INTO derive_jobs (consumer, envelope_id, created_at, due_at, attempts) "
               "VALUES (?, ?, ?, ?, 0)")
    conn.exec_driver_sql(sql, rows)
    return len(rows)


def wake() -> None:
    """After a commit that queued jobs: the worker in this process looks now, not at its
    next poll (the receipt-to-signal lag is then the derive time, not the poll interval)."""
    _wake.set()


def wait_for_work(timeout: float) -> bool:
    """For the worker: block until woken or `timeout` seconds pass."""
    woken = _wake.wait(timeout)
    _wake.clear()
    return woken


def pending(conn: Connection) -> dict[str, dict]:
    """Per consumer: jobs queued, how many of them failed at least once, the oldest due time
    and one last error — what `office status` and the health page show."""
    j = derive_jobs.c
    failing = func.sum(case((j.attempts > 0, 1), else_=0))
    rows = conn.execute(select(j.consumer, func.count(), failing, func.min(j.due_at), func.max(j.error))
                        .group_by(j.consumer)).all()
    return {c: {"queued": int(n), "failing": int(f or 0), "oldest_due": due, "last_error": err}
            for c, n, f, due, err in rows}
