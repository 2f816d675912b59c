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

from sqlalchemy import text  # noqa: E402

from bench import harness  # noqa: E402
from bench.common import percentile, report  # noqa: E402
from jaga_desa.testing import search_corpus  # noqa: E402
from office import db, keys as office_keys  # noqa: E402

BATCH = search_corpus.BATCH


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


def p95_of(engine, keys, queries: list[str]) -> float:
    """p95 of the dashboard's first page for each typed search."""
    times = []
    for q in queries:
        t = time.perf_counter()
        search_corpus.search(engine, keys, q)
        times.append(time.perf_counter() - t)
    return percentile(times, 95)


def office_index(engine, keys, docs, tokens, queries, size, common) -> tuple[float, int, float, float]:
    """(write rate, bytes the index added, search p95, common-pair search p95) of the office's
    own index."""
    ids = search_corpus.fill_reports(engine, len(docs))
    before = size()
    rate = search_corpus.write_index(engine, ids, tokens)
    added = size() - before
    search_corpus.analyze(engine)
    return rate, added, p95_of(engine, keys, queries), p95_of(engine, keys, common)


def sqlite_figures(tmp: Path, keys, docs, tokens, queries, pairs, common) -> dict:
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
        out["fts5"] = office_index(engine, keys, docs, tokens, queries, size, common)
    finally:
        engine.dispose()
    return out


def over_http(data: Path, url: str, queries: list[str]) -> float:
    """p95 of the dashboard's report list with a search typed in, over HTTP: the real office
    (uvicorn subprocess, bench/harness.py) on the loaded store, signed in as an analyst."""
    from jaga_desa.testing.dashboard import sign_in
    from office import staff
    engine = db.make_engine(url)
    with engine.begin() as conn:
        staff.create_staff(conn, "analis", "bench-password-1", "admin")
    engine.dispose()
    server = harness.office(data, db_url=url)
    try:
        session = sign_in(server.url, "analis", "bench-password-1")
        session.get(server.url + "/dashboard/", timeout=120)      # first page: templates, pool
        times = []
        for q in queries:
            t = time.perf_counter()
            r = session.get(server.url + "/dashboard/", params={"q": q}, timeout=120)
            times.append(time.perf_counter() - t)
            if r.status_code != 200:
                raise SystemExit(f"error [bench]: dashboard search answered {r.status_code}")
    finally:
        server.stop()
    return percentile(times, 95)


def postgres_figures(keys, docs, tokens, queries, pairs, common, revision: str, http: Path | None) -> dict:
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
            out["gin"] = office_index(engine, keys, docs, tokens, queries, size, common)
        finally:
            engine.dispose()
        if http:
            out["http"] = over_http(http, office_url, queries)
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
    queries = [f"{a} {b}" for a, b in words]
    common = [f"{a} {b}" for a, b in common_pairs(docs, vocab, args.queries, rng)]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "pgoffice"        # the keys, and the HTTP office's data dir
        data.mkdir()
        keys = office_keys.load_or_create(data, harness.ENV["JAGA_OFFICE_KEY"])
        tokens = search_corpus.tokens(keys, docs)
        pairs = [tuple(pair) for pair in search_corpus.tokens(keys, [list(w) for w in words])]
        res = sqlite_figures(Path(tmp), keys, docs, tokens, queries, pairs, common)
        http = data if args.http and args.pg_revision == "head" else None    # the office migrates to head
        pg = postgres_figures(keys, docs, tokens, queries, pairs, common, args.pg_revision, http) if args.pg else None
    ms = lambda s: round(s * 1000, 1)     # noqa: E731
    n = f"{args.reports // 1000}k" if args.reports >= 1000 else str(args.reports)
    for label, (kind_a, kind_b), r in (("SQLite", ("rows", "fts5"), res),):
        (ra, sa, pa), (rb, sb, pb, pc) = r[kind_a], r[kind_b]
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
        ]
    if pg:
        (ra, sa, pa), (rb, sb, pb, pc) = pg["rows"], pg["gin"]
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
            rows.append({"key": "pg_http_p95", "metric": "PostgreSQL: dashboard page with a two-word search, "
                         "over HTTP, p95 (ms)", "value": ms(pg["http"]), "target": "<= 200", "met": pg["http"] <= 0.2})
    report("search index", rows)


if __name__ == "__main__":
    main()
