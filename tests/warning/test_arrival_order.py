"""Issue 25: early warning does not depend on the order reports arrive in. Phones are offline
for days, so a report filed before a ring formed may reach the office before the ring's
other reports, or after them: the same reports give the same ring signals either way
(office/warning/lookback.py asks the earlier reports again when a ring forms or grows).
Exact strings as volunteers wrote them (bench/warning_data.py, seed 25, ring 10); the real
engine on a real migrated store, SQLite and PostgreSQL."""
from __future__ import annotations

import dataclasses
import datetime as dt
import random

import pytest
from sqlalchemy import insert

from office import db, keys as office_keys
from office.schema import villages
from tests.warning.conftest import T0
from tests.warning.test_engine import calo, calo_names, report, run, signals


def day(n: float) -> dt.datetime:
    return T0 + dt.timedelta(days=n)


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_office(request, tmp_path):
    """A factory of empty offices (villages 1..n), each on its own SQLite store or its own
    throwaway PostgreSQL database: one office per arrival order."""
    made = []

    def make(name: str, n_villages: int = 3):
        folder = tmp_path / name
        folder.mkdir()
        url = None if request.param == "sqlite" else request.getfixturevalue("postgres_server")(name)
        engine = db.open_store(folder, url)
        made.append(engine)
        with engine.begin() as conn:
            conn.execute(insert(villages), [{"id": i, "name": f"Desa {i}", "region": "Sanggau"}
                                            for i in range(1, n_villages + 1)])
        return engine, office_keys.load_or_create(folder, "kata-sandi-kantor")
    yield make
    for engine in made:
        engine.dispose()


def ring_ten() -> list:
    """Seed 25's ring 10 as written: the first report names the calo only ("Pak H. Nur
    Wulandari", Desa 1); the ring forms later through a plate written four ways, two of its
    reports naming the calo again, in Desa 1 and Desa 3."""
    return [
        report(1, day(0), **calo(nama="Pak H. Nur Wulandari")),
        report(2, day(3), terlibat=[{"peran": "sponsor", "plat": "kt6625xy"}]),
        report(1, day(10), terlibat=[{"peran": "calo", "nama": "Nur Wulandari", "plat": "KT 6625 XY",
                                      "kapal": "KM Sri Rezeki"}, {"peran": "calo", "nama": "Sri Ismail"}]),
        report(3, day(12), **calo(nama="Bang Nur Wulandari", plat="KT-6625-XY", kapal="KLM Sri Rezeki")),
    ]


def the_rings(office) -> set[frozenset]:
    return {frozenset(s["envs"]) for s in signals(office, "same_identifier") if s["status"] != "merged"}


def test_the_earlier_name_only_report_joins_once_the_plate_ring_forms(fresh_office):
    """Filed first, the name-only report meets one mention of "Nur Wulandari" (its own
    village's) and nothing to join; the plate ring forms later, and its report from Desa 3
    meets the name only in Desa 1 (one village: chance). Had the first report arrived after
    the ring, it would have met the name in the ring's report of its own village (a ring
    report with an identifier) and in Desa 3, with the same role: a link. It joins now."""
    first, *rest = ring_ten()
    office = fresh_office("ring_ten")
    for r in [first, *rest]:
        run(office, [r])
    [ring] = the_rings(office)
    assert ring == {r.envelope_id for r in [first, *rest]}


def test_the_same_reports_in_any_arrival_order_give_the_same_rings(fresh_office):
    """A small set as volunteers write it — ring 10, a phone ring written the Sabah way and
    the Indonesian way, common names ("Nur", "Muhammad", "Agus") in every village, "Siti
    Aminah"/"Siti Amanah" — fed one report per push in time order, reversed, and in five
    shuffled orders: every order ends with the same ring signals holding the same reports."""
    reports = ring_ten() + [
        report(2, day(1), **calo(nama="Mbak Ida Rahman (082196225995)")),
        report(3, day(4), **calo(nama="BU IDA RAHMAN", telepon="+62 821-9622-5995", plat="KB3766A")),
        report(1, day(6), **calo(nama="Ida Rahman", plat="KB 3766 A")),
        report(2, day(2), **calo(nama="Nur")),
        report(3, day(5), **calo(nama="Muhammad")),
        report(1, day(7), **calo(nama="Agus")),
        report(1, day(8), **calo(nama="Siti Aminah")),
        report(2, day(9), **calo(nama="Siti Amanah")),
    ]
    timed = sorted(reports, key=lambda r: r.received_at)
    orders = [timed, timed[::-1]] + [random.Random(seed).sample(timed, len(timed)) for seed in range(5)]
    seen = []
    for i, order in enumerate(orders):
        office = fresh_office(f"order{i}")
        for r in order:          # a Report keeps the link keys it was made under: a fresh one per office
            run(office, [dataclasses.replace(r, facts=None, places=None, links=None)])
        seen.append(the_rings(office))
    nur, ida = {r.envelope_id for r in reports[:4]}, {r.envelope_id for r in reports[4:7]}
    assert seen[0] == {frozenset(nur), frozenset(ida)}, seen[0]
    assert all(s == seen[0] for s in seen), seen


def test_a_neighbour_named_before_the_ring_formed_is_not_pulled_in_when_it_forms(fresh_office):
    """The reverse-order twin of tests/adversarial/test_redteam_round7.py::
    test_a_neighbour_sharing_a_ring_agents_common_name_is_not_pulled_into_the_ring: the
    neighbour called "Budi Santoso" (one name in 200 of the office's calo names, no phone) is
    reported in Desa 1 and reaches the office BEFORE the ring's two phone reports (Desa 1 and
    Desa 2). When the ring forms, the neighbour is asked again by the same test as if it
    arrived now: the ring's report of its own village is no independent evidence, one other
    village behind a name this common is chance, so the neighbour stays out."""
    office = fresh_office("red7_reverse", 40)
    calo_names(office, T0 - dt.timedelta(days=20))
    a = report(1, T0, **calo(nama="Budi Santoso", telepon="0812 9999 1111"))
    b = report(2, T0 + dt.timedelta(hours=5), **calo(nama="Budi Santoso", telepon="0812 9999 1111"))
    neighbour = report(1, T0 + dt.timedelta(days=1), **calo(nama="Budi Santoso"))
    run(office, [neighbour])
    run(office, [a])
    run(office, [b])
    [ring] = [s for s in signals(office, "same_identifier") if a.envelope_id in s["envs"]]
    assert ring["envs"] == {a.envelope_id, b.envelope_id}, ring["detail"]
