"""The dashboard's search index: today's row table (dash_terms: one row per keyed word and
report, a B-tree on (term, report)) against the office's inverted index over the same keyed
tokens — SQLite FTS5 (contentless, detail=none, each report's kept tokens next to it) and
PostgreSQL GIN (a text[] of tokens per report) — as the office itself creates (its
migrations), writes (`search_index.replace`) and searches them (`queries.list_reports`,
the dashboard's own statement: newest 50 reports holding both words). Same tokens, same
reports, in this one run.

    python bench/search_index_bench.py [--reports 100000] [--words 100] [--queries 200] [--pg]
                                       [--pg-revision REV]

Words are "kata<i>" keyed as the office keys them (derived.term_hash); each report holds
`--words` of them drawn from a Zipf-like vocabulary (jaga_desa/testing/search_corpus.py:
common words in most reports, most words rare). Written in batches of 100 reports per
transaction (SQLite WAL, synchronous=FULL; PostgreSQL with fsync on); the dashboard rows the
search returns are written first and not counted. Measured: write rate, size of the index
on disk, and the p95 of a two-word search (one common word, one rarer, as people type them)
and, separately, of the worst case: two common words (each in >= 30% of reports), where a
search that fetched every match before sorting read most of the store for a page of 50.
`--pg-revision derive3_0002` measures PostgreSQL as it was before pgsearch_0001.

The reports are spread over VILLAGES villages, urgency levels and categories, half with a
sealed GPS point (search_corpus.fill_reports), and three more pages are measured with two
common words, each against what it cost before in this same run (alternating, same store):
  overview   the charts (by week, village, category, route) and the map's points: now one
             statement for the four charts over the match found once, and the points'
             newest-first walk; before, each chart and the points fetched every match
  urgency    the urgency-sorted inbox's first page: now level by level, each the report
             list's newest-first page; before, one ORDER BY on RANK over every match
  narrow     one village (1/VILLAGES of the reports), the report list's first page and the
             overview: now the cheapest form by the filter's rows (a probe of each of the
             village's reports); before, the walk, which first read every match into a set
With --http the overview and the urgency inbox are also measured over HTTP (PostgreSQL).
"""
from __future__ import annotations

import argparse
from collections import Counter
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import String, and_, cast, desc, func, literal, select, text, true, union_all  # noqa: E402

from bench import harness  # noqa: E402
from bench.common import percentile, report  # noqa: E402
from jaga_desa.testing import search_corpus  # noqa: E402
from office import db, keys as office_keys  # noqa: E402
from office.dashboard import queries, search_index, urgency  # noqa: E402
from office.dashboard.schema import dash_reports  # noqa: E402

BATCH = search_corpus.BATCH
VILLAGES = 50
CHARTS = ("week", "village_id", "category", "route")


def rows_write(con, docs: list[list[str]], mark: str) -> float:
    """The baseline row table (what the office had before derive2_0001), its own SQL."""
    t = time.perf_counter()
    sql = f"INSERT INTO dash_terms VALUES ({mark}, {mark}) ON CONFLICT DO NOTHING"
    for k in range(0, len(docs), BATCH):
        cur = con.cursor()
        cur.execute("BEGIN")
        cur.executemany(sql, [(term, f"{i:036d}") for i in range(k, min(k + BATCH, len(docs))) for term in docs[i]])
        cur.execute("COMMIT")
    return len(docs) / (time.perf_counter() - t)


def rows_search(con, tokens: list[tuple[str, str]], mark: str) -> list[float]:
    sql = (f"SELECT envelope_id FROM dash_terms WHERE term = {mark} AND envelope_id IN "
           f"(SELECT envelope_id FROM dash_terms WHERE term = {mark}) ORDER BY envelope_id DESC LIMIT 50")
    times = []
    for a, b in tokens:
        t = time.perf_counter()
        con.execute(sql, (a, b)).fetchall()
        times.append(time.perf_counter() - t)
    return times


ROWS_DDL = "CREATE TABLE dash_terms (term VARCHAR(32) NOT NULL, envelope_id VARCHAR(36) NOT NULL, " \
           "PRIMARY KEY (term, envelope_id))"


def p95_of(engine, keys, queries_: list[str]) -> float:
    """p95 of the dashboard's first page for each typed search."""
    times = []
    for q in queries_:
        t = time.perf_counter()
        search_corpus.search(engine, keys, q)
        times.append(time.perf_counter() - t)
    return percentile(times, 95)


def office_index(engine, keys, docs, tokens, queries_, size, common) -> tuple:
    """(write rate, bytes the index added, search p95, common-pair search p95, {page: (now p95,
    before p95)}) of the office's own index."""
    ids = search_corpus.fill_reports(engine, len(docs), VILLAGES, keys)
    before = size()
    rate = search_corpus.write_index(engine, ids, tokens)
    added = size() - before
    search_corpus.analyze(engine)
    keeping = keep_cost(engine, ids, tokens) if engine.dialect.name == "sqlite" else None
    return rate, added, p95_of(engine, keys, queries_), p95_of(engine, keys, common), pages(engine, keys, common), \
        keeping


def keep_cost(engine, ids: list[str], tokens: list[list[str]], n: int = 6000) -> tuple[float, float]:
    """Re-indexing rate (reports/s) with and without keeping each report's document on its
    row (search4_0001's one UPDATE per batch), alternating batch by batch on one store."""
    n = min(n, len(ids) // (2 * BATCH) * 2 * BATCH)
    spent = {True: 0.0, False: 0.0}
    saved = search_index._keep_docs
    try:
        for k, start in enumerate(range(0, n, BATCH)):
            keep = k % 2 == 0
            search_index._keep_docs = saved if keep else (lambda conn, ids_: None)
            t = time.perf_counter()
            with engine.begin() as conn:
                search_index.replace(conn, {ids[i]: tokens[i] for i in range(start, start + BATCH)})
            spent[keep] += time.perf_counter() - t
    finally:
        search_index._keep_docs = saved
    return (n / 2) / spent[True], (n / 2) / spent[False]


class forced:
    """Every search on SQLite in one form, as before this change chose it (PostgreSQL: its
    planner's, unchanged)."""
    def __init__(self, form: str | None):
        self.form = form

    def __enter__(self):
        self.saved = search_index._cheapest
        if self.form:
            search_index._cheapest = lambda found, rows: self.form

    def __exit__(self, *exc):
        search_index._cheapest = self.saved


def overview_now(conn, keys, f) -> None:
    queries.charts(conn, search_corpus.ADMIN, f, CHARTS, keys=keys)
    queries.points(conn, search_corpus.ADMIN, f, keys=keys)


def overview_before(conn, keys, f) -> None:
    """Each chart its own statement and the points fetched by the set form: as before."""
    with forced("set"):
        for c in CHARTS:
            queries.charts(conn, search_corpus.ADMIN, f, (c,), keys=keys)
        queries.points(conn, search_corpus.ADMIN, f, keys=keys)


class looked_up:
    """Each walked report's search document looked up by its envelope id, as before
    search4_0001 put it on the report's own row (dash_reports.search_doc)."""
    def __enter__(self):
        self.saved = search_index._doc_of
        search_index._doc_of = lambda envelope_id: (select(search_index.dash_search.c.doc)
                                                    .where(search_index.dash_search.c.envelope_id == envelope_id)
                                                    .scalar_subquery())

    def __exit__(self, *exc):
        search_index._doc_of = self.saved


def overview_search3(conn, keys, f) -> None:
    """The overview as search3 left it: the four charts as GROUP BYs over the match
    materialized once (a CTE), each walked report's document looked up by its id."""
    with looked_up():
        cond = queries.conditions(conn, search_corpus.ADMIN, f, keys)
        matched = (select(*[dash_reports.c[c] for c in CHARTS]).where(and_(true(), *cond))
                   .cte("matched").prefix_with("MATERIALIZED"))
        conn.execute(union_all(*[select(select(literal(c).label("chart"), cast(matched.c[c], String).label("value"),
                                                func.count().label("n")).group_by(matched.c[c])
                                         .order_by(desc(func.count())).limit(30).subquery())
                                  for c in CHARTS])).all()
        queries.points(conn, search_corpus.ADMIN, f, keys=keys)


def urgency_now(conn, keys, f) -> None:
    urgency.list_reports(conn, search_corpus.ADMIN, f, 50, keys=keys)


def urgency_before(conn, keys, f) -> None:
    """The statement the urgency inbox ran before: one ORDER BY on RANK over every match."""
    r = dash_reports.c
    with forced("set"):
        cond = queries.conditions(conn, search_corpus.ADMIN, f, keys)
    conn.execute(select(dash_reports, urgency.RANK.label("rank")).where(and_(true(), *cond))
                 .order_by(desc(urgency.RANK), desc(r.received_at), desc(r.envelope_id)).limit(51)).all()


def narrow_list_now(conn, keys, f) -> None:
    queries.list_reports(conn, search_corpus.ADMIN, f, 50, keys=keys)


def narrow_list_before(conn, keys, f) -> None:
    with forced("walk"):      # what the match count chose before for common words, whatever the filter
        queries.list_reports(conn, search_corpus.ADMIN, f, 50, keys=keys)


def narrow_overview_before(conn, keys, f) -> None:
    with forced("walk"):
        overview_now(conn, keys, f)


PAGES = {   # name: (now, before, filters besides the words)
    "overview": (overview_now, overview_before, {}),
    "overview_search3": (overview_now, overview_search3, {}),
    "urgency": (urgency_now, urgency_before, {}),
    "narrow_list": (narrow_list_now, narrow_list_before, {"village": "7"}),
    "narrow_overview": (overview_now, narrow_overview_before, {"village": "7"}),
}


def pages(engine, keys, common: list[str], n: int = 40) -> dict[str, tuple[float, float]]:
    """p95 of each page with two common words, now and before, alternating on one store."""
    out = {}
    with engine.connect() as conn:
        for name, (now, before, extra) in PAGES.items():
            times: dict[str, list[float]] = {"now": [], "before": []}
            for q in common[:n]:
                f = queries.parse_filters({"q": q, **extra})
                for label, fn in (("now", now), ("before", before)):
                    t = time.perf_counter()
                    fn(conn, keys, f)
                    times[label].append(time.perf_counter() - t)
            out[name] = (percentile(times["now"], 95), percentile(times["before"], 95))
    return out


def sqlite_figures(tmp: Path, keys, docs, tokens, searches, pairs, common) -> dict:
    path = tmp / "rows.db"
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=FULL")
    con.execute(ROWS_DDL)
    rate = rows_write(con, tokens, "?")
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    out = {"rows": (rate, path.stat().st_size, percentile(rows_search(con, pairs, "?"), 95))}
    con.close()
    store = tmp / "office"
    store.mkdir()
    engine = db.open_store(store)
    file = Path(engine.url.database)

    def size() -> int:
        with sqlite3.connect(file, isolation_level=None) as raw:       # all of the WAL in the file
            raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        raw.close()
        return file.stat().st_size
    try:
        out["fts5"] = office_index(engine, keys, docs, tokens, searches, size, common)
    finally:
        engine.dispose()
    return out


def over_http(data: Path, url: str, searches: list[str], common: list[str]) -> dict[str, float]:
    """p95 of the dashboard's pages with a search typed in, over HTTP: the real office
    (uvicorn subprocess, bench/harness.py) on the loaded store, signed in as an analyst —
    the report list (two-word searches), the overview and the urgency-sorted inbox (two
    common words)."""
    from jaga_desa.testing.dashboard import sign_in
    from office import staff
    engine = db.make_engine(url)
    with engine.begin() as conn:
        staff.create_staff(conn, "analis", "bench-password-1", "admin")
    engine.dispose()
    server = harness.office(data, db_url=url)
    pages_ = {"list": ("/dashboard/", {}, searches), "overview": ("/dashboard/overview", {}, common[:60]),
              "urgency": ("/dashboard/", {"sort": "urgency"}, common[:60])}
    out = {}
    try:
        session = sign_in(server.url, "analis", "bench-password-1")
        session.get(server.url + "/dashboard/", timeout=120)      # first page: templates, pool
        for name, (path, extra, typed) in pages_.items():
            times = []
            for q in typed:
                t = time.perf_counter()
                r = session.get(server.url + path, params={"q": q, **extra}, timeout=120)
                times.append(time.perf_counter() - t)
                if r.status_code != 200:
                    raise SystemExit(f"error [bench]: {path} with a search answered {r.status_code}")
            out[name] = percentile(times, 95)
    finally:
        server.stop()
    return out


def postgres_figures(keys, docs, tokens, searches, pairs, common, revision: str, http: Path | None) -> dict:
    """The row table and the office's GIN index (migrated to `revision`), on a throwaway
    cluster; with `http` (the office's data dir), the dashboard page over HTTP too."""
    import psycopg
    from alembic import command
    from jaga_desa.testing.postgres import PostgresCluster
    out = {}
    with PostgresCluster(fsync=True) as cluster:
        url = cluster.make_db("search_rows").replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(url, autocommit=True) as con:
            con.execute(ROWS_DDL)
            rate = rows_write(con, tokens, "%s")
            size = con.execute("SELECT pg_total_relation_size('dash_terms')").fetchone()[0]
            con.execute("ANALYZE dash_terms")
            out["rows"] = (rate, size, percentile(rows_search(con, pairs, "%s"), 95))
        office_url = cluster.make_db("search_office")
        engine = db.make_engine(office_url)
        try:
            cfg = db.alembic_config()
            with engine.begin() as conn:
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, revision)

            def size() -> int:
                with engine.connect() as conn:
                    return conn.execute(text("SELECT pg_total_relation_size('dash_search')")).scalar()
            out["gin"] = office_index(engine, keys, docs, tokens, searches, size, common)
        finally:
            engine.dispose()
        if http:
            out["http"] = over_http(http, office_url, searches, common)
    return out


COMMON = 0.3


def common_pairs(docs: list[list[str]], vocab: list[str], n: int, rng: random.Random) -> list[tuple[str, str]]:
    """n searches of two distinct words each held by at least COMMON of the reports (counted
    in this corpus): the worst case for a search that fetches every match before sorting."""
    held = Counter(w for doc in docs for w in doc)
    common = [w for w in vocab[:200] if held[w] >= COMMON * len(docs)]
    if len(common) < 2:
        raise SystemExit(f"error [bench]: fewer than two words in {COMMON:.0%} of reports; use more --words")
    return [tuple(rng.sample(common, 2)) for _ in range(n)]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reports", type=int, default=100_000)
    ap.add_argument("--words", type=int, default=100, help="distinct keyed words per report")
    ap.add_argument("--vocab", type=int, default=50_000)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--pg", action="store_true", help="also PostgreSQL: row table vs GIN")
    ap.add_argument("--pg-revision", default="head", help="migrate the PostgreSQL store only this far "
                    "(derive3_0002: as before pgsearch_0001)")
    ap.add_argument("--http", action="store_true", help="with --pg: also the dashboard page with a search, "
                    "over HTTP from the real office on the loaded PostgreSQL store")
    args = ap.parse_args()
    rng = random.Random(11)
    vocab = search_corpus.vocabulary(args.vocab)
    docs = search_corpus.corpus(args.reports, args.words, vocab, rng)
    # two-word searches: one common word with one rarer one, as people type them
    words = [(vocab[rng.randint(0, 50)], vocab[rng.randint(50, 5000)]) for _ in range(args.queries)]
    searches = [f"{a} {b}" for a, b in words]
    common = [f"{a} {b}" for a, b in common_pairs(docs, vocab, args.queries, rng)]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "pgoffice"        # the keys, and the HTTP office's data dir
        data.mkdir()
        keys = office_keys.load_or_create(data, harness.ENV["JAGA_OFFICE_KEY"])
        tokens = search_corpus.tokens(keys, docs)
        pairs = [tuple(pair) for pair in search_corpus.tokens(keys, [list(w) for w in words])]
        res = sqlite_figures(Path(tmp), keys, docs, tokens, searches, pairs, common)
        http = data if args.http and args.pg_revision == "head" else None    # the office migrates to head
        pg = postgres_figures(keys, docs, tokens, searches, pairs, common, args.pg_revision, http) if args.pg else None
    ms = lambda s: round(s * 1000, 1)     # noqa: E731
    n = f"{args.reports // 1000}k" if args.reports >= 1000 else str(args.reports)
    for label, (kind_a, kind_b), r in (("SQLite", ("rows", "fts5"), res),):
        (ra, sa, pa), (rb, sb, pb, pc, _, keeping) = r[kind_a], r[kind_b]
        rows += [
            {"key": "sqlite_rows_rate", "metric": f"SQLite row table: write, {n} reports (reports/s)", "value": round(ra)},
            {"key": "sqlite_fts_rate", "metric": "SQLite FTS5 contentless: write (reports/s)", "value": round(rb)},
            {"key": "sqlite_write_ratio", "metric": "FTS5 / row table, write rate", "value": round(rb / ra, 2),
             "target": "> 1", "met": rb > ra},
            {"key": "sqlite_rows_mb", "metric": "SQLite row table: file size (MB)", "value": round(sa / 1e6, 1)},
            {"key": "sqlite_fts_mb", "metric": "SQLite FTS5 + each report's kept tokens: added to the file (MB)", "value": round(sb / 1e6, 1)},
            {"key": "sqlite_rows_p95", "metric": "SQLite row table: two-word search p95 (ms)", "value": ms(pa)},
            {"key": "sqlite_fts_p95", "metric": "SQLite FTS5: dashboard two-word search p95 (ms)", "value": ms(pb),
             "target": "<= 200", "met": pb <= 0.2},
            {"key": "sqlite_fts_common_p95", "metric": "SQLite FTS5: dashboard search, two common words "
             f"(each in >= {COMMON:.0%} of reports), p95 (ms)", "value": ms(pc), "target": "<= 200", "met": pc <= 0.2},
            {"key": "sqlite_reindex_keep_rate", "metric": "SQLite FTS5: re-index (reports/s), keeping each report's "
             "document on its row (search4_0001)", "value": round(keeping[0])},
            {"key": "sqlite_reindex_nokeep_rate", "metric": "SQLite FTS5: re-index (reports/s), without (before), "
             "same run alternating", "value": round(keeping[1])},
            {"key": "sqlite_reindex_keep_ratio", "metric": "SQLite FTS5: re-index rate, keeping / without",
             "value": round(keeping[0] / keeping[1], 2), "target": ">= 0.9", "met": keeping[0] >= 0.9 * keeping[1]},
        ]
    if pg:
        (ra, sa, pa), (rb, sb, pb, pc, _, _) = pg["rows"], pg["gin"]
        rows += [
            {"key": "pg_rows_rate", "metric": "PostgreSQL row table: write (reports/s)", "value": round(ra)},
            {"key": "pg_gin_rate", "metric": f"PostgreSQL GIN text[] (at {args.pg_revision}): write (reports/s)", "value": round(rb)},
            {"key": "pg_rows_mb", "metric": "PostgreSQL row table: size (MB)", "value": round(sa / 1e6, 1)},
            {"key": "pg_gin_mb", "metric": "PostgreSQL GIN: size (MB)", "value": round(sb / 1e6, 1)},
            {"key": "pg_rows_p95", "metric": "PostgreSQL row table: two-word search p95 (ms)", "value": ms(pa)},
            {"key": "pg_gin_p95", "metric": "PostgreSQL GIN: dashboard two-word search p95 (ms)", "value": ms(pb),
             "target": "<= 200", "met": pb <= 0.2},
            {"key": "pg_gin_common_p95", "metric": "PostgreSQL GIN: dashboard search, two common words, p95 (ms)",
             "value": ms(pc), "target": "<= 200", "met": pc <= 0.2},
        ]
        if "http" in pg:
            http = pg["http"]
            rows.append({"key": "pg_http_p95", "metric": "PostgreSQL: dashboard page with a two-word search, "
                         "over HTTP, p95 (ms)", "value": ms(http["list"]), "target": "<= 200", "met": http["list"] <= 0.2})
            rows += [{"key": f"pg_http_{name}_p95", "metric": f"PostgreSQL: {what}, two common words, over HTTP, "
                      "p95 (ms)", "value": ms(http[name]), "target": "<= 200", "met": http[name] <= 0.2}
                     for name, what in (("overview", "overview page (charts and map)"),
                                        ("urgency", "urgency-sorted inbox"))]
    for store, figures in (("sqlite", res["fts5"][4]), ("pg", pg["gin"][4] if pg else None)):
        rows += page_rows(store, figures or {})
    report("search index", rows)


PAGE_NAMES = {"overview": "overview (four charts and the map's points)",
              "overview_search3": "overview (four charts and the map's points) against search3's "
                                  "(each report's document looked up by id, one GROUP BY per chart)",
              "urgency": "urgency-sorted inbox, first page",
              "narrow_list": f"narrow filter + common words: one village (1/{VILLAGES}), report list first page",
              "narrow_overview": f"narrow filter + common words: one village (1/{VILLAGES}), overview"}


def page_rows(store: str, figures: dict[str, tuple[float, float]]) -> list[dict]:
    """Each page with two common words: now, before (same run, alternating), before/now."""
    name = {"sqlite": "SQLite", "pg": "PostgreSQL"}[store]
    out = []
    for page, (now, before) in figures.items():
        out += [{"key": f"{store}_{page}_p95", "metric": f"{name}: {PAGE_NAMES[page]}, two common words, p95 (ms)",
                 "value": round(now * 1000, 1), "target": "<= 200", "met": now <= 0.2},
                {"key": f"{store}_{page}_before_p95", "metric": f"{name}: the same as before this change, p95 (ms)",
                 "value": round(before * 1000, 1)},
                {"key": f"{store}_{page}_ratio", "metric": f"{name}: {page}, before / now",
                 "value": round(before / now, 1) if now else None}]
    return out


if __name__ == "__main__":
    main()
