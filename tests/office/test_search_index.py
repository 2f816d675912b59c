"""The dashboard search index after derive2_0001: SQLite FTS5 / PostgreSQL GIN over the keyed
tokens. The migration moves the tokens dash_terms held (nothing re-derived, nothing lost)
and back; the index answers an all-of-these-tokens search; on both databases."""
from __future__ import annotations

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import text

from office import db
from office.dashboard import search_index

A, B, C = "a" * 32, "b" * 32, "0c" * 16


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path):
    url = request.getfixturevalue("postgres_server")(f"search_{request.node.name[-12:].lower()}"
                                                     .replace("[", "_").replace("]", "")) \
        if request.param == "postgresql" else db.sqlite_url(tmp_path)
    engine = db.make_engine(url)
    yield engine
    engine.dispose()


def upgrade(engine, to: str) -> None:
    cfg = db.alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, to)


def downgrade(engine, to: str) -> None:
    cfg = db.alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, to)


def test_the_migration_moves_the_tokens_and_back(engine):
    upgrade(engine, "warning_0001")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO dash_terms (term, envelope_id) VALUES (:t, :e)"),
                     [{"t": A, "e": "r1"}, {"t": B, "e": "r1"}, {"t": A, "e": "r2"}, {"t": C, "e": "r3"}])
    upgrade(engine, "derive2_0001")
    with engine.begin() as conn:
        assert search_index.indexed(conn) == {"r1", "r2", "r3"}
        assert search_index.holding(conn, A) == {"r1", "r2"}
        assert set(conn.execute(search_index.matching(conn, [A, B])).scalars()) == {"r1"}
        assert search_index.holding(conn, "f" * 32) == set()
    downgrade(engine, "warning_0001")
    with engine.begin() as conn:
        back = set(conn.execute(text("SELECT term, envelope_id FROM dash_terms")).all())
        queued = set(conn.execute(text("SELECT envelope_id FROM derive_jobs WHERE consumer = 'search'")).scalars())
    # PostgreSQL gives its arrays back; SQLite's contentless index cannot, so it re-derives them
    assert back == {(A, "r1"), (B, "r1"), (A, "r2"), (C, "r3")} if engine.dialect.name == "postgresql" \
        else back == set() and queued == set()        # (no envelopes stored in this test to queue)


def test_replace_keeps_only_the_new_tokens_and_clear_empties(engine):
    upgrade(engine, "head")
    with engine.begin() as conn:
        search_index.replace(conn, {"r1": [A, B], "r2": [B]})
        search_index.replace(conn, {"r1": [C]})
    with engine.begin() as conn:
        assert search_index.holding(conn, A) == set() and search_index.holding(conn, B) == {"r2"}
        assert search_index.holding(conn, C) == {"r1"}
        search_index.clear(conn)
    with engine.begin() as conn:
        assert search_index.indexed(conn) == set() and search_index.holding(conn, B) == set()
        search_index.replace(conn, {"r9": [B]})       # a document id is never handed out twice
    with engine.begin() as conn:
        assert search_index.holding(conn, B) == {"r9"}


def test_a_reindexed_report_leaves_no_old_token_in_the_index(engine):
    """Read from the index's own structures (FTS5's vocabulary on SQLite): after re-indexing
    and taking a report out, no token of the old words is left anywhere, under any document."""
    upgrade(engine, "head")
    with engine.begin() as conn:
        search_index.replace(conn, {"r1": [A, B], "r2": [B], "r3": [C]})
        search_index.replace(conn, {"r1": [C]})
        search_index.forget(conn, ["r3"])
    with engine.begin() as conn:
        assert search_index.held(conn) == {"r1": {C}, "r2": {B}}
        search_index.replace(conn, {"r1": [A], "r2": [A, C]})
    with engine.begin() as conn:
        assert search_index.held(conn) == {"r1": {A}, "r2": {A, C}}
        assert search_index.holding(conn, B) == set() and search_index.holding(conn, C) == {"r2"}


def test_the_migration_drops_what_reindexing_left_behind(engine):
    """Before derive3_0001 a re-indexed report's old SQLite document kept its tokens (they
    matched no report, but stayed in the index). The migration reads them back out of the
    index, deletes those documents' tokens and keeps each live report's, so the next
    re-index deletes exactly its old ones; on PostgreSQL there was nothing to leave."""
    before = ScriptDirectory.from_config(db.alembic_config()).get_revision("derive3_0001").down_revision
    upgrade(engine, before)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("INSERT INTO dash_search (envelope_id, terms) VALUES ('r1', :t), ('r2', :u)"),
                         {"t": [C], "u": [A, B]})
        else:               # what replace() did before: r1 indexed with A B, then again with C
            conn.execute(text("INSERT INTO dash_search (envelope_id) VALUES ('r1'), ('r2')"))
            conn.execute(text("INSERT INTO dash_search_fts (rowid, terms) VALUES (1, :t), (2, :u)"),
                         [{"t": f"{A} {B}", "u": f"{A} {B}"}])
            conn.execute(text("DELETE FROM dash_search WHERE envelope_id = 'r1'"))
            conn.execute(text("INSERT INTO dash_search (envelope_id) VALUES ('r1')"))
            conn.execute(text("INSERT INTO dash_search_fts (rowid, terms) VALUES (3, :t)"), {"t": C})
            assert search_index.held(conn)[None] == {A, B}        # the orphan the test is about
    upgrade(engine, "head")
    with engine.begin() as conn:
        assert search_index.held(conn) == {"r1": {C}, "r2": {A, B}}
        assert search_index.holding(conn, A) == {"r2"} and search_index.holding(conn, C) == {"r1"}
        search_index.replace(conn, {"r2": [C]})
    with engine.begin() as conn:
        assert search_index.held(conn) == {"r1": {C}, "r2": {C}}
    downgrade(engine, before)
    with engine.begin() as conn:
        assert search_index.holding(conn, C) == {"r1", "r2"}


def test_search4_migration_gives_each_report_its_document_and_back(engine, monkeypatch):
    """search4_0001 copies each report's current search document onto its dashboard row
    (SQLite: dash_search.doc; a report without words keeps NULL), so the walk that reads it
    finds the same reports after it as before; PostgreSQL gets the column only. And back."""
    from sqlalchemy import insert, inspect, select

    from jaga_desa.testing import archive
    from office.dashboard.schema import dash_reports
    before = ScriptDirectory.from_config(db.alembic_config()).get_revision("search4_0001").down_revision
    upgrade(engine, before)
    with engine.begin() as conn:
        conn.execute(insert(dash_reports), [archive.dash_row(e, 1, "laporan_kecurigaan", f"2026-01-0{k}T00:00:00.000Z")
                                            for k, e in enumerate(("r1", "r2", "r3"), 1)])
        if engine.dialect.name == "postgresql":
            search_index.replace(conn, {"r1": [A, B], "r2": [B]})
        else:                   # as replace() wrote them before search4_0001 (no copy on the row)
            conn.execute(text("INSERT INTO dash_search (envelope_id, terms) VALUES ('r2', :u), ('r1', :t)"),
                         {"t": f"{A} {B}", "u": B})
            conn.execute(text("INSERT INTO dash_search_fts (rowid, terms) SELECT doc, terms FROM dash_search"))
    upgrade(engine, "search4_0001")
    monkeypatch.setattr(search_index, "_cheapest", lambda found, rows: "walk")
    with engine.begin() as conn:
        kept = dict(conn.execute(select(dash_reports.c.envelope_id, dash_reports.c.search_doc)).all())
        if engine.dialect.name == "postgresql":
            assert kept == {"r1": None, "r2": None, "r3": None}
        else:
            docs = dict(conn.execute(text("SELECT envelope_id, doc FROM dash_search")).all())
            assert kept == {"r1": docs["r1"], "r2": docs["r2"], "r3": None} and docs["r1"] != docs["r2"]
        walk = search_index.holding_all(conn, [B], dash_reports.c.envelope_id)
        assert set(conn.execute(select(dash_reports.c.envelope_id).where(walk)).scalars()) == {"r1", "r2"}
        walk = search_index.holding_all(conn, [A, B], dash_reports.c.envelope_id)
        assert set(conn.execute(select(dash_reports.c.envelope_id).where(walk)).scalars()) == {"r1"}
    downgrade(engine, before)
    with engine.begin() as conn:
        assert "search_doc" not in [c["name"] for c in inspect(conn).get_columns("dash_reports")]
        assert set(conn.execute(search_index.matching(conn, [B])).scalars()) == {"r1", "r2"}
