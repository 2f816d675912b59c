"""SQLite's single writer inside one office process (office/writer_gate.py): a phone's push
waiting for the writer is handed it when the derive worker's step commits, before the next
derive step; the gate always goes back (commit, rollback, a failed BEGIN, a connection
returned to the pool); a phone's token check takes no writer at all."""
from __future__ import annotations

import sqlite3
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select, text

from jaga_desa.testing.waits import wait_until
from office import clock, db, deps, enrollment
from office.derive import registry, worker
from office.derive.registry import Consumer
from office.derive.schema import derive_jobs
from office.schema import devices
from office.writer_gate import WriterGate
from tests.office.test_derive import push


@pytest.fixture
def engine(tmp_path):
    eng = db.open_store(tmp_path)
    yield eng
    eng.dispose()


def _in_thread(fn) -> threading.Thread:
    t = threading.Thread(target=fn, daemon=True)
    t.start()
    return t


def test_a_waiting_foreground_writer_goes_before_a_waiting_background_one():
    gate, order = WriterGate(defer_max=30.0), []
    gate.acquire("derive step 1", background=True)
    back = _in_thread(lambda: (gate.acquire("derive step 2", background=True), order.append("derive")))
    front = _in_thread(lambda: (gate.acquire("push", background=False), order.append("push")))
    wait_until(lambda: gate.contended(), timeout=10)
    gate.release("derive step 1")
    wait_until(lambda: order == ["push"], timeout=10)
    assert not gate.contended()
    gate.release("push")
    wait_until(lambda: order == ["push", "derive"], timeout=10)
    back.join(10), front.join(10)


def test_a_background_writer_past_its_deferral_goes_before_waiting_foreground_ones():
    """A stream of pushes cannot starve the derive worker: once it has given way for
    defer_max (here 0) it takes the next turn although a push is waiting."""
    gate, order = WriterGate(defer_max=0.0), []
    gate.acquire("push 1")
    derive = _in_thread(lambda: (gate.acquire("derive", background=True), order.append("derive")))
    wait_until(lambda: gate._due == 1, timeout=10)
    front = _in_thread(lambda: (gate.acquire("push 2"), order.append("push 2")))
    wait_until(gate.contended, timeout=10)
    gate.release("push 1")
    wait_until(lambda: order == ["derive"], timeout=10)
    gate.release("derive")
    wait_until(lambda: order == ["derive", "push 2"], timeout=10)
    gate.release("push 2")
    derive.join(10), front.join(10)


def test_the_gate_goes_back_after_commit_rollback_and_a_returned_connection(engine):
    gate = db.writer_gate(engine)
    with engine.begin() as conn:
        assert gate._holder is conn.connection.dbapi_connection
        conn.execute(text("CREATE TABLE t (x)"))
    assert gate._holder is None
    with pytest.raises(ZeroDivisionError):
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO t VALUES (1)"))
            1 / 0
    assert gate._holder is None
    conn = engine.connect()
    conn.begin()
    conn.close()                                 # back to the pool without a commit
    assert gate._holder is None
    with db.reading(engine) as conn:             # a read never takes it
        assert gate._holder is None
        assert conn.execute(text("SELECT count(*) FROM t")).scalar_one() == 0


def _derive_while_a_push_arrives(engine, tmp_path, monkeypatch) -> dict:
    """Two test consumers; while the first runs, a push asks for the writer. Returns what the
    push saw of the first consumer's jobs and whether it ran before the second consumer."""
    from office import keys as office_keys
    from tests.conftest import TEST_OFFICE_KEY
    keys = office_keys.load_or_create(tmp_path, TEST_OFFICE_KEY)
    seen, pushed = {}, threading.Event()

    def first(conn, _keys, items, _now):
        def a_push():
            with engine.begin() as c:
                seen["queued for first"] = c.execute(select(func.count()).select_from(derive_jobs)
                                                     .where(derive_jobs.c.consumer == "gate_first")).scalar_one()
                pushed.set()          # inside its transaction: before it hands the writer back
        _in_thread(a_push)
        wait_until(db.writer_gate(engine).contended, timeout=10)

    def second(conn, _keys, items, _now):
        seen["push ran before second"] = pushed.is_set()

    registry.all_consumers()                     # the real ones registered before the copy
    monkeypatch.setattr(registry, "_registered", dict(registry._registered))
    for name, fn in (("gate_first", first), ("gate_second", second)):
        registry.register(Consumer(name, fn))
    push(engine, keys, 4, batch=4)               # queues a job per registered consumer
    worker.exhaust(engine, keys)
    wait_until(pushed.is_set, timeout=30)
    return seen


def test_the_derive_worker_commits_its_steps_when_a_push_waits(engine, tmp_path, monkeypatch):
    """Between two consumers' steps a waiting push is handed the writer: what the worker did
    so far is committed (its job deletions visible to the push), the rest after the push."""
    monkeypatch.setattr(worker, "LAG_BUDGET", timedelta(hours=1))
    seen = _derive_while_a_push_arrives(engine, tmp_path, monkeypatch)
    assert seen == {"queued for first": 0, "push ran before second": True}


def test_a_worker_behind_its_lag_budget_does_not_give_way(engine, tmp_path, monkeypatch):
    """Jobs older than LAG_BUDGET: the worker finishes its batch before the push gets the
    writer, so derived data cannot fall ever further behind a stream of pushes."""
    monkeypatch.setattr(worker, "LAG_BUDGET", timedelta(0))
    seen = _derive_while_a_push_arrives(engine, tmp_path, monkeypatch)
    assert seen == {"queued for first": 0, "push ran before second": False}


def test_a_phones_token_check_takes_no_writer(engine, tmp_path):
    """Every phone request is authenticated first: while another writer holds SQLite's lock
    (here another process's connection), the check still answers."""
    with engine.begin() as conn:
        conn.execute(insert(devices).values(id="phone-1", token_hash=enrollment._sha("the-token"),
                                            created_at=clock.iso(clock.now())))
    other = sqlite3.connect(tmp_path / "office.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        found = {}

        class Req:
            class app:
                class state:
                    office = deps.Office(engine, None, "test")
            headers: dict = {}

        class Creds:
            credentials = "the-token"

        t = _in_thread(lambda: found.update(deps.device(Req, Creds)))
        t.join(10)
        assert found.get("id") == "phone-1"
    finally:
        other.execute("ROLLBACK")
        other.close()


# --- pushes first for the interpreter too: the derive worker waits for pushes to pause ------

def test_wait_quiet_waits_while_a_foreground_writer_holds_and_counts_only_foreground_ones():
    gate = WriterGate()
    assert gate.quiet() and gate.wait_quiet(timeout=0)        # nothing ever wrote: quiet at once
    gate.acquire("derive", background=True)
    assert gate.quiet(), "a background writer is not a push"
    gate.release("derive")
    gate.acquire("push")
    assert not gate.quiet()
    assert gate.wait_quiet(timeout=0.05) is False             # its deadline, not a duration asserted
    gate.release("push")
    assert not gate.quiet(quiet=3600), "a push that just let go has not paused for long"
    assert gate.wait_quiet(timeout=30, quiet=0.01) is True


def test_wait_quiet_wakes_when_the_push_lets_go():
    gate, woke = WriterGate(), []
    gate.acquire("push")
    waiter = _in_thread(lambda: woke.append(gate.wait_quiet(timeout=60, quiet=0.0)))
    wait_until(lambda: gate._cond._waiters, timeout=10)       # it is waiting on the push
    assert woke == []
    gate.release("push")
    waiter.join(10)
    assert woke == [True]


def test_the_office_worker_gives_a_push_in_flight_its_turn_before_deriving(engine, tmp_path, monkeypatch):
    """While a phone's push holds the writer, the office's own worker (give_way) hands it the
    writer and the interpreter: it waits (for no longer than its last turn took, never for
    the whole push stream) and its consumer runs only after the push."""
    from office import keys as office_keys
    from tests.conftest import TEST_OFFICE_KEY
    keys = office_keys.load_or_create(tmp_path, TEST_OFFICE_KEY)
    monkeypatch.setattr(worker, "LAG_BUDGET", timedelta(hours=1))
    gate = db.writer_gate(engine)
    pushing, waited, seen, timeouts = threading.Event(), threading.Event(), [], []
    real_wait = gate.wait_quiet

    def wait_quiet(timeout, quiet=0.25):
        timeouts.append(timeout)
        waited.set()
        return real_wait(timeout, quiet)
    monkeypatch.setattr(gate, "wait_quiet", wait_quiet)

    def consumer(conn, _keys, items, _now):
        seen.append(pushing.is_set())

    registry.all_consumers()
    monkeypatch.setattr(registry, "_registered", dict(registry._registered))
    registry.register(Consumer("quiet_probe", consumer))
    push(engine, keys, 3, batch=3)
    with db.reading(engine) as conn:
        queued = conn.execute(select(func.count()).select_from(derive_jobs)).scalar_one()

    def a_push():
        with engine.begin():
            pushing.set()
            wait_until(waited.is_set, timeout=30)         # the worker is waiting on us
            pushing.clear()
    t = _in_thread(a_push)
    wait_until(pushing.is_set, timeout=10)
    assert worker.run_once(engine, keys, give_way=True) == queued
    t.join(10)
    assert seen == [False]
    assert timeouts and all(0 <= t < worker.LAG_BUDGET.total_seconds() for t in timeouts)
    with db.reading(engine) as conn:
        assert conn.execute(select(func.count()).select_from(derive_jobs)).scalar_one() == 0


def test_exhaust_does_not_wait_for_pushes(engine, tmp_path, monkeypatch):
    """Tests, benches and `office derive --once` drain the queue without giving way."""
    from office import keys as office_keys
    from tests.conftest import TEST_OFFICE_KEY
    keys = office_keys.load_or_create(tmp_path, TEST_OFFICE_KEY)
    gate = db.writer_gate(engine)
    monkeypatch.setattr(gate, "wait_quiet", lambda *a, **k: pytest.fail("exhaust waited for pushes"))
    push(engine, keys, 2, batch=2)
    assert worker.exhaust(engine, keys) > 0
