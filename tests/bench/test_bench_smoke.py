"""Benchmarks are not tests: this only checks every bench script still runs end to end at a
tiny size and reports its figures (values are never asserted — a slow machine must not fail)."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from bench.run_all import SMOKE  # noqa: E402


@pytest.mark.parametrize("script", sorted(SMOKE))
def test_bench_script_runs(script):
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / script), *SMOKE[script]], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    line = next(l for l in proc.stderr.splitlines()[::-1] if l.startswith("JSON "))
    rows = json.loads(line[5:])["rows"]
    assert rows and all("metric" in r and "value" in r for r in rows)
    assert any(r.get("target") for r in rows)       # every bench states what it is measured against
