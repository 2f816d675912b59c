"""The rules' settings: every threshold an office may want to tune, in one place.

Defaults follow issue 13, windows and name weights issue 25. An office overrides them with DATA/warning.json holding any of
the same names, e.g. {"identifier_days": 21, "place_min_reports": 4}; the office reads it
at start (`load_for`) and ingest uses it (`current`).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from core.errors import BadRequest

from .places import KNOWN_PLACES


@dataclass(frozen=True)
class WarningConfig:
    identifier_days: int = 90           # same phone / account / plate / boat (they persist for months) ...
    identifier_min_villages: int = 2    # ... in reports from this many villages
    name_days: int = 60                 # similar names are weaker: a shorter window
    name_min_bits: float = 8.0          # a name more common than 1 in 2^8 names is never looked up
    name_alpha: float = 0.002           # a name links when this many mentions (same role / place) would
                                        # happen by chance with probability below this (Poisson)
    name_block_cap: int = 2000          # a name word held by more names than this is not a block on its own
    name_block_share: float = 0.02      # ... nor one held by more than this share of the office's names
    name_similarity: float = 90.0       # kept for old warning.json files; names.match decides now
    place_days: int = 7                 # same departure point ...
    place_min_reports: int = 3          # ... in this many reports
    planned_hours: int = 48             # planned departure this close, with minors
    spike_baseline_weeks: int = 7       # EARS C2: baseline of 7 periods ...
    spike_guard_weeks: int = 2          # ... ending 2 periods before the current one
    spike_threshold: float = 3.0        # ... alarm when (x - mean) / sd > 3
    spike_sd_floor: float = 1.0         # weekly counts are small: sd never below 1
    spike_min_count: int = 3            # and never a "spike" of 1 or 2 reports
    spike_recent_weeks: int = 4         # region/national: complete ISO weeks checked besides the current one
    places: dict = field(default_factory=lambda: dict(KNOWN_PLACES), hash=False, compare=False)

    @classmethod
    def from_file(cls, path: str | Path) -> "WarningConfig":
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise BadRequest(f"cannot read warning settings {path}: {exc}") from None
        known = {f.name: f for f in fields(cls)}
        if not isinstance(data, dict) or set(data) - set(known):
            raise BadRequest(f"unknown warning settings: {sorted(set(data) - set(known)) if isinstance(data, dict) else data!r}")
        return replace(cls(), **data)

    @classmethod
    def load_for(cls, data_dir: str | Path) -> "WarningConfig":
        """DATA/warning.json when it exists, else the defaults."""
        path = Path(data_dir) / "warning.json"
        return cls.from_file(path) if path.exists() else cls()


_current = WarningConfig()


def set_current(config: WarningConfig) -> None:
    global _current
    _current = config


def current() -> WarningConfig:
    """The settings of this office process (defaults until the app loads its file)."""
    return _current
