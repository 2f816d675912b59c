"""The one look-up every rule makes: stored links of a kind with one of some keys, each
within its window before the new row that asked (an indexed range on (kind, key, at)).

Every link of a batch asks, so the look-up itself is kept lean: a window's start is worked
out once per (time, days) (a report's phone, account, boat and names share its time), the
rows come in one fetch, and the start is compared by position, not by column name.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from functools import lru_cache

from sqlalchemy import Connection, and_, select

from office import clock

from .schema import warn_links

_COLUMNS = (warn_links.c.key, warn_links.c.envelope_id, warn_links.c.village_id, warn_links.c.at,
            warn_links.c.sealed)
_KEY, _AT = 0, 3


@lru_cache(maxsize=16384)
def since(at: str, days: float) -> str:
    """`at` less `days`, in the office's format (fromisoformat: strptime was a tenth of a
    derive batch)."""
    return clock.iso(dt.datetime.fromisoformat(at.replace("Z", "+00:00")) - dt.timedelta(days=days))


def window(conn: Connection, kind: str, keys_at: dict[str, str], days: float) -> dict[str, list]:
    """Every stored link of `kind` with one of these keys, within `days` before its new row
    (rows with .key .envelope_id .village_id .at .sealed)."""
    if not keys_at:
        return {}
    start = {k: since(at, days) for k, at in keys_at.items()}
    out: dict[str, list] = defaultdict(list)
    for row in conn.execute(select(*_COLUMNS).where(and_(
            warn_links.c.kind == kind, warn_links.c.key.in_(list(keys_at)),
            warn_links.c.at >= min(start.values())))).all():
        key = row[_KEY]
        if row[_AT] >= start[key]:
            out[key].append(row)
    return out
