"""window.newest inside one observe (`remembered()`): a key asked again — the rings' one-hop
asks from an older holder's time for keys the new rows just asked for — is answered from the
rows at hand or with only the older rows they lack, and the answer is exactly what a fresh
probe gives: every start (later, equal, earlier), every limit (below, at, above what was
read), with ties in time, on SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt
import itertools

from office import clock
from office.store.bulk import insert_rows
from office.warning import driver_sql, window
from office.warning.schema import warn_links

from .test_hot_identifier import either_office  # noqa: F401 — the SQLite / PostgreSQL store

T0 = dt.datetime(2025, 6, 2, 8, 0, tzinfo=dt.timezone.utc)
DAYS = 10


def at(day: float) -> str:
    return clock.iso(T0 + dt.timedelta(days=day))


def stored(engine) -> None:
    """Key "a": 30 holders over 30 days, two to a day (ties in time); "b": 3 holders; "c": none."""
    rows = [{"envelope_id": f"a{i:02d}", "village_id": 1 + i % 3, "kind": "phone", "key": "a", "sealed": None,
             "at": at(i // 2)} for i in range(60)]
    rows += [{"envelope_id": f"b{i}", "village_id": 1, "kind": "phone", "key": "b", "sealed": None, "at": at(20 + i)}
             for i in range(3)]
    with engine.begin() as conn:
        insert_rows(conn, warn_links, rows)


def fresh(conn, keys_at, limits) -> dict:
    return {k: [tuple(r) for r in v] for k, v in window.newest(conn, "phone", keys_at, DAYS, limits).items()}


def test_a_key_asked_again_gets_what_a_fresh_probe_gives(either_office):  # noqa: F811
    engine, _ = either_office
    stored(engine)
    days = [12, 18, 25, 29.5, 31]
    limits = [2, 5, 7, 30, 80]
    with engine.connect() as conn:
        expect = {(d, n): fresh(conn, {"a": at(d), "b": at(d), "c": at(d)}, {"a": n, "b": n, "c": n})
                  for d in days for n in limits}
        real = driver_sql.rows

        def counting(c, sql, params):
            probes.append((d1, n1, d2, n2))
            return real(c, sql, params)
        probes: list = []
        for (d1, n1), (d2, n2) in itertools.product(itertools.product(days, limits), repeat=2):
            with window.remembered():
                fresh(conn, {"a": at(d1), "b": at(d1), "c": at(d1)}, {"a": n1, "b": n1, "c": n1})
                driver_sql.rows = counting
                try:
                    again = fresh(conn, {"a": at(d2), "b": at(d2), "c": at(d2)}, {"a": n2, "b": n2, "c": n2})
                finally:
                    driver_sql.rows = real
            assert again == expect[(d2, n2)], ((d1, n1), (d2, n2))
            assert len(expect[(d2, n2)].get("a", [])) == min(n2, len([i for i in range(60) if i // 2 >= d2 - DAYS]))
        # the point of it: an ask from no earlier a start for no more rows reads nothing again
        assert probes and not [p for p in probes if p[2] >= p[0] and p[3] <= p[1]]


def test_outside_one_observe_nothing_is_remembered(either_office):  # noqa: F811
    engine, _ = either_office
    stored(engine)
    with engine.connect() as conn:
        first = fresh(conn, {"a": at(25)}, {"a": 5})
        insert_rows(conn, warn_links, [{"envelope_id": "new", "village_id": 2, "kind": "phone", "key": "a",
                                        "sealed": None, "at": at(40)}])
        assert fresh(conn, {"a": at(25)}, {"a": 5}) != first       # the new row is seen
