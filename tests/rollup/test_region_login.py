"""Red team (issue 22 item 11): the regional replication login on the office's server.

The attacker holds `jaga_region`'s password (a region engineer, or whoever took the
region's subscription connection string) and reaches the office cluster as the region
does: TLS, SCRAM, the share database. The subscription needs: connect to `share_<code>`,
read the two share tables, stream the publication over a replication connection and make
its own slots there. Anything beyond that is refused, or — the one thing PostgreSQL 15
cannot refuse a REPLICATION login, a slot made over the replication protocol — found by
`rollup check` at the office and bounded by max_slot_wal_keep_size."""
from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import create_engine, text

from office.rollup import ddl, health

from .conftest import REGION_PASSWORD, REGION_ROLE, TLS


def _login(chain, tmp_path, **extra) -> psycopg.Connection:
    ca = tmp_path / "ca.crt"
    ca.write_bytes(TLS[0])
    c = chain.offices["NNK"].cluster
    return psycopg.connect(host="127.0.0.1", port=c.port, dbname="share_nnk", user=REGION_ROLE,
                           password=REGION_PASSWORD, sslmode="verify-full", sslrootcert=str(ca), connect_timeout=5,
                           autocommit=True, **extra)


def test_the_regional_login_lists_no_database_slot_or_session(chain, tmp_path):
    with _login(chain, tmp_path) as conn:
        assert conn.execute("SELECT count(*) FROM kanim_nnk.share_reports").fetchone()[0] >= 0   # what it needs
        for catalog in ddl.HIDDEN_CATALOGS:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(f"SELECT * FROM pg_catalog.{catalog} LIMIT 1")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT pg_database_size('jaga_office')")


def test_the_regional_login_cannot_make_drop_or_read_a_slot_by_sql(chain, tmp_path):
    with _login(chain, tmp_path) as conn:
        for sql in ("SELECT pg_create_logical_replication_slot('evil', 'pgoutput')",
                    "SELECT pg_create_physical_replication_slot('evil_wal')",
                    "SELECT pg_drop_replication_slot('jaga_region_nnk')",
                    "SELECT * FROM pg_logical_slot_get_changes('jaga_region_nnk', NULL, NULL)",
                    "SELECT pg_replication_slot_advance('jaga_region_nnk', pg_current_wal_lsn())",
                    "SELECT pg_copy_logical_replication_slot('jaga_region_nnk', 'evil_copy')"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(sql)
    admin = create_engine(chain.offices["NNK"].cluster.url("share_nnk"))
    with admin.connect() as conn:
        slots = conn.execute(text("SELECT slot_name FROM pg_replication_slots WHERE slot_name LIKE 'evil%'")).all()
    admin.dispose()
    assert slots == []


def test_a_slot_made_over_the_replication_protocol_is_named_by_check(chain, tmp_path):
    """The limit: a REPLICATION login may make a logical slot in the database it reaches
    (PostgreSQL 15 has no finer privilege). It decodes only the share database, pins WAL only
    up to max_slot_wal_keep_size, and `rollup check` at the office names it."""
    with pytest.raises(psycopg.OperationalError):      # physical replication: pg_hba rejects it
        _login(chain, tmp_path, replication="true").close()
    with _login(chain, tmp_path, replication="database") as conn:
        done = conn.pgconn.exec_(b"CREATE_REPLICATION_SLOT evil_slot LOGICAL pgoutput")
        assert done.status == psycopg.pq.ExecStatus.TUPLES_OK      # made: the limit is real
    nnk = chain.offices["NNK"]
    try:
        problems = health.check(nnk.cluster.url(), "share_nnk", say=lambda s: None, settle=2)
        assert any(p.startswith("slot evil_slot in database share_nnk was not made by the roll-up") and
                   "pg_drop_replication_slot('evil_slot')" in p for p in problems)
    finally:
        with create_engine(nnk.cluster.url("share_nnk")).connect() as conn:
            conn.execute(text("SELECT pg_drop_replication_slot('evil_slot')"))
    assert not any("evil_slot" in p for p in health.check(nnk.cluster.url(), "share_nnk", say=lambda s: None))
