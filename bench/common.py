"""Shared helpers for the benchmark scripts: percentiles and a result table (free ports,
servers and the proxy come from core.net and jaga_desa.testing, as in the tests)."""
from __future__ import annotations

import json
import platform
import statistics
import sys
import time
from pathlib import Path


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


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process and its live children have used, from /proc: how a
    bench accounts for a server's or a load generator's share of the machine."""
    import os
    tick = os.sysconf("SC_CLK_TCK")

    def own(p: int) -> float:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:          # gone meanwhile
            return 0.0
        return (int(fields[11]) + int(fields[12])) / tick

    def children(p: int) -> list[int]:
        out: list[int] = []
        for task in Path(f"/proc/{p}/task").glob("*"):
            try:
                out += [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                pass
        return out

    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        total += own(p)
        todo += children(p)
    return total

