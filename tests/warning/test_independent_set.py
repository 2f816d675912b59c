"""The second check that the rules generalise (issue 25): a test set from another generator
(bench/warning_data_other.py: other names, spellings and writing habits, never used to tune
a rule) through the real engine on a real migrated office store, judged as the bench judges.
Quality figures, not timings: the sets are seeded, so the figures are exact."""
from __future__ import annotations

import pytest

from bench import warning_data_other
from bench.warning_bench import quality


@pytest.mark.parametrize("seed", [2, 3])
def test_rings_written_another_way_are_found_and_strangers_stay_apart(seed):
    ours, exact, _ = quality(800, 30, 40, seed, warning_data_other.generate)
    assert ours["ring_recall"] >= 0.9, ours
    assert ours["precision"] >= 0.9, ours
    assert ours["false_per_1000"] < 5, ours
    assert ours["recall"] > exact["recall"], (ours, exact)          # better than a spreadsheet filter
