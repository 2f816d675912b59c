"""Regression guard for the push: office ingest keeps at least 40% of the physical floor's
rate (bench/floor.py: bare crypto + sqlite3 on the same envelopes), both measured in this
process, interleaved, so a loaded machine slows both alike. A ratio, never a time: the
figures themselves come from `python bench/sync_bench.py` on an idle machine.

Before store-then-derive the push ran the early-warning rules and the search projection in
its transaction and kept 6% of the floor; this fails if derived work creeps back in."""
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from bench.ingest_ratio import interleaved, ratio  # noqa: E402

GUARD = 0.40


def test_office_ingest_keeps_40_percent_of_the_floor():
    with tempfile.TemporaryDirectory() as tmp:
        runs = interleaved(Path(tmp), 120, rounds=5)       # 600 reports each side, in paired rounds
    assert ratio(runs) >= GUARD, f"office ingest {runs['ingest']} vs floor {runs['floor']} reports/s"
