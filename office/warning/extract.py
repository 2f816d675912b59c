"""What a report's answers say that can link it to other reports: its identifiers (from the
v2 "terlibat" entries) and its facts (departure point, planned date, minors).

Works on any form version: answers without a "terlibat" group simply give no identifiers
(v1 free text is never mined — guessing identifiers out of prose would link strangers).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from . import normalise

# answer key inside an entry -> (identifier kind, normaliser)
ENTRY_KEYS = {"telepon": ("phone", normalise.phone), "akun_medsos": ("handle", normalise.handle),
              "plat": ("plate", normalise.plate), "kapal": ("boat", normalise.boat),
              "nama": ("name", normalise.name)}


@dataclass
class Facts:
    identifiers: list[tuple[str, str]] = field(default_factory=list)   # (kind, normalised value)
    place: str | None = None
    planned_date: dt.date | None = None
    minors: int = 0


def facts(form_id: str, answers: Any, places: dict[str, list[str]]) -> Facts:
    out = Facts()
    if not isinstance(answers, dict):
        return out
    entries = answers.get("terlibat")
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict):
            continue
        for key, (kind, norm) in ENTRY_KEYS.items():
            raw = entry.get(key)
            value = norm(raw) if isinstance(raw, str) else None
            if value and (kind, value) not in out.identifiers:
                out.identifiers.append((kind, value))
    raw_place = answers.get("tempat_berangkat")
    if isinstance(raw_place, str):
        out.place = normalise.place(raw_place, places)
    if answers.get("status") == "rencana" and isinstance(answers.get("tanggal_rencana"), str):
        try:
            out.planned_date = dt.date.fromisoformat(answers["tanggal_rencana"])
        except ValueError:
            pass
    for k in ("jumlah_di_bawah_umur", "jumlah_anak"):
        v = answers.get(k)
        if isinstance(v, int) and not isinstance(v, bool) and v > 0:
            out.minors = max(out.minors, v)
    return out
