"""One calo's phone in thousands of stored reports (issue 20 item 3): a batch's ring work is
bounded by the batch, not by how many stored reports share the identifier, and the ring
still holds them all.

Counted, not timed: SQLite's own count of virtual-machine steps (a progress handler) for one
batch, which is the rows every statement reads inside the database plus the rows handed to
Python; on the old code it grew five-fold from 1,000 to 5,000 holders (every holder read,
linked and walked each batch)."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, insert, select

from office import db, keys as office_keys
from office.schema import villages

from office.warning import rings
from office.warning.rings import PAIR_CAP
from office.warning.schema import warn_signal_reports, warn_signals
from tests.warning.conftest import T0
from tests.warning.test_engine import calo, report, run

PHONE = "0812 3456 7890"


def batch(start: int, n: int, villages=(1, 2, 3)) -> list:
    return [report(villages[i % len(villages)], T0 + dt.timedelta(minutes=i), **calo(telepon=PHONE))
            for i in range(start, start + n)]


def steps(office, monkeypatch, reports) -> int:
    """SQLite VM steps (in hundreds) of one batch's ring rules (rings.evaluate and rings.save;
    the weekly spike's tally counts the week's reports, a cost of the data, not of a ring)."""
    count = [0]

    def tick() -> int:
        count[0] += 1
        return 0

    def counted(fn):
        def wrapper(conn, *args, **kw):
            raw = conn.connection.driver_connection
            raw.set_progress_handler(tick, 100)
            try:
                return fn(conn, *args, **kw)
            finally:
                raw.set_progress_handler(None, 100)
        return wrapper
    with monkeypatch.context() as m:
        m.setattr(rings, "evaluate", counted(rings.evaluate))
        m.setattr(rings, "save", counted(rings.save))
        run(office, reports)
    return count[0]


def the_ring(office) -> tuple[dict, int]:
    engine, _ = office
    with engine.connect() as conn:
        [s] = conn.execute(select(warn_signals).where(warn_signals.c.rule == "same_identifier")).mappings().all()
        n = conn.execute(select(func.count()).select_from(warn_signal_reports)
                         .where(warn_signal_reports.c.signal_id == s["id"])).scalar_one()
    return json.loads(s["detail"]), n


def test_a_batch_costs_the_same_with_1000_or_5000_stored_holders_of_one_phone(office, monkeypatch):
    done = 0
    while done < 1000:
        run(office, batch(done, 250))
        done += 250
    at_1k = steps(office, monkeypatch, batch(done, 50))
    done += 50
    while done < 5050:
        run(office, batch(done, 250))
        done += 250
    at_5k = steps(office, monkeypatch, batch(done, 50))
    done += 50
    assert at_5k <= 1.3 * at_1k, (at_1k, at_5k)
    detail, members = the_ring(office)
    assert members == done and detail["reports"] == done and detail["villages"] == 3


@pytest.fixture(params=["sqlite", "postgresql"])
def either_office(request, tmp_path):
    """The `office` store on SQLite, or the same on a throwaway PostgreSQL (the newest-holders
    probe is a UNION ALL of per-key ORDER BY ... LIMIT subqueries, on both)."""
    if request.param == "sqlite":
        yield request.getfixturevalue("office")
        return
    engine = db.open_store(tmp_path, request.getfixturevalue("postgres_server")("hot_identifier"))
    keys = office_keys.load_or_create(tmp_path, "kata-sandi-kantor")
    with engine.begin() as conn:
        conn.execute(insert(villages), [{"id": i, "name": f"Desa {i}", "region": "Sanggau"} for i in (1, 2, 3)])
    yield engine, keys
    engine.dispose()


def test_a_hot_phone_in_one_village_joins_whole_when_it_crosses_to_another(either_office):
    """No ring records the holders yet (one village raises none): the first report from a
    second village reads the whole window once, and the ring holds every holder; later
    holders (read only as the newest, with LIMIT) join the same ring."""
    office = either_office
    first = batch(0, PAIR_CAP * 3, villages=(1,))
    for i in range(0, len(first), 40):
        run(office, first[i:i + 40])
    run(office, batch(len(first), 1, villages=(2,)))
    detail, members = the_ring(office)
    assert members == len(first) + 1 and detail["reports"] == members and detail["villages"] == 2
    run(office, batch(len(first) + 1, 5))       # later holders join the same ring
    detail, members = the_ring(office)
    assert members == len(first) + 6 and detail["reports"] == members
