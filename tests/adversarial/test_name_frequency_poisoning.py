"""Red team: poisoning the name statistics early warning weighs names by (issue 25).

A name links reports only when it is rare enough that its mentions in other villages are
more than chance (office/warning/rings.py, the chance test; office/warning/names.py, `bits`).
How rare a name is comes from the office's own names — so an enrolled phone that names a
ring's calo again and again in its own village, under another role, could make that name
look common until the real ring no longer links by name. Measured on the old counting (every
report counted): about 30 such reports in an office of 1,000 names were enough.

The attack runs as the attacker would: sealed reports from enrolled phones, through the
office's ingest and its derive worker."""
from __future__ import annotations

from sqlalchemy import select

from office import db

BACKGROUND = 1000          # names in the office before the attack (calo, each of 20 first names x 12 surnames)
FLOOD = 40                 # reports the attacker's phone files naming the calo (the old counting: 20 left the
                           # ring linked, 30 did not)
CALO = "Hj. Kolondam Saparuddin Tandiayu"
_FIRST = "budi agus eko joko dedi rudi andi iwan hendra bambang wahyu asep ujang anto rahmat hasan ali yusuf".split()
_LAST = "santoso wijaya saputra setiawan kurniawan hidayat pratama nugroho siregar lubis nasution harahap".split()


def test_an_enrolled_phone_flooding_its_village_with_the_calos_name_does_not_unlink_the_ring(tmp_path):
    """An office of 1,000 calo names from 20 villages. The attacker — an enrolled phone of a
    third village — files 40 reports naming the ring's calo, "Hj. Kolondam Saparuddin Tandiayu", as a
    driver (another role, so its reports never link to the ring themselves). Then the real
    ring: a volunteer of village A and one of village B each report the calo by that name, as
    calo, no phone. The name must still be rare — a village naming one person forty times
    counts them at most three times — and the ring of A and B must be one signal."""
    import forms
    from office import enrollment, keys as office_keys, opening
    from office.derive import worker
    from office.ingest import ingest_batch
    from office.rollup.volunteer import Volunteer
    from office.warning.schema import warn_signal_reports, warn_signals
    from tests.adversarial.test_redteam_round7 import _seal_for
    from tests.conftest import TEST_OFFICE_KEY
    opening.keep_for_derive(False)
    keys = office_keys.load_or_create(tmp_path, TEST_OFFICE_KEY)
    engine = db.open_store(tmp_path)
    form = forms.load("laporan_kecurigaan")
    filed = 0

    def file(who: Volunteer, role: str, name: str, count: int = 1) -> list[str]:
        nonlocal filed
        sealed = []
        for _ in range(count):
            filed += 1
            answers = form.example()
            answers["terlibat"] = [{"peran": role, "nama": name}]
            answers["tempat"] = f"Rumah nomor {filed}"          # no shared departure point
            answers["apa_dilihat"] = f"Laporan uji {filed}"
            sealed.append(_seal_for(keys, who, form, answers, False))
        with engine.begin() as conn:
            got = ingest_batch(conn, [s.envelope for s in sealed], device_id=who.device_id, keys=keys)
        assert {o["status"] for o in got} == {"accepted"}, got
        return [s.envelope_id for s in sealed]

    try:
        with engine.begin() as conn:
            village = [enrollment.add_village(conn, f"Desa {i}", ["Sanggau", "Kapuas Hulu", "Sambas"][i % 3])
                       for i in range(23)]
        people = [Volunteer.enrol(engine, v, f"Relawan {v}") for v in village]
        background, ring_a, ring_b, attacker = people[:20], people[20], people[21], people[22]
        for i, who in enumerate(background):
            per = BACKGROUND // len(background)
            for k in range(per):
                j = i * per + k
                file(who, "calo", f"{_FIRST[j % len(_FIRST)]} {_LAST[(j // len(_FIRST)) % len(_LAST)]}")
        file(attacker, "sopir", CALO, FLOOD)
        worker.exhaust(engine, keys)
        a = file(ring_a, "calo", CALO)
        worker.exhaust(engine, keys)
        b = file(ring_b, "calo", "Kolondam Saparudin Tandiayu")           # the other village spells it its own way
        worker.exhaust(engine, keys)
        with db.reading(engine) as conn:
            holding = {}
            for sid, env_id in conn.execute(select(warn_signal_reports.c.signal_id, warn_signal_reports.c.envelope_id)
                                            .join(warn_signals, warn_signals.c.id == warn_signal_reports.c.signal_id)
                                            .where(warn_signals.c.status != "merged")):
                holding.setdefault(env_id, set()).add(sid)
    finally:
        engine.dispose()
    print("\nsignals holding the ring's reports:", holding.get(a[0]), holding.get(b[0]))
    assert holding.get(a[0]) and holding.get(a[0]) == holding.get(b[0]), \
        "the ring of two villages no longer links by name after the flood"
