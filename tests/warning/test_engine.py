"""The rules on a real migrated office store with real keys: each rule raises when it
should, stays quiet for near misses and outside its window, and the database holds no
identifier in the clear."""
from __future__ import annotations

import datetime as dt
import json
import uuid

from sqlalchemy import select

from office import clock
from office.warning import Report, WarningConfig, explain, observe
from office.warning.schema import warn_links, warn_signal_reports, warn_signals
from tests.warning.conftest import T0


def report(village, when, form="keberangkatan_pmi", **answers) -> Report:
    return Report(str(uuid.uuid4()), village, form, clock.iso(when), answers)


def run(office, reports, config=None):
    engine, keys = office
    with engine.begin() as conn:
        return observe(conn, keys, reports, config, now=max(clock.parse(r.received_at) for r in reports))


def signals(office, rule=None):
    engine, _ = office
    with engine.connect() as conn:
        rows = conn.execute(select(warn_signals)).mappings().all()
        out = []
        for r in rows:
            if rule and r["rule"] != rule:
                continue
            envs = {e for (e,) in conn.execute(select(warn_signal_reports.c.envelope_id)
                                               .where(warn_signal_reports.c.signal_id == r["id"]))}
            out.append({**r, "detail": json.loads(r["detail"]), "envs": envs})
        return out


def calo(**kw):
    return {"terlibat": [{"peran": "calo", **kw}]}


CALO_FIRST = "budi agus eko joko dedi rudi andi iwan hendra bambang wahyu asep ujang anto rahmat hasan ali yusuf".split()
CALO_LAST = "santoso wijaya saputra setiawan kurniawan hidayat pratama nugroho siregar lubis nasution harahap".split()


def calo_names(office, start: dt.datetime, n: int = 1000) -> None:
    """An office of `n` calo names from villages 4..40, a minute apart from `start`, each
    first name x surname about n / 216 times ("Budi Santoso" is one name in 200 of 1,000):
    the common names a ring agent may share with a neighbour (red team round 7)."""
    reports = [report(4 + i % 37, start + dt.timedelta(minutes=i),
                      **calo(nama=f"{CALO_FIRST[i % len(CALO_FIRST)]} {CALO_LAST[(i // len(CALO_FIRST)) % len(CALO_LAST)]}"))
               for i in range(n)]
    for k in range(0, n, 100):
        run(office, reports[k:k + 100])


def test_same_phone_in_two_villages_within_the_window(office):
    a = report(1, T0, **calo(telepon="0812 3456 7890"))
    b = report(2, T0 + dt.timedelta(days=10), **calo(telepon="+62 812-3456-7890"))
    run(office, [a])
    assert signals(office) == []                     # one village: nothing yet
    run(office, [b])
    [s] = signals(office, "same_identifier")
    assert s["envs"] == {a.envelope_id, b.envelope_id}
    assert s["detail"]["kind"] == "phone" and s["detail"]["villages"] == 2 and s["status"] == "new"
    assert explain(s["rule"], s["detail"], "id").startswith("Nomor HP yang sama disebut dalam 2 laporan dari 2 desa")
    assert "2 different villages within 90 days" in explain(s["rule"], s["detail"], "en")


def test_outside_the_window_or_same_village_is_quiet(office):
    run(office, [report(1, T0, **calo(plat="KT 1234 AB"))])
    run(office, [report(2, T0 + dt.timedelta(days=91), **calo(plat="KT1234AB"))])     # 91 days later
    run(office, [report(2, T0 + dt.timedelta(days=92), **calo(kapal="KM Sinar Jaya"))])
    run(office, [report(2, T0 + dt.timedelta(days=93), **calo(kapal="Sinar Jaya"))])  # same village
    assert signals(office) == []


def test_near_miss_number_does_not_link(office):
    run(office, [report(1, T0, **calo(telepon="0812 3456 7890"))])
    run(office, [report(2, T0, **calo(telepon="0812 3456 7891"))])
    assert signals(office) == []


def test_a_ring_grows_one_signal(office):
    envs = []
    for day, village, boat in [(0, 1, "KM Sinar Jaya"), (3, 2, "SB sinar jaya"), (6, 3, "speedboat Sinar Jaya")]:
        r = report(village, T0 + dt.timedelta(days=day), **calo(kapal=boat))
        envs.append(r.envelope_id)
        run(office, [r])
    [s] = signals(office, "same_identifier")
    assert s["envs"] == set(envs) and s["detail"]["villages"] == 3


def test_similar_names_link_through_sealed_comparison(office):
    """A rare name, the same role and the same jetty: a lead. "Sapardi Kolondam" shares a
    word and the first letters, not the name."""
    jetty = {"tempat_berangkat": "Dermaga Sei Menggaris"}
    a = report(1, T0, **jetty, **calo(nama="Pak Saparudin Kolondam"))
    b = report(2, T0 + dt.timedelta(days=2), **jetty, **calo(nama="Saparuddin Kolondam"))
    c = report(3, T0 + dt.timedelta(days=2), **jetty, **calo(nama="Sapardi Kolondam"))
    run(office, [a])
    run(office, [b, c])
    [s] = signals(office, "same_identifier")
    assert s["envs"] == {a.envelope_id, b.envelope_id}
    assert s["detail"]["kinds"] == {"name": 1} and s["detail"]["spelling"] is True
    assert "nama mirip (ejaan berbeda)" in explain(s["rule"], s["detail"], "id").lower()


def test_same_place_three_reports_in_seven_days(office):
    places = ["Dermaga Sei Menggaris", "dermaga sei menggaris", "Sungai Menggaris"]
    rs = [report(1, T0 + dt.timedelta(days=i * 3), tempat_berangkat=p) for i, p in enumerate(places)]
    for r in rs[:2]:
        run(office, [r])
    assert signals(office) == []
    run(office, [rs[2]])
    [s] = signals(office, "same_place")
    assert len(s["envs"]) == 3 and s["detail"]["days"] == 7


def test_places_spread_over_more_than_seven_days_are_quiet(office):
    for i in range(3):
        run(office, [report(1, T0 + dt.timedelta(days=i * 4), tempat_berangkat="Dermaga Sei Menggaris")])
    assert signals(office, "same_place") == []


def test_planned_departure_with_minors_within_48h(office):
    soon = report(1, T0, status="rencana", tanggal_rencana=(T0 + dt.timedelta(days=1)).date().isoformat(),
                  jumlah_di_bawah_umur=2)
    later = report(1, T0, status="rencana", tanggal_rencana=(T0 + dt.timedelta(days=5)).date().isoformat(),
                   jumlah_di_bawah_umur=2)
    adults = report(1, T0, status="rencana", tanggal_rencana=(T0 + dt.timedelta(days=1)).date().isoformat(),
                    jumlah_di_bawah_umur=0)
    run(office, [soon, later, adults])
    [s] = signals(office, "planned_minors")
    assert s["envs"] == {soon.envelope_id}
    assert explain("planned_minors", s["detail"], "en") == \
        "A departure is planned within 48 hours and involves 2 minor(s) under 18."


def test_weekly_spike_by_ears_c2(office):
    # 10 quiet weeks of 1 report a week in Sanggau, then 6 in one week
    for w in range(10):
        run(office, [report(1, T0 + dt.timedelta(weeks=w), form="laporan_kecurigaan", kategori="rekrutmen")])
    assert signals(office, "weekly_spike") == []
    week = T0 + dt.timedelta(weeks=10)
    for i in range(6):
        run(office, [report(1, week + dt.timedelta(hours=i), form="laporan_kecurigaan")])
    [s] = signals(office, "weekly_spike")
    d = s["detail"]
    assert d["region"] == "Sanggau" and d["reports"] >= 3 and d["c2"] > 3
    assert d["counts"][:7] == [1] * 7
    assert "EARS C2" in explain("weekly_spike", d, "en")


def test_no_spike_without_a_full_baseline(office):
    """A new kecamatan (or a new office) would 'spike' against weeks of zeros: EARS waits."""
    for w in range(9):
        run(office, [report(3, T0 + dt.timedelta(weeks=w))])
    run(office, [report(3, T0 + dt.timedelta(weeks=9, hours=i)) for i in range(8)])
    assert signals(office, "weekly_spike") == []


def test_steady_weekly_counts_are_no_spike(office):
    for w in range(12):
        run(office, [report(2, T0 + dt.timedelta(weeks=w, hours=i)) for i in range(3)])
    assert signals(office, "weekly_spike") == []


def test_configurable_thresholds(office):
    cfg = WarningConfig(identifier_min_villages=3)
    run(office, [report(1, T0, **calo(telepon="0812 3456 7890"))], cfg)
    run(office, [report(2, T0, **calo(telepon="0812 3456 7890"))], cfg)
    assert signals(office) == []


def test_v1_free_text_gives_its_number_and_junk_no_error(office):
    """A v1 report's prose is read for numbers (issue 25 item 3); junk answers link nothing."""
    run(office, [report(1, T0, form="laporan_kecurigaan", pelaku="Pak Udin 0812 3456 7890"),
                 Report(str(uuid.uuid4()), 1, "x", clock.iso(T0), ["not", "a", "dict"]),
                 report(1, T0, terlibat="junk"), report(1, T0, terlibat=[{"telepon": 5}, "x"])])
    engine, _ = office
    with engine.connect() as conn:
        kinds = sorted(k for (k,) in conn.execute(select(warn_links.c.kind)))
    assert kinds == ["phone"] + ["tally"] * 4


def test_no_identifier_in_the_clear(office, tmp_path):
    """As the attacker with a copy of office.db: no number, plate, handle, boat or name in it."""
    secrets = {"telepon": "0812 3456 7890", "plat": "KT 1234 AB", "akun_medsos": "@udin.kerja",
               "kapal": "KM Sinar Jaya", "nama": "Saparudin"}
    run(office, [report(1, T0, **calo(**secrets)), report(2, T0, **calo(**secrets))])
    assert signals(office)                      # they did link
    engine, _ = office
    engine.dispose()
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("office.db*")).lower()
    for needle in [b"81234567890", b"kt1234ab", b"kt 1234", b"udin.kerja", b"sinar jaya", b"saparudin"]:
        assert needle not in raw, needle


def test_settings_file_and_its_errors(tmp_path):
    import pytest
    from core.errors import BadRequest
    assert WarningConfig.load_for(tmp_path) == WarningConfig()
    (tmp_path / "warning.json").write_text('{"identifier_days": 21, "place_min_reports": 4}')
    cfg = WarningConfig.load_for(tmp_path)
    assert (cfg.identifier_days, cfg.place_min_reports, cfg.identifier_min_villages) == (21, 4, 2)
    (tmp_path / "warning.json").write_text('{"identifer_days": 21}')
    with pytest.raises(BadRequest, match="unknown warning settings"):
        WarningConfig.load_for(tmp_path)
    (tmp_path / "warning.json").write_text('{not json')
    with pytest.raises(BadRequest, match="cannot read warning settings"):
        WarningConfig.load_for(tmp_path)


def test_facts_are_extracted_once_and_kept_for_the_same_settings_only():
    """Ingest hands one Report to the engine and then to the roll-up's link keys: the second
    reader with the same settings gets the facts the first one extracted; settings with
    another gazetteer get facts made under it, never the stale ones."""
    r = report(1, T0, tempat_berangkat="pelabuhan tunon taka", **calo(telepon="0812 3456 7890"))
    config = WarningConfig()
    first = r.facts_for(config)
    assert first.identifiers == [("phone", "+6281234567890")]
    assert r.facts_for(config) is first                              # kept, not extracted again
    no_places = WarningConfig(places={})
    other = r.facts_for(no_places)
    assert other is not first and other.identifiers == first.identifiers
    assert (first.place, other.place) == ("Pelabuhan Tunon Taka (Nunukan)", "pelabuhan tunon taka")   # its own answer
