"""Kemendagri region codes (kode wilayah): the reference list villages are picked from.

A village stored with its official code cannot drift from the names other agencies use:
the admin chooses a desa/kelurahan code from this list and the name comes with it. The
code has four levels, 2-2-2-4 digits, written with dots as in the decree
(`65.03.01.2001` = province 65 Kalimantan Utara, kabupaten 03 Nunukan, kecamatan 01
Sebatik, desa 2001 Tanjungkarang; a first desa digit 1 is a kelurahan, 2 a desa).

The shipped table is PARTIAL (see SOURCE.md beside this file): the project's border
regions only. A code outside it is refused rather than guessed.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from core.errors import BadRequest, NotFound

TABLE = Path(__file__).with_name("kemendagri_2025_partial.csv")
# The decree the codes come from; recorded with every village and in every hand-over.
VERSION = "Kepmendagri 300.2.2-2138/2025"
COVERAGE = "partial"
DESA_CODE = re.compile(r"^\d{2}\.\d{2}\.\d{2}\.\d{4}$")
LEVELS = {1: "provinsi", 2: "kabupaten_kota", 3: "kecamatan", 4: "desa_kelurahan"}


@dataclass(frozen=True)
class Region:
    code: str
    name: str

    @property
    def level(self) -> str:
        return LEVELS[self.code.count(".") + 1]

    def parent_code(self, level: int) -> str:
        """The code of the enclosing unit at `level` (1 provinsi .. 4 desa)."""
        return ".".join(self.code.split(".")[:level])


@lru_cache(maxsize=1)
def _table() -> dict[str, str]:
    with TABLE.open(encoding="utf-8", newline="") as f:
        return {row["kode"]: row["nama"] for row in csv.DictReader(f)}


def get(code: str) -> Region:
    """The region with this exact code, or NotFound (never a guess)."""
    name = _table().get(code.strip())
    if name is None:
        raise NotFound(f"kode wilayah {code!r} is not in the reference list ({VERSION}, {COVERAGE})")
    return Region(code.strip(), name)


def desa(code: str) -> Region:
    """A desa/kelurahan code (2-2-2-4 digits) from the list; BadRequest for another level."""
    if not DESA_CODE.match(code.strip()):
        raise BadRequest(f"kode wilayah {code!r} is not a desa/kelurahan code (format 2-2-2-4: 65.03.01.2001)")
    return get(code)


def path(code: str) -> list[Region]:
    """Province, kabupaten, kecamatan, desa enclosing `code` (those present in the list)."""
    parts = code.split(".")
    out = []
    for i in range(1, len(parts) + 1):
        c = ".".join(parts[:i])
        if c in _table():
            out.append(Region(c, _table()[c]))
    return out


def code_of_area(name: str | None) -> str | None:
    """The code of a province or kabupaten/kota named `name` ("Nunukan", "Kabupaten Nunukan",
    "Kalimantan Utara"), for villages stored with a region text but no code; else None."""
    n = " ".join((name or "").split()).lower()
    if not n:
        return None
    wanted = {n, f"kabupaten {n}", f"kota {n}"}
    for c, nama in _table().items():
        if c.count(".") <= 1 and nama.lower() in wanted:
            return c
    return None


def label(code: str) -> str:
    """'Tanjungkarang, Sebatik, Kabupaten Nunukan, Kalimantan Utara' for display."""
    return ", ".join(r.name for r in reversed(path(code)))


def villages(prefix: str = "", query: str = "", limit: int = 200) -> list[Region]:
    """Desa/kelurahan under `prefix` whose name contains `query` (case-insensitive)."""
    q = query.strip().lower()
    out = []
    for c, n in _table().items():
        if DESA_CODE.match(c) and c.startswith(prefix) and (not q or q in n.lower()):
            out.append(Region(c, n))
            if len(out) >= limit:
                break
    return out


def kecamatan_list() -> list[Region]:
    return [Region(c, n) for c, n in _table().items() if c.count(".") == 2]
