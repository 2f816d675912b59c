"""The dashboard's two-word search on PostgreSQL uses the GIN index as designed (migration
pgsearch_0001), read from the plans PostgreSQL itself chooses for the dashboard's own
statement (`queries.list_reports`) on a loaded store, analyzed — not from a timing.

Before pgsearch_0001 a report's ~100 tokens lived in TOAST and the GIN index kept a pending
list after a burst of writes: the planner saw a tiny table and a costly index and chose to
scan dash_search, evaluating `@>` on every row (a TOAST fetch each: p95 481 ms at 100k).
Now the arrays are in their rows, the index has no pending list, and a search with a rare
word is answered by a bitmap scan of ix_dash_search_terms; a search of common words may
walk the newest reports instead (cheap when the arrays are in line), never scan the table.
"""
from __future__ import annotations

import json
import random

import pytest
from alembic import command
from sqlalchemy import event, text

from jaga_desa.testing import search_corpus
from office import db, keys as office_keys
from tests.conftest import TEST_OFFICE_KEY

REPORTS, WORDS = 3000, 100
TOAST_SIZE = text("SELECT pg_relation_size(reltoastrelid) FROM pg_class WHERE relname = 'dash_search'")


def loaded(postgres_server, tmp_path, name: str, to: str):
    engine = db.make_engine(postgres_server(name))
    cfg = db.alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, to)
    keys = office_keys.load_or_create(tmp_path, TEST_OFFICE_KEY)
    rng = random.Random(11)
    vocab = search_corpus.vocabulary(5000)
    search_corpus.load(engine, keys, search_corpus.corpus(REPORTS, WORDS, vocab, rng))
    return engine, keys


@pytest.fixture(scope="module")
def store(postgres_server, tmp_path_factory):
    engine, keys = loaded(postgres_server, tmp_path_factory.mktemp("keys"), "search_plans", "head")
    yield engine, keys
    engine.dispose()


def plan_of_search(engine, keys, q: str) -> list[dict]:
    """Every node of the plan PostgreSQL chooses for the dashboard's search statement."""
    seen = []

    def grab(conn, cursor, statement, parameters, context, executemany):
        if "dash_search" in statement:
            seen.append((statement, parameters))
    event.listen(engine, "before_cursor_execute", grab)
    try:
        rows = search_corpus.search(engine, keys, q)
    finally:
        event.remove(engine, "before_cursor_execute", grab)
    assert rows and len(seen) == 1, (len(rows), len(seen))
    with engine.connect() as conn:
        plan = conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + seen[0][0], seen[0][1]).scalar()
    plan = plan if isinstance(plan, list) else json.loads(plan)
    nodes, todo = [], [plan[0]["Plan"]]
    while todo:
        node = todo.pop()
        nodes.append(node)
        todo += node.get("Plans", [])
    return nodes


def on_search(nodes: list[dict]) -> list[str]:
    """How each node touching dash_search or its GIN index reads it."""
    return [f"{n['Node Type']} {n.get('Relation Name') or n.get('Index Name')}" for n in nodes
            if "dash_search" in (n.get("Relation Name") or n.get("Index Name") or "")]


def test_a_rare_word_is_found_through_the_gin_index(store):
    nodes = plan_of_search(*store, "kata0 kata1200")       # the most common word and a rare one
    reads = on_search(nodes)
    assert "Bitmap Index Scan ix_dash_search_terms" in reads, reads
    assert not any(r.startswith("Seq Scan") for r in reads), reads
    assert not [n for n in nodes if "@>" in n.get("Filter", "")], "`@>` evaluated row by row"


def test_common_words_never_scan_the_table(store):
    reads = on_search(plan_of_search(*store, "kata0 kata1"))
    assert reads and not any(r.startswith("Seq Scan") for r in reads), reads


def test_the_tokens_are_kept_in_their_rows_and_the_index_has_no_pending_list(store):
    engine, _ = store
    with engine.connect() as conn:
        toast = conn.execute(TOAST_SIZE).scalar()
        options = conn.execute(text("SELECT reloptions FROM pg_class WHERE relname = 'ix_dash_search_terms'")).scalar()
    assert toast == 0 and "fastupdate=off" in options


def test_the_migration_brings_toasted_tokens_back_in_line(postgres_server, tmp_path):
    """Rows written before the revision had their arrays in TOAST; after it (and a vacuum of
    what it replaced) none does, and every report keeps exactly its tokens."""
    engine, keys = loaded(postgres_server, tmp_path, "search_plans_mig", "recall3_0001")
    try:
        with engine.connect() as conn:
            before = sorted(conn.execute(text("SELECT envelope_id, terms FROM dash_search")).all())
            assert conn.execute(TOAST_SIZE).scalar() > 0          # as stored before the revision
        db.migrate(engine)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM dash_search"))
            assert conn.execute(TOAST_SIZE).scalar() == 0
            assert sorted(conn.execute(text("SELECT envelope_id, terms FROM dash_search")).all()) == before
        nodes = plan_of_search(engine, keys, "kata0 kata1200")
        assert "Bitmap Index Scan ix_dash_search_terms" in on_search(nodes)
        cfg = db.alembic_config()
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "recall3_0001")
            assert conn.execute(text("SELECT reloptions FROM pg_class WHERE relname IN "
                                     "('dash_search', 'ix_dash_search_terms')")).scalars().all() == [None, None]
    finally:
        engine.dispose()
