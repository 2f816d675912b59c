"""Early warning's ring rules when one identifier is in every stored report (issue 20 item 3):
a prolific calo's phone, account and boat (the form's example) in all of them, all inside
the 90-day identifier window. CPU ms per report of the early-warning consumer on batches of
200 after each `--stored` level, and the last level's cost over the first (target ≈ 1: the
cost per report does not grow with how many stored reports share one identifier).

    python bench/ring_bench.py [--stored 1000,4000,8000] [--per-day 1000]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import report  # noqa: E402
from bench.derive_bench import warning_cost  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--stored", default="1000,4000,8000", help="stored reports before each measure (comma list)")
    ap.add_argument("--per-day", type=float, default=1000.0, help="stored reports a day (1000: all in one window)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cost = warning_cost(Path(tmp), [int(x) for x in args.stored.split(",")], 0.3, args.per_day,
                            answers=lambda rng, form: form.example())
    rows = [{"key": f"ring_{lvl}", "metric": f"early warning per report, {lvl} stored sharing one phone (CPU ms)",
             "value": round(ms, 2)} for lvl, ms in cost]
    rows.append({"key": "ring_ratio", "metric": f"per report, {cost[-1][0]} / {cost[0][0]} stored",
                 "value": round(cost[-1][1] / cost[0][1], 2), "target": "<= 1.2", "met": cost[-1][1] <= 1.2 * cost[0][1]})
    report("ring", rows)


if __name__ == "__main__":
    main()
