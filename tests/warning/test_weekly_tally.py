"""The weekly spike's tally (issue 20 item 3): a batch's cost does not grow with the reports
already in the current week, and the signals are the ones an exact count gives.

Counted, not timed: SQLite's virtual-machine steps for the rule (tests/warning/
test_hot_identifier.steps). On the old code, which counted every week of every kecamatan x
form of the batch whole before asking whether it had a baseline at all, a batch in a week
of 5,000 reports took about five times the steps of one in a week of 1,000."""
from __future__ import annotations

import datetime as dt
import random

from office.warning import engine
from office.warning.config import WarningConfig
from office.warning.rules import ears_c2
from office.warning.spike import _spike_bound
from tests.warning.conftest import T0
from tests.warning.test_engine import report, run, signals
from tests.warning.test_hot_identifier import steps

WEEK = T0 - dt.timedelta(days=T0.weekday())     # a Monday: every report below is in its week


def week_batch(start: int, n: int) -> list:
    return [report(1, WEEK + dt.timedelta(seconds=20 * i)) for i in range(start, start + n)]


def test_a_batch_tallies_the_same_with_1000_or_5000_reports_in_its_week(office, monkeypatch):
    """sync_bench's shape: one village, a new office, every report in one week — no baseline,
    so no count; a kecamatan x form with one is counted only up to what would raise a spike."""
    done = 0
    while done < 1000:
        run(office, week_batch(done, 250))
        done += 250
    at_1k = steps(office, monkeypatch, week_batch(done, 50), ((engine, "_weekly_spike"),))
    done += 50
    while done < 5050:
        run(office, week_batch(done, 250))
        done += 250
    at_5k = steps(office, monkeypatch, week_batch(done, 50), ((engine, "_weekly_spike"),))
    assert at_5k <= 1.3 * at_1k, (at_1k, at_5k)
    assert signals(office, "weekly_spike") == []


def test_the_spike_bound_is_exactly_where_ears_c2_raises_one():
    """The current week is counted to the bound: below it no spike, at and above it one —
    the same decision ears_c2 makes on the exact count, for any baseline."""
    rng = random.Random(20)
    for config in (WarningConfig(), WarningConfig(spike_threshold=2.5, spike_min_count=5)):
        for _ in range(300):
            past = [rng.choice([0, 1, 2, 5, 40, 300]) + rng.randint(0, 9) for _ in range(9)]
            bound = _spike_bound(past, config)
            for x in range(max(0, bound - 40), bound + 40):
                c2, _ = ears_c2(past + [x], config)
                assert (c2 > config.spike_threshold and x >= config.spike_min_count) == (x >= bound), (past, x)


def test_a_spike_at_the_bound_shows_the_weeks_whole_count(office):
    """Quiet weeks of one report (mean 1, sd floored at 1): 4 in a week is C2 = 3, no spike;
    the 5th raises one, and later reports that week show the week's exact count."""
    for w in range(10):
        run(office, [report(1, T0 + dt.timedelta(weeks=w), form="laporan_kecurigaan")])
    week = T0 + dt.timedelta(weeks=10)
    week -= dt.timedelta(days=week.weekday())
    run(office, [report(1, week + dt.timedelta(hours=i), form="laporan_kecurigaan") for i in range(4)])
    assert signals(office, "weekly_spike") == []
    run(office, [report(1, week + dt.timedelta(hours=4), form="laporan_kecurigaan")])
    [s] = signals(office, "weekly_spike")
    assert s["detail"]["reports"] == 5 and s["detail"]["counts"][-1] == 5 and len(s["envs"]) == 5
    run(office, [report(1, week + dt.timedelta(hours=5 + i), form="laporan_kecurigaan") for i in range(3)])
    [s] = signals(office, "weekly_spike")
    assert s["detail"]["reports"] == 8 and s["detail"]["counts"][:7] == [1] * 7 and len(s["envs"]) == 8
