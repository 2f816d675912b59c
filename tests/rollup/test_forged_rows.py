"""Red team: an office writing rows into another office's regional table (real clusters).

The attacker is the NNK office's own administrator (a superuser of NNK's cluster, and so of
its share database). The CHECK on `kanim_etk.share_reports` at the region only compares a
row's code with the table it lands in, and the publisher chooses which tables its
publication carries: NNK publishes a table named `kanim_etk.share_reports` full of ETK-coded
rows. What stops it is the subscription's owner: `jaga_sub_nnk` may write NNK's tables only.
"""
from __future__ import annotations

from sqlalchemy import create_engine, text

from office.rollup import ddl, health, setup
from office.rollup.names import Office

from .conftest import wait_for

FORGED = 25


def _count(chain, code: str, at: str = "region") -> int:
    return len(chain.region_rows(f"office_code = '{code}'", at=at))


def _published(chain, code: str) -> int:
    share = create_engine(chain.offices[code].cluster.url(f"share_{code.lower()}"))
    with share.connect() as conn:
        n = conn.execute(text(f"SELECT count(*) FROM kanim_{code.lower()}.share_reports")).scalar()
    share.dispose()
    return n


def _subscription_enabled(chain, name: str) -> bool:
    eng = create_engine(chain.region.url("region"))
    with eng.connect() as conn:
        on = conn.execute(text("SELECT subenabled FROM pg_subscription WHERE subname = :n"), {"n": name}).scalar()
    eng.dispose()
    return on


def test_an_office_publishing_another_offices_table_writes_nothing_there(chain):
    nnk, etk = chain.offices["NNK"], chain.offices["ETK"]
    wait_for(lambda: _count(chain, "ETK") == _published(chain, "ETK"), "ETK's copy settled")
    etk_real = _count(chain, "ETK")
    share = create_engine(nnk.cluster.url("share_nnk"), isolation_level="AUTOCOMMIT")
    with share.connect() as conn:       # the attack, in NNK's own share database
        for sql in ddl.share_table(Office("ETK"), with_envelope=False, check_code=True):
            conn.exec_driver_sql(sql)
        conn.execute(text(
            "INSERT INTO kanim_etk.share_reports (office_code, id, rahasia, form_id, form_version, kode_kecamatan, "
            "week, received_date, category, triage) SELECT 'ETK', gen_random_uuid(), false, 'laporan_kecurigaan', 1, "
            "'61.03.09', '2026-W49', current_date, 'rekrutmen', 'new' FROM generate_series(1, :n)"), {"n": FORGED})
        conn.exec_driver_sql("GRANT USAGE ON SCHEMA kanim_etk TO jaga_region")    # the region's login may read it
        conn.exec_driver_sql("GRANT SELECT ON kanim_etk.share_reports TO jaga_region")
        conn.exec_driver_sql("ALTER PUBLICATION jaga_up_nnk ADD TABLE kanim_etk.share_reports")
    try:
        # the region follows the documented repair for NNK: the new subscription copies every
        # table of NNK's publication, the forged one included
        setup.resync(chain.region.url(), "region", "NNK", chain.region_conninfo("NNK"), say=lambda s: None)
        wait_for(lambda: not _subscription_enabled(chain, "jaga_region_nnk"),
                 "NNK's subscription stopped by 'permission denied' on kanim_etk")
        log = (chain.region.base / "log").read_text(errors="replace")
        assert "permission denied for table share_reports" in log      # refused at the region, by the owner
        assert _count(chain, "ETK") == etk_real                     # not one forged row
        etk.add_report(category="penampungan")                     # ETK's own stream still flows
        wait_for(lambda: _count(chain, "ETK") == etk_real + 1, "ETK's next report at the region")
        wait_for(lambda: _count(chain, "ETK", at="national") == etk_real + 1, "and at national, nothing more")
        problems = health.check(chain.region.url(), "region", say=lambda s: None, settle=2)
        assert any("jaga_region_nnk is disabled" in p for p in problems)
        assert not any(p.startswith("office ETK") for p in problems)   # ETK's copy equals what ETK published
    finally:                            # NNK's administrator undoes it; the region re-syncs NNK
        with share.connect() as conn:
            conn.exec_driver_sql("ALTER PUBLICATION jaga_up_nnk DROP TABLE kanim_etk.share_reports")
            conn.exec_driver_sql("DROP SCHEMA kanim_etk CASCADE")
        share.dispose()
        setup.resync(chain.region.url(), "region", "NNK", chain.region_conninfo("NNK"), say=lambda s: None)
    wait_for(lambda: _count(chain, "NNK") == _published(chain, "NNK"), "NNK re-copied")
    chain.heal_national()
    assert health.check(chain.region.url(), "region", say=lambda s: None) == []


def test_check_compares_each_offices_rows_with_what_it_published(chain):
    """Rows that reached an office's table at the region some other way (planted before this
    fix, or by hand) are not that office's: `check` counts both sides and says so."""
    wait_for(lambda: _count(chain, "ETK") == _published(chain, "ETK"), "ETK's copy settled")
    n = _count(chain, "ETK")
    region = create_engine(chain.region.url("region"))
    with region.begin() as conn:
        conn.execute(text("INSERT INTO kanim_etk.share_reports (office_code, id, rahasia, form_id, form_version, "
                          "week, received_date, triage) VALUES ('ETK', gen_random_uuid(), false, 'x', 1, "
                          "'2026-W49', current_date, 'new')"))
    said: list[str] = []
    try:
        problems = health.check(chain.region.url(), "region", say=said.append, settle=2)
        assert [p for p in problems if p.startswith("office ETK")] == [
            p for p in problems if f"holds {n + 1} reports" in p and f"ETK published {n} " in p]
        assert any(p.startswith("office ETK") for p in problems)
        assert f"office NNK: here {_count(chain, 'NNK')} reports" in "\n".join(said)
    finally:
        with region.begin() as conn:
            conn.execute(text("DELETE FROM kanim_etk.share_reports WHERE form_id = 'x'"))
        region.dispose()
    assert health.check(chain.region.url(), "region", say=lambda s: None) == []


def test_check_finds_a_subscription_a_superuser_owns_and_region_setup_gives_it_back(chain):
    """A region set up before this fix: every subscription is its superuser's."""
    region = create_engine(chain.region.url("region"), isolation_level="AUTOCOMMIT")
    with region.connect() as conn:
        conn.exec_driver_sql("ALTER SUBSCRIPTION jaga_region_etk OWNER TO jaga")
    region.dispose()
    problems = health.check(chain.region.url(), "region", say=lambda s: None, settle=2)
    assert any("jaga_region_etk is owned by jaga (a superuser)" in p for p in problems)
    said: list[str] = []
    setup.region_setup(chain.region.url(), "region", {c: chain.region_conninfo(c) for c in chain.offices},
                       say=said.append)
    assert "create   subscription jaga_region_etk owned by jaga_sub_etk" in "\n".join(said)
    assert health.check(chain.region.url(), "region", say=lambda s: None) == []
