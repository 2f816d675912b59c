"""The login lane (office/dashboard/lane.py): one thread, a bounded admission, refusal
instead of queueing — with real threads, waits on events, no sleeps."""
from __future__ import annotations

import asyncio
import threading

import pytest

from jaga_desa.testing.waits import wait_until
from office.dashboard.lane import Lane, LaneFull


def test_a_full_lane_refuses_at_once_and_frees_its_slots_when_jobs_end():
    lane, release = Lane(depth=2), threading.Event()
    names: list[str] = []

    def job() -> str:
        names.append(threading.current_thread().name)
        assert release.wait(30), "the test never released the job"
        return "done"

    first, second = lane.submit(job), lane.submit(job)
    with pytest.raises(LaneFull):
        lane.submit(job)                    # refused, not queued: nobody waits for a slot
    assert lane.admitted == 2
    release.set()
    assert first.result(30) == second.result(30) == "done"
    assert len(set(names)) == 1 and names[0].startswith("login-lane")    # one dedicated thread
    wait_until(lambda: lane.admitted == 0, 30, "the lane to free its slots")   # slots come back as jobs end
    third = lane.submit(job)
    assert third.result(30) == "done"


def test_awaiting_the_lane_returns_results_and_raises_the_jobs_errors():
    lane = Lane(depth=1)

    def boom() -> None:
        raise ValueError("wrong password")

    async def main():
        assert await lane.run(lambda a, b: a + b, 2, 3) == 5
        with pytest.raises(ValueError):
            await lane.run(boom)
        return lane.admitted
    assert asyncio.run(main()) == 0


def test_refusals_go_out_at_once_while_few_and_are_held_when_many():
    from office.dashboard.lane import Pace
    pace = Pace(rate=0.001, burst=3, hold=5.0, holding=1)
    assert [pace.delay(4) for _ in range(3)] == [0.0, 0.0, 0.0]    # one person retrying never waits
    assert pace.delay(4) == 4 and pace.delay(60) == 5.0          # a flood waits what it is told, capped
    pace.held = 1                                                # as many held as allowed: answer now
    assert pace.delay(4) == 0.0
