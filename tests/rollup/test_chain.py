"""Two offices -> region on real PostgreSQL logical replication."""
from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import create_engine, text

from office.rollup import ddl, health, setup

from .conftest import OFFICE_DB, REGION_PASSWORD, REGION_ROLE, TLS, setup_office, wait_for


def count(chain, where="true") -> int:
    return len(chain.region_rows(where))


def test_only_allowed_rows_and_columns_arrive(chain):
    nnk, etk = chain.offices["NNK"], chain.offices["ETK"]
    ids = [nnk.add_report() for _ in range(3)] + [nnk.add_report(category="penampungan")]
    secret = nnk.add_report(rahasia=True)
    etk.add_report(form_id="keberangkatan_pmi", category=None)
    wait_for(lambda: count(chain, "office_code = 'NNK'") == 5 and count(chain, "office_code = 'ETK'") == 2,
             "4 new + 1 backfilled NNK rows and 2 ETK rows at the region")
    rows = chain.region_rows()
    assert set(rows[0]._fields) == set(ddl.PUBLISHED)             # no envelope_id, nothing else
    assert not any(r.rahasia for r in rows)
    assert not {str(r.id) for r in rows} & set(ids + [secret])    # pseudonymous ids, not envelope ids
    assert {r.kode_kecamatan for r in rows} == {"65.03.01", "61.03.09"}
    assert {r.category for r in rows if r.office_code == "ETK"} >= {"pmi_nonprosedural"}


def test_rahasia_flip_removes_then_restores_and_triage_follows(chain):
    nnk = chain.offices["NNK"]
    n = count(chain, "office_code = 'NNK'") + 1
    eid = nnk.add_report()
    wait_for(lambda: count(chain, "office_code = 'NNK'") == n, "the new report at the region")
    nnk.sql("UPDATE envelopes SET rahasia = true WHERE id = :i", i=eid)
    wait_for(lambda: count(chain, "office_code = 'NNK'") == n - 1, "the rahasia report to leave the region")
    nnk.sql("UPDATE envelopes SET rahasia = false, triage = 'in_progress' WHERE id = :i", i=eid)
    wait_for(lambda: count(chain, "office_code = 'NNK' AND triage = 'in_progress'") == 1,
             "the report back, with its new triage state")
    assert count(chain, "office_code = 'NNK'") == n


def test_truncate_upstream_publishes_nothing(chain):
    nnk = chain.offices["NNK"]
    n_nnk, n_etk = count(chain, "office_code = 'NNK'"), count(chain, "office_code = 'ETK'")
    nnk.sql("TRUNCATE kanim_nnk.share_reports")          # the office's own table, by mistake
    share = create_engine(nnk.cluster.url("share_nnk"))
    with share.begin() as conn:
        conn.execute(text("TRUNCATE kanim_nnk.share_reports"))   # and the share DB's copy
    share.dispose()
    marker = nnk.add_report(category="lainnya")
    wait_for(lambda: count(chain, "office_code = 'NNK' AND category = 'lainnya'") == 1, "a later report")
    assert count(chain, "office_code = 'NNK'") == n_nnk + 1 and count(chain, "office_code = 'ETK'") == n_etk
    del marker


def test_the_regional_login_cannot_read_the_office_database(chain):
    c = chain.offices["NNK"].cluster
    for extra in ({}, {"replication": "database"}):
        with pytest.raises(psycopg.OperationalError):
            psycopg.connect(host="127.0.0.1", port=c.port, dbname=OFFICE_DB, user=REGION_ROLE,
                            password=REGION_PASSWORD, connect_timeout=5, **extra).close()
    with psycopg.connect(host="127.0.0.1", port=c.port, dbname="share_nnk", user=REGION_ROLE,
                         password=REGION_PASSWORD, connect_timeout=5) as conn:
        cols = [d.name for d in conn.execute("SELECT * FROM kanim_nnk.share_reports LIMIT 1").description]
        assert "envelope_id" not in cols
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("CREATE TABLE kanim_nnk.x (a int)")
    # CONNECT is revoked too, so a looser pg_hba alone would not open the office DB
    with create_engine(c.url(OFFICE_DB)).connect() as conn:
        assert conn.execute(text(f"SELECT has_database_privilege('{REGION_ROLE}', '{OFFICE_DB}', 'CONNECT')")).scalar() is False


def test_rows_under_another_offices_code_stop_that_stream_only(chain):
    """A tampered office share DB sends an ETK-coded row: the region's CHECK refuses it,
    disable_on_error stops NNK's stream (ETK's keeps flowing), check says so, resync repairs."""
    nnk, etk = chain.offices["NNK"], chain.offices["ETK"]
    share = create_engine(nnk.cluster.url("share_nnk"))
    with share.begin() as conn:
        conn.execute(text("ALTER TABLE kanim_nnk.share_reports DROP CONSTRAINT share_reports_office"))
        conn.execute(text("INSERT INTO kanim_nnk.share_reports (office_code, id, rahasia, form_id, form_version, "
                          "week, received_date, triage) VALUES ('ETK', gen_random_uuid(), false, 'x', 1, "
                          "'2026-W48', current_date, 'new')"))
    region = create_engine(chain.region.url("region"))

    def disabled():
        with region.connect() as conn:
            return conn.execute(text("SELECT NOT subenabled FROM pg_subscription WHERE subname='jaga_region_nnk'")).scalar()
    wait_for(disabled, "disable_on_error to stop NNK's subscription")
    etk_before = count(chain, "office_code = 'ETK'")
    etk.add_report(category="penampungan")
    wait_for(lambda: count(chain, "office_code = 'ETK'") == etk_before + 1, "ETK still flowing")
    assert count(chain, "office_code = 'ETK' AND id IS NOT NULL") == etk_before + 1
    said: list[str] = []
    problems = health.check(chain.region.url(), "region", say=said.append)
    assert any("jaga_region_nnk is disabled" in p for p in problems)
    with share.begin() as conn:           # the office repairs its share DB ...
        conn.execute(text("DELETE FROM kanim_nnk.share_reports WHERE office_code <> 'NNK'"))
        conn.execute(text("ALTER TABLE kanim_nnk.share_reports ADD CONSTRAINT share_reports_office "
                          "CHECK (office_code = 'NNK')"))
        n_share = conn.execute(text("SELECT count(*) FROM kanim_nnk.share_reports")).scalar()
    share.dispose()
    setup.resync(chain.region.url(), "region", "NNK", chain.region_conninfo("NNK"), say=said.append)  # ... region re-syncs
    wait_for(lambda: count(chain, "office_code = 'NNK'") == n_share, "NNK re-copied")
    assert health.check(chain.region.url(), "region", say=said.append) == []
    assert count(chain, "office_code <> 'NNK' AND office_code <> 'ETK'") == 0
    region.dispose()


def test_setup_is_idempotent_and_says_what_it_does(chain):
    nnk = chain.offices["NNK"]
    first = "\n".join(nnk.said)
    assert "create   publication jaga_share_nnk" in first and "WHERE (office_code = 'NNK' AND NOT rahasia)" in first
    assert REGION_PASSWORD not in first                       # passwords are masked
    nnk.said.clear()
    setup_office(nnk)
    again = "\n".join(nnk.said)
    assert "create   publication" not in again and "create   database" not in again
    assert "ok       publication jaga_share_nnk" in again
    problems = health.check(nnk.cluster.url(), OFFICE_DB, say=lambda s: None, region_role=REGION_ROLE)
    assert problems == []


def test_check_finds_a_pg_hba_that_lets_the_regional_login_in(chain):
    """The region cluster's pg_hba has no reject line for that login: check must say so."""
    problems = health.check(chain.region.url(), "region", say=lambda s: None, region_role=REGION_ROLE)
    assert any("pg_hba lets jaga_region reach region" in p for p in problems)


def test_the_office_app_login_keeps_its_connect(chain):
    """CONNECT is revoked from PUBLIC on the office DB: the app's own login (it writes
    `envelopes`) is found and keeps it, with no flag to remember."""
    nnk = chain.offices["NNK"]
    nnk.sql("CREATE ROLE jaga_app LOGIN PASSWORD 'aplikasi-kantor'")
    connect = dict(host="127.0.0.1", port=nnk.cluster.port, dbname=OFFICE_DB, user="jaga_app",
                   password="aplikasi-kantor", connect_timeout=5)
    with pytest.raises(psycopg.OperationalError, match="permission denied"):
        psycopg.connect(**connect).close()           # a login made after the set-up, not yet the app's
    nnk.sql("GRANT USAGE ON SCHEMA public TO jaga_app; "
            "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO jaga_app")
    said: list[str] = []
    setup.office_setup(nnk.cluster.url(), OFFICE_DB, "NNK", local_conninfo=nnk.cluster.conninfo(OFFICE_DB),
                       region_role=REGION_ROLE, region_password=REGION_PASSWORD, level_key=b"k" * 32,
                       say=said.append)
    assert "its owner and jaga_app keep it" in "\n".join(said)
    psycopg.connect(**connect).close()


def test_office_setup_refuses_to_lock_out_a_connected_login(chain, capsys):
    """A reporting login that connects through PUBLIC's CONNECT, in use right now: office-setup
    stops before changing anything and names it; with --keep-connect it keeps its access."""
    from jaga_desa.cli import main
    nnk = chain.offices["NNK"]
    nnk.sql(f"CREATE ROLE laporan LOGIN PASSWORD 'laporan-uji'; GRANT CONNECT ON DATABASE {OFFICE_DB} TO PUBLIC")
    connect = dict(host="127.0.0.1", port=nnk.cluster.port, dbname=OFFICE_DB, user="laporan",
                   password="laporan-uji", connect_timeout=5)
    argv = ["rollup", "office-setup", "--url", nnk.cluster.url(), "--office-db", OFFICE_DB, "--code", "NNK",
            "--local-conninfo", nnk.cluster.conninfo(OFFICE_DB)]
    key = chain.region.file_for_server("level.key", (b"k" * 32).hex().encode())
    try:
        with psycopg.connect(**connect):
            assert main(argv + ["--level-key-file", str(key)]) == 1
            err = capsys.readouterr().err
            assert err.startswith("error [rollup_app_lockout]: laporan is connected to jaga_office now") \
                and "--keep-connect" in err and "nothing was changed" in err
            with create_engine(nnk.cluster.url(OFFICE_DB)).connect() as conn:
                assert conn.execute(text(f"SELECT has_database_privilege('public', '{OFFICE_DB}', 'CONNECT')")).scalar()
            assert main(argv + ["--level-key-file", str(key), "--keep-connect", "laporan"]) == 0
        capsys.readouterr()
        psycopg.connect(**connect).close()               # still in, by name
        with create_engine(nnk.cluster.url(OFFICE_DB)).connect() as conn:
            assert not conn.execute(text(f"SELECT has_database_privilege('{REGION_ROLE}', '{OFFICE_DB}', "
                                         f"'CONNECT')")).scalar()
    finally:
        nnk.sql(f"REVOKE CONNECT ON DATABASE {OFFICE_DB} FROM PUBLIC")


def test_the_region_feeds_the_national_level(chain):
    nnk = chain.offices["NNK"]
    eid = nnk.add_report(category="penampungan")

    def same():
        r = {(x.office_code, x.id, x.triage) for x in chain.region_rows()}
        n = {(x.office_code, x.id, x.triage) for x in chain.region_rows(at="national")}
        return r == n and len(n) > 0 and n
    wait_for(same, "the national copy to equal the region's")
    n = len(chain.region_rows(at="national"))
    nnk.sql("UPDATE envelopes SET rahasia = true WHERE id = :i", i=eid)
    wait_for(lambda: len(chain.region_rows(at="national")) == n - 1, "rahasia to leave the national copy too")


def test_cli_check_and_typed_errors(chain, capsys):
    from jaga_desa.cli import main
    assert main(["rollup", "check", "--url", chain.region.url(), "--db", "region"]) == 0
    out = capsys.readouterr().out
    assert "subscription jaga_region_nnk: enabled=True" in out and "wal_level=logical" in out
    assert main(["rollup", "region-setup", "--url", chain.region.url(), "--office", "nnk=host=x"]) == 1
    assert capsys.readouterr().err.startswith("error [rollup_invalid]: office code 'nnk'")
    assert main(["rollup", "check", "--url", chain.region.url(), "--db", "no_such_db"]) == 1
    assert capsys.readouterr().err.startswith("error [rollup_database]:")
    from core.net import free_port       # an office nobody listens on: CREATE SUBSCRIPTION cannot connect
    assert main(["rollup", "region-setup", "--url", chain.region.url(), "--db", "region_typo",
                 "--office", f"XYZ=host=127.0.0.1 port={free_port()} dbname=share_xyz user=jaga_region"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error [rollup_database]: could not connect") and "Traceback" not in err


def test_a_region_killed_during_inserts_catches_up_without_loss_or_duplicates(chain):
    nnk = chain.offices["NNK"]
    share = create_engine(nnk.cluster.url("share_nnk"))

    def share_ids():
        with share.connect() as conn:
            return {str(r[0]) for r in conn.execute(text("SELECT id FROM kanim_nnk.share_reports"))}
    for i in range(60):
        nnk.add_report()
        if i == 20:
            chain.region.kill9()                 # SIGKILL the region's postmaster mid-stream
    chain.region.restart_after_crash()
    want = wait_for(lambda: (ids := share_ids()) and len(ids) == len(share_ids()) and ids, "share DB settled")
    got = wait_for(lambda: (rows := chain.region_rows("office_code = 'NNK'")) and
                   {str(r.id) for r in rows} == want and rows, "the region to catch up")
    assert len(got) == len(want)                 # nothing lost, nothing twice
    share.dispose()
    # the national level's subscriptions stopped when the region died (disable_on_error):
    # `rollup check` says so, `rollup enable` restarts them, the national copy catches up
    # the national level's subscriptions usually stop when the region dies (disable_on_error
    # counts a lost connection): `rollup check` says so, `rollup enable` restarts them
    problems = health.check(chain.national.url(), "national", say=lambda s: None)
    assert all("rollup enable" in p for p in problems if "is disabled" in p)
    chain.heal_national()
    assert health.check(chain.national.url(), "national", say=lambda s: None) == []


def test_the_weekly_view_counts_per_office_and_kecamatan(chain):
    eng = create_engine(chain.region.url("region"))
    with eng.connect() as conn:
        rows = conn.execute(text("SELECT office_code, kode_kecamatan, sum(reports) FROM public.share_weekly "
                                 "GROUP BY 1, 2 ORDER BY 1")).all()
        total = conn.execute(text("SELECT count(*) FROM public.share_reports")).scalar()
    eng.dispose()
    assert {(r[0], r[1]) for r in rows} == {("ETK", "61.03.09"), ("NNK", "65.03.01")}
    assert sum(r[2] for r in rows) == total


def test_rollup_demo_runs_end_to_end(capsys):
    from jaga_desa.cli import main
    assert main(["rollup", "demo"]) == 0
    out = capsys.readouterr().out
    assert "region holds 4 reports (the rahasia one stayed home)" in out
    assert "after reclassifying one NNK report as rahasia: 3 reports at the region" in out
    link = [line for line in out.splitlines() if line.startswith("cross-office link at the region: phone:")]
    assert len(link) == 1 and "at ETK, NNK; kecamatan 61.03.21, 65.03.01" in link[0]    # Entikong (23.12)
    assert "rows at the region holding the number itself: 0" in out and "+6281277315599" not in out
    assert "PROBLEM" not in out
    from office.rollup.demo import LEVEL_KEY, PASSWORD
    assert LEVEL_KEY.hex() not in out and PASSWORD not in out          # issue 23 item 2: no secret printed


def test_a_report_ingested_by_a_real_office_reaches_the_region(chain, tmp_path):
    """The office process itself (uvicorn, on the office cluster) ingests a sealed report over
    HTTP; the share trigger fires inside ingest's transaction; the region receives the row."""
    import forms
    from jaga_desa.testing.servers import OfficeServer
    from sync import envelope as env
    from office.rollup import links
    from office.rollup.volunteer import report_naming
    from tests.handover.conftest import seal
    from tests.support import enroll
    nnk = chain.offices["NNK"]
    with nnk.engine.connect() as conn:      # run alone, the chain's initial copy may still be under way
        leaving = conn.execute(text("SELECT count(*) FROM kanim_nnk.share_reports WHERE NOT rahasia")).scalar()
    wait_for(lambda: count(chain, "office_code = 'NNK'") == leaving, "the region's NNK copy settled before the test")
    before = leaving
    server = OfficeServer(tmp_path / "office", nnk.cluster.url(OFFICE_DB)).start()
    try:
        person, client = enroll(server, "Tanjungkarang", "volunteer", "Relawan Uji")
        answers = dict(forms.load("laporan_kecurigaan", 1).example(), kategori="penampungan", rahasia="tidak")
        sealed = seal(person, "laporan_kecurigaan", answers)
        v2 = forms.load("laporan_kecurigaan", 2)
        named = v2.check(report_naming("0812 9090 1234"))     # a v2 report naming a recruiter's phone
        sealed_v2 = env.seal({"answers": named, "flags": v2.flags(named), "rahasia": False, "lang": "id"},
                             form_id=v2.id, form_version=2, author_id=person.id, device_id=person.device_id,
                             signing_key=person.ed, recipients=[person.office_x()] + person.heads())
        assert [r["status"] for r in client.push([sealed.envelope, sealed_v2.envelope])] == ["accepted"] * 2
        server.derived()          # its derive worker makes the link keys after the push
    finally:
        server.stop()
    rows = wait_for(lambda: (r := chain.region_rows("office_code = 'NNK'")) and len(r) == before + 2 and r,
                    "the ingested reports at the region")
    assert str(sealed.envelope_id) not in {str(r.id) for r in rows}
    assert "penampungan" in {r.category for r in rows}
    key = links.link_key(b"k" * 32, "phone", "+6281290901234")   # made by the office process's own worker
    wait_for(lambda: chain.region_rows(f"key = '{key}'", table="share_links"), "the v2 report's link at the region")


def test_the_regional_login_needs_tls_and_the_right_ca(chain, tmp_path):
    from .tls import ca_and_server
    c = chain.offices["NNK"].cluster
    base = dict(host="127.0.0.1", port=c.port, dbname="share_nnk", user=REGION_ROLE,
                password=REGION_PASSWORD, connect_timeout=5)
    with pytest.raises(psycopg.OperationalError, match="reject"):
        psycopg.connect(**base, sslmode="disable").close()          # no TLS: pg_hba rejects
    other_ca = tmp_path / "other-ca.crt"
    other_ca.write_bytes(ca_and_server()[0])
    with pytest.raises(psycopg.OperationalError, match="certificate verify failed|SSL error"):
        psycopg.connect(**base, sslmode="verify-full", sslrootcert=str(other_ca)).close()   # a stranger's server
    good = tmp_path / "ca.crt"
    good.write_bytes(TLS[0])
    with psycopg.connect(**base, sslmode="verify-full", sslrootcert=str(good)) as conn:
        assert conn.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").fetchone()[0] is True


def test_a_slot_lost_while_the_region_was_down_is_reported_and_resynced(chain):
    """max_slot_wal_keep_size caps what a dead subscriber may pin; past it the slot is lost,
    `check` says so at the office, and `resync` at the region brings the copy back whole."""
    nnk = chain.offices["NNK"]
    admin = create_engine(nnk.cluster.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("ALTER SYSTEM SET max_slot_wal_keep_size = '32MB'"))
        conn.execute(text("SELECT pg_reload_conf()"))
    chain.region.stop_keep_data()
    try:
        nnk.add_report(category="lainnya")           # a change the region has not seen
        with admin.connect() as conn:               # ~150 MB of WAL the dead region's slot would pin
            conn.execute(text("CREATE TABLE wal_filler AS SELECT repeat(md5(g::text), 32) AS x "
                              "FROM generate_series(1, 120000) g"))

        def share_slot_behind() -> int:
            with admin.connect() as conn:
                return conn.execute(text("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn) "
                                         "FROM pg_replication_slots WHERE slot_name = 'jaga_share_nnk'")).scalar()
        # the LIVE subscriber (the office's own share DB) must have read past the filler first:
        # its slot's restart point moves on the next running-xacts record (bgwriter, <= 15 s);
        # a checkpoint before that would invalidate it too (a live slot behind by > the cap)
        wait_for(lambda: share_slot_behind() < 16 * 1024 * 1024, "the share DB's live slot past the filler")
        with admin.connect() as conn:
            conn.execute(text("CHECKPOINT"))
            conn.execute(text("SELECT pg_switch_wal()"))
            conn.execute(text("CHECKPOINT"))

        def lost():
            with create_engine(nnk.cluster.url("share_nnk")).connect() as c:
                return c.execute(text("SELECT wal_status FROM pg_replication_slots "
                                      "WHERE slot_name = 'jaga_region_nnk'")).scalar() in ("lost", "unreserved")
        wait_for(lost, "the region's slot to be invalidated")
        problems = health.check(nnk.cluster.url(), "share_nnk", say=lambda s: None)
        assert any("jaga_region_nnk is" in p and "re-sync" in p for p in problems)
        assert not any("jaga_share_nnk" in p for p in problems)      # only the dead subscriber's slot
    finally:
        chain.region.restart_after_crash()
        with admin.connect() as conn:
            conn.execute(text("DROP TABLE IF EXISTS wal_filler"))
            conn.execute(text("ALTER SYSTEM RESET max_slot_wal_keep_size"))
            conn.execute(text("SELECT pg_reload_conf()"))
        admin.dispose()
    setup.resync(chain.region.url(), "region", "NNK", chain.region_conninfo("NNK"), say=lambda s: None)
    share = create_engine(nnk.cluster.url("share_nnk"))
    with share.connect() as conn:
        want = {str(r[0]) for r in conn.execute(text("SELECT id FROM kanim_nnk.share_reports"))}
    share.dispose()
    wait_for(lambda: {str(r.id) for r in chain.region_rows("office_code = 'NNK'")} == want,
             "the region's NNK copy complete again after resync")
    chain.heal_national()
