"""Rows in a per-recipient order without holding the period in memory.

Tier B rows are written sorted by their pseudonymous id, an HMAC under the recipient's
key: one agency's copy is in an order no other agency's copy shares, so two copies do
not line up row by row (issue 23.7). Rows spill to 256 temp files bucketed by the id's
first two hex digits (ids are uniform), then each bucket is sorted alone: memory holds
about 1/256 of the rows.
"""
from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Iterable, Iterator

BUCKETS = 256


class Spill:
    """add(row) in any order; rows() yields them sorted by (row[0], row[1:] as written)."""

    def __init__(self, prefix: int) -> None:
        self._prefix = prefix            # where the hex digest starts in row[0] ("r-…": 2)
        self._tmp = tempfile.TemporaryDirectory(prefix="jaga-spill-")
        self._files: dict[int, object] = {}

    def add(self, row: list) -> None:
        bucket = int(str(row[0])[self._prefix:self._prefix + 2], 16)
        f = self._files.get(bucket)
        if f is None:
            f = self._files[bucket] = (Path(self._tmp.name) / f"{bucket:02x}").open("w", encoding="utf-8")
        f.write(json.dumps(row, ensure_ascii=False) + "\n")

    def rows(self) -> Iterator[list]:
        try:
            for f in self._files.values():
                f.close()
            for bucket in sorted(self._files):
                with (Path(self._tmp.name) / f"{bucket:02x}").open(encoding="utf-8") as f:
                    yield from sorted((json.loads(line) for line in f), key=lambda r: (r[0], r[1]))
        finally:
            self._tmp.cleanup()


def sorted_by_id(rows: Iterable[list], prefix: int = 2) -> Iterator[list]:
    spill = Spill(prefix)
    for r in rows:
        spill.add(r)
    yield from spill.rows()
