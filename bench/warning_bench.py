"""Early warning an analyst can trust (issue 25): quality on a realistic test set and the
cost per report as the office fills, against an exact-string baseline in the same run.

    python bench/warning_bench.py [--reports 1637] [--stored 10000,30000,60000,100000] [--per-day 100]
                                  [--held-out 1,2,3,...] [--other 1,2,...,8] [--why]

Quality: `bench/warning_data.py` writes reports the way volunteers write them (names from
a frequency list with titles and spelling variants, identifiers in the varied ways the
issue lists, numbers only in free text, rings over weeks with 21-23 day gaps, near misses
by design). They go through the real engine (`office.warning.observe`: extraction,
normalisers, keyed HMACs, name statistics, every rule) on the office's real migrated
schema (SQLite), in pushes of 40 in time order. Printed: ring recall (a ring is found when
one signal holds at least two of its reports and they are most of that signal), pairwise
precision and recall (a pair of reports is linked when one identifier/name signal holds
both; truth = both in one ring), and signals per 1,000 reports (false = a link signal whose
reports are mostly from no single ring). Baseline: the raw strings of every identifier and
name field, linked when equal in >= 2 villages within 14 days (a spreadsheet filter).

Generalising: `--held-out` runs more sets from the same generator with other seeds;
`--other` runs sets from an independent generator (`bench/warning_data_other.py`: other
name lists, spellings, titles and writing habits, written apart and never used to tune a
rule), each printed as min / mean against the same goals.

`--why` prints, per family of sets, why each missed ring report was missed
(bench/warning_why.py: no name and no identifier, a name left to the chance test, ...).

Cost: for each stored size N (names: 30% share one word, "Muhammad"), N background reports
at a fixed rate (`--per-day`, 100 a day: an office grows by months of history, not by
more reports a day) are loaded through the engine, then batches of 200 new reports are
timed; printed as ms per report and the slope (ms per report per 10,000 more stored).
Every size holds at least the 90-day identifier window, so each new report meets a full
window: the slope is what history beyond the window costs. The baseline's cost is timed
on the same batches.
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
from collections import Counter, defaultdict
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, select, text  # noqa: E402

from bench.common import report  # noqa: E402
from bench import warning_data_other, warning_why  # noqa: E402
from bench.warning_data import END, generate  # noqa: E402
from office import clock, db, keys as office_keys  # noqa: E402
from office.schema import villages  # noqa: E402
from office.warning import Report, observe  # noqa: E402
from office.warning.schema import warn_signal_reports, warn_signals  # noqa: E402

LINK_RULES = ("same_identifier", "same_name")
RAW_FIELDS = ("nama", "telepon", "akun_medsos", "plat", "kapal")


def open_office(folder: Path, n_villages: int):
    keys = office_keys.load_or_create(folder, "bench")
    engine = db.open_store(folder)
    with engine.begin() as conn:
        conn.execute(insert(villages), [{"id": i, "name": f"Desa {i}", "region": f"Kecamatan {i % 8}"}
                                        for i in range(1, n_villages + 1)])
    return engine, keys


def as_report(r: dict) -> Report:
    return Report(r["id"], r["village"], r["form"], clock.iso(r["at"]), r["answers"])


class Baseline:
    """Raw strings of every identifier and name field in a plain indexed table; linked when
    equal in >= 2 villages within 14 days."""

    def __init__(self, conn) -> None:
        conn.exec_driver_sql("CREATE TABLE base_links (kind TEXT, value TEXT, envelope_id TEXT, village_id INT, at TEXT)")
        conn.exec_driver_sql("CREATE INDEX ix_base ON base_links(kind, value, at)")
        self.groups: dict[tuple[str, str], set[str]] = defaultdict(set)

    def observe(self, conn, batch: list[dict]) -> None:
        rows = [{"k": k, "v": e[k], "e": r["id"], "vi": r["village"], "at": clock.iso(r["at"])}
                for r in batch for e in r["answers"].get("terlibat", []) for k in RAW_FIELDS if e.get(k)]
        if not rows:
            return
        conn.execute(text("INSERT INTO base_links VALUES (:k, :v, :e, :vi, :at)"), rows)
        for row in rows:
            since = clock.iso(clock.parse(row["at"]) - timedelta(days=14))
            hits = conn.execute(text("SELECT envelope_id, village_id FROM base_links WHERE kind=:k AND value=:v "
                                     "AND at >= :s AND at <= :at"), {**row, "s": since}).all()
            if len({h.village_id for h in hits}) >= 2:
                self.groups[(row["k"], row["v"])].update(h.envelope_id for h in hits)


def pairs_of(groups) -> set[frozenset]:
    return {frozenset(p) for g in groups for p in itertools.combinations(sorted(g), 2)}


def judge(groups: list[set[str]], rings: list[list[str]], n_reports: int) -> dict:
    ring_of = {e: i for i, ring in enumerate(rings) for e in ring}
    truth = pairs_of(set(r) for r in rings)
    found = pairs_of(groups)
    tp = len(found & truth)
    rings_found, false = set(), 0
    for g in groups:
        counts = defaultdict(int)
        for e in g:
            if e in ring_of:
                counts[ring_of[e]] += 1
        best = max(counts.items(), key=lambda kv: kv[1], default=(None, 0))
        if best[1] >= 2 and best[1] * 2 >= len(g):
            rings_found.add(best[0])
        else:
            false += 1
    return {"ring_recall": len(rings_found) / len(rings), "rings": f"{len(rings_found)}/{len(rings)}",
            "precision": tp / len(found) if found else 1.0, "recall": tp / len(truth) if truth else 1.0,
            "signals_per_1000": 1000 * len(groups) / n_reports, "false_per_1000": 1000 * false / n_reports}


def quality(n: int, n_villages: int, push: int, seed: int = 25, make=generate,
            why: Counter | None = None) -> tuple[dict, dict, dict]:
    """(ours, exact-string baseline, signals by rule) on one test set; `why`, when given,
    gains the causes of the set's missed ring reports (bench/warning_why.py)."""
    data, truth = make(n, n_villages, seed=seed)
    with tempfile.TemporaryDirectory() as tmp:
        engine, keys = open_office(Path(tmp), n_villages)
        with engine.begin() as conn:
            base = Baseline(conn)
        for i in range(0, len(data), push):
            batch = data[i:i + push]
            with engine.begin() as conn:
                observe(conn, keys, [as_report(r) for r in batch], now=batch[-1]["at"])
                base.observe(conn, batch)
        with engine.connect() as conn:
            groups: dict[int, set[str]] = defaultdict(set)
            for sid, env_id in conn.execute(
                    select(warn_signal_reports.c.signal_id, warn_signal_reports.c.envelope_id)
                    .join(warn_signals, warn_signals.c.id == warn_signal_reports.c.signal_id)
                    .where(warn_signals.c.rule.in_(LINK_RULES), warn_signals.c.status != "merged")):
                groups[sid].add(env_id)
            by_rule = dict(conn.execute(select(warn_signals.c.rule, text("count(*)"))
                                        .where(warn_signals.c.status != "merged").group_by(warn_signals.c.rule)).all())
        engine.dispose()
    if why is not None:
        why.update(warning_why.causes(data, truth.rings, {e: sid for sid, g in groups.items() for e in g}))
    ours = judge(list(groups.values()), truth.rings, len(data))
    theirs = judge([set(g) for g in base.groups.values()], truth.rings, len(data))
    return ours, theirs, by_rule


def background(n: int, n_villages: int, seed: int, per_day: int) -> list[dict]:
    """N reports at `per_day` a day; 30% of the names share one word ("Muhammad")."""
    rng = random.Random(seed)
    data, _ = generate(n, n_villages, weeks=max(1, round(n / per_day / 7)), seed=seed)
    for r in data:
        for e in r["answers"].get("terlibat", []):
            if e.get("nama") and rng.random() < 0.3 and "muhammad" not in e["nama"].lower():
                e["nama"] = "Muhammad " + e["nama"]
    return data


def cost(sizes: list[int], n_villages: int, batch: int, repeats: int, per_day: int) -> list[dict]:
    out = []
    for n in sizes:
        t_load = time.perf_counter()
        data = background(n + batch * repeats, n_villages, seed=n, per_day=per_day)
        stored, fresh = data[:n], data[n:]
        with tempfile.TemporaryDirectory() as tmp:
            engine, keys = open_office(Path(tmp), n_villages)
            with engine.begin() as conn:
                base = Baseline(conn)
            for i in range(0, n, 1000):
                with engine.begin() as conn:
                    chunk = stored[i:i + 1000]
                    observe(conn, keys, [as_report(r) for r in chunk], now=chunk[-1]["at"])
                    base.observe(conn, chunk)
            ours, theirs = [], []
            for k in range(repeats):
                b = fresh[k * batch:(k + 1) * batch]
                with engine.begin() as conn:
                    t0 = time.perf_counter()
                    observe(conn, keys, [as_report(r) for r in b], now=END)
                    t1 = time.perf_counter()
                    base.observe(conn, b)
                    t2 = time.perf_counter()
                ours.append((t1 - t0) * 1000 / len(b))
                theirs.append((t2 - t1) * 1000 / len(b))
            engine.dispose()
        out.append({"stored": n, "ms": statistics.median(ours), "base_ms": statistics.median(theirs),
                    "days": round(n / per_day)})
        print(f"  stored {n:>7} ({out[-1]['days']} days): {out[-1]['ms']:.2f} ms/report "
              f"(baseline {out[-1]['base_ms']:.2f}; loaded in {time.perf_counter() - t_load:.0f} s)", flush=True)
    return out


def slope(points: list[dict], key: str) -> float:
    """Least-squares ms per report per 10,000 more stored."""
    xs = [p["stored"] / 10000 for p in points]
    ys = [p[key] for p in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / den if den else 0.0


def spread_rows(label: str, sets: list[dict]) -> list[dict]:
    """Min / mean over several test sets, against the same goals."""
    spread = lambda k: f"{min(o[k] for o in sets):.2f} / {statistics.fmean(o[k] for o in sets):.3f}"  # noqa: E731
    mean = lambda k: statistics.fmean(o[k] for o in sets)  # noqa: E731
    worst = max(o["false_per_1000"] for o in sets)
    return [{"metric": f"{label}: ring recall min / mean", "value": spread("ring_recall"), "target": "mean >= 0.9",
             "met": mean("ring_recall") >= 0.9},
            {"metric": f"{label}: pairwise precision min / mean", "value": spread("precision"), "target": "mean >= 0.9",
             "met": mean("precision") >= 0.9},
            {"metric": f"{label}: pairwise recall min / mean", "value": spread("recall"), "target": "mean >= 0.8",
             "met": mean("recall") >= 0.8},
            {"metric": f"{label}: false link signals per 1,000, worst set", "value": round(worst, 2), "target": "< 5",
             "met": worst < 5}]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reports", type=int, default=1637, help="size of the quality test set")
    ap.add_argument("--villages", type=int, default=30)
    ap.add_argument("--push", type=int, default=40, help="reports per push in the quality run")
    ap.add_argument("--stored", default="10000,30000,60000,100000", help="stored sizes for the cost slope")
    ap.add_argument("--per-day", type=int, default=100, help="reports a day in the stored history")
    ap.add_argument("--batch", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seed", type=int, default=25, help="the test set's generator seed")
    ap.add_argument("--held-out", default="1,2,3,4,5,6,7,8,11,12,13,14,15,16",
                    help="more sets written the same way with other seeds (the rules were never tuned on them)")
    ap.add_argument("--other", default="1,2,3,4,5,6,7,8",
                    help="seeds of the independent generator (bench/warning_data_other.py: other names, spellings "
                         "and writing habits; never used to tune a rule)")
    ap.add_argument("--why", action="store_true",
                    help="print the causes of the missed ring reports, per family of sets (bench/warning_why.py)")
    args = ap.parse_args()
    why = {name: Counter() for name in ("test set", "held-out", "independent")} if args.why else {}
    ours, theirs, by_rule = quality(args.reports, args.villages, args.push, args.seed, why=why.get("test set"))
    rows = [
        {"metric": "test set: reports / villages / weeks", "value": f"{args.reports} / {args.villages} / 10"},
        {"metric": "ring recall (ours)", "value": f"{ours['ring_recall']:.2f} ({ours['rings']})", "target": ">= 0.9",
         "met": ours["ring_recall"] >= 0.9},
        {"metric": "ring recall (exact strings)", "value": f"{theirs['ring_recall']:.2f} ({theirs['rings']})"},
        {"metric": "pairwise precision (ours)", "value": round(ours["precision"], 3), "target": ">= 0.9",
         "met": ours["precision"] >= 0.9},
        {"metric": "pairwise precision (exact strings)", "value": round(theirs["precision"], 3)},
        {"metric": "pairwise recall (ours)", "value": round(ours["recall"], 3), "target": ">= 0.8",
         "met": ours["recall"] >= 0.8},
        {"metric": "pairwise recall (exact strings)", "value": round(theirs["recall"], 3)},
        {"metric": "link signals per 1,000 reports (ours)", "value": round(ours["signals_per_1000"], 1)},
        {"metric": "false link signals per 1,000 (ours)", "value": round(ours["false_per_1000"], 2), "target": "< 5",
         "met": ours["false_per_1000"] < 5},
        {"metric": "false link signals per 1,000 (exact strings)", "value": round(theirs["false_per_1000"], 2)},
        {"metric": "signals by rule (ours)", "value": json.dumps(by_rule, sort_keys=True)},
    ]
    held = [int(x) for x in args.held_out.split(",") if x]
    if held:
        rows += spread_rows(f"held-out sets ({len(held)} seeds)",
                            [quality(args.reports, args.villages, args.push, seed, why=why.get("held-out"))[0]
                             for seed in held])
    other = [int(x) for x in args.other.split(",") if x]
    if other:
        rows += spread_rows(f"independent generator (bench/warning_data_other.py, {len(other)} seeds)",
                            [quality(args.reports, args.villages, args.push, seed, warning_data_other.generate,
                                     why.get("independent"))[0]
                             for seed in other])
    for name, counted in why.items():
        print(f"missed ring reports by cause ({name}):")
        for cause, n in counted.most_common():
            print(f"  {n:5d}  {cause}")
    sizes = [int(s) for s in args.stored.split(",") if s]
    if sizes:
        print("cost per report as the office fills:", flush=True)
        pts = cost(sizes, args.villages, args.batch, args.repeats, args.per_day)
        s, bs = slope(pts, "ms"), slope(pts, "base_ms")
        rows += [{"metric": f"early warning ms/report at {p['stored']} stored ({p['days']} days)", "value": round(p["ms"], 2)}
                 for p in pts]
        rows += [{"metric": "slope, ms/report per 10k stored (ours)", "value": round(s, 3),
                  "target": "≈ 0 (< 5% of the first point)", "met": abs(s) * (sizes[-1] - sizes[0]) / 10000 < 0.25 * pts[0]["ms"] + 0.5},
                 {"metric": "slope, ms/report per 10k stored (exact strings)", "value": round(bs, 3)},
                 {"metric": f"cost ratio {sizes[-1]} / {sizes[0]} stored (ours)", "value": round(pts[-1]["ms"] / pts[0]["ms"], 2)}]
    report("warning", rows)


if __name__ == "__main__":
    main()
