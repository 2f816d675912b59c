"""Shared helpers for the benchmark scripts: percentiles and a result table (free ports,
servers and the proxy come from core.net and jaga_desa.testing, as in the tests)."""
from __future__ import annotations

import json
import platform
import statistics
import sys
import time


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    k = max(0, min(len(s) - 1, int(round(p / 100 * (len(s) - 1)))))
    return s[k]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def machine() -> str:
    import os
    return f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}"


def report(name: str, rows: list[dict]) -> None:
    """Print rows as a table and as one JSON line (BENCHMARKS.md is written from these)."""
    print(f"\n== {name} ({machine()}, {time.strftime('%Y-%m-%d %H:%M')}) ==")
    for r in rows:
        ok = "" if r.get("target") is None else ("  ✓" if r.get("met") else "  ✗ target missed")
        extra = f"  (spread {r['spread']})" if r.get("spread") else ""
        print(f"  {r['metric']:<48} {r['value']:>12}  target {r.get('target', '-')}{ok}{extra}")
    print("JSON " + json.dumps({"bench": name, "rows": rows}), file=sys.stderr)
