"""bench/warning_why.py: the causes the warning bench prints for missed ring reports, on
reports written by hand (the same fields the bench generators fill)."""
from __future__ import annotations

import datetime as dt

from bench import warning_why

T = dt.datetime(2026, 10, 1, tzinfo=dt.timezone.utc)


def rep(rid, village, days, *entries, **answers):
    return {"id": rid, "village": village, "form": "laporan_kecurigaan", "at": T + dt.timedelta(days=days),
            "answers": {"kategori": "rekrutmen", **answers, "terlibat": list(entries)}}


def test_each_missed_ring_report_gets_its_cause():
    data = [rep("a", 1, 0, {"peran": "calo", "nama": "Muhammad Pane", "plat": "KB-2619-FF"}),
            rep("b", 2, 10, {"peran": "calo", "nama": "H. Muhammad Pane"}),
            rep("c", 1, 40, {"peran": "calo", "nama": "Bapak Muhammad Pane", "plat": "KB2619FF"}),
            rep("d", 3, 5, {"peran": "penampung"}),
            rep("e", 4, 6, {"peran": "sopir", "nama": "Pak Muhammad Pane"}),
            rep("f", 5, 7, {"peran": "calo", "nama": "Junaidi"}),
            rep("g", 6, 8, {"peran": "calo", "nama": "Junaidi Hasan"})]
    found = warning_why.causes(data, [["a", "b", "c", "d", "e"], ["f", "g"]], {})
    assert found == {
        "shares an identifier with a ring report (one village, 5 weeks apart)": 2,
        "full name + same role, another village (left to the chance test)": 1,
        "no name, no identifier": 1,
        "name matches, role differs": 1,
        "one-word name + same role, another village": 2}
    # reports in the signal that holds most of their ring are not misses
    assert warning_why.causes(data, [["f", "g"]], {"f": 7, "g": 7}) == {}
