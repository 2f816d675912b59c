"""Consumers register themselves here; the push and the worker only ever ask the registry.

A consumer owns one derived store (search terms, early-warning links and signals, roll-up
links, webhook deliveries) and says how to fill it from stored reports, idempotently. What
is derived from a report is listed once, `office.derive.consumers.MODULES` (like ODK
Central's jobs.js): the push needs only the names (`names()` imports no consumer, so a
push never loads the dashboard or the rules); the worker loads the modules
(`all_consumers()`).
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable

from sqlalchemy import Connection, Engine

from core.errors import NotFound
from office.keys import OfficeKeys

from office.derive.consumers import MODULES


@dataclass
class Stored:
    """One stored report as a consumer sees it: the envelope's plain columns and, opened
    once by the worker for every consumer of the batch, its payload (None: it cannot be
    opened, e.g. its author's key is gone). `memo` lets consumers of one batch share work
    (the early-warning facts are read again by the roll-up links)."""
    envelope_id: str
    village_id: int
    form_id: str
    form_version: int
    received_at: str
    rahasia: bool
    payload: dict | None
    memo: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def answers(self) -> dict | None:
        a = self.payload.get("answers") if isinstance(self.payload, dict) else None
        return a if isinstance(a, dict) else None


Derive = Callable[[Connection, OfficeKeys, list[Stored], datetime], Any]


@dataclass(frozen=True)
class Consumer:
    """`derive` writes the consumer's rows for a batch of reports, in the worker's
    transaction; it must be idempotent (a rebuild runs it again over every report).
    `clear` empties its store before a rebuild. `after`: consumers whose job for the same
    report must be done first. `after_commit`: work that must not hold the store's write
    lock (network), run after each committed batch. `missing(conn, limit)`: stored reports
    it never derived (e.g. older than the consumer), queued when a worker starts.
    `prepare(keys, item)`: the consumer's per-report CPU work, no database (keep it in
    `item.memo`): run before the write transaction, maybe in another process
    (office/derive/prepare.py); `derive` must give the same rows without it."""
    name: str
    derive: Derive
    clear: Callable[[Connection], None] | None = None
    after: tuple[str, ...] = ()
    after_commit: Callable[[Engine, OfficeKeys], None] | None = None
    missing: Callable[[Connection, int], list[str]] | None = None
    prepare: Callable[[OfficeKeys, Stored], None] | None = None


_registered: dict[str, Consumer] = {}


def register(consumer: Consumer) -> Consumer:
    """Called by each consumer module at import; registering a name twice replaces it."""
    _registered[consumer.name] = consumer
    return consumer


def all_consumers() -> list[Consumer]:
    """Every consumer, listed ones first in their order (an `after` consumer comes later),
    then any registered at run time."""
    for module in MODULES.values():
        importlib.import_module(module)
    return [_registered[n] for n in names()]


def names() -> list[str]:
    """The consumers a stored report gets a job for, without importing any of them."""
    return list(MODULES) + [n for n in _registered if n not in MODULES]


def get(name: str) -> Consumer:
    for c in all_consumers():
        if c.name == name:
            return c
    raise NotFound(f"no derive consumer {name!r}; known: {', '.join(names())}")
