"""Reading claimed reports for every consumer at once, before any write: open each report
once (verify + decrypt), then let each consumer compute what it needs of it (`Consumer.prepare`:
the search tokens, the early-warning facts). Pure CPU over bytes already read — no database —
so it runs outside the write transaction, in this process or in a pool of processes.

Why a pool: SQLite has one writer, and on a 2-core office one derive process cannot keep up
with the push on its own (bench/derive_bench.py). About half of a report's derive cost is
this reading (opening, cleaning the answers, HMACs of its words, extracting identifiers);
`Preparer(keys, workers=N)` spreads it over N - 1 processes while the worker's own process,
the one writer, does only the SQL and the rules — the write transaction stays as short as before, and nothing is written
outside it, so kill -9 and the queue's guarantees are those of office/derive/worker.py.

The pool's processes are spawned (never forked from a threaded office) and get the office's
private keys through their start-up pipe, as a process of the same user on the same machine
that holds them already; they hold no database connection.
"""
from __future__ import annotations

import multiprocessing
from dataclasses import dataclass
from typing import Callable

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from office import opening
from office.keys import OfficeKeys

from . import registry
from .registry import Stored


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
    """Each report opened once and prepared for every consumer that reads it."""
    steps = [c.prepare for c in registry.all_consumers() if c.prepare is not None]
    out = []
    for r in raws:
        item = opened(keys, r)
        for step in steps:
            step(keys, item)
        out.append(item)
    return out


class Pending:
    """Prepared reports on their way: `get()` waits for them."""

    def __init__(self, parts: list[Callable[[], list[Stored]]]) -> None:
        self._parts = parts

    def get(self) -> list[Stored]:
        return [item for part in self._parts for item in part()]


class Preparer:
    """`submit(raws)` prepares in this process (workers=1: at once), or with `workers` > 1
    spreads them over a pool of `workers` - 1 processes and returns at once — the derive
    worker's own process is the writer, the Nth (on a 2-core office: one writes while one
    reads). Use as a context manager (the pool is closed on leaving)."""

    def __init__(self, keys: OfficeKeys, workers: int = 1) -> None:
        self.keys, self.workers = keys, max(1, workers)
        self._pool = None
        if self.workers > 1:
            from office import warning
            ctx = multiprocessing.get_context("spawn")
            self._pool = ctx.Pool(self.workers - 1, initializer=_start,
                                  initargs=(_private(keys.x25519), _private(keys.ed25519),
                                            warning.current_config()))

    def submit(self, raws: list[Raw]) -> Pending:
        if self._pool is None or len(raws) < 2:
            done = prepare(self.keys, raws)
            return Pending([lambda: done])
        size = -(-len(raws) // (self.workers - 1))
        parts = [self._pool.apply_async(_prepare_here, (raws[k:k + size],)) for k in range(0, len(raws), size)]
        return Pending([lambda p=p: p.get() for p in parts])

    def warm(self) -> None:
        """Wait until the pool's processes have started (imports, keys): a bench times the
        work, not a long-lived worker's one start-up."""
        if self._pool is not None:
            self._pool.map(_ready, range(self.workers * 4), chunksize=1)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None

    def __enter__(self) -> "Preparer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _private(key) -> bytes:
    return key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                             serialization.NoEncryption())


_keys: list[OfficeKeys] = []          # a pool process's office keys (set once at its start)


def _start(x25519: bytes, ed25519: bytes, config) -> None:
    """A pool process starts: the office keys and the warning settings of its parent."""
    from office.warning.config import set_current
    set_current(config)
    _keys.append(OfficeKeys(X25519PrivateKey.from_private_bytes(x25519), Ed25519PrivateKey.from_private_bytes(ed25519)))
    registry.all_consumers()


def _ready(_: int) -> bool:
    return bool(_keys)


def _prepare_here(raws: list[Raw]) -> list[Stored]:
    return prepare(_keys[0], raws)
