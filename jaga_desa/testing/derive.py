"""Drain the office's derive queue before reading anything derived (like ODK Central's
`exhaust()`): the push stores and queues, the worker derives afterwards, so a test or a
bench that pushes and then searches, or counts signals, drains first.

    drain(engine, keys)    derive here, now, until no job is due
    drain(engine)          wait until the office's own worker (another process) has
"""
from __future__ import annotations

from sqlalchemy import Engine

from office.derive import worker
from office.keys import OfficeKeys

from .waits import wait_until


def drain(engine: Engine, keys: OfficeKeys | None = None, timeout: float = 120.0) -> int:
    """Settle every due derive job; returns how many this call ran (0 when it waited)."""
    if keys is not None:
        return worker.exhaust(engine, keys, timeout=timeout)
    wait_until(lambda: worker.due(engine) == 0, timeout, "the office's derive worker to empty its queue")
    return 0
