"""Rebuild one derived store from the envelopes: empty it and queue every stored report for
its consumer, in one transaction; the worker (this process's `exhaust`, or the office's
own) then derives them again. Replaces the start-up backfills: a consumer added or fixed
later is filled the same way.
"""
from __future__ import annotations

from sqlalchemy import Engine, delete, select

from office import clock

from . import queue, registry
from .schema import derive_jobs

CHUNK = 5000


def rebuild(engine: Engine, consumer_name: str) -> int:
    """Clear `consumer_name`'s store and queue it for every stored report; returns how many
    reports were queued. Raises NotFound for a consumer that does not exist."""
    from office.schema import envelopes
    consumer = registry.get(consumer_name)
    now = clock.now()
    total = 0
    with engine.begin() as conn:
        conn.execute(delete(derive_jobs).where(derive_jobs.c.consumer == consumer.name))
        if consumer.clear is not None:
            consumer.clear(conn)
        after = ""
        while True:
            ids = list(conn.execute(select(envelopes.c.id).where(envelopes.c.id > after)
                                    .order_by(envelopes.c.id).limit(CHUNK)).scalars())
            if not ids:
                break
            queue.enqueue(conn, ids, now, consumers=[consumer.name])
            total += len(ids)
            after = ids[-1]
    queue.wake()
    return total
