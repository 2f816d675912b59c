"""Issue 25 item 6: the signals list ranks by strength and recency and pages; one signal per
ring (rings that meet become one, the other "merged" and never listed); an analyst of one
region lists only signals holding their reports. Real migrated store, real engine."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import insert, select

from jaga_desa.testing import archive
from office.schema import envelopes
from office.warning import rank, review
from office.warning.schema import warn_signals
from tests.warning.conftest import T0
from tests.warning.test_engine import calo, report, run, signals


def _store_envelopes(engine, reports) -> None:
    """The signal list joins the stored envelopes (ingest writes them; the engine does not)."""
    with engine.begin() as conn:
        archive.ensure_author(conn, 1)
        conn.execute(insert(envelopes), [archive.envelope_row(r.envelope_id, r.village_id, r.form_id, r.received_at)
                                         for r in reports])


def test_strongest_first_and_paged(office):
    engine, keys = office
    jetty = {"tempat_berangkat": "Dermaga Sei Menggaris"}
    strong = [report(v, T0 + dt.timedelta(days=v), **calo(telepon="0812 3456 7890", akun_medsos="@loker.sabah"))
              for v in (1, 2, 3)]
    weak = [report(1, T0 + dt.timedelta(days=4, hours=h), **jetty) for h in range(3)]
    for r in strong + weak:
        run(office, [r])
    _store_envelopes(engine, strong + weak)
    with engine.connect() as conn:
        rows, total = review.visible(conn, None, keys=keys)
        assert total == 2 and [r["rule"] for r in rows] == ["same_identifier", "same_place"]
        assert rows[0]["score"] > rows[1]["score"]                    # the newer place signal still ranks lower
        assert ("phone", "+6281234567890") in rows[0]["values"] and ("handle", "lokersabah") in rows[0]["values"]
        first, n = review.visible(conn, None, page=1, per_page=1)
        second, _ = review.visible(conn, None, page=2, per_page=1)
        assert n == 2 and [first[0]["id"], second[0]["id"]] == [r["id"] for r in rows]
        mine, n_mine = review.visible(conn, [3])                       # an analyst of village 3 only
        assert n_mine == 1 and len(mine[0]["reports"]) == 1 and mine[0]["hidden"] == 2 and mine[0]["values"] == []


def test_recency_counts_a_week_as_one_point():
    d = {"kinds": {"phone": 1}, "reports": 2, "villages": 2}
    a = rank.score("same_identifier", d, "2026-01-01T00:00:00.000Z")
    b = rank.score("same_identifier", d, "2026-01-08T00:00:00.000Z")
    assert round(b - a, 3) == 1.0
    assert rank.strength("planned_minors", {"minors": 1}) > rank.strength("same_identifier", d)


def test_two_rings_that_meet_become_one_signal(office):
    """A by phone in villages 1-2, B by boat in villages 2-3; a report naming both joins them."""
    a1 = report(1, T0, **calo(telepon="0812 1111 2222"))
    a2 = report(2, T0 + dt.timedelta(days=1), **calo(telepon="0812-1111-2222"))
    b1 = report(2, T0 + dt.timedelta(days=2), **calo(kapal="KM Harapan Baru"))
    b2 = report(3, T0 + dt.timedelta(days=3), **calo(kapal="SB Harapan Baru"))
    for r in (a1, a2, b1, b2):
        run(office, [r])
    assert len(signals(office, "same_identifier")) == 2
    both = report(3, T0 + dt.timedelta(days=4), **calo(telepon="+62 812 1111 2222", kapal="Kapal Motor Harapan Baru"))
    run(office, [both])
    live = [s for s in signals(office, "same_identifier") if s["status"] != "merged"]
    assert len(live) == 1
    assert live[0]["envs"] == {a1.envelope_id, a2.envelope_id, b1.envelope_id, b2.envelope_id, both.envelope_id}
    assert live[0]["detail"]["kinds"] == {"boat": 1, "phone": 1} and live[0]["detail"]["villages"] == 3
    engine, _ = office
    with engine.connect() as conn:
        merged = conn.execute(select(warn_signals.c.merged_into).where(warn_signals.c.status == "merged")).scalars().all()
    assert merged == [live[0]["id"]]
