"""The derive writer prepares a share of each batch itself when the pool is the slower
(office/derive/prepare.Balance): the share follows the CPU each side spends, and where a
report is prepared changes nothing of what is derived from it."""
from __future__ import annotations

import time

from office.derive import prepare, registry, worker
from office.derive.heap import freeze_heap
from office.derive.rebuild import rebuild
from tests.office.test_derive import push, store  # noqa: F401 — the fixture
from tests.office.test_derive_workers import everything


def spend(seconds: float) -> None:
    """This thread's CPU for `seconds` (thread_time, what Balance reads)."""
    until = time.thread_time() + seconds
    while time.thread_time() < until:
        pass


def test_the_writer_takes_a_share_only_while_the_pool_is_the_slower():
    b = prepare.Balance()
    b.batch_done(100)                      # the first batch: nothing measured yet
    assert b.share == 0.0
    for _ in range(6):                     # the pool: 2 ms a report; the writer: 0.5 ms a report
        spend(0.05)
        b.writing_done()
        b.pooled(100, 0.2)
        b.batch_done(100)
    # h = (p - W) / (p + l) = (2 - 0.5) / (2 + 2): the writer prepares about 3/8 of each batch
    assert 0.3 < b.share < 0.45
    for _ in range(8):                     # now the pool is the faster: the writer hands it all back
        spend(0.05)
        b.writing_done()
        b.here(20, 0.02)
        b.pooled(80, 0.008)
        b.batch_done(100)
    assert b.share < 0.01


def test_reports_prepared_by_the_writer_and_the_pool_derive_what_one_process_does(store, monkeypatch):  # noqa: F811
    engine, keys, _, _ = store
    ids = push(engine, keys, 60, batch=30)
    where = {"here": 0, "pool": 0}
    here, pooled = prepare.Balance.here, prepare.Balance.pooled
    monkeypatch.setattr(prepare.Balance, "batch_done", lambda self, n: setattr(self, "share", 0.5))
    monkeypatch.setattr(prepare.Balance, "here", lambda self, n, cpu: (where.__setitem__("here", where["here"] + n),
                                                                      here(self, n, cpu)))
    monkeypatch.setattr(prepare.Balance, "pooled", lambda self, n, cpu: (where.__setitem__("pool", where["pool"] + n),
                                                                        pooled(self, n, cpu)))
    assert worker.exhaust(engine, keys, batch=8 * len(registry.names()), workers=2) == 60 * len(registry.names())
    assert where["here"] > 10 and where["pool"] > 10 and where["here"] + where["pool"] <= 60
    split = everything(engine)
    assert set(split["tokens"]) == set(ids) and split["signals"]
    monkeypatch.undo()
    for name in ("search", "early_warning"):
        rebuild(engine, name)
    worker.exhaust(engine, keys, batch=8 * len(registry.names()), workers=1)
    assert everything(engine) == split


def test_the_heap_is_frozen_once_per_process():
    import gc
    freeze_heap()
    frozen = gc.get_freeze_count()
    assert frozen > 0
    garbage = [[] for _ in range(1000)]
    freeze_heap()                          # a second Pipeline: nothing more is frozen
    assert gc.get_freeze_count() == frozen
    del garbage
