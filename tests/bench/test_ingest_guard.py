"""Regression guard for the push: office ingest keeps at least 40% of the physical floor's
rate (bench/floor.py: bare crypto + sqlite3 on the same envelopes), both measured in this
process, interleaved over several rounds; the ratio is of each side's best round (load only
slows a run, so the best round is the least disturbed; bench/ingest_ratio.ratio), which a
loaded 2-core CI machine moves far less than a median; both with synchronous=NORMAL, as one
commit's fsync on a shared disk swings tenfold and would be all a small run measures; and
by this process's CPU time, not the wall clock, since the other test worker on a 2-core CI
machine steals wall time unequally from rounds of different lengths (a CI run once read 0.37
where the idle machine reads 0.51). Rounds of 400 reports, as the issue asks: at 120 a round's
fixed costs (the first connection, the first statements) weigh more on the ingest side, and
the ratio read 0.39-0.42 under load where 400 read 0.46-0.51 in the same minutes; with derived
work back in the push it reads 0.08. A ratio, never a time: the figures
themselves come from `python bench/sync_bench.py` on an idle machine.

Before store-then-derive the push ran the early-warning rules and the search projection in
its transaction and kept 6% of the floor; this fails if derived work creeps back in."""
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from bench.ingest_ratio import interleaved, ratio  # noqa: E402

GUARD = 0.40


ATTEMPTS = 3


def test_office_ingest_keeps_40_percent_of_the_floor():
    """Up to ATTEMPTS measures, each 5 interleaved rounds of 400 reports a side; passes on the
    first that reaches the guard. Even CPU time is not immune on a shared VM (a vCPU the
    hypervisor takes away still counts, and one quiet floor round sets the best): a CI run
    read 0.36 where the same code reads 0.46-0.51 a minute later. A load spike passes; code
    that really lost its share fails every attempt (derived work in the push reads 0.08)."""
    seen = []
    for _ in range(ATTEMPTS):
        with tempfile.TemporaryDirectory() as tmp:
            runs = interleaved(Path(tmp), 400, rounds=5, synchronous="NORMAL", clock=time.process_time)
        seen.append(round(ratio(runs), 3))
        if seen[-1] >= GUARD:
            return
    raise AssertionError(f"office ingest / floor below {GUARD} in every attempt: {seen}; last: "
                         f"office ingest {runs['ingest']} vs floor {runs['floor']} reports/s")


def test_the_guard_fails_when_derived_work_is_back_in_the_push(monkeypatch):
    """The guard's teeth: the same measure with every derive consumer run inside the push's
    transaction (as before store-then-derive) falls below the guard. Below the guard, not
    half of it: derive's consumers got cheaper (one fifth of the floor with them in the push,
    CI under load), so half the guard would test their speed, not the guard."""
    import office.ingest
    from office import clock
    from office.derive import registry, worker
    pushed = office.ingest.ingest_batch

    def deriving_in_the_push(conn, envelopes, *, keys, **kw):
        out = pushed(conn, envelopes, keys=keys, **kw)
        items = worker._open(conn, keys, {o["envelope_id"] for o in out if o["status"] == "accepted"})
        for consumer in registry.all_consumers():
            consumer.derive(conn, keys, list(items.values()), clock.now())
        return out
    monkeypatch.setattr(office.ingest, "ingest_batch", deriving_in_the_push)
    with tempfile.TemporaryDirectory() as tmp:
        runs = interleaved(Path(tmp), 400, rounds=3, synchronous="NORMAL", clock=time.process_time)
    assert ratio(runs) < GUARD, f"derived work in the push still kept {ratio(runs):.0%} of the floor"
