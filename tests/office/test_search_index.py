"""The dashboard search index after derive2_0001: SQLite FTS5 / PostgreSQL GIN over the keyed
tokens. The migration moves the tokens dash_terms held (nothing re-derived, nothing lost)
and back; the index answers an all-of-these-tokens search; on both databases."""
from __future__ import annotations

import pytest
from alembic import command
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
