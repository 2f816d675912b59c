"""The weekly-spike rule (EARS C2, the office's own `ears_c2` and settings) one level up:
on the region's and the national copy of `share_weekly`, per office x kecamatan. Reports are
rows in each office's real `envelopes` with older `received_at` (earlier ISO weeks); the
share trigger and logical replication carry them up."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import create_engine, text

from office import clock
from office.rollup import cli, signals
from office.warning.config import WarningConfig

from .conftest import wait_for

SPIKE = [1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 6]     # oldest first, the last one is this week
STEADY = [3] * 12


def spike_weeks_ago(n: int) -> list[int]:
    """SPIKE, then `n` ordinary weeks after it: the spike lies `n` weeks back."""
    return SPIKE + [1] * n


def week_ago(n: int) -> str:
    return signals.iso_week((clock.now() - dt.timedelta(weeks=n)).date())


def file_weeks(site, name: str, kecamatan: str, counts: list[int]) -> None:
    """`counts[i]` reports in a new village of `kecamatan`, `len(counts) - 1 - i` weeks ago."""
    village = site.add_village(name, f"{kecamatan}.2001")
    now = clock.now()
    for i, n in enumerate(counts):
        at = clock.iso(now - dt.timedelta(weeks=len(counts) - 1 - i))
        for _ in range(n):
            site.add_report(received_at=at, village=village)


def spikes_at(chain, at: str, config: WarningConfig | None = None) -> list[signals.WeeklySpike]:
    cluster = chain.region if at == "region" else chain.national
    eng = create_engine(cluster.url(at))
    try:
        with eng.connect() as conn:
            return signals.weekly_spikes(conn, config=config)
    finally:
        eng.dispose()


def count_at(chain, at: str, office: str, kecamatan: str) -> int:
    cluster = chain.region if at == "region" else chain.national
    eng = create_engine(cluster.url(at))
    try:
        with eng.connect() as conn:
            return conn.execute(text("SELECT coalesce(sum(reports), 0) FROM public.share_weekly "
                                     "WHERE office_code = :o AND kode_kecamatan = :k"),
                                {"o": office, "k": kecamatan}).scalar()
    finally:
        eng.dispose()


def arrived(chain, office: str, kecamatan: str, counts: list[int]) -> None:
    for at in ("region", "national"):
        wait_for(lambda at=at: count_at(chain, at, office, kecamatan) == sum(counts),
                 f"{sum(counts)} reports of {office} {kecamatan} at the {at}")


def test_a_spike_at_one_kecamatan_is_one_signal_at_region_and_national(chain):
    nnk, etk = chain.offices["NNK"], chain.offices["ETK"]
    file_weeks(nnk, "Lonjak", "65.03.91", SPIKE)
    file_weeks(nnk, "Tenang Utara", "65.03.92", STEADY)      # the same office, a steady kecamatan
    file_weeks(etk, "Tenang Barat", "61.03.91", STEADY)      # the other office, steady
    for office, kec, counts in (("NNK", "65.03.91", SPIKE), ("NNK", "65.03.92", STEADY), ("ETK", "61.03.91", STEADY)):
        arrived(chain, office, kec, counts)
    week = signals.iso_week(clock.now().date())
    for at in ("region", "national"):
        mine = [s for s in spikes_at(chain, at) if s.kecamatan in ("65.03.91", "65.03.92", "61.03.91")]
        assert mine == [signals.WeeklySpike("NNK", "65.03.91", week, 6, 1.0, 5.0, 3.0)], at


def test_steady_counts_and_a_new_kecamatan_raise_none(chain):
    nnk, etk = chain.offices["NNK"], chain.offices["ETK"]
    file_weeks(etk, "Rata", "61.03.93", [2] * 12)
    file_weeks(etk, "Naik Pelan", "61.03.94", [1, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3])   # slow rise, C2 < 3
    file_weeks(nnk, "Desa Baru", "65.03.94", [0] * 11 + [6])     # no history older than the baseline
    for office, kec, n in (("ETK", "61.03.93", 24), ("ETK", "61.03.94", 22), ("NNK", "65.03.94", 6)):
        arrived(chain, office, kec, [n])
    for at in ("region", "national"):
        assert not [s for s in spikes_at(chain, at) if s.kecamatan in ("61.03.93", "61.03.94", "65.03.94")], at


def test_a_spike_in_a_past_week_is_reported_with_that_week_newest_first(chain):
    """Monday morning: last week's spikes are still on the page, each naming its week. Default
    = this week and the 4 complete weeks before it; a spike 5 weeks back is past the window."""
    nnk, etk = chain.offices["NNK"], chain.offices["ETK"]
    cases = (("NNK", nnk, "65.03.81", spike_weeks_ago(2)), ("ETK", etk, "61.03.81", spike_weeks_ago(4)),
             ("NNK", nnk, "65.03.82", SPIKE), ("ETK", etk, "61.03.82", spike_weeks_ago(5)),
             ("ETK", etk, "61.03.83", STEADY + [3] * 4))
    for code, site, kec, counts in cases:
        file_weeks(site, f"Lonjak Lalu {kec}", kec, counts)
    for code, site, kec, counts in cases:
        arrived(chain, code, kec, counts)
    mine = ("65.03.81", "61.03.81", "65.03.82", "61.03.82", "61.03.83")
    for at in ("region", "national"):
        got = [s for s in spikes_at(chain, at) if s.kecamatan in mine]
        assert got == [signals.WeeklySpike("NNK", "65.03.82", week_ago(0), 6, 1.0, 5.0, 3.0),
                       signals.WeeklySpike("NNK", "65.03.81", week_ago(2), 6, 1.0, 5.0, 3.0),
                       signals.WeeklySpike("ETK", "61.03.81", week_ago(4), 6, 1.0, 5.0, 3.0)], at
    wider = [(s.kecamatan, s.week) for s in spikes_at(chain, "region", WarningConfig(spike_recent_weeks=5))
             if s.kecamatan in mine]
    assert ("61.03.82", week_ago(5)) in wider and len(wider) == 4
    this_week_only = [s.kecamatan for s in spikes_at(chain, "region", WarningConfig(spike_recent_weeks=0))
                      if s.kecamatan in mine]
    assert this_week_only == ["65.03.82"]


def test_the_office_settings_apply_at_the_region(chain):
    """The region reads the office's own thresholds: the spike above (C2 = 5) is none at 6."""
    file_weeks(chain.offices["NNK"], "Lonjak Ambang", "65.03.97", SPIKE)
    arrived(chain, "NNK", "65.03.97", SPIKE)
    eng = create_engine(chain.region.url("region"))
    try:
        with eng.connect() as conn:
            default = [s.kecamatan for s in signals.weekly_spikes(conn)]
            strict = [s.kecamatan for s in signals.weekly_spikes(conn, config=WarningConfig(spike_threshold=6.0))]
    finally:
        eng.dispose()
    assert "65.03.97" in default and "65.03.97" not in strict


def test_the_dashboard_refuses_unknown_warning_settings(chain, tmp_path, capsys):
    bad = tmp_path / "warning.json"
    bad.write_text('{"spike_treshold": 2}', encoding="utf-8")
    code = cli.main(["dashboard", "--db", f"postgresql+psycopg://127.0.0.1:{chain.region.port}/region",
                     "--port", "1", "--warning-settings", str(bad)])
    err = capsys.readouterr().err
    assert code == 1 and err.startswith("error [bad_request]:") and "spike_treshold" in err
