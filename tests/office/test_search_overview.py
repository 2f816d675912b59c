"""The overview (charts and map) and the urgency-sorted inbox find the same reports as before
their searches went through the report list's path (queries.conditions ->
search_index.holding_all), for every grant, on SQLite (each of the three forms a search can
take there: set, walk, probe) and on PostgreSQL.

"Before" is written out here, independently of the office's choice of form: every match
fetched (`search_index.matching`, the set form) under the same grants and filters, each chart
counted by its own GROUP BY, the urgency inbox ordered by RANK in one statement. Grants:
the admin, a region's staff, a partner token without the rahasia grant, and the narrowest
view the dashboard gives — one region through a token without rahasia, the view a village
head's office contact would be given (no dashboard grant exists for a village head himself):
the two without rahasia are also checked as the attacker would look, for any rahasia report
in anything they are shown. The store re-indexes a quarter of its reports (the index's
document order differs from time order) and keeps some documents as text (a token that is
not 32 hex), so the probe's two ways of reading kept tokens are both met.
"""
from __future__ import annotations

import random
from collections import Counter
from contextlib import contextmanager

import pytest
from sqlalchemy import and_, desc, func, insert, select, true, update

from jaga_desa.testing import archive, search_corpus
from office import db, keys as office_keys
from office.dashboard import derived, queries, search_index, urgency
from office.dashboard.schema import dash_reports
from office.schema import envelopes, villages
from tests.conftest import TEST_OFFICE_KEY
from tests.office.test_search_walk import statements

REPORTS, WORDS, VOCAB, VILLAGES = 2400, 60, 3000, 40     # a village: 60 reports
COMMON, MIXED, RARE = "kata0 kata1", "kata2 kata25", "kata3 kata900"
STAFF = {
    "admin": search_corpus.ADMIN,
    "region": {"role": "intel", "region": "Sebatik"},
    "partner": {"role": "admin", "region": None, "scope": {"regions": ["Nunukan"], "rahasia": False}},
    "one_region_no_rahasia": {"role": "intel", "region": "Sebatik",
                              "scope": {"regions": ["Sebatik"], "rahasia": False}},
}
NO_RAHASIA = ("partner", "one_region_no_rahasia")
FILTERS = [{}, {"village": "2"}, {"urgency": "mendesak"}, {"date_from": "2026-01-01", "date_to": "2026-01-01"}]
CHARTS = ("week", "village_id", "category", "route")


def fill(engine, keys) -> set[str]:
    """The store; the ids of its rahasia reports."""
    rng = random.Random(11)
    docs = search_corpus.corpus(REPORTS, WORDS, search_corpus.vocabulary(VOCAB), rng)
    search_corpus.load(engine, keys, docs, villages=VILLAGES)
    ids = search_corpus.envelope_ids(REPORTS)
    tokens = search_corpus.tokens(keys, docs)
    again = rng.sample(range(REPORTS), REPORTS // 4)
    with engine.begin() as conn:
        search_index.replace(conn, {ids[i]: tokens[i] for i in again})
        search_index.replace(conn, {ids[i]: tokens[i] + ["not-hex"] for i in again[:100]})   # kept as text
        conn.execute(update(villages).where(villages.c.id % 2 == 0).values(region="Sebatik"))
        archive.ensure_author(conn, 1)
        rows = conn.execute(select(dash_reports.c.envelope_id, dash_reports.c.village_id, dash_reports.c.form_id,
                                   dash_reports.c.received_at).where(dash_reports.c.envelope_id.in_(ids[::5])))
        conn.execute(insert(envelopes), [archive.envelope_row(*row, rahasia=True) for row in rows])
    search_corpus.analyze(engine)
    return set(ids[::5])


@contextmanager
def filled(tmp_path_factory, fill_with, pg_url: str | None = None):
    """A migrated office store (SQLite in a temporary directory, or the PostgreSQL database at
    `pg_url`) filled by `fill_with(engine, keys)`: (engine, keys, what it returned)."""
    tmp = tmp_path_factory.mktemp("store")
    keys = office_keys.load_or_create(tmp, TEST_OFFICE_KEY)
    if pg_url:
        engine = db.make_engine(pg_url)
        db.migrate(engine)
    else:
        engine = db.open_store(tmp)
    try:
        yield engine, keys, fill_with(engine, keys)
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def sqlite_store(tmp_path_factory):
    with filled(tmp_path_factory, fill) as store:
        yield store


@pytest.fixture(scope="module")
def pg_store(postgres_server, tmp_path_factory):
    with filled(tmp_path_factory, fill, postgres_server("search_overview")) as store:
        yield store


# --- before: every match fetched, written out here -----------------------------------------

def before_where(conn, staff: dict, f: queries.Filters, keys) -> list:
    cond = queries.conditions(conn, staff, queries.Filters(**{**vars(f), "q": None}), keys)
    if f.q:
        cond.append(dash_reports.c.envelope_id.in_(search_index.matching(conn, derived.term_hashes(keys, f.q.split()))))
    return cond


def before_urgency(conn, staff, f, keys) -> list[str]:
    r = dash_reports.c
    q = (select(r.envelope_id).where(and_(true(), *before_where(conn, staff, f, keys)))
         .order_by(desc(urgency.RANK), desc(r.received_at), desc(r.envelope_id)))
    return list(conn.execute(q).scalars())


def before_charts(conn, staff, f, keys) -> dict[str, Counter]:
    out = {}
    for c in CHARTS:
        col = getattr(dash_reports.c, c)
        q = select(col, func.count()).where(and_(true(), *before_where(conn, staff, f, keys))).group_by(col)
        out[c] = Counter(dict(conn.execute(q).all()))
    return out


def before_points(conn, staff, f, keys, cap: int) -> list[str]:
    r = dash_reports.c
    q = (select(r.envelope_id).where(and_(true(), *before_where(conn, staff, f, keys), r.geo.is_not(None)))
         .order_by(desc(r.received_at), desc(r.envelope_id)).limit(cap))
    return list(conn.execute(q).scalars())


# --- now: the dashboard's own functions --------------------------------------------------------

def urgency_pages(conn, staff, f, keys, limit: int) -> list[list[str]]:
    out, cursor = [], None
    while True:
        rows, cursor = urgency.list_reports(conn, staff, f, limit, cursor=cursor, keys=keys)
        out.append([row["envelope_id"] for row in rows])
        if cursor is None:
            return out


def check(engine, keys, secret, who: str, q: str, extra: dict) -> None:
    staff, f = STAFF[who], queries.parse_filters({"q": q, **extra})
    with engine.connect() as conn:
        expected = before_urgency(conn, staff, f, keys)
        got = urgency_pages(conn, staff, f, keys, 150)
        assert got == [expected[k:k + 150] for k in range(0, len(expected), 150)] or (got == [[]] and not expected)

        charts = queries.charts(conn, staff, f, CHARTS, keys=keys, top=1000)
        assert {c: Counter(dict(v)) for c, v in charts.items()} == before_charts(conn, staff, f, keys)
        assert sum(n for _, n in charts["village_id"]) == len(expected)

        pts = queries.points(conn, staff, f, keys=keys, cap=300)
        assert [p["envelope_id"] for p in pts] == before_points(conn, staff, f, keys, 300)
        assert all(p["lat"] is not None for p in pts)
    if who in NO_RAHASIA:       # as the attacker looks: nothing rahasia in what this grant is shown
        assert not secret & ({e for page in got for e in page} | {p["envelope_id"] for p in pts})


@pytest.fixture(params=["set", "walk", "probe"])
def form(request, monkeypatch):
    """Every search on SQLite takes this form, whatever its cost."""
    monkeypatch.setattr(search_index, "_cheapest", lambda found, rows: request.param)
    return request.param


@pytest.mark.parametrize("who", sorted(STAFF))
@pytest.mark.parametrize("q", [COMMON, MIXED, RARE])
@pytest.mark.parametrize("extra", FILTERS)
def test_sqlite_overview_and_urgency_inbox_find_what_they_found_before(sqlite_store, form, who, q, extra):
    check(*sqlite_store, who, q, extra)


@pytest.mark.parametrize("who", sorted(STAFF))
@pytest.mark.parametrize("q", [COMMON, MIXED, RARE])
@pytest.mark.parametrize("extra", FILTERS)
def test_sqlite_the_report_list_finds_what_it_found_before(sqlite_store, form, who, q, extra):
    engine, keys, secret = sqlite_store
    staff, f = STAFF[who], queries.parse_filters({"q": q, **extra})
    r = dash_reports.c
    with engine.connect() as conn:
        expected = list(conn.execute(select(r.envelope_id).where(and_(true(), *before_where(conn, staff, f, keys)))
                                     .order_by(desc(r.received_at), desc(r.envelope_id))).scalars())
        got, cursor = [], None
        while True:
            rows, nxt = queries.list_reports(conn, staff, queries.Filters(**{**vars(f), "cursor": cursor}), 150, keys=keys)
            got += [row["envelope_id"] for row in rows]
            if nxt is None:
                break
            cursor = queries.decode_cursor(nxt)
    assert got == expected and (who not in NO_RAHASIA or not secret & set(got))


@pytest.mark.parametrize("who", sorted(STAFF))
@pytest.mark.parametrize("q", [COMMON, RARE])
@pytest.mark.parametrize("extra", FILTERS[:2])
def test_postgres_overview_and_urgency_inbox_find_what_they_found_before(pg_store, who, q, extra):
    check(*pg_store, who, q, extra)


def test_the_store_holds_what_the_checks_need(sqlite_store):
    """Control: matches under every grant, rahasia reports among them, text-kept documents,
    and every urgency level."""
    engine, keys, secret = sqlite_store
    with engine.connect() as conn:
        for who in STAFF:
            assert len(before_urgency(conn, STAFF[who], queries.Filters(q=COMMON), keys)) > 100, who
        admin = set(before_urgency(conn, STAFF["admin"], queries.Filters(q=COMMON), keys))
        assert len(admin & secret) > 50
        kept = conn.exec_driver_sql("SELECT count(*) FROM dash_search WHERE typeof(terms) = 'text'").scalar()
        assert kept == 100
        assert len(before_urgency(conn, STAFF["admin"], queries.Filters(q=RARE), keys)) >= 3
        levels = set(conn.execute(select(urgency.RANK).select_from(dash_reports).distinct()).scalars())
    assert levels == {1, 2, 3}


# --- which form SQLite's search takes (item: a narrow filter drives, a wide one walks) -----------

def plan_of(engine, run, parents: bool = False) -> list:
    """The plan SQLite chooses for the one statement `run` sends over dash_reports."""
    seen = [s for s in statements(engine, run) if "count(*) AS count_1 \nFROM (SELECT" not in s[0]]
    assert len(seen) == 1, seen
    with engine.connect() as conn:
        plan = [(row[1], row[-1]) for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + seen[0][0], seen[0][1])]
    return plan if parents else [line for _, line in plan]


def overview_plan(engine, keys, **params) -> list[str]:
    f = queries.parse_filters(params)

    def run():
        with engine.connect() as conn:
            queries.charts(conn, search_corpus.ADMIN, f, CHARTS, keys=keys)
    return plan_of(engine, run)


MATERIALIZES_MATCH = "SCAN dash_search_fts VIRTUAL TABLE INDEX 0:M1"     # every match read into a set


def test_one_village_with_common_words_drives_from_the_village_and_builds_no_match_set(sqlite_store):
    """The overview of one village (60 of 2,400 reports) searching two words held by ~90%:
    read the village's reports from its index and test each one's kept tokens; the walk read
    all ~2,160 matches into a set first (the 110-160 ms at 100k)."""
    engine, keys, _ = sqlite_store
    plan = overview_plan(engine, keys, q=COMMON, village="2")
    assert any(line.startswith("SEARCH dash_reports USING INDEX ix_dash_reports_village (village_id=?)")
               for line in plan), plan
    assert MATERIALIZES_MATCH not in plan, plan
    assert "SEARCH dash_search USING INDEX sqlite_autoindex_dash_search_1 (envelope_id=?)" in plan, plan


def test_every_village_with_common_words_walks_once_for_all_four_charts(sqlite_store):
    """Control: the same words over every report — the filter is not narrower than the
    match, so the reports are walked against the match read once into a set, for all four
    charts (one statement, the match found once, no chart fetching every match by id), each
    report's document read from its own row (search_doc), not looked up by its id."""
    engine, keys, _ = sqlite_store
    plan = overview_plan(engine, keys, q=COMMON)
    assert plan.count(MATERIALIZES_MATCH) == 1 and plan[0] == "SCAN dash_reports", plan
    assert not any(line.startswith("SEARCH dash_search USING INTEGER PRIMARY KEY") for line in plan), plan
    assert plan.count("USE TEMP B-TREE FOR GROUP BY") == 1, plan        # one grouping, not one per chart


def test_a_rare_word_fetches_its_few_matches(sqlite_store):
    """Over every report (2,400), a handful of matches are fetched by id. (Within one village
    of 60 reports, walking them is as cheap since each carries its document, search4_0001.)"""
    engine, keys, _ = sqlite_store
    plan = overview_plan(engine, keys, q=RARE)
    assert "SEARCH dash_search USING INTEGER PRIMARY KEY (rowid=?)" in plan and MATERIALIZES_MATCH in plan, plan


def test_a_page_of_the_urgency_inbox_walks_a_level_newest_first(sqlite_store):
    """The urgency inbox's first level (DARURAT) is read newest first along an index,
    stopping at the page; before, one ORDER BY on RANK sorted every match for a page."""
    engine, keys, _ = sqlite_store
    f = queries.parse_filters({"q": MIXED})

    def run():
        with engine.connect() as conn:
            urgency.list_reports(conn, search_corpus.ADMIN, f, 5, keys=keys)
    plan = plan_of(engine, run, parents=True)
    assert sorts_the_page(plan) == [] and any(
        line.startswith(("SCAN dash_reports USING INDEX ix_dash_reports_recv",
                         "SEARCH dash_reports USING INDEX ix_dash_reports_urgency (urgency=?)")) for _, line in plan), plan

    # control: the statement the urgency inbox ran before fails the same check
    r = dash_reports.c
    with engine.connect() as conn:
        old = (select(dash_reports).where(and_(true(), *before_where(conn, search_corpus.ADMIN, f, keys)))
               .order_by(desc(urgency.RANK), desc(r.received_at), desc(r.envelope_id)).limit(6))
        sql = str(old.compile(conn, compile_kwargs={"literal_binds": True}))
        old_plan = [(row[1], row[-1]) for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql)]
    assert sorts_the_page(old_plan), old_plan


def sorts_the_page(plan: list[tuple[int, str]]) -> list[str]:
    """A sort of the whole result (the top-level temp B-tree; a correlated subquery's own
    sort, the latest verdict's, has a parent)."""
    return [line for parent, line in plan if parent == 0 and line.startswith("USE TEMP B-TREE FOR")]
