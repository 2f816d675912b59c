"""The one look-up every rule makes: stored links of a kind with one of some keys, each
within its window before the new row that asked (an indexed range on (kind, key, at)).

Every link of a batch asks, so the look-up itself is kept lean: a window's start is worked
out once per (time, days) (a report's phone, account, boat and names share its time), the
rows come in one fetch, and the start is compared by position, not by column name.

Inside `remembered()` (one engine.observe, after its batch's links are written: nothing
writes warn_links until it ends) a key already fetched is not fetched again: a later look-up
that starts no earlier filters the rows at hand, one that starts earlier fetches only the
older rows it lacks (the rings' one-hop asks for the keys the new rows just asked for, from
an older holder's time). Rows keep the index's order, so callers see what a fetch returns.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from typing import Iterator

from sqlalchemy import Connection, and_, func, select

from office import clock

from . import driver_sql
from .schema import warn_links

_KEY, _AT = 0, 3
# (kind, key) -> (the start fetched from, that key's rows from it, oldest first)
_memo: ContextVar[dict[tuple[str, str], tuple[str, list]] | None] = ContextVar("warn_window_memo", default=None)


@lru_cache(maxsize=16384)
def since(at: str, days: float) -> str:
    """`at` less `days`, in the office's format (fromisoformat: strptime was a tenth of a
    derive batch)."""
    return clock.iso(dt.datetime.fromisoformat(at.replace("Z", "+00:00")) - dt.timedelta(days=days))


@contextmanager
def remembered() -> Iterator[None]:
    """Look-ups inside share what they fetched (see the module's note)."""
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def _fetch(conn: Connection, kind: str, keys: list[str], start: str, before: str | None = None) -> list:
    sql = (f"SELECT key, envelope_id, village_id, at, sealed FROM warn_links WHERE kind = ? "
           f"AND key IN ({driver_sql.marks(len(keys))}) AND at >= ?")
    if before is None:
        return driver_sql.rows(conn, sql, (kind, *keys, start))
    return driver_sql.rows(conn, sql + " AND at < ?", (kind, *keys, start, before))


def window(conn: Connection, kind: str, keys_at: dict[str, str], days: float) -> dict[str, list]:
    """Every stored link of `kind` with one of these keys, within `days` before its new row
    (rows with .key .envelope_id .village_id .at .sealed)."""
    if not keys_at:
        return {}
    start = {k: since(at, days) for k, at in keys_at.items()}
    memo = _memo.get()
    if memo is None:
        rows: dict[str, list] = defaultdict(list)
        for row in _fetch(conn, kind, list(keys_at), min(start.values())):
            rows[row[_KEY]].append(row)
    else:
        rows = _remembered(conn, memo, kind, start)
    out: dict[str, list] = defaultdict(list)
    for key, lst in rows.items():
        s = start[key]
        kept = [row for row in lst if row[_AT] >= s]
        if kept:
            out[key] = kept
    return out


def _remembered(conn: Connection, memo: dict, kind: str, start: dict[str, str]) -> dict[str, list]:
    """Each key's rows from its start on, fetching only what the memo lacks: keys never
    fetched in one query, keys fetched from a later start in one query of the older rows."""
    fresh = [k for k in start if (kind, k) not in memo]
    older = [k for k in start if (kind, k) in memo and start[k] < memo[(kind, k)][0]]
    got: dict[str, list] = defaultdict(list)
    if fresh:
        first = min(start[k] for k in fresh)      # once, not once per key (it was n² in a batch)
        for row in _fetch(conn, kind, fresh, first):
            got[row[_KEY]].append(row)
        for k in fresh:
            memo[(kind, k)] = (first, got.get(k, []))
    if older:
        gap: dict[str, list] = defaultdict(list)
        first = min(start[k] for k in older)
        for row in _fetch(conn, kind, older, first, max(memo[(kind, k)][0] for k in older)):
            if row[_AT] < memo[(kind, row[_KEY])][0]:
                gap[row[_KEY]].append(row)
        for k in older:
            memo[(kind, k)] = (first, gap.get(k, []) + memo[(kind, k)][1])
    return {k: memo[(kind, k)][1] for k in start}


def newest(conn: Connection, kind: str, keys_at: dict[str, str], days: float,
           limits: dict[str, int]) -> dict[str, list]:
    """The newest `limits[key]` stored links of `kind` with each key, within `days` before
    its new row, newest first (ties oldest row first, as window() then a stable sort by time
    gives them): one index-backed `ORDER BY at DESC LIMIT n` per key, so a key held by
    thousands of reports costs what one held by `n` does. Keys in one statement (a UNION ALL
    of the per-key probes), a few hundred at a time (SQLite's compound-select limit).

    Inside `remembered()` a key asked again (the rings' one-hop asks, from an older holder's
    time, for the keys the new rows just asked for) is answered from the rows at hand when
    they decide it, or with only the older rows they lack (`_known`)."""
    memo = _memo.get()
    out: dict[str, list] = defaultdict(list)
    fresh: dict[str, tuple[str, int]] = {}
    gaps: dict[str, tuple[str, int, list, str]] = {}
    for key, at in keys_at.items():
        start, limit = since(at, days), limits[key]
        known = None if memo is None else memo.get(("newest", kind, key))
        rows = None if known is None else _known(known, start, limit)
        if rows is not None:
            if rows:
                out[key] = rows
        elif known is not None and len(known[2]) < known[1] and start < known[0]:
            gaps[key] = (start, limit, known[2], known[0])       # complete from its start: only older rows lack
        else:
            fresh[key] = (start, limit)
    got = _probe(conn, kind, fresh)
    for key, (start, limit) in fresh.items():
        if memo is not None:
            memo[("newest", kind, key)] = (start, limit, got.get(key, []))
        if key in got:
            out[key] = got[key]
    if gaps:
        older = _probe(conn, kind, {k: (g[0], g[1]) for k, g in gaps.items()}, {k: g[3] for k, g in gaps.items()})
        for key, (start, limit, have, _) in gaps.items():
            rows = (have + older.get(key, []))[:limit]
            if rows:
                out[key] = rows
    return out


def _known(known: tuple[str, int, list], start: str, limit: int) -> list | None:
    """A key's newest `limit` rows from `start` on, out of what one earlier probe returned
    (`known`: its start, its limit and its rows, newest first), or None when those rows do
    not decide it. The rows from a later start are a prefix of the earlier start's; and when
    `limit` rows are at hand, older ones would come after them."""
    was, cap, rows = known
    if start >= was:
        kept = [r for r in rows if r[_AT] >= start] if start > was else rows
        if len(kept) >= limit or len(kept) < len(rows) or len(rows) < cap:
            return kept[:limit]
        return None
    return rows[:limit] if len(rows) >= limit else None


def _probe(conn: Connection, kind: str, asks: dict[str, tuple[str, int]],
           before: dict[str, str] | None = None) -> dict[str, list]:
    """newest()'s statement for `asks` ({key: (start, limit)}), each key's rows before
    `before[key]` only when given: {key: rows newest first, ties oldest first}."""
    out: dict[str, list] = defaultdict(list)
    items = sorted(asks.items())
    for i in range(0, len(items), 200):
        part = items[i:i + 200]
        params: list = []
        for key, (start, limit) in part:
            params += (kind, key, start, before[key], limit) if before is not None else (kind, key, start, limit)
        for row in driver_sql.rows(conn, _newest_sql(len(part), before is not None), tuple(params)):
            out[row[_KEY]].append(row)
    for key, rows in out.items():
        rows.sort(key=lambda r: r.id)
        rows.sort(key=lambda r: r[_AT], reverse=True)
    return out


def elsewhere(conn: Connection, kind: str, key: str, at: str, days: float, village_id: int) -> bool:
    """Whether any stored link of `kind` with `key`, within `days` before `at`, is from a
    village other than `village_id`. A skip over the key's villages on ix_warn_links_village
    (kind, key, village_id, at): the next village after the last one asked, then whether it
    has a link in the window — two index seeks per village that ever held the key, never a
    read of one village's thousands of holders (`village_id <> ?` would read them all)."""
    start, last = since(at, days), None
    base = [warn_links.c.kind == kind, warn_links.c.key == key]
    while True:
        after = base + ([warn_links.c.village_id > last] if last is not None else [])
        last = conn.execute(select(func.min(warn_links.c.village_id)).where(and_(*after))).scalar()
        if last is None:
            return False
        if last != village_id and conn.execute(select(warn_links.c.id).where(and_(
                *base, warn_links.c.village_id == last, warn_links.c.at >= start)).limit(1)).first():
            return True


@lru_cache(maxsize=512)
def _newest_sql(n: int, bounded: bool = False) -> str:
    """newest()'s statement for `n` keys, made once per n: building and compiling a UNION ALL
    of n Core sub-selects on every call was three quarters of the derive writer's time on
    varied reports (derive_bench; cProfile); binding its 3n named parameters through Core on
    every call was still a tenth (office/warning/driver_sql.py). Parameters per probe: kind,
    key, start, (`bounded`: the end, exclusive), limit."""
    end = " AND at < ?" if bounded else ""
    probe = ("SELECT * FROM (SELECT key, envelope_id, village_id, at, sealed, id FROM warn_links "
             "WHERE kind = ? AND key = ? AND at >= ?" + end + " ORDER BY at DESC, id LIMIT ?) AS p{i}")
    return " UNION ALL ".join(probe.format(i=i) for i in range(n))
