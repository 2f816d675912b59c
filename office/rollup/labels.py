"""What the regional page shows people instead of codes: office, form, category, kecamatan.

The region holds codes only (what leaves an office is aggregate and pseudonymous). Labels
come from what ships with the app: form titles and category choices from the forms, names
from the Kemendagri list. An office is named by its code and the kabupaten its reports come
from (`NNK · Kabupaten Nunukan`): the region has no office directory, and the kabupaten is
what an analyst knows the office by. A code outside the lists shows as the code.
"""
from __future__ import annotations

from collections import Counter
from typing import Iterable

import forms
from office import regions
from office.dashboard.web import category_label as _category

__all__ = ["category", "form", "kecamatan", "offices"]


def kecamatan(code: str | None) -> str:
    if not code:
        return "–"
    try:
        return f"{regions.get(code).name} ({code})"
    except Exception:   # noqa: BLE001 - a code outside the shipped (partial) list shows as the code
        return code


def form(form_id: str, lang: str) -> str:
    try:
        return forms.load(form_id).title(lang)
    except Exception:   # noqa: BLE001 - a form this build does not know shows as its id
        return form_id


def category(code: str | None, lang: str) -> str:
    return _category(code, lang) if code else "–"


def offices(rows: Iterable[tuple[str, str | None]]) -> dict[str, str]:
    """office code -> label, from (office_code, kode_kecamatan) pairs: the kabupaten most of
    the office's reports come from."""
    seen: dict[str, Counter] = {}
    for code, kec in rows:
        seen.setdefault(code, Counter())[(kec or "")[:5]] += 1
    out = {}
    for code, kabs in seen.items():
        kab = next((k for k, _ in kabs.most_common() if k), None)
        try:
            out[code] = f"{code} · {regions.get(kab).name}" if kab else code
        except Exception:   # noqa: BLE001
            out[code] = code
    return out
