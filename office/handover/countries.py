"""Country answers as ISO 3166-1 alpha-2 (pycountry), next to the form's own codes.

A select list is a country list when every choice but "don't know"/"other" is a country
pycountry recognises by its English label; only those get an extra `__iso3166` column.
"""
from __future__ import annotations

from functools import lru_cache

import pycountry

from typing import Sequence

from forms import Choice

NOT_A_COUNTRY = ("tidak_tahu", "lainnya")


@lru_cache(maxsize=256)
def _lookup(label_en: str) -> str | None:
    try:
        return pycountry.countries.lookup(label_en).alpha_2
    except LookupError:
        try:
            hits = pycountry.countries.search_fuzzy(label_en)
        except LookupError:
            return None
        return hits[0].alpha_2 if len(hits) == 1 else None


def is_country_list(choices: Sequence[Choice]) -> bool:
    real = [c for c in choices if c.value not in NOT_A_COUNTRY]
    return bool(real) and all(_lookup(c.label("en")) for c in real)


def alpha2(choices: Sequence[Choice], value: str) -> str | None:
    if value in NOT_A_COUNTRY:
        return None
    for c in choices:
        if c.value == value:
            return _lookup(c.label("en"))
    return None
