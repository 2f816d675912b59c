"""A batch of envelopes in its own transaction, as the push stores it — shared by the push
route and the courier import (office/courier.py), so both take envelopes through one door.

Another connection storing one of the same ids meanwhile raises IntegrityError: the batch
is redone item by item, where the per-item savepoint turns the race into a plain duplicate.
"""
from __future__ import annotations

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import IntegrityError

from office.derive import queue as derive_queue
from office.keys import OfficeKeys

from .envelopes import ingest_batch, ingest_envelope


def store_batch(engine: Engine, keys: OfficeKeys, items: list[bytes], device_id: str, *,
                purpose: str = "push", nonce: str | None = None, quota: int | None = None,
                backlog: int | None = None) -> list[dict]:
    """`ingest_batch` committed once (before any receipt leaves); one result per item.
    `purpose` and `nonce` are what a refusal answers (sync/statement.py); `quota` the
    phone's bytes per day and `backlog` its reports that may wait for derive
    (office/phone_limits.py). After the commit the derive worker of this process is woken
    for the jobs the batch queued."""
    kw = {"purpose": purpose, "nonce": nonce, "quota": quota, "backlog": backlog}
    try:
        with engine.begin() as conn:
            results = ingest_batch(conn, items, device_id=device_id, keys=keys, **kw)
    except IntegrityError:
        with engine.begin() as conn:
            results = [_one(conn, keys, d, device_id, kw) for d in items]
    derive_queue.wake()
    return results


def _one(conn: Connection, keys: OfficeKeys, data: bytes, device_id: str, kw: dict) -> dict:
    for attempt in range(2):
        try:
            with conn.begin_nested():
                return ingest_envelope(conn, data, device_id=device_id, keys=keys, **kw)
        except IntegrityError:
            if attempt:
                raise
    raise AssertionError("unreachable")
