"""Office ingest A/B between this checkout and another (e.g. main's), in one run: each side
runs bench/ingest_ratio's interleaved measure (floor and ingest, CPU time, synchronous=NORMAL,
as the CI guard measures) in its own fresh process, the two sides alternating (A B B A A B …)
so the machine's load drifts over both alike. Prints each run and, per side, the median of
the office ingest's CPU ms per report (its best round in each run) and of ingest/floor.

    python bench/ingest_ab.py OTHER_CHECKOUT [--pairs 4] [--reports 2000] [--rounds 3]

OTHER_CHECKOUT is a directory with the same layout (a worktree, or `git archive REV | tar -x`);
its own code is imported there (its directory first on sys.path), with this interpreter.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MEASURE = """
import json, sys, tempfile, time
from pathlib import Path
sys.path.insert(0, '.')
from bench.ingest_ratio import interleaved
with tempfile.TemporaryDirectory() as tmp:
    runs = interleaved(Path(tmp), {n}, {rounds}, synchronous='NORMAL', clock=time.process_time)
print('RUNS', json.dumps(runs))
"""


def measure(tree: Path, n: int, rounds: int) -> tuple[float, float]:
    """(office ingest CPU ms per report, ingest/floor) of one fresh process in `tree`."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    out = subprocess.run([sys.executable, "-c", MEASURE.format(n=n, rounds=rounds)], cwd=tree, env=env,
                         capture_output=True, text=True, check=True).stdout
    runs = json.loads(next(line[5:] for line in out.splitlines() if line.startswith("RUNS ")))
    return 1000 / max(runs["ingest"]), max(runs["ingest"]) / max(runs["floor"])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("other", type=Path, help="the other checkout (side A); this one is side B")
    ap.add_argument("--pairs", type=int, default=4)
    ap.add_argument("--reports", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    sides = {"A": args.other.resolve(), "B": ROOT}
    seen: dict[str, list[tuple[float, float]]] = {"A": [], "B": []}
    for p in range(args.pairs):
        for side in ("AB" if p % 2 == 0 else "BA"):
            ms, of_floor = measure(sides[side], args.reports, args.rounds)
            seen[side].append((ms, of_floor))
            print(f"{side} {sides[side]}: office ingest {ms:.4f} ms CPU per report, ingest/floor {of_floor:.3f}",
                  flush=True)
    for side, runs in seen.items():
        print(f"{side} median: office ingest {statistics.median(r[0] for r in runs):.4f} ms CPU per report, "
              f"ingest/floor {statistics.median(r[1] for r in runs):.3f} ({sides[side]})")


if __name__ == "__main__":
    main()
