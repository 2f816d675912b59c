"""Red team round 8's attacks that still break (THREAT_MODEL.md, "Red team round 8", open).

Not collected by the suite — the file name does not start with test_ — because each fails
until its fix lands, and the suite admits no failure, skip or xfail. Run them by hand:
`pytest tests/adversarial/open_round8.py`. When one passes, move it into
test_redteam_round8.py and its THREAT_MODEL line from "Open" to "Holds"."""
from __future__ import annotations

import dataclasses
import datetime as dt

from tests.adversarial.test_redteam_round8 import _FIRST, _LAST, _ring_after, _the_ring
from tests.adversarial.test_redteam_round8 import \
    test_more_earlier_reports_than_the_look_back_asks_still_join_in_either_order as _earlier_reports
from tests.warning.conftest import T0
from tests.warning.test_arrival_order import fresh_office  # noqa: F401 — the fixture: one empty office per order
from tests.warning.test_engine import calo, calo_names, report, run


def test_a_phone_varying_the_rest_of_the_name_still_makes_the_calos_words_common(tmp_path):
    """poison25 counts one NAME at most three times per village; a word's frequency is the sum
    over the names that hold it. So the attacker of test_name_frequency_poisoning (one
    enrolled phone, its own village only) files its 40 reports naming "Kolondam Saparuddin
    Tandiayu Budi", "... Agus", "... Eko" — forty different names, each once, each holding
    the calo's three words — as a driver (another role: they never link to the ring). Every
    word of the calo's name counts 40 times again, as on main. Then the real ring: Desa A
    and Desa B each report the calo by name, as calo, no phone. It must still link."""
    a, b = _ring_after(tmp_path, lambda office, attacker: office.file(attacker, [
        [{"peran": "sopir", "nama": f"Kolondam Saparuddin Tandiayu {_FIRST[i % 18]} {_LAST[i // 18]}"}] for i in range(40)]))
    assert a and a == b, \
        "the ring of two villages no longer links by name after the flood of varied names"


def test_a_hostile_report_with_the_rings_phone_pulls_no_stored_namesake_into_the_ring(fresh_office):  # noqa: F811
    """An office of 1,000 calo names ("Budi Santoso" one in 200, in villages 4..40) and 20
    reports of a calo called "Nur" (a common name) in villages 5..24. A real ring: Desa 1 and
    Desa 2 give one phone for a calo named Budi Santoso. Desa 3 had reported a neighbour also
    called Budi Santoso (no phone). The attacker — an enrolled phone of Desa 3 — files one
    report naming the calo "Budi Santoso" WITH the ring's phone, and a calo "Nur": it joins
    the ring by the phone, the ring grows, and the look-back asks again the stored reports its
    names met. Neither the neighbour of its own village, nor the background's Budi Santosos,
    nor the reports of "Nur" may join: whatever the order the attacker's report arrives in."""
    ring = [report(1, T0, **calo(nama="Budi Santoso", telepon="0812 9999 1111")),
            report(2, T0 + dt.timedelta(hours=5), **calo(nama="Budi Santoso", telepon="0812 9999 1111"))]
    neighbour = report(3, T0 - dt.timedelta(days=2), **calo(nama="Budi Santoso"))
    nur = [report(5 + i, T0 - dt.timedelta(days=3, hours=i), **calo(nama="Nur")) for i in range(20)]
    hostile = report(3, T0 + dt.timedelta(days=1), terlibat=[
        {"peran": "calo", "nama": "Budi Santoso", "telepon": "0812 9999 1111"}, {"peran": "calo", "nama": "Nur"}])
    seen = []
    for name, order in (("hostile_last", [neighbour, *nur, *ring, hostile]),
                        ("hostile_first", [*ring, hostile, neighbour, *nur])):
        office = fresh_office(name, 40)
        calo_names(office, T0 - dt.timedelta(days=20))
        for r in order:
            run(office, [dataclasses.replace(r, facts=None, places=None, links=None)])
        seen.append(_the_ring(office, ring[0].envelope_id))
    kinds = [(len(s), neighbour.envelope_id in s, len(s & {r.envelope_id for r in nur})) for s in seen]
    print("\n(ring size, neighbour in, Nur reports in), hostile last / first:", kinds)
    assert seen[0] == seen[1] == {ring[0].envelope_id, ring[1].envelope_id, hostile.envelope_id}, seen


def test_more_earlier_reports_than_every_look_back_round_asks_still_join_in_either_order(fresh_office):  # noqa: F811
    """LOOK_BACK_CAP x LOOK_BACK_ROUNDS + 10 earlier reports: ten are left however the rounds go
    (measured: 112 in the ring arriving after it, 101 arriving before)."""
    _earlier_reports(fresh_office, "every_round")
