"""Early warning: rule evaluation time for a new batch of 200 reports over N stored ones
(default 100,000), and precision / recall on planted rings, next to a naive exact-string
baseline measured in the same run.

    python bench/warning_bench.py [--reports 100000] [--batches 5]

The reports go through the real code (`office.warning.observe`: normalising, keyed
HMACs, all five rules, signal upserts) on the office's real schema and migrations
(SQLite). Only the answers are synthetic; ingest's envelope crypto is benchmarked in
sync_bench and is not repeated here.

Planted rings: the same phone / plate / account / boat named in 3-5 reports from 2-4
villages within 10 days, written the way different people write it ("0812 3456 7890",
"+62 812-3456-7890", "KT 1234 AB" / "kt-1234-ab", "KM Sinar Jaya" / "SB sinar jaya").
Noise: near misses of every ring identifier (one digit or letter off, another boat
number) in other villages in the same weeks, identifiers repeated inside one village,
and one-off identifiers. Quality is counted over report pairs: a pair is found when one
same_identifier signal holds both; truth = both in the same ring.

Baseline: the same reports with raw identifier strings in a plain indexed table, linked
when the strings are equal (>= 2 villages within 14 days) — what a spreadsheet filter
or a "same text" query does.
"""
from __future__ import annotations

import argparse
import itertools
import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, select, text  # noqa: E402

from bench.common import report  # noqa: E402
from office import clock, db, keys as office_keys  # noqa: E402
from office.schema import villages  # noqa: E402
from office.warning import Report, observe  # noqa: E402
from office.warning.schema import warn_signal_reports, warn_signals  # noqa: E402

END = datetime(2026, 11, 20, 12, tzinfo=timezone.utc)
SPAN_DAYS = 180
KINDS = ("telepon", "plat", "akun_medsos", "kapal")
BOATS = ["Sinar Jaya", "Harapan Baru", "Bintang Laut", "Cahaya Timur", "Mutiara", "Putra Bahari", "Sri Rezeki"]


def phone_formats(digits: str) -> list[str]:
    d = digits  # 8xxxxxxxxxx (without the leading 0)
    return [f"0{d[:3]} {d[3:7]} {d[7:]}", f"+62 {d[:3]}-{d[3:7]}-{d[7:]}", f"62{d}", f"(0{d[:3]}) {d[3:7]}.{d[7:]}"]


def formats(kind: str, base: str) -> list[str]:
    if kind == "telepon":
        return phone_formats(base)
    if kind == "plat":
        a, n, b = base.split()
        return [f"{a} {n} {b}", f"{a.lower()}-{n}-{b.lower()}", f"{a}{n}{b}", f"{a} {n}{b}"]
    if kind == "akun_medsos":
        return [f"@{base}", f"facebook.com/{base}", f"https://www.facebook.com/{base.capitalize()}", base.upper()]
    return [f"KM {base}", f"SB {base.lower()}", f"KM. {base.upper()}", f"speedboat {base}"]


def near_miss(kind: str, base: str, k: int) -> str:
    """The k-th near miss of `base` (k = 0, 1, 2 give three different ones): one digit,
    letter or number off — another person's number, plate, account or boat."""
    if kind == "telepon":
        i = len(base) - 1 - k
        return base[:i] + str((int(base[i]) + 1) % 10) + base[i + 1:]
    if kind == "plat":
        a, n, b = base.split()
        return f"{a} {(int(n) + 1 + k - 1000) % 9000 + 1000} {b}"
    if kind == "akun_medsos":
        return base + ["_", "1", "x"][k]
    return base + f" {k + 2}"


_USED: set[tuple[str, str]] = set()


def fresh(kind: str, rng: random.Random, n: int) -> str:
    """A new identifier of one person or vehicle: never equal to another one (two random
    plates that collide would be the same vehicle, i.e. a real link, not noise)."""
    while True:
        value = _draw(kind, rng, n)
        if (kind, value) not in _USED:
            _USED.add((kind, value))
            return value


def _draw(kind: str, rng: random.Random, n: int) -> str:
    if kind == "telepon":
        return "8" + str(rng.choice([12, 13, 21, 22, 52, 53, 77])) + f"{rng.randrange(10**8):08d}"
    if kind == "plat":
        return f"{rng.choice(['KT', 'KB', 'DA', 'BP', 'SAB', 'QAA'])} {rng.randint(1000, 9999)} {rng.choice(['A', 'AB', 'XY', 'K'])}"
    if kind == "akun_medsos":
        return f"kerja.{rng.choice(['malaysia', 'sabah', 'brunei', 'sawit'])}.{n}"
    return f"{rng.choice(BOATS)} {n}"


def generate(n: int, n_villages: int, rng: random.Random):
    """[(Report, raw identifiers [(kind, raw)])] in time order, and the planted rings."""
    items: list[tuple[datetime, int, list[tuple[str, str]]]] = []
    rings: list[list[int]] = []
    n_rings = max(5, n // 2000)
    counter = itertools.count()

    def at(day: float) -> datetime:
        return END - timedelta(days=SPAN_DAYS) + timedelta(days=day)

    for _ in range(n_rings):
        kind = rng.choice(KINDS)
        base = fresh(kind, rng, next(counter))
        start = rng.uniform(0, SPAN_DAYS - 11)
        vills = rng.sample(range(1, n_villages + 1), rng.randint(2, 4))
        members = []
        for j in range(rng.randint(3, 5)):
            v = vills[j % len(vills)]
            items.append((at(start + rng.uniform(0, 10)), v, [(kind, rng.choice(formats(kind, base)))]))
            members.append(len(items) - 1)
        rings.append(members)
        for k in range(3):           # near misses, same weeks, other villages
            items.append((at(start + rng.uniform(0, 10)), rng.randint(1, n_villages),
                          [(kind, rng.choice(formats(kind, near_miss(kind, base, k))))]))
    village_repeat: dict[int, tuple[str, str]] = {}
    while len(items) < n:
        day = rng.uniform(0, SPAN_DAYS)
        v = rng.randint(1, n_villages)
        ids: list[tuple[str, str]] = []
        r = rng.random()
        if r < 0.35:
            kind = rng.choice(KINDS)
            ids.append((kind, rng.choice(formats(kind, fresh(kind, rng, next(counter))))))
        elif r < 0.45:               # the same local identifier, only ever in one village
            if v not in village_repeat or rng.random() < 0.3:
                kind = rng.choice(KINDS)
                village_repeat[v] = (kind, fresh(kind, rng, next(counter)))
            kind, base = village_repeat[v]
            ids.append((kind, rng.choice(formats(kind, base))))
        items.append((at(day), v, ids))
    order = sorted(range(len(items)), key=lambda i: items[i][0])
    pos = {old: new for new, old in enumerate(order)}
    out = []
    for i in order:
        when, v, ids = items[i]
        answers = {"status": "sudah", "tempat_berangkat": f"Dermaga {rng.randint(1, 3000)}",
                   "jumlah_di_bawah_umur": 0}
        if ids:
            answers["terlibat"] = [{"peran": "calo", k: raw} for k, raw in ids]
        out.append((Report(str(uuid.uuid4()), v, rng.choice(["keberangkatan_pmi", "laporan_kecurigaan"]),
                           clock.iso(when), answers), ids))
    return out, [[pos[m] for m in ring] for ring in rings]


class Baseline:
    """Exact raw strings in a plain indexed table; linked when equal in >= 2 villages in 14 days."""

    def __init__(self, conn) -> None:
        self.conn = conn
        conn.exec_driver_sql("CREATE TABLE base_links (kind TEXT, value TEXT, envelope_id TEXT, village_id INT, at TEXT)")
        conn.exec_driver_sql("CREATE INDEX ix_base ON base_links(kind, value, at)")
        self.groups: dict[tuple[str, str], set[str]] = defaultdict(set)

    def observe(self, batch) -> None:
        rows = [{"k": k, "v": raw, "e": r.envelope_id, "vi": r.village_id, "at": r.received_at}
                for r, ids in batch for k, raw in ids]
        if not rows:
            return
        self.conn.execute(text("INSERT INTO base_links VALUES (:k, :v, :e, :vi, :at)"), rows)
        for row in rows:
            since = clock.iso(clock.parse(row["at"]) - timedelta(days=14))
            hits = self.conn.execute(text("SELECT envelope_id, village_id FROM base_links WHERE kind=:k AND value=:v "
                                          "AND at >= :s AND at <= :at"), {"k": row["k"], "v": row["v"], "s": since,
                                                                          "at": row["at"]}).all()
            if len({h.village_id for h in hits}) >= 2:
                self.groups[(row["k"], row["v"])].update(h.envelope_id for h in hits)


def pairs_of(groups) -> set[frozenset]:
    out = set()
    for g in groups:
        out.update(frozenset(p) for p in itertools.combinations(sorted(g), 2))
    return out


def quality(found: set, truth: set) -> tuple[float, float]:
    tp = len(found & truth)
    return (tp / len(found) if found else 1.0), (tp / len(truth) if truth else 1.0)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reports", type=int, default=100000)
    ap.add_argument("--batch", type=int, default=200)
    ap.add_argument("--batches", type=int, default=5, help="timed batches at the end")
    ap.add_argument("--villages", type=int, default=60)
    args = ap.parse_args()
    rng = random.Random(13)
    data, rings = generate(args.reports, args.villages, rng)
    timed_from = len(data) - args.batch * args.batches
    with tempfile.TemporaryDirectory() as tmp:
        keys = office_keys.load_or_create(Path(tmp), "bench")
        engine = db.open_store(Path(tmp))
        with engine.begin() as conn:
            conn.execute(insert(villages), [{"id": i, "name": f"Desa {i}", "region": f"Kecamatan {i % 12}"}
                                            for i in range(1, args.villages + 1)])
            base = Baseline(conn)
        t_load = time.perf_counter()
        ours_t, base_t = [], []
        i = 0
        while i < len(data):
            size = 1000 if i + 1000 <= timed_from else args.batch
            batch = data[i:i + size]
            i += size
            timed = i > timed_from
            with engine.begin() as conn:
                t0 = time.perf_counter()
                observe(conn, keys, [r for r, _ in batch], now=clock.parse(batch[-1][0].received_at))
                t1 = time.perf_counter()
            with engine.begin() as conn:
                base.conn = conn
                t2 = time.perf_counter()
                base.observe(batch)
                t3 = time.perf_counter()
            if timed:
                ours_t.append(t1 - t0)
                base_t.append(t3 - t2)
        load_s = time.perf_counter() - t_load
        with engine.connect() as conn:
            groups = defaultdict(set)
            for sid, env_id in conn.execute(select(warn_signal_reports.c.signal_id, warn_signal_reports.c.envelope_id)
                                            .join(warn_signals, warn_signals.c.id == warn_signal_reports.c.signal_id)
                                            .where(warn_signals.c.rule == "same_identifier")):
                groups[sid].add(env_id)
            n_signals = dict(conn.execute(select(warn_signals.c.rule, text("count(*)"))
                                          .group_by(warn_signals.c.rule)).all())
    truth = pairs_of([{data[m][0].envelope_id for m in ring} for ring in rings])
    p, r = quality(pairs_of(groups.values()), truth)
    bp, br = quality(pairs_of(base.groups.values()), truth)
    med, worst, bmed = statistics.median(ours_t), max(ours_t), statistics.median(base_t)
    rows = [
        {"metric": f"stored reports (N)", "value": len(data)},
        {"metric": "planted rings / ring report pairs", "value": f"{len(rings)} / {len(truth)}"},
        {"metric": f"evaluate a batch of {args.batch}, median (s)", "value": round(med, 3), "target": "<= 1.0",
         "met": med <= 1.0},
        {"metric": f"evaluate a batch of {args.batch}, worst of {len(ours_t)} (s)", "value": round(worst, 3),
         "target": "<= 1.0", "met": worst <= 1.0},
        {"metric": "baseline exact-string batch, median (s)", "value": round(bmed, 3)},
        {"metric": "time ratio rules / baseline", "value": round(med / bmed, 2) if bmed else "-"},
        {"metric": "precision on planted rings", "value": round(p, 3), "target": ">= 0.95", "met": p >= 0.95},
        {"metric": "recall on planted rings", "value": round(r, 3), "target": ">= 0.95", "met": r >= 0.95},
        {"metric": "baseline precision (exact strings)", "value": round(bp, 3)},
        {"metric": "baseline recall (exact strings)", "value": round(br, 3)},
        {"metric": "load of N reports through observe (s)", "value": round(load_s, 1)},
        {"metric": "signals by rule", "value": json.dumps(n_signals, sort_keys=True)},
    ]
    report("warning", rows)


if __name__ == "__main__":
    main()
