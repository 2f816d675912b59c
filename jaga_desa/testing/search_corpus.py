"""A dashboard search index at scale, written as the office writes it: N reports in
dash_reports, each holding `words` distinct keyed word tokens (`derived.term_hash` of
"kata<i>") drawn from a Zipf-like vocabulary — a few words in most reports, most words
rare, as in real free text — put in the index by `search_index.replace`, 100 reports per
transaction like a derive batch. Searched through the dashboard's own query
(`queries.list_reports` with the words typed in `q`). One helper for
bench/search_index_bench.py and tests/office/test_search_plans.py."""
from __future__ import annotations

import random
import time
import uuid
from datetime import datetime, timedelta, timezone

from sqlalchemy import Engine, insert, text

from jaga_desa.testing import archive
from office import clock
from office.dashboard import derived, queries, search_index
from office.dashboard.schema import dash_reports
from office.keys import OfficeKeys
from office.schema import villages as villages_table
from office.store.sealed import seal_geo

BATCH = 100
ADMIN = {"role": "admin", "region": None}
CATEGORIES = ("perdagangan_orang", "penyelundupan", "pmi_nonprosedural", "lainnya")


def vocabulary(n: int) -> list[str]:
    return [f"kata{i}" for i in range(n)]


def corpus(reports: int, words: int, vocab: list[str], rng: random.Random) -> list[list[str]]:
    weights = [1 / (i + 1) for i in range(len(vocab))]           # Zipf: a few words everywhere
    return [sorted(set(rng.choices(vocab, weights, k=words))) for _ in range(reports)]


def envelope_ids(n: int) -> list[str]:
    rng = random.Random(5)
    return [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(n)]


def fill_reports(engine: Engine, n: int, villages: int = 1, keys: OfficeKeys | None = None) -> list[str]:
    """n reports' dashboard rows in a migrated office store, one second apart; their ids.
    Spread over `villages` villages (all in one region) and, like real reports, over urgency
    levels (one in 50 DARURAT, one in 10 MENDESAK), categories, weeks and — with the office
    `keys` to seal it — a GPS point on every other report, so the overview's charts and map
    and the urgency-sorted inbox have something to count."""
    ids = envelope_ids(n)
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)

    def row(i: int) -> dict:
        out = archive.dash_row(ids[i], i % villages + 1, "laporan_kecurigaan", clock.iso(start + timedelta(seconds=i)))
        urgency = "darurat" if i % 50 == 7 else "mendesak" if i % 10 == 3 else "biasa"
        out.update(urgency=urgency, urgent=urgency != "biasa", category=CATEGORIES[i % len(CATEGORIES)])
        if keys is not None and i % 2:
            out["geo"] = seal_geo(keys, ids[i], 4.1 + (i % 97) / 1000, 117.6 + (i % 89) / 1000)
        return out
    with engine.begin() as conn:
        conn.execute(insert(villages_table), [{"id": v, "name": f"Desa {v}", "region": "Nunukan"}
                                              for v in range(1, villages + 1)])
        for k in range(0, n, 5000):
            conn.execute(insert(dash_reports), [row(i) for i in range(k, min(k + 5000, n))])
    return ids


def tokens(keys: OfficeKeys, docs: list[list[str]]) -> list[list[str]]:
    """Each report's words as the office keys them."""
    token = {w: derived.term_hash(keys, w) for doc in docs for w in doc}
    return [[token[w] for w in doc] for doc in docs]


def write_index(engine: Engine, ids: list[str], docs: list[list[str]]) -> float:
    """The reports' tokens into the index, BATCH reports per transaction; reports/s."""
    t = time.perf_counter()
    for k in range(0, len(docs), BATCH):
        with engine.begin() as conn:
            search_index.replace(conn, {ids[i]: docs[i] for i in range(k, min(k + BATCH, len(docs)))})
    return len(docs) / (time.perf_counter() - t)


def analyze(engine: Engine) -> None:
    """Statistics for the planner, as autovacuum would gather them."""
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))


def load(engine: Engine, keys: OfficeKeys, docs: list[list[str]], villages: int = 1) -> None:
    """Fill a migrated office store with these reports' words, indexed and analyzed."""
    ids = fill_reports(engine, len(docs), villages, keys)
    write_index(engine, ids, tokens(keys, docs))
    analyze(engine)


def search(engine: Engine, keys: OfficeKeys, q: str) -> list[dict]:
    """The dashboard's first page for a typed search, newest first."""
    with engine.connect() as conn:
        return queries.list_reports(conn, ADMIN, queries.Filters(q=q), 50, keys=keys)[0]
