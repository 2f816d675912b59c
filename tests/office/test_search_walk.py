"""The dashboard's search on SQLite reads a page, not every match (search_index.holding_all).

Before, a search fetched EVERY report holding the words and then sorted them all for a page
of 50 (`LIST SUBQUERY … USE TEMP B-TREE FOR ORDER BY`): two common words, ~99k of 100k
reports, took 400-700 ms. Now, when the match is large, the page walks the newest-first
index of reports and probes the match once materialized, stopping at the page. Checked
here: the plan SQLite chooses for two common words (and that the guard catches the old
one), and that both forms give the same reports in the same order and the same pages,
under every visibility filter (a region's staff, a partner token without rahasia) and
filter, with common, mixed and rare words — on a store where re-indexed reports make the
index's document order differ from the reports' time order.
"""
from __future__ import annotations

import random

import pytest
from sqlalchemy import and_, desc, event, insert, select, true, update

from jaga_desa.testing import archive, search_corpus
from office import db, keys as office_keys
from office.dashboard import derived, queries, search_index
from office.dashboard.schema import dash_reports
from office.schema import envelopes, villages
from tests.conftest import TEST_OFFICE_KEY

REPORTS, WORDS, VOCAB = 2400, 60, 3000
COMMON = "kata0 kata1"          # each in ~90% of reports: the walk
MIXED = "kata2 kata25"          # in ~20%
RARE = "kata3 kata900"          # a handful: the set form

ADMIN = search_corpus.ADMIN
STAFF = {
    "admin": ADMIN,
    "region": {"role": "analyst", "region": "Sebatik"},
    "partner": {"role": "admin", "region": None, "scope": {"regions": ["Nunukan"], "rahasia": False}},
}


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("walk")
    keys = office_keys.load_or_create(tmp, TEST_OFFICE_KEY)
    engine = db.open_store(tmp)
    rng = random.Random(11)
    docs = search_corpus.corpus(REPORTS, WORDS, search_corpus.vocabulary(VOCAB), rng)
    search_corpus.load(engine, keys, docs)
    ids = search_corpus.envelope_ids(REPORTS)
    tokens = search_corpus.tokens(keys, docs)
    again = rng.sample(range(REPORTS), REPORTS // 4)      # derived again: new documents, out of time order
    with engine.begin() as conn:
        search_index.replace(conn, {ids[i]: tokens[i] for i in again})
        conn.execute(insert(villages), [{"id": 2, "name": "Desa 2", "region": "Sebatik"}])
        conn.execute(update(dash_reports).where(dash_reports.c.envelope_id.in_(ids[::3])).values(village_id=2))
        archive.ensure_author(conn, 1)
        rows = conn.execute(select(dash_reports.c.envelope_id, dash_reports.c.village_id, dash_reports.c.form_id,
                                   dash_reports.c.received_at).where(dash_reports.c.envelope_id.in_(ids[::5])))
        conn.execute(insert(envelopes), [archive.envelope_row(*row, rahasia=True) for row in rows])
    search_corpus.analyze(engine)
    yield engine, keys
    engine.dispose()


def every_match(conn, staff: dict, f: queries.Filters, keys) -> list[str]:
    """Every matching report newest first, through the set form (`conditions` without a
    page: search_index.matching), as every search was answered before."""
    r = dash_reports.c
    q = (select(r.envelope_id).where(and_(true(), *queries.conditions(conn, staff, f, keys)))
         .order_by(desc(r.received_at), desc(r.envelope_id)))
    return list(conn.execute(q).scalars())


def pages(conn, staff: dict, f: queries.Filters, keys, limit: int) -> list[list[str]]:
    """The dashboard's pages, cursor after cursor."""
    out = []
    while True:
        rows, nxt = queries.list_reports(conn, staff, f, limit, keys=keys)
        out.append([row["envelope_id"] for row in rows])
        if nxt is None:
            return out
        f = queries.Filters(**{**vars(f), "cursor": queries.decode_cursor(nxt)})


def statements(engine, run) -> list[tuple[str, tuple]]:
    seen = []

    def grab(conn, cursor, statement, parameters, context, executemany):
        if "FROM dash_reports" in statement:
            seen.append((statement, tuple(parameters or ())))
    event.listen(engine, "before_cursor_execute", grab)
    try:
        run()
    finally:
        event.remove(engine, "before_cursor_execute", grab)
    return seen


@pytest.mark.parametrize("who", sorted(STAFF))
@pytest.mark.parametrize("q", [COMMON, MIXED, RARE, "kata0 kata2999"])
@pytest.mark.parametrize("extra", [{}, {"village": "2"}, {"date_from": "2026-01-01", "date_to": "2026-01-01"}])
def test_the_pages_are_the_reports_the_set_form_finds(store, who, q, extra):
    engine, keys = store
    f = queries.parse_filters({"q": q, **extra})
    with engine.connect() as conn:
        expected = every_match(conn, STAFF[who], f, keys)
        got = pages(conn, STAFF[who], f, keys, 40)
    assert [e for page in got for e in page] == expected
    assert got == [expected[k:k + 40] for k in range(0, len(expected), 40)] or (got == [[]] and not expected)


def test_both_forms_are_exercised(store):
    """Control: the comparison above meets the walk (common words) and the set form (rare)."""
    engine, keys = store
    for q, walks in ((COMMON, True), (MIXED, True), (RARE, False)):
        seen = statements(engine, lambda: search_corpus.search(engine, keys, q))
        with engine.connect() as conn:
            assert len(every_match(conn, ADMIN, queries.Filters(q=q), keys)) >= 5, q
        assert len(seen) == 1 and ("IN (SELECT envelope_id FROM dash_search" not in seen[0][0]) == walks, (q, seen)


def sorts_every_match(plan: list[tuple]) -> list[str]:
    """What in a page's plan reads every match: a sort of the whole result (the top-level
    temp B-tree; a correlated subquery's own sort has a parent) or no walk of the index the
    page is ordered by."""
    bad = [row[-1] for row in plan if row[-1] == "USE TEMP B-TREE FOR ORDER BY" and row[1] == 0]
    if not any(row[-1].startswith("SCAN dash_reports") and "ix_dash_reports_recv" in row[-1] for row in plan):
        bad.append("no walk of ix_dash_reports_recv")
    return bad


def test_two_common_words_walk_the_newest_reports(store):
    engine, keys = store
    seen = statements(engine, lambda: search_corpus.search(engine, keys, COMMON))
    with engine.connect() as conn:
        plan = [tuple(row) for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + seen[0][0], seen[0][1])]
        assert not sorts_every_match(plan), plan

        # control: the statement every search ran before fails the same check
        r = dash_reports.c
        tokens = derived.term_hashes(keys, COMMON.split())
        old = (select(dash_reports).where(r.envelope_id.in_(search_index.matching(conn, tokens)))
               .order_by(desc(r.received_at), desc(r.envelope_id)).limit(51))
        sql = old.compile(conn, compile_kwargs={"literal_binds": True})
        old_plan = [tuple(row) for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + str(sql))]
    assert "USE TEMP B-TREE FOR ORDER BY" in sorts_every_match(old_plan), old_plan


def test_a_later_page_seeks_its_cursor(store):
    """A page after a cursor starts at the cursor in ix_dash_reports_recv, not at the newest
    report (the cursor's OR alone made SQLite walk every newer report to reach it)."""
    engine, keys = store
    with engine.connect() as conn:
        _, nxt = queries.list_reports(conn, ADMIN, queries.Filters(q=COMMON), 50, keys=keys)
        f = queries.Filters(q=COMMON, cursor=queries.decode_cursor(nxt))
        seen = statements(engine, lambda: queries.list_reports(conn, ADMIN, f, 50, keys=keys))
        plan = [row[-1] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + seen[0][0], seen[0][1])]
    assert any(line.startswith("SEARCH dash_reports USING INDEX ix_dash_reports_recv (received_at<?)")
               for line in plan), plan
