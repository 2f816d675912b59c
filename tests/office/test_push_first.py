"""The push first, derive within a bounded lag (office/derive/worker.py `push_first`).

While a phone's pushes keep coming and the office's oldest derive job is younger than
LAG_BUDGET, the office's own derive thread does not compete with them at all — no claim, no
preparing, no consumer step. Past the budget it takes turns with them, so a stream of pushes
that never pauses (a hostile phone flooding the office) cannot starve derive.

The stream here is a relay of two real write transactions on the office store: each push
holds SQLite's writer until the other is waiting for it, so at every moment a foreground
writer holds or waits — the office never sees a pause, by construction, not by timing.
Everything is asserted by counts and states, never by durations.
"""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from jaga_desa.testing.waits import wait_until
from office import clock, db
from office.derive import prepare, registry, worker
from office.derive.registry import Consumer
from office.derive.schema import derive_jobs
from office.writer_gate import WriterGate
from tests.office.test_derive import push


@pytest.fixture
def office(tmp_path):
    from office import keys as office_keys
    from tests.conftest import TEST_OFFICE_KEY
    engine = db.open_store(tmp_path)
    yield engine, office_keys.load_or_create(tmp_path, TEST_OFFICE_KEY)
    engine.dispose()


class PushStream:
    """Two threads pushing (real write transactions) in relay: never a pause."""

    def __init__(self, engine) -> None:
        self.engine, self.gate = engine, db.writer_gate(engine)
        self.stop, self.pushes, self.errors = threading.Event(), 0, []
        self._count = threading.Lock()
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(2)]

    def _run(self) -> None:
        try:
            while not self.stop.is_set():
                with self.engine.begin() as conn:
                    conn.execute(select(1))
                    # hold the writer until the other push waits for it (or the stream ends)
                    wait_until(lambda: self.gate._waiting > 0 or self.stop.is_set(), 60,
                               "the next push of the stream", every=0.001)
                with self._count:
                    self.pushes += 1
        except BaseException as exc:        # noqa: BLE001 — reported by the test
            self.errors.append(exc)

    def __enter__(self) -> "PushStream":
        for t in self.threads:
            t.start()
        wait_until(lambda: self.pushes >= 2, 30, "the stream to start")
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(30)
        assert not self.errors, self.errors


def _queued(engine) -> int:
    with db.reading(engine) as conn:
        return conn.execute(select(func.count()).select_from(derive_jobs)).scalar_one()


def _probe(monkeypatch, stream: PushStream) -> tuple[list, list]:
    """A test consumer and the preparing step, each recording whether the stream was still
    pushing when it ran."""
    consumed, prepared = [], []

    def consumer(conn, _keys, items, _now):
        consumed.append(not stream.stop.is_set())

    real_prepare = prepare.prepare

    def preparing(keys, raws):
        prepared.append(not stream.stop.is_set())
        return real_prepare(keys, raws)
    registry.all_consumers()                     # the real ones registered before the copy
    monkeypatch.setattr(registry, "_registered", dict(registry._registered))
    registry.register(Consumer("push_first_probe", consumer))
    monkeypatch.setattr(prepare, "prepare", preparing)
    return consumed, prepared


def _in_thread(fn) -> tuple[threading.Thread, list]:
    out: list = []

    def run():
        try:
            out.append(fn())
        except BaseException as exc:        # noqa: BLE001 — reported by the test
            out.append(exc)
    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t, out


def test_within_the_budget_derive_does_not_compete_with_a_stream_of_pushes(office, monkeypatch):
    """Fresh jobs, pushes that never pause: the office's worker neither prepares nor derives
    while the stream goes on (however many pushes pass it), and does all of it once the
    pushes stop."""
    engine, keys = office
    monkeypatch.setattr(worker, "LAG_BUDGET", timedelta(hours=1))
    stream = PushStream(engine)
    consumed, prepared = _probe(monkeypatch, stream)
    push(engine, keys, 6, batch=6)
    queued = _queued(engine)
    with stream:
        t, settled = _in_thread(lambda: worker.run_once(engine, keys, give_way=True))
        start = stream.pushes
        wait_until(lambda: stream.pushes >= start + 30 or settled, 120, "30 pushes past the waiting worker")
        assert settled == [] and prepared == [] and consumed == [], "derive competed with the pushes"
        assert _queued(engine) == queued
    t.join(120)
    assert settled == [queued]
    assert prepared == [False] and consumed == [False], "derive ran before the pushes stopped"
    assert _queued(engine) == 0


def test_past_the_budget_a_stream_of_pushes_cannot_starve_derive(office, monkeypatch):
    """Jobs past LAG_BUDGET, pushes that never pause (they stop only once derive is done, or
    the test fails): the worker still settles its whole batch while the stream goes on, and
    the pushes keep going between its steps (turns, not a takeover)."""
    engine, keys = office
    monkeypatch.setattr(worker, "LAG_BUDGET", timedelta(0))
    monkeypatch.setattr(worker, "CHUNK", 2)          # several steps: turns between them
    stream = PushStream(engine)
    consumed, prepared = _probe(monkeypatch, stream)
    push(engine, keys, 6, batch=6)
    queued = _queued(engine)
    with stream:
        before = stream.pushes
        t, settled = _in_thread(lambda: worker.run_once(engine, keys, give_way=True))
        wait_until(lambda: settled, 120, "derive to settle its batch under the stream")
        assert not stream.stop.is_set() and stream.pushes > before
    t.join(10)
    assert settled == [queued], settled
    assert prepared and all(prepared) and consumed and all(consumed), "derive waited for the stream to end"
    assert _queued(engine) == 0


def test_a_stream_of_pushes_holds_derive_back_by_at_most_the_budget(monkeypatch):
    """The lag bound itself: with pushes holding the writer, the worker's wait before a step is
    what is left of LAG_BUDGET for its oldest job — never more — and, past it, a turn of
    PUSH_TURN times its last step; with no push it does not wait at all."""
    monkeypatch.setattr(worker, "LAG_BUDGET", timedelta(seconds=0.4))
    gate = WriterGate()
    assert worker.push_first(gate, clock.now(), step_took=5.0) == 0.0          # pushes quiet: go
    gate.acquire("a push")
    try:
        fresh = clock.now() - timedelta(seconds=0.1)
        waited = worker.push_first(gate, fresh, step_took=5.0)
        assert 0 < waited <= 0.3, waited                 # the rest of the budget, not a turn
        assert worker.budget_left(fresh) <= 0, "when the wait ends the job has reached the budget"
        old = clock.now() - timedelta(hours=1)
        assert worker.push_first(gate, old, step_took=0.01) == pytest.approx(worker.PUSH_TURN * 0.01)
        assert worker.push_first(gate, None, step_took=0.0) == 0.0
        ahead = clock.now() + timedelta(hours=1)           # a job stamped by a clock ahead of ours
        assert worker.push_first(gate, ahead, step_took=5.0) <= 0.4
    finally:
        gate.release("a push")
