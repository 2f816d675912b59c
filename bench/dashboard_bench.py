"""Dashboard: list + filter p95 over N reports (default 100,000), as admin and as regional intel.

    python bench/dashboard_bench.py [--reports 100000]

Rows are synthetic but go through the office's real schema and migrations (dash_reports,
dash_search index (FTS5 / GIN), villages, reviews) and the real query code
(`office.dashboard.queries.list_reports`). Baseline in the same run: OFFSET paging
to the same depth (page 200), what a naive list would do — keyset paging should not care.
"""
from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import desc, insert, select, text  # noqa: E402

from bench.common import percentile, report  # noqa: E402
from office import db, keys as office_keys  # noqa: E402
from office.dashboard import derived, queries, search_index  # noqa: E402
from office.dashboard.schema import dash_reports  # noqa: E402
from office.schema import villages  # noqa: E402

CATS = ["rekrutmen", "dokumen_palsu", "penyelundupan", "penampungan", "lainnya", "pmi_nonprosedural"]
WORDS = ["sawit", "speedboat", "avanza", "tawau", "paspor", "agen", "dermaga", "malam", "facebook", "anak"]


def populate(engine, keys, n: int) -> None:
    rng = random.Random(1)
    now = datetime(2026, 11, 25, tzinfo=timezone.utc)
    with engine.begin() as conn:
        conn.execute(insert(villages), [{"name": f"Desa {i}", "region": f"Region {i % 5}"} for i in range(50)])
        rows, terms = [], {}
        hashes = {w: derived.term_hash(keys, w) for w in WORDS}
        for i in range(n):
            eid = str(uuid.UUID(int=rng.getrandbits(128)))
            geo = derived.seal_geo(keys, eid, 4.1 + rng.random() / 10, 117.6 + rng.random() / 10)
            at = now - timedelta(seconds=rng.randint(0, 365 * 86400))
            rows.append({"envelope_id": eid, "village_id": rng.randint(1, 50),
                         "form_id": rng.choice(["laporan_kecurigaan", "keberangkatan_pmi"]),
                         "received_at": at.isoformat(timespec="seconds"), "created_ms": int(at.timestamp() * 1000),
                         "has_photo": rng.random() < 0.3, "opened": True, "category": rng.choice(CATS),
                         "urgency": rng.choice(["biasa", "mendesak", "darurat"]), "urgent": rng.random() < 0.2,
                         "children": rng.random() < 0.1, "route": None, "geo": geo,
                         "week": at.strftime("%G-W%V"), "triage": rng.choice(["new", "reviewed", "closed"]),
                         "assignee_id": None, "indexed_at": at.isoformat()})
            terms[eid] = [hashes[w] for w in rng.sample(WORDS, 3)]
            if len(rows) == 10000:
                conn.execute(insert(dash_reports), rows)
                search_index.replace(conn, terms)
                rows, terms = [], {}
        if rows:
            conn.execute(insert(dash_reports), rows)
            search_index.replace(conn, terms)
        conn.execute(text("ANALYZE"))


def timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reports", type=int, default=100000)
    ap.add_argument("--repeat", type=int, default=15)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        keys = office_keys.load_or_create(Path(tmp), "bench")
        engine = db.open_store(Path(tmp))
        populate(engine, keys, args.reports)
        admin, intel = {"role": "admin", "region": None}, {"role": "intel", "region": "Region 2"}
        d = datetime(2026, 6, 1).date()
        cases = {"no filter": {}, "village": {"village": 7}, "category": {"category": "penampungan"},
                 "urgency+triage": {"urgency": "darurat", "triage": "new"}, "date range": {"date_from": d,
                 "date_to": d + timedelta(days=30)}, "has photo+children": {"has_photo": True, "children": True},
                 "search 2 words": {"q": "sawit tawau"}, "form+category+photo": {
                     "form": "keberangkatan_pmi", "category": "pmi_nonprosedural", "has_photo": True}}
        samples, worst = [], ("", 0.0)
        with engine.connect() as conn:
            for who, staff in (("admin", admin), ("intel", intel)):
                for name, f in cases.items():
                    filters = queries.Filters(**f)
                    ts = timed(lambda: queries.list_reports(conn, staff, filters, 50, keys=keys), args.repeat)
                    rows, cursor = queries.list_reports(conn, staff, filters, 50, keys=keys)
                    if cursor:   # the next page costs the same (keyset)
                        nxt = queries.Filters(**f, cursor=queries.decode_cursor(cursor))
                        ts += timed(lambda: queries.list_reports(conn, staff, nxt, 50, keys=keys), args.repeat)
                    samples += ts
                    if percentile(ts, 95) > worst[1]:
                        worst = (f"{who}/{name}", percentile(ts, 95))
            # baseline: OFFSET paging to page 200 of the unfiltered list
            depth = min(200, args.reports // 50 - 1)
            q = select(dash_reports).order_by(desc(dash_reports.c.received_at)).limit(50).offset(50 * depth)
            base = timed(lambda: conn.execute(q).all(), args.repeat)
            keyset_deep = []
            f = queries.Filters()
            for _ in range(depth):
                rows, cur = queries.list_reports(conn, admin, f, 50, keys=keys)
                f = queries.Filters(cursor=queries.decode_cursor(cur))
            keyset_deep = timed(lambda: queries.list_reports(conn, admin, f, 50, keys=keys), args.repeat)
    p95 = percentile(samples, 95) * 1000
    report("dashboard", [
        {"metric": f"list+filter p95 over {args.reports} reports (ms)", "value": round(p95, 1),
         "target": "<= 200", "met": p95 <= 200},
        {"metric": f"  slowest case p95: {worst[0]} (ms)", "value": round(worst[1] * 1000, 1)},
        {"metric": "  page 200, keyset (ms, p95)", "value": round(percentile(keyset_deep, 95) * 1000, 1)},
        {"metric": "baseline: page 200 by OFFSET (ms, p95)", "value": round(percentile(base, 95) * 1000, 1)},
    ])


if __name__ == "__main__":
    main()
