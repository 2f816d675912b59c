"""The weekly-spike rule (rules.py's EARS C2 over ISO weeks): a kecamatan x form's count this
week against its baseline weeks, for every kecamatan x form of a batch.

Its cost per batch does not grow with the reports of the current week:
  - a kecamatan x form is tested only once it has reports older than its whole baseline
    (one LIMIT 1 probe each), so a young one is not counted at all — the common case of a
    new office or a village that just started (sync_bench: every report in one week);
  - the current week is counted only up to the count that would raise a spike (the
    smallest x with C2 > threshold and x >= spike_min_count, found from the baseline):
    `SELECT count(*) FROM (... LIMIT bound)`. Below it the count is exact and no spike is
    raised; at it a spike is raised and the week is counted whole (its detail shows the
    week's count, and the signal lists the week's reports: a raised spike's cost is its own).
The baseline and guard weeks are counted exactly: they are past weeks, their size a week's
volume, not what the office has stored.
"""
from __future__ import annotations

import datetime as dt
import math
from functools import lru_cache

from bisect import bisect_right

from sqlalchemy import Connection, and_, bindparam, func, select, text

from office import clock
from office.keys import OfficeKeys
from office.schema import envelopes

from .config import WarningConfig
from .linkkeys import link_key
from .rules import ears_c2
from .schema import warn_links


def _week_start(at: str) -> dt.date:
    d = clock.parse(at).date()
    return d - dt.timedelta(days=d.weekday())


def _bounds(this_week: dt.date, weeks: int) -> list[str]:
    """The starts of `weeks` ISO weeks ending with `this_week`, and the end of that week (UTC)."""
    return [clock.iso(dt.datetime.combine(this_week - dt.timedelta(weeks=weeks - 1 - i), dt.time(0), dt.timezone.utc))
            for i in range(weeks + 1)]


@lru_cache(maxsize=8)
def _per_week(weeks: int):
    """Tally links per key in each of `weeks` ranges :b0..:b{weeks}, as (key, week, count)."""
    return text(" UNION ALL ".join(
        f"SELECT key, {i}, count(*) FROM warn_links WHERE kind = 'tally' AND key IN :keys "
        f"AND at >= :b{i} AND at < :b{i + 1} GROUP BY key" for i in range(weeks))).bindparams(
        bindparam("keys", expanding=True))


def _spike_bound(past: list[int], config: WarningConfig) -> int:
    """The smallest current-week count that raises a spike after these earlier weeks: the
    least x with ears_c2(past + [x]) over the threshold and x >= spike_min_count (found with
    ears_c2 itself, so the bound and the decision never disagree by a rounding)."""
    res = ears_c2(past + [0], config)
    if res is None:
        return math.inf
    c2_at_0, mean = res
    sd = (0 - mean) / c2_at_0 if c2_at_0 else config.spike_sd_floor
    x = max(0, math.floor(mean + config.spike_threshold * sd))
    while x > 0 and ears_c2(past + [x - 1], config)[0] > config.spike_threshold:
        x -= 1
    while ears_c2(past + [x], config)[0] <= config.spike_threshold:
        x += 1
    return max(x, config.spike_min_count)


def _count(conn: Connection, key: str, start: str, end: str, bound: float | None = None) -> int:
    """Tally links of `key` in [start, end), counted to `bound` at most (None: all)."""
    q = select(warn_links.c.id).where(and_(warn_links.c.kind == "tally", warn_links.c.key == key,
                                            warn_links.c.at >= start, warn_links.c.at < end))
    if bound is not None:
        q = q.limit(bound)
    return conn.execute(select(func.count()).select_from(q.subquery())).scalar_one()


def weekly_spike(conn: Connection, reports, regions: dict, keys: OfficeKeys, config: WarningConfig) -> list:
    """The weekly_spike signals a batch raises, as engine's (rule, key, {envelope: village},
    detail, region). Counts per ISO week for every kecamatan x form of the batch, one query
    of a count per week's index range (office times are ISO UTC text: week boundaries compare
    as strings); the weeks end with the week of the batch's newest report."""
    weeks = config.spike_baseline_weeks + config.spike_guard_weeks + 1
    pairs = {}
    for r in reports:
        region = regions.get(r.village_id) or f"desa {r.village_id}"
        pairs[link_key(keys, "tally", f"{region}|{r.form_id}")] = (region, r.form_id)
    this_week = _week_start(max(r.received_at for r in reports))
    bounds = _bounds(this_week, weeks)
    at = warn_links.c.at
    # one probe per key (LIMIT 1), not every older row: a DISTINCT over `at < start` read a
    # kecamatan's whole history on every batch; asked first, so a young key is never counted
    seasoned = sorted(k for k in pairs if conn.execute(select(warn_links.c.key).where(and_(
        warn_links.c.kind == "tally", warn_links.c.key == k, at < bounds[0])).limit(1)).first())
    if not seasoned:
        return []
    # the earlier weeks, each its own index range: one CASE per week on every row of the ten
    # weeks cost five times as much as counting the ranges
    past: dict[str, list[int]] = {k: [0] * (weeks - 1) for k in seasoned}
    for key, i, n in conn.execute(_per_week(weeks - 1),
                                  {"keys": seasoned, **{f"b{i}": b for i, b in enumerate(bounds[:weeks])}}):
        past[key][int(i)] = int(n)
    iso = this_week.isocalendar()
    week = f"{iso[0]}-W{iso[1]:02d}"
    out = []
    for key in seasoned:
        bound = _spike_bound(past[key], config)
        now = _count(conn, key, bounds[-2], bounds[-1], None if bound == math.inf else bound)
        if now < bound:
            continue                         # exact, and below what raises a spike
        counts = past[key] + [_count(conn, key, bounds[-2], bounds[-1])]
        c2, mean = ears_c2(counts, config)
        region, form_id = pairs[key]
        envs_now = dict(conn.execute(select(warn_links.c.envelope_id, warn_links.c.village_id).where(and_(
            warn_links.c.kind == "tally", warn_links.c.key == key, at >= bounds[-2], at < bounds[-1]))).all())
        out.append(("weekly_spike", f"spike:{key[:40]}:{week}", envs_now,
                    {"reports": counts[-1], "form": form_id, "week": week, "region": region,
                     "mean": round(mean, 1), "c2": round(c2, 1), "threshold": config.spike_threshold,
                     "counts": counts}, region))
    return out


def ordinary(conn: Connection, signal: dict, detail: dict, config: WarningConfig) -> dict | None:
    """A weekly-spike signal's `detail` as its ordinary reports alone make it — for whoever may
    not know of a rahasia report (the partner webhook): each week's count, the baseline mean
    and C2 counted without rahasia reports; None when those alone raise no spike (the rise
    is rahasia reports', and telling it would tell of them). The tally key starts with the
    signal key's 40 hex digits (`spike:<40 hex>:<week>`); LIKE, not a range, as a range's
    end would compare by the database's collation."""
    prefix, week = signal["key"].split(":")[1], detail["week"]
    year, number = week.split("-W")
    weeks = len(detail["counts"])
    bounds = _bounds(dt.date.fromisocalendar(int(year), int(number), 1), weeks)
    e, at = envelopes.c, warn_links.c.at
    times = conn.execute(select(at).select_from(warn_links.join(envelopes, e.id == warn_links.c.envelope_id,
                                                                isouter=True)).where(and_(
        warn_links.c.kind == "tally", warn_links.c.key.like(prefix + "%"),
        at >= bounds[0], at < bounds[-1], e.rahasia.is_not(True)))).scalars().all()
    counts = [0] * weeks
    for t in times:
        counts[bisect_right(bounds, t) - 1] += 1
    res = ears_c2(counts, config)
    if res is None or res[0] <= config.spike_threshold or counts[-1] < config.spike_min_count:
        return None
    return {**detail, "counts": counts, "reports": counts[-1], "mean": round(res[1], 1), "c2": round(res[0], 1)}
