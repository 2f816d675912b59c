"""Red team, round 8 (issue 25): the look-back that makes ring linking independent of arrival
order (branch order25, office/warning/lookback.py) and a name's frequency counted at most
three times per village (branch poison25, rings.NAME_PER_VILLAGE), attacked as an enrolled
phone would attack them.

Attacks on the counting and on what leaves the office run as the attacker would: sealed
reports from enrolled phones through the office's own ingest and its derive worker. Attacks
on arrival order feed the real engine (office/warning/engine.observe) on a real migrated
store, SQLite and PostgreSQL, as tests/warning/test_arrival_order.py does: one office per
order. Tests of code not on main yet need both branches (order25, poison25) merged."""
from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import select

from office import db
from tests.warning.conftest import T0
from tests.warning.test_arrival_order import fresh_office  # noqa: F401 — the fixture: one empty office per order
from tests.warning.test_engine import calo, calo_names, report, run, signals


def _day(n: float) -> dt.datetime:
    return T0 + dt.timedelta(days=n)


class _Office:
    """A real office store with enrolled volunteers (one per village) that file sealed reports
    through ingest; `derive` runs the derive worker to the end."""

    def __init__(self, tmp_path, n_villages: int) -> None:
        import forms
        from office import enrollment, keys as office_keys, opening
        from office.rollup.volunteer import Volunteer
        from tests.conftest import TEST_OFFICE_KEY
        opening.keep_for_derive(False)
        self.keys = office_keys.load_or_create(tmp_path, TEST_OFFICE_KEY)
        self.engine = db.open_store(tmp_path)
        self.form = forms.load("laporan_kecurigaan")
        self.filed = 0
        with self.engine.begin() as conn:
            villages = [enrollment.add_village(conn, f"Desa {i}", ["Sanggau", "Kapuas Hulu", "Sambas"][i % 3])
                        for i in range(n_villages)]
        self.people = [Volunteer.enrol(self.engine, v, f"Relawan {v}") for v in villages]

    def file(self, who, named: list[list[dict]], rahasia: bool = False) -> list[str]:
        """One sealed report per entry of `named` (its `terlibat`), pushed in one batch."""
        from office.ingest import ingest_batch
        from tests.adversarial.test_redteam_round7 import _seal_for
        sealed = []
        for people in named:
            self.filed += 1
            answers = self.form.example()
            answers["terlibat"] = people
            answers["tempat"] = f"Rumah nomor {self.filed}"          # no shared departure point
            answers["apa_dilihat"] = f"Laporan uji {self.filed}"
            sealed.append(_seal_for(self.keys, who, self.form, answers, rahasia))
        with self.engine.begin() as conn:
            got = ingest_batch(conn, [s.envelope for s in sealed], device_id=who.device_id, keys=self.keys)
        assert {o["status"] for o in got} == {"accepted"}, got
        return [s.envelope_id for s in sealed]

    def derive(self) -> None:
        from office.derive import worker
        worker.exhaust(self.engine, self.keys)

    def rings_of(self) -> dict[str, set[int]]:
        """envelope id -> the live ring signals holding it."""
        from office.warning.schema import warn_signal_reports, warn_signals
        holding: dict[str, set[int]] = {}
        with db.reading(self.engine) as conn:
            for sid, e in conn.execute(select(warn_signal_reports.c.signal_id, warn_signal_reports.c.envelope_id)
                                       .join(warn_signals, warn_signals.c.id == warn_signal_reports.c.signal_id)
                                       .where(warn_signals.c.status != "merged",
                                              warn_signals.c.rule == "same_identifier")):
                holding.setdefault(e, set()).add(sid)
        return holding

    def close(self) -> None:
        self.engine.dispose()


# ---------------------------------------------------------------- 1. poison25: the per-village cap


CALO = "Hj. Kolondam Saparuddin Tandiayu"
_FIRST = "budi agus eko joko dedi rudi andi iwan hendra bambang wahyu asep ujang anto rahmat hasan ali yusuf".split()
_LAST = "santoso wijaya saputra setiawan kurniawan hidayat pratama nugroho siregar lubis nasution harahap".split()


def _background(office: _Office, who: list, n: int = 1000) -> None:
    per = n // len(who)
    for i, v in enumerate(who):
        office.file(v, [[{"peran": "calo", "nama": f"{_FIRST[j % 18]} {_LAST[(j // 18) % 12]}"}]
                        for j in range(i * per, (i + 1) * per)])


def test_a_phone_varying_the_rest_of_the_name_still_makes_the_calos_words_common(tmp_path):
    """poison25 counts one NAME at most three times per village; a word's frequency is the sum
    over the names that hold it. So the attacker of test_name_frequency_poisoning (one
    enrolled phone, its own village only) files its 40 reports naming "Kolondam Saparuddin
    Tandiayu Budi", "... Agus", "... Eko" — forty different names, each once, each holding
    the calo's three words — as a driver (another role: they never link to the ring). Every
    word of the calo's name counts 40 times again, as on main. Then the real ring: Desa A
    and Desa B each report the calo by name, as calo, no phone. It must still link."""
    office = _Office(tmp_path, 23)
    try:
        background, ring_a, ring_b, attacker = office.people[:20], office.people[20], office.people[21], office.people[22]
        _background(office, background)
        office.file(attacker, [[{"peran": "sopir", "nama": f"Kolondam Saparuddin Tandiayu {_FIRST[i % 18]} {_LAST[i // 18]}"}]
                               for i in range(40)])
        office.derive()
        [a] = office.file(ring_a, [[{"peran": "calo", "nama": CALO}]])
        office.derive()
        [b] = office.file(ring_b, [[{"peran": "calo", "nama": "Kolondam Saparudin Tandiayu"}]])
        office.derive()
        holding = office.rings_of()
    finally:
        office.close()
    print("\nsignals holding the ring's reports:", holding.get(a), holding.get(b))
    assert holding.get(a) and holding.get(a) == holding.get(b), \
        "the ring of two villages no longer links by name after the flood of varied names"
