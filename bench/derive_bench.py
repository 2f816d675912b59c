"""Store, then derive: does the derive worker keep up with the push, how long from a
receipt to its signal, and does early warning cost the same per report however much is
stored — every figure from this one run.

    python bench/derive_bench.py [--reports 2000] [--phones 100] [--seconds 20]
                                 [--stored 1000,10000,100000] [--share 0.3] [--per-day 10]
                                 [--workers 2] [--skip hot,lag,cost] [--postgres]

1. Throughput (no HTTP, SQLite synchronous=FULL): `--reports` sealed reports (`varied`:
   each calo in a handful of them; and, as a stress case, one calo in all of them) through the
   office's `ingest_batch` (batches of 200: store + filter row + jobs), then the derive
   worker (worker.Pipeline: open once, search terms, early warning, roll-up links, webhooks)
   over the same reports, on two copies of the store as the push left it: one process, and
   `--workers` processes (office/derive/prepare.py: one writes, the others read the next
   batch). Printed: each
   rate, CPU seconds per report of each side (the pool's processes included), and the one
   writer's own CPU per report — on a machine with a core free per process, the writer's
   CPU per report against the push's bounds the N-process ratio (a loaded machine gives the
   pool no core: the wall-clock ratio then says nothing of the code). Target: derive rate >=
   push ingest rate (the worker keeps up). `--postgres`: the same on a throwaway PostgreSQL
   (jaga_desa/testing/postgres.py, fsync on), varied reports.
2. Receipt-to-signal lag: a real office (uvicorn subprocess, its derive worker thread) and
   `--phones` phones (bench/load_bench.Phone: enrolled over HTTP, real sealed envelopes)
   pushing batches of 3 with ~2 s think time for `--seconds`; a watcher polls the office's
   job table and records, per report, the time from its receipt until its early-warning job
   is gone. Target: p95 <= 5 s.
3. Early-warning cost per report against what is stored: batches of 200 reports through the
   early-warning consumer over `--stored` stored reports, `--share` of whose names share one
   token ("Muhammad ..."). The stored reports arrive at a fixed rate (`--per-day`, 10 a day:
   1,000 stored already fill the 90-day window), so more stored means a longer history, as
   an office fills, not more reports inside one window (more same-named reports in the
   window are more real candidates to compare, a cost of the data, not of the store).
   Prints the least-squares slope (CPU ms per report per 10,000 more stored; target ≈ 0: under
   5% of the first level's cost) and the last level's cost over the first — the rules' own cost
   is office/warning's (the name-matching work is tracked there).
"""
from __future__ import annotations

import argparse
import base64
import random
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import harness, warning_bench  # noqa: E402
from bench.common import cpu_seconds, percentile, report  # noqa: E402
from bench.ingest_ratio import OFFICE_KEY, prepared  # noqa: E402

FIRST = ["Muhammad", "Abdul", "Siti", "Nur", "Agus", "Budi", "Dewi", "Rina", "Yusuf", "Hendra", "Wati", "Joko"]
LAST = ["Rahman", "Hidayat", "Saputra", "Lestari", "Kurniawan", "Wijaya", "Santoso", "Pratama", "Nurhayati",
        "Setiawan", "Sari", "Gunawan", "Halim", "Fauzi", "Syahputra", "Siregar", "Nasution", "Harahap"]


def varied(n: int):
    """Answers as a district's reports vary: the form's example with the people, numbers,
    accounts and boats drawn so that a calo recurs in a handful of reports (about n/5 of
    each), not in all of them."""
    import forms
    base, rng = forms.load("laporan_kecurigaan").example(), random.Random(20)
    pool = max(5, n // 5)

    def answers(i: int) -> dict:
        a = {**base, "tempat": f"Dermaga desa nomor {i}"}
        k = rng.randrange(pool)
        first = "Muhammad" if rng.random() < 0.3 else rng.choice(FIRST[1:])
        a["terlibat"] = [{**base["terlibat"][0], "nama": f"{first} {LAST[k % len(LAST)]}",
                          "telepon": f"0813 {k:04d} {(k * 7919) % 10000:04d}",
                          "akun_medsos": f"@kerja.{k}"},
                         {**base["terlibat"][1], "kapal": f"KM Sinar {k}"}]
        return a
    return answers


def throughput(folder: Path, n: int, hot: bool = False, workers: int = 2, cluster=None) -> dict[str, float]:
    """On the same `n` reports: push ingest reports/s and CPU s per report, then the derive
    worker's reports/s and CPU s per report (its pool's processes included) with one process
    and with `workers` preparing (each on its own copy of the store as the push left it).
    `varied` answers, or (`hot`) sync_bench's, where one calo's phone, account, boat and name
    are in every report — a stress case for a ring that keeps growing. `cluster` (a running
    jaga_desa.testing.postgres.PostgresCluster): the stores are PostgreSQL databases instead,
    each copy made from the pushed one as a template."""
    import os
    import shutil
    from office import db, keys as office_keys
    from office.derive import worker
    from office.ingest import ingest_batch
    name = "derive_hot" if hot else "derive_varied"
    url = cluster.make_db(name) if cluster is not None else None
    snapshot, envelopes, device_id, _ = (prepared(folder, n, url=url) if hot else
                                         prepared(folder, n, varied(n), url=url))
    work = folder / "work"
    shutil.copytree(snapshot, work)
    keys = office_keys.load_or_create(work, OFFICE_KEY)
    engine = db.make_engine(url or db.sqlite_url(work))
    t, cpu = time.perf_counter(), time.process_time()
    for k in range(0, n, 200):
        with engine.begin() as conn:
            ingest_batch(conn, envelopes[k:k + 200], device_id=device_id, keys=keys)
    out = {"push": n / (time.perf_counter() - t), "push_cpu": (time.process_time() - cpu) / n}
    engine.dispose()
    for w in sorted({1, workers}):
        copy = folder / f"derive-{w}"
        shutil.copytree(work, copy)
        engine = db.make_engine(cluster.copy_db(name, f"{name}_{w}") if cluster is not None else db.sqlite_url(copy))
        worker.run_once(engine, keys, batch=1)           # consumers imported, forms loaded: not timed
        with worker.Pipeline(engine, keys, workers=w) as pipeline:
            pipeline.preparer.warm()                     # a long-lived worker's pool start: not timed
            t, cpu, own = time.perf_counter(), cpu_seconds(os.getpid()), time.process_time()
            while pipeline.run_once():
                pass
            out[f"derive_{w}"] = (n - 1) / (time.perf_counter() - t)
            out[f"derive_{w}_cpu"] = (cpu_seconds(os.getpid()) - cpu) / (n - 1)
            out[f"derive_{w}_writer_cpu"] = (time.process_time() - own) / (n - 1)
        engine.dispose()
    return out


def lag(folder: Path, phones: int, seconds: float) -> tuple[list[float], int]:
    """Receipt-to-signal lags (s) of every report pushed while `phones` phones push."""
    from sqlalchemy import select
    from bench.load_bench import Phone
    from office import db, enrollment
    from office.derive.schema import derive_jobs
    data = folder / "office"
    data.mkdir(parents=True)
    server = harness.office(data)
    engine = db.make_engine(db.sqlite_url(data))
    try:
        with engine.begin() as conn:
            enrollment.add_village(conn, "Entikong", "Sanggau")
            codes = [enrollment.create_code(conn, village="Entikong", role="volunteer", name=f"R{i}")["code"]
                     for i in range(phones)]
        fleet = [Phone(server.url, c, i) for i, c in enumerate(codes)]
        sealed = {p.person: [p.seal(3) for _ in range(int(seconds) + 2)] for p in fleet}
        waiting: dict[str, float] = {}
        lags: list[float] = []
        lock, stop = threading.Lock(), threading.Event()

        def phone(p) -> None:
            rng = random.Random(p.person)
            stop.wait(rng.uniform(0, 2.0))
            while not stop.is_set() and sealed[p.person]:
                items = sealed[p.person].pop()
                r = p.http.post(p.url + "/api/v1/envelopes", timeout=120,
                                json={"envelopes": [base64.b64encode(e).decode() for e in items]})
                at = time.monotonic()
                if r.status_code == 200:
                    with lock:
                        waiting.update({x["envelope_id"]: at for x in r.json()["results"]
                                        if x["status"] == "accepted"})
                stop.wait(rng.uniform(1.0, 3.0))

        def watch() -> None:
            while not (stop.is_set() and not waiting):
                with lock:
                    ids = list(waiting)
                if ids:
                    with db.reading(engine) as conn:
                        pending = set(conn.execute(select(derive_jobs.c.envelope_id).where(
                            derive_jobs.c.consumer == "early_warning",
                            derive_jobs.c.envelope_id.in_(ids))).scalars())
                    now = time.monotonic()
                    with lock:
                        for e in ids:
                            if e not in pending:
                                lags.append(now - waiting.pop(e))
                time.sleep(0.05)

        threads = [threading.Thread(target=phone, args=(p,), daemon=True) for p in fleet]
        watcher = threading.Thread(target=watch, daemon=True)
        for th in threads + [watcher]:
            th.start()
        time.sleep(seconds)           # the load's duration (a bench, not a test: no condition to wait on)
        stop.set()
        for th in threads:
            th.join(120)
        watcher.join(300)
        return lags, len(lags)
    finally:
        server.stop()
        engine.dispose()


def names_answers(rng: random.Random, share: float, form) -> dict:
    a = form.example()
    first = "Muhammad" if rng.random() < share else rng.choice(FIRST[1:])
    a["terlibat"] = [{"peran": "calo", "nama": f"{first} {rng.choice(LAST)} {rng.choice(LAST)}"}]
    return a


def warning_cost(folder: Path, levels: list[int], share: float, per_day: float = 10.0,
                 answers=None, village_count: int = 20) -> list[tuple[int, float]]:
    """(stored, CPU ms per report) of the early-warning consumer on batches of 200, the stored
    reports `per_day` a day on one time line that ends now (each measured batch arrives
    where the history it meets ends). This process's CPU time, not wall time: on a shared
    machine another process takes wall time from one level and not the next, which reads
    as a slope (the CI ingest guard counts CPU time for the same reason). `answers(rng, form)`
    makes each report's answers (default: the form's example, `share` of names "Muhammad ...");
    the reports come from `village_count` villages (1: one village's phone, as sync_bench pushes)."""
    import datetime as dt
    import forms
    from sqlalchemy import insert
    from office import clock, db, keys as office_keys
    from office.derive.consumers.early_warning import CONSUMER
    from office.derive.registry import Stored
    from office.schema import villages
    keys = office_keys.load_or_create(folder / "ew", OFFICE_KEY)
    engine = db.open_store(folder / "ew")
    with engine.begin() as conn:
        conn.execute(insert(villages), [{"id": v, "name": f"Desa {v}", "region": f"Kec {v % 5}"} for v in range(1, 21)])
    form, rng = forms.load("laporan_kecurigaan"), random.Random(7)
    total = max(levels) + 600 * len(levels)
    start = clock.now() - dt.timedelta(days=total / per_day)

    def at(i: int):
        return start + dt.timedelta(days=i / per_day)

    def batch(times: list) -> list:
        return [Stored(str(uuid.uuid4()), rng.randint(1, village_count), form.id, form.version, clock.iso(when), False,
                       {"answers": (answers(rng, form) if answers else names_answers(rng, share, form))}) for when in times]

    stored, out = 0, []
    for level in sorted(levels):
        while stored < level:          # fill, 200 at a time, at the history's rate
            k = min(200, level - stored)
            with engine.begin() as conn:
                CONSUMER.derive(conn, keys, batch([at(stored + i) for i in range(k)]), clock.now())
            stored += k
        times = []
        for _ in range(3):
            items = batch([at(stored)] * 200)
            t = time.process_time()
            with engine.begin() as conn:
                CONSUMER.derive(conn, keys, items, clock.now())
            times.append((time.process_time() - t) * 1000 / 200)
            stored += 200
        out.append((level, sorted(times)[1]))
    engine.dispose()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reports", type=int, default=2000)
    ap.add_argument("--phones", type=int, default=100)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--stored", default="1000,10000,100000", help="stored reports before each measure (comma list)")
    ap.add_argument("--share", type=float, default=0.3, help="share of names with one common token")
    ap.add_argument("--per-day", type=float, default=10.0, help="stored reports a day (the history's rate)")
    ap.add_argument("--workers", type=int, default=2, help="derive processes in all, the writer included (the N-worker figure)")
    ap.add_argument("--skip", default="", help="parts to leave out (comma list): hot, lag, cost")
    ap.add_argument("--postgres", action="store_true",
                    help="also the throughput part (varied reports) on a throwaway PostgreSQL (fsync on)")
    args = ap.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    levels = [int(x) for x in args.stored.split(",")]
    w = args.workers
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        tp = throughput(tmp / "tp", args.reports, workers=w)
        hot = None if "hot" in skip else throughput(tmp / "hot", args.reports, hot=True, workers=w)
        lags, n = ([], 0) if "lag" in skip else lag(tmp / "lag", args.phones, args.seconds)
        cost = [] if "cost" in skip else warning_cost(tmp, levels, args.share, args.per_day)
        pg = None
        if args.postgres:
            from jaga_desa.testing.postgres import PostgresCluster
            with PostgresCluster(fsync=True) as cluster:
                pg = throughput(tmp / "pg", args.reports, workers=w, cluster=cluster)
    push = tp["push"]
    rows = [
        {"key": "push", "metric": f"push ingest, {args.reports} reports, no HTTP (reports/s)", "value": round(push)},
        {"key": "push_cpu", "metric": "push ingest CPU per report (ms)", "value": round(tp["push_cpu"] * 1000, 3)},
        {"key": "derive", "metric": "derive worker, one process, same reports, all consumers (reports/s)",
         "value": round(tp["derive_1"])},
        {"key": "derive_cpu", "metric": "derive CPU per report, one process (ms)", "value": round(tp["derive_1_cpu"] * 1000, 3)},
        {"key": "keeps_up_1", "metric": "derive / push ingest, one process", "value": round(tp["derive_1"] / push, 2)},
    ]
    if w > 1:
        rows += [
            {"key": f"derive_{w}", "metric": f"derive worker, {w} processes: 1 writes, {w - 1} read (reports/s)", "value": round(tp[f"derive_{w}"])},
            {"key": f"derive_{w}_cpu", "metric": f"derive CPU per report, {w} processes, all of them (ms)",
             "value": round(tp[f"derive_{w}_cpu"] * 1000, 3)},
            {"key": f"derive_{w}_writer_cpu", "metric": f"derive CPU per report, {w} processes, the one writer (ms)",
             "value": round(tp[f"derive_{w}_writer_cpu"] * 1000, 3)},
            {"key": "writer_ceiling", "metric": "push CPU / writer CPU per report (the rate ratio a free core per process allows)",
             "value": round(tp["push_cpu"] / tp[f"derive_{w}_writer_cpu"], 2)}]
    rows += [{"key": "keeps_up", "metric": f"derive / push ingest, {w} process{'es' if w > 1 else ''}",
              "value": round(tp[f"derive_{w}"] / push, 2), "target": ">= 1", "met": tp[f"derive_{w}"] >= push}]
    if hot is not None:
        rows += [{"key": "hot_derive", "metric": f"derive, one calo in every report (stress; {w} processes; reports/s)",
                  "value": round(hot[f"derive_{w}"])},
                 {"key": "hot_keeps_up", "metric": "derive / push ingest, one calo in every report",
                  "value": round(hot[f"derive_{w}"] / hot["push"], 2)}]
    if pg is not None:
        rows += [{"key": "pg_push", "metric": f"PostgreSQL: push ingest, {args.reports} reports, no HTTP (reports/s)",
                  "value": round(pg["push"])},
                 {"key": f"pg_derive_{w}", "metric": f"PostgreSQL: derive worker, {w} process{'es' if w > 1 else ''} (reports/s)",
                  "value": round(pg[f"derive_{w}"])},
                 {"key": f"pg_derive_{w}_writer_cpu", "metric": "PostgreSQL: derive CPU per report, the one writer (ms)",
                  "value": round(pg[f"derive_{w}_writer_cpu"] * 1000, 3)},
                 {"key": "pg_keeps_up", "metric": f"PostgreSQL: derive / push ingest, {w} process{'es' if w > 1 else ''}",
                  "value": round(pg[f"derive_{w}"] / pg["push"], 2)}]
    if lags:
        p95 = percentile(lags, 95)
        rows += [{"key": "lag_p50", "metric": f"receipt to signal p50, {args.phones} phones pushing (s)",
                  "value": round(percentile(lags, 50), 2)},
                 {"key": "lag_p95", "metric": f"receipt to signal p95 ({n} reports)", "value": round(p95, 2),
                  "target": "<= 5", "met": p95 <= 5}]
    if cost:
        c_lo, c_hi = cost[0][1], cost[-1][1]
        slope = warning_bench.slope([{"stored": lvl, "ms": ms} for lvl, ms in cost], "ms")
        rows += [{"key": f"ew_{lvl}", "metric": f"early warning per report, {lvl} stored ({lvl / args.per_day:.0f} days), {args.share:.0%} share a token (CPU ms)",
                  "value": round(ms, 2)} for lvl, ms in cost]
        rows += [{"key": "ew_slope", "metric": "early-warning slope (CPU ms per report per 10k stored, least squares)",
                  "value": round(slope, 3), "target": "≈ 0 (< 5% of the first level)", "met": abs(slope) <= 0.05 * c_lo},
                 {"key": "ew_ratio", "metric": f"early warning per report, {cost[-1][0]} / {cost[0][0]} stored",
                  "value": round(c_hi / c_lo, 2)}]
    report("derive", rows)


if __name__ == "__main__":
    main()
