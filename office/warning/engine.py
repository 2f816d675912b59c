"""After ingest has opened a batch of reports: store their link keys, run the rules over
the new batch (indexed look-ups, never a scan of old reports) and raise or extend signals.
Identifier and name links are rings.py's, the weekly spike spike.py's; the place and minors rules are here.

Runs inside ingest's transaction, so a report and its link keys are committed together.
"""
from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterable

from sqlalchemy import Connection, and_, insert, select, update

from office import clock
from office.keys import OfficeKeys
from office.schema import villages
from office.store.bulk import insert_rows

from . import extract, lookback, rings
from .config import WarningConfig, current
from .linkkeys import link_key
from .rank import score
from .schema import warn_links, warn_signal_reports, warn_signals
from .spike import weekly_spike as _weekly_spike
from .window import remembered, window

IDENTIFIER_KINDS = rings.IDENTIFIER_KINDS


@dataclass
class Report:
    """What the engine needs of one opened report (ingest builds it; so does the bench).

    `facts` (the answers' identifiers, place, planned date and minors) are extracted once, by
    the first reader (`facts_for`), and kept with the report under the gazetteer they were
    made with: at ingest the engine extracts them and the roll-up's link keys
    (rollup/links.record, same settings) read the same facts instead of normalising every
    phone number, plate and place again."""
    envelope_id: str
    village_id: int
    form_id: str
    received_at: str
    answers: Any
    facts: extract.Facts | None = field(default=None, repr=False, compare=False)
    places: dict | None = field(default=None, repr=False, compare=False)
    links: tuple | None = field(default=None, repr=False, compare=False)     # (facts, rows, values)

    def facts_for(self, config: WarningConfig) -> extract.Facts:
        """The report's facts under `config`'s gazetteer: extracted on the first call, kept for
        the next reader with the same settings; other places are never given stale facts."""
        if self.facts is None or self.places is not config.places:
            self.facts, self.places = extract.facts(self.form_id, self.answers, config.places), config.places
        return self.facts

    def links_for(self, keys: OfficeKeys, config: WarningConfig) -> tuple[list[dict], dict[tuple[str, str], str]]:
        """The report's warn_links rows but its tally (that one needs its village's region,
        a read), and the normalised value of each identifier key: pure CPU (an HMAC per
        identifier and name word, the sealed name), so the derive worker's prepare step makes
        them before the write, maybe in a pool process (office/derive/consumers/early_warning).
        Kept with the facts they were made from: facts extracted again make them again. Made
        under `keys`: a Report lives in one batch of one office, under its one key."""
        facts = self.facts_for(config)
        if self.links is None or self.links[0] is not facts:
            self.links = (facts, *link_rows(keys, self, facts))
        return self.links[1], self.links[2]


def link_rows(keys: OfficeKeys, r: Report, f: extract.Facts) -> tuple[list[dict], dict[tuple[str, str], str]]:
    """`r`'s identifier, name and place rows (in that order), and {(kind, key): value}."""
    rows, values = [], {}
    base = {"envelope_id": r.envelope_id, "village_id": r.village_id, "at": r.received_at, "sealed": None}
    for kind, value in f.identifiers:
        if kind in rings.IDENTIFIER_KINDS:
            key = link_key(keys, kind, value)
            values[(kind, key)] = value
            rows.append({**base, "kind": kind, "key": key})
    rows += rings.name_rows(keys, r.envelope_id, f.people, base)
    if f.place:
        rows.append({**base, "kind": "place", "key": link_key(keys, "place", f.place)})
    return rows, values


def observe(conn: Connection, keys: OfficeKeys, reports: Iterable[Report],
            config: WarningConfig | None = None, now: dt.datetime | None = None) -> list[int]:
    """Store link keys for `reports` and evaluate every rule for them. Returns the ids of
    signals raised or extended (for the webhook and the dashboard badge)."""
    config = config or current()
    reports = list(reports)
    if not reports:
        return []
    regions = dict(conn.execute(select(villages.c.id, villages.c.region)
                                .where(villages.c.id.in_({r.village_id for r in reports}))).all())
    rows, per_report, values = [], [], {}
    for r in reports:
        f = r.facts_for(config)
        per_report.append((r, f))
        own, known = r.links_for(keys, config)
        rows += own
        values.update(known)
        region = regions.get(r.village_id) or f"desa {r.village_id}"
        rows.append({"envelope_id": r.envelope_id, "village_id": r.village_id, "at": r.received_at,
                     "sealed": None, "kind": "tally", "key": link_key(keys, "tally", f"{region}|{r.form_id}")})
    # one driver executemany (office/store/bulk.py): Core's per-row parameter building was
    # a tenth of the derive writer's early-warning time
    insert_rows(conn, warn_links, rows)
    stamp = clock.iso(now or clock.now())
    with remembered():       # the batch's links are written: its look-ups may share rows
        found = rings.evaluate(conn, keys, rows, values, per_report, config)
        ids = rings.save(conn, keys, found, config, stamp)
        # reports that named a ring's agent before the ring existed join it now (lookback.py)
        ids += [i for i in lookback.look_back(conn, keys, found, {r.envelope_id for r in reports}, config, stamp)
                if i not in ids]
        raised: list[tuple[str, str, list[str], dict, str | None]] = []
        raised += _same_place(conn, rows, config)
    raised += _planned_minors(per_report, config)
    raised += _weekly_spike(conn, reports, regions, keys, config)
    return ids + _upsert(conn, raised, stamp)


def _same_place(conn, rows, config):
    out = []
    new = {r["key"]: r["at"] for r in rows if r["kind"] == "place"}
    for key, hits in window(conn, "place", new, config.place_days).items():
        envs = {h.envelope_id: h.village_id for h in hits}
        if len(envs) >= config.place_min_reports:
            out.append(("same_place", f"place:{key[:40]}", envs,
                        {"kind": "place", "reports": len(envs), "days": config.place_days,
                         "min": config.place_min_reports,
                         "village_ids": sorted({h.village_id for h in hits})}, None))
    return out


def _planned_minors(per_report, config):
    out = []
    for r, f in per_report:
        if f.planned_date is None or not f.minors:
            continue
        received = clock.parse(r.received_at)
        start = dt.datetime.combine(f.planned_date, dt.time(0, 0), received.tzinfo)
        if dt.timedelta(hours=-24) <= start - received <= dt.timedelta(hours=config.planned_hours):
            out.append(("planned_minors", f"report:{r.envelope_id}", {r.envelope_id: r.village_id},
                        {"hours": config.planned_hours, "minors": f.minors, "village_ids": [r.village_id]}, None))
    return out


def _upsert(conn: Connection, raised, stamp: str) -> list[int]:
    """raised: (rule, key, {envelope id: village id}, detail, region) per signal."""
    ids = []
    for rule, key, envs, detail, region in raised:
        row = conn.execute(select(warn_signals.c.id).where(and_(warn_signals.c.rule == rule,
                                                                warn_signals.c.key == key))).first()
        rank = score(rule, detail, stamp)
        if row is None:
            sid = conn.execute(insert(warn_signals).values(
                rule=rule, key=key, created_at=stamp, updated_at=stamp, status="new", region=region,
                detail=json.dumps(detail, sort_keys=True), delivered=False, score=rank)).inserted_primary_key[0]
            have: set[str] = set()
        else:
            sid = row.id
            have = {e for (e,) in conn.execute(select(warn_signal_reports.c.envelope_id).where(and_(
                warn_signal_reports.c.signal_id == sid, warn_signal_reports.c.envelope_id.in_(list(envs)))))}
            if not set(envs) - have:
                continue
            conn.execute(update(warn_signals).where(warn_signals.c.id == sid).values(
                updated_at=stamp, detail=json.dumps(detail, sort_keys=True), delivered=False, score=rank))
        fresh = [e for e in sorted(envs) if e not in have]
        if fresh:
            conn.execute(insert(warn_signal_reports), [{"signal_id": sid, "envelope_id": e, "village_id": envs[e]}
                                                       for e in fresh])
        ids.append(sid)
    return ids
