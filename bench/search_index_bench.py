"""The dashboard's search index: today's row table (dash_terms: one row per keyed word and
report, a B-tree on (term, report)) against an inverted index over the same keyed tokens —
SQLite FTS5 (contentless, detail=none: only which report holds a token; next to it, as the
office keeps it, each report's document and its tokens, so a re-index can delete exactly
them) and PostgreSQL GIN (a text[] of tokens per report). Same tokens, same reports, in this
one run.

    python bench/search_index_bench.py [--reports 100000] [--words 100] [--queries 200] [--pg]

Tokens are 32-hex keyed hashes as the office stores them (derived.term_hashes); each report
holds `--words` of them drawn from a Zipf-like vocabulary (common words in most reports,
most words rare). Written in batches of 100 reports per transaction (SQLite WAL,
synchronous=FULL; PostgreSQL with fsync on). Measured: write rate, size on disk, and the
p95 of a two-word search returning the newest 50 matching reports.
"""
from __future__ import annotations

import argparse
import hashlib
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import percentile, report  # noqa: E402

BATCH = 100


def vocabulary(n: int) -> list[str]:
    return [hashlib.sha256(f"word-{i}".encode()).hexdigest()[:32] for i in range(n)]


def corpus(reports: int, words: int, vocab: list[str], rng: random.Random) -> list[list[str]]:
    weights = [1 / (i + 1) for i in range(len(vocab))]           # Zipf: a few words everywhere
    return [sorted(set(rng.choices(vocab, weights, k=words))) for _ in range(reports)]


def sqlite_connect(path: Path) -> sqlite3.Connection:
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=FULL")
    return con


def write_sqlite(path: Path, kind: str, docs: list[list[str]]) -> float:
    con = sqlite_connect(path)
    if kind == "rows":
        con.execute("CREATE TABLE dash_terms (term VARCHAR(32) NOT NULL, envelope_id VARCHAR(36) NOT NULL, "
                    "PRIMARY KEY (term, envelope_id))")
    else:       # as the office writes it: each report's document and its kept tokens (derive3_0001), the index
        con.execute("CREATE TABLE dash_search (doc INTEGER PRIMARY KEY AUTOINCREMENT, "
                    "envelope_id VARCHAR(36) NOT NULL UNIQUE, terms BLOB)")
        con.execute("CREATE VIRTUAL TABLE dash_fts USING fts5(terms, content='', detail=none)")
    t = time.perf_counter()
    for k in range(0, len(docs), BATCH):
        con.execute("BEGIN IMMEDIATE")
        if kind == "rows":
            con.executemany("INSERT OR IGNORE INTO dash_terms VALUES (?, ?)",
                            [(term, f"{i:036d}") for i in range(k, min(k + BATCH, len(docs))) for term in docs[i]])
        else:
            batch = [(i + 1, f"{i:036d}", docs[i]) for i in range(k, min(k + BATCH, len(docs)))]
            con.executemany("INSERT INTO dash_search (doc, envelope_id, terms) VALUES (?, ?, ?)",
                            [(d, e, bytes.fromhex("".join(t))) for d, e, t in batch])
            con.executemany("INSERT INTO dash_fts (rowid, terms) VALUES (?, ?)", [(d, " ".join(t)) for d, _, t in batch])
        con.execute("COMMIT")
    rate = len(docs) / (time.perf_counter() - t)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    return rate


def search_sqlite(path: Path, kind: str, pairs: list[tuple[str, str]]) -> list[float]:
    con = sqlite_connect(path)
    times = []
    for a, b in pairs:
        t = time.perf_counter()
        if kind == "rows":
            con.execute("SELECT envelope_id FROM dash_terms WHERE term = ? AND envelope_id IN "
                        "(SELECT envelope_id FROM dash_terms WHERE term = ?) ORDER BY envelope_id DESC LIMIT 50",
                        (a, b)).fetchall()
        else:
            con.execute("SELECT rowid FROM dash_fts WHERE dash_fts MATCH ? ORDER BY rowid DESC LIMIT 50",
                        (f'"{a}" "{b}"',)).fetchall()
        times.append(time.perf_counter() - t)
    con.close()
    return times


def postgres(docs: list[list[str]], pairs: list[tuple[str, str]]) -> dict:
    """(rate, bytes, search p95) of the row table and of GIN over text[], on a throwaway cluster."""
    import psycopg
    from jaga_desa.testing.postgres import PostgresCluster
    out = {}
    with PostgresCluster(fsync=True) as cluster:
        url = cluster.make_db("search_bench").replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(url, autocommit=True) as con:
            con.execute("CREATE TABLE dash_terms (term varchar(32) NOT NULL, envelope_id varchar(36) NOT NULL, "
                        "PRIMARY KEY (term, envelope_id))")
            con.execute("CREATE TABLE dash_search (id bigint PRIMARY KEY, terms text[] NOT NULL)")
            con.execute("CREATE INDEX dash_search_gin ON dash_search USING gin (terms)")
            for kind, table in (("rows", "dash_terms"), ("gin", "dash_search")):
                t = time.perf_counter()
                for k in range(0, len(docs), BATCH):
                    with con.transaction(), con.cursor() as cur:
                        if kind == "rows":
                            cur.executemany("INSERT INTO dash_terms VALUES (%s, %s) ON CONFLICT DO NOTHING",
                                            [(term, f"{i:036d}") for i in range(k, min(k + BATCH, len(docs)))
                                             for term in docs[i]])
                        else:
                            cur.executemany("INSERT INTO dash_search VALUES (%s, %s)",
                                            [(i + 1, docs[i]) for i in range(k, min(k + BATCH, len(docs)))])
                rate = len(docs) / (time.perf_counter() - t)
                size = con.execute(f"SELECT pg_total_relation_size('{table}')").fetchone()[0]
                con.execute(f"ANALYZE {table}")
                times = []
                for a, b in pairs:
                    t = time.perf_counter()
                    if kind == "rows":
                        con.execute("SELECT envelope_id FROM dash_terms WHERE term = %s AND envelope_id IN "
                                    "(SELECT envelope_id FROM dash_terms WHERE term = %s) "
                                    "ORDER BY envelope_id DESC LIMIT 50", (a, b)).fetchall()
                    else:
                        con.execute("SELECT id FROM dash_search WHERE terms @> %s ORDER BY id DESC LIMIT 50",
                                    ([a, b],)).fetchall()
                    times.append(time.perf_counter() - t)
                out[kind] = (rate, size, percentile(times, 95))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reports", type=int, default=100_000)
    ap.add_argument("--words", type=int, default=100, help="distinct keyed words per report")
    ap.add_argument("--vocab", type=int, default=50_000)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--pg", action="store_true", help="also PostgreSQL: row table vs GIN")
    args = ap.parse_args()
    rng = random.Random(11)
    vocab = vocabulary(args.vocab)
    docs = corpus(args.reports, args.words, vocab, rng)
    # two-word searches: one common word with one rarer one, as people type them
    pairs = [(vocab[rng.randint(0, 50)], vocab[rng.randint(50, 5000)]) for _ in range(args.queries)]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        res = {}
        for kind in ("rows", "fts5"):
            path = Path(tmp) / f"{kind}.db"
            rate = write_sqlite(path, kind, docs)
            p95 = percentile(search_sqlite(path, kind, pairs), 95)
            res[kind] = (rate, path.stat().st_size, p95)
    ms = lambda s: round(s * 1000, 1)     # noqa: E731
    n = f"{args.reports // 1000}k" if args.reports >= 1000 else str(args.reports)
    for label, (kind_a, kind_b), r in (("SQLite", ("rows", "fts5"), res),):
        (ra, sa, pa), (rb, sb, pb) = r[kind_a], r[kind_b]
        rows += [
            {"key": "sqlite_rows_rate", "metric": f"SQLite row table: write, {n} reports (reports/s)", "value": round(ra)},
            {"key": "sqlite_fts_rate", "metric": "SQLite FTS5 contentless: write (reports/s)", "value": round(rb)},
            {"key": "sqlite_write_ratio", "metric": "FTS5 / row table, write rate", "value": round(rb / ra, 2),
             "target": "> 1", "met": rb > ra},
            {"key": "sqlite_rows_mb", "metric": "SQLite row table: file size (MB)", "value": round(sa / 1e6, 1)},
            {"key": "sqlite_fts_mb", "metric": "SQLite FTS5 + each report's kept tokens: file size (MB)", "value": round(sb / 1e6, 1)},
            {"key": "sqlite_rows_p95", "metric": "SQLite row table: two-word search p95 (ms)", "value": ms(pa)},
            {"key": "sqlite_fts_p95", "metric": "SQLite FTS5: two-word search p95 (ms)", "value": ms(pb),
             "target": "<= 200", "met": pb <= 0.2},
        ]
    if args.pg:
        pg = postgres(docs, pairs)
        (ra, sa, pa), (rb, sb, pb) = pg["rows"], pg["gin"]
        rows += [
            {"key": "pg_rows_rate", "metric": "PostgreSQL row table: write (reports/s)", "value": round(ra)},
            {"key": "pg_gin_rate", "metric": "PostgreSQL GIN text[]: write (reports/s)", "value": round(rb)},
            {"key": "pg_rows_mb", "metric": "PostgreSQL row table: size (MB)", "value": round(sa / 1e6, 1)},
            {"key": "pg_gin_mb", "metric": "PostgreSQL GIN: size (MB)", "value": round(sb / 1e6, 1)},
            {"key": "pg_rows_p95", "metric": "PostgreSQL row table: search p95 (ms)", "value": ms(pa)},
            {"key": "pg_gin_p95", "metric": "PostgreSQL GIN: search p95 (ms)", "value": ms(pb),
             "target": "<= 200", "met": pb <= 0.2},
        ]
    report("search index", rows)


if __name__ == "__main__":
    main()
