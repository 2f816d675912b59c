"""Rings: reports linked by the same identifier, or by the same rare and corroborated name,
grouped into one signal per connected group of reports ("the same calo in three villages").

    edges   a new report and a stored one (within the kind's window) share
              - a phone / account / plate / boat (keyed HMAC equal), or
              - a name (names.match) whose matched words are rare enough (names.bits) and
                corroborated: the same role, or the same departure point, or both (a lower
                bar); a name alone never links; mentions count by village, the new
                report's own village only through a ring's report with an identifier
    rings   the connected groups of those edges, merged with the signals their reports
            already belong to: one lead per group, never the same reports in two signals;
            a group is raised once its reports come from enough villages. A stored report
            an edge reaches brings its own identifier partners too (one hop), so a ring
            that first grew inside one village is whole when it crosses to another.
    order   the edges above run forward, from the reports of a batch; the stored reports
            those names met without linking are asked again once the batch's rings are
            saved (lookback.py), so a report filed before its ring formed joins it too.

Cost per report does not grow with what is stored: identifiers are indexed equality
look-ups, and a hot identifier (one phone in thousands of reports) reads only its newest
PAIR_CAP holders (an index-backed LIMIT) and links them pair by pair; its older holders are
already in the ring signal that records them (read through the newest), and a ring's size
and villages come from that signal's stored detail, never from re-reading its reports
(`_holders`, `_rings`). Until a ring is raised the whole window is read, through one edge
each (`_star`) — unless the window is all one village (one village's own phone, which
never raises a ring: window.elsewhere asks the index), then only once the ring is raised; a name is looked up only by its whole squashed form and by words held by few
names (a word held by more than `name_block_cap` names, or `name_block_share` of them, is
not a block on its own), each distinct candidate is opened once, word pairs are compared in
one rapidfuzz batch per word, and name-pair decisions are cached by their keyed hashes.
"""
from __future__ import annotations

import datetime as dt
import json
import math
from collections import OrderedDict, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from rapidfuzz import process
from rapidfuzz.distance import Indel
from sqlalchemy import Connection, and_, bindparam, delete, func, insert, select, update

from office.keys import OfficeKeys

from . import driver_sql, names
from .config import WarningConfig
from .linkkeys import link_key, open_name, open_values, seal_values
from .schema import warn_links, warn_name_stats, warn_signal_reports, warn_signals
from .window import elsewhere, newest, window

RULE = "same_identifier"
IDENTIFIER_KINDS = ("phone", "handle", "plate", "boat")
TOTAL = "*"
DISTINCT = "*d"          # names, each at most NAME_PER_VILLAGE times per village (names.bits weighs words by these)
# A village may name two or three people of one name ("Eko Wijaya" the calo, another Eko
# Wijaya); a fourth report of the name there is one of them again. Capped at 1 the ring's
# own repeats no longer counted and a common name looked rarer than it is (warning_bench
# seed 25: precision 1.0 -> 0.94, held-out 0.958 -> 0.941); at 3 every figure is main's.
NAME_PER_VILLAGE = 3
PRIOR_SEEN = 20          # pseudo-names behind the role (1 in 4) and place (1 in 10) shares
PAIR_CAP = 50            # reports sharing one identifier compared pair by pair (the newest); more join by one edge
WINDOW_FLOOR = 1000      # names in a window are never counted as fewer (a young office is not a small one)
_PAIR_CACHE: OrderedDict[tuple[str, str], tuple[str, ...] | None] = OrderedDict()
_PAIR_CACHE_MAX = 200_000
_KINDS_SQL = ", ".join(f"'{k}'" for k in IDENTIFIER_KINDS)
_NO_PHONES: frozenset[str] = frozenset()


@dataclass
class Ring:
    envs: set[str]
    villages: set[int]
    values: set[tuple[str, str]]
    signals: list[dict] = field(default_factory=list)
    spelling: bool = False
    newest: str = ""
    village_of: dict[str, int] = field(default_factory=dict)
    counted: int = 0          # reports its stored signals hold (their detail), most never read
    members: set[str] = field(default_factory=set)     # which of `envs` those signals hold
    earlier: set[str] = field(default_factory=set)     # stored reports its new reports' names met, unlinked

    @property
    def reports(self) -> int:
        return self.counted + len(self.envs - self.members)


def name_rows(keys: OfficeKeys, envelope_id: str, people: list, base: dict) -> list[dict]:
    """warn_links rows for the people a report names: the whole name (kind "name") and each
    word (kind "name_tok"), all carrying the sealed name and role."""
    rows = []
    for p in people:
        sealed = _seal_person(keys, envelope_id, p)
        rows.append({**base, "kind": "name", "key": link_key(keys, "name", names.full_key(p.name)), "sealed": sealed})
        rows += [{**base, "kind": "name_tok", "key": link_key(keys, "name_tok", w), "sealed": sealed}
                 for w in _words(p.name)]
    return rows


def _words(normalised: str) -> list[str]:
    given, father = names.split(normalised)
    return sorted({names.squash(t) for t in given + father})


def _seal_person(keys: OfficeKeys, envelope_id: str, person) -> bytes:
    from .linkkeys import seal_name
    return seal_name(keys, envelope_id, json.dumps({"n": person.name, "r": person.role}))


def _open_person(keys: OfficeKeys, envelope_id: str, blob) -> tuple[str, str | None] | None:
    text = open_name(keys, envelope_id, blob)
    if text is None:
        return None
    try:
        d = json.loads(text)
        return d["n"], d.get("r")
    except (ValueError, TypeError, KeyError):
        return text, None            # a name sealed before roles were kept


def _week(at: str) -> str:
    return _week_of(at[:10])


def _weeks(at: str, days: int) -> list[str]:
    return _weeks_of(at[:10], days)


@lru_cache(maxsize=4096)
def _week_of(day: str) -> str:
    y, w, _ = dt.date.fromisoformat(day).isocalendar()
    return f"{y}-W{w:02d}"


@lru_cache(maxsize=4096)
def _weeks_of(day: str, days: int) -> list[str]:
    end = dt.date.fromisoformat(day)
    return sorted({_week_of((end - dt.timedelta(days=d)).isoformat()) for d in range(0, days + 1, 7)} | {_week_of(day)})


def _stat_deltas(keys: OfficeKeys, people: list[tuple[str, int, str, str, str | None]],
                 places: dict[str, str]) -> dict[str, int]:
    """What each named person adds to warn_name_stats: (envelope id, village id, received_at,
    normalised name, role) -> +1 for all names, the name's ISO week, its role, its departure
    point, each word, and the name in its village (`_village_name`: what `_distinct` counts
    up to NAME_PER_VILLAGE times). One function for counting in and counting out, so the two always agree."""
    add: dict[str, int] = defaultdict(int)
    for env, village_id, received_at, name, role in people:
        add[TOTAL] += 1
        add["*w:" + _week(received_at)] += 1
        add[_role_key(keys, role)] += 1
        if places.get(env):
            add["p:" + places[env][:60]] += 1
        for w in _words(name):
            add[link_key(keys, "name_tok", w)] += 1
        add[_village_name(keys, village_id, name)] += 1
    return add


def _village_name(keys: OfficeKeys, village_id: int, name: str) -> str:
    """The key counting one name in one village (its squashed, order-free form)."""
    return "v:" + link_key(keys, "name_village", f"{village_id}|{names.full_key(name)}")[:60]


def _distinct(keys: OfficeKeys, people: list[tuple[str, int, str, str, str | None]], delta: dict[str, int],
              have: dict[str, int]) -> dict[str, int]:
    """The name-frequency counts (DISTINCT, and "d:" + each word) a change of `delta` makes:
    a name counts at most NAME_PER_VILLAGE times per village — its village's first reports
    naming it count, later ones not, and taking reports back uncounts only below the cap. A
    village names its own people again and again (the ring's agent, the village head), and
    one enrolled phone could name a ring's agent thirty times to make the name look common
    and stop the ring linking by name (issue 25); a word's share among the names each
    village gave, so capped, is what `names.bits` weighs."""
    out: dict[str, int] = defaultdict(int)
    seen: set[str] = set()
    for _, village_id, _, name, _ in people:
        vk = _village_name(keys, village_id, name)
        if vk in seen:
            continue
        seen.add(vk)
        before, after = have.get(vk, 0), have.get(vk, 0) + delta.get(vk, 0)
        step = min(max(after, 0), NAME_PER_VILLAGE) - min(max(before, 0), NAME_PER_VILLAGE)
        if step:
            out[DISTINCT] += step
            for w in _words(name):
                out["d:" + link_key(keys, "name_tok", w)[:60]] += step
    return out


def _bump(conn: Connection, delta: dict[str, int], have: dict[str, int]) -> None:
    fresh = [{"key": k, "n": n} for k, n in delta.items() if k not in have]
    if fresh:
        conn.execute(insert(warn_name_stats), fresh)
    bump = [{"k": k, "d": n} for k, n in delta.items() if k in have]
    if bump:                 # one executemany, not a statement per word
        conn.execute(update(warn_name_stats).where(warn_name_stats.c.key == bindparam("k"))
                     .values(n=warn_name_stats.c.n + bindparam("d")), bump)


def count_names(conn: Connection, keys: OfficeKeys, people: list[tuple[Any, Any]],
                places: dict[str, str]) -> dict[str, int]:
    """Add the batch's names to warn_name_stats (by keyed hash: every word, every role, every
    departure point a name was given with, names per ISO week, all names; and each name up to
    NAME_PER_VILLAGE times per village, `_distinct`) and return the counts the batch needs,
    after the addition."""
    named = [(r.envelope_id, r.village_id, r.received_at, p.name, p.role) for r, p in people]
    add = _stat_deltas(keys, named, places)
    if not add:
        return {}
    distinct_keys = _distinct_keys(keys, named)
    asked = list(set(add) | distinct_keys | _week_keys(named))
    have = _stat_counts(conn, asked)
    add.update(_distinct(keys, named, add, have))
    _bump(conn, add, have)
    after = {k: have.get(k, 0) + add.get(k, 0) for k in set(add) | set(have)}
    # a word's count without this batch's own names: two reports naming "Saparudin" do not
    # make it common in an office that never saw it before
    after.update({"before:" + k: have.get(k, 0) for k in set(add) | distinct_keys
                  if k not in (TOTAL, DISTINCT) and not k.startswith("*w:")})
    return after


def _distinct_keys(keys: OfficeKeys, people: list[tuple[str, int, str, str, str | None]]) -> set[str]:
    """The capped name-frequency keys these names read: DISTINCT and "d:" + each word."""
    return {DISTINCT} | {"d:" + link_key(keys, "name_tok", w)[:60] for *_, n, _ in people for w in _words(n)}


def _week_keys(people: list[tuple[str, int, str, str, str | None]]) -> set[str]:
    """The names-per-week keys of the 70 days before each name's report (the chance window)."""
    return {"*w:" + w for _, _, at, _, _ in people for w in _weeks(at, 70)}


def _stat_counts(conn: Connection, asked: list[str]) -> dict[str, int]:
    """warn_name_stats' counts of these keys (a key never counted is absent)."""
    if not asked:
        return {}
    return dict(driver_sql.rows(conn, f"SELECT key, n FROM warn_name_stats WHERE key IN ({driver_sql.marks(len(asked))})",
                                tuple(asked)))


def stored_counts(conn: Connection, keys: OfficeKeys, people: list[tuple[str, int, str, str, str | None]],
                  places: dict[str, str]) -> dict[str, int]:
    """count_names' answer for stored reports asked again (lookback.py), adding nothing: the
    counts as they stand, and each word's count without these reports' own names ("before:",
    the once-per-village counts too), as the reports would see them had they arrived now."""
    own = _stat_deltas(keys, people, places)
    if not own:
        return {}
    distinct_keys = _distinct_keys(keys, people)
    asked = list(set(own) | distinct_keys | _week_keys(people))
    have = _stat_counts(conn, asked)
    out = {k: have.get(k, 0) for k in asked}
    out.update({"before:" + k: max(have.get(k, 0) - n, 0) for k, n in own.items()
                if k != TOTAL and not k.startswith("*w:")})
    gone = _distinct(keys, people, {k: -n for k, n in own.items()}, have)
    out.update({"before:" + k: max(have.get(k, 0) + gone.get(k, 0), 0) for k in distinct_keys if k != DISTINCT})
    return out


def forget_names(conn: Connection, keys: OfficeKeys, envelope_ids: list[str]) -> None:
    """Take back what these reports' stored names added to warn_name_stats, before they are
    derived again (a retry or a rebuild of one report): read from the link rows they left —
    what was counted then, not what today's extraction would find — so no name counts twice."""
    if not envelope_ids:
        return
    rows = driver_sql.rows(conn, "SELECT envelope_id, village_id, kind, key, at, sealed FROM warn_links "
                                 "WHERE envelope_id IN "
                                 f"({driver_sql.marks(len(envelope_ids))}) AND kind IN ('name', 'place')",
                           tuple(envelope_ids))
    places = {r.envelope_id: r.key for r in rows if r.kind == "place"}
    people = []
    for r in rows:
        if r.kind == "name":
            opened = _open_person(keys, r.envelope_id, r.sealed)
            if opened:
                people.append((r.envelope_id, r.village_id, r.at, opened[0], opened[1]))
    take = {k: -n for k, n in _stat_deltas(keys, people, places).items()}
    if take:
        take.update(_distinct(keys, people, take, _stat_counts(conn, [k for k in take if k.startswith("v:")])))
        _bump(conn, take, {k: 1 for k in take})


def _role_key(keys: OfficeKeys, role: str | None) -> str:
    return "r:" + link_key(keys, "role", role or "?")[:60]


def poisson_tail(m: int, lam: float) -> float:
    """P(X >= m) for X ~ Poisson(lam): how likely m other mentions are by chance."""
    if m <= 0:
        return 1.0
    term = math.exp(-lam)
    cdf = 0.0
    for i in range(m):
        cdf += term
        term *= lam / (i + 1)
    return max(0.0, 1.0 - cdf) if lam > 1e-3 else lam ** m / math.factorial(m)


def evaluate(conn: Connection, keys: OfficeKeys, rows: list[dict], values: dict[tuple[str, str], str],
             per_report: list, config: WarningConfig) -> list[Ring]:
    """The rings the new `rows` (already stored) touch. `values` maps (kind, key) to the
    normalised value, for the staff's view of what matched.

    A hot identifier whose window is all in one village (one village's own phone) is read only
    to its newest holders (`_holders`); its ring is worked out again from the whole window
    only when it is raised (or joins a live ring), so the result is the whole window's."""
    people = [(r, p) for r, f in per_report for p in f.people]
    counts = count_names(conn, keys, people, {r["envelope_id"]: r["key"] for r in rows if r["kind"] == "place"}) \
        if people else {}
    missed: dict[str, set[str]] = defaultdict(set)
    found, deferred = _evaluate(conn, keys, rows, values, per_report, config, counts, False, missed)
    if deferred and any(ring.envs & deferred and _raised(ring, config) for ring in found):
        missed.clear()
        found, _ = _evaluate(conn, keys, rows, values, per_report, config, counts, True, missed)
    for ring in found:       # what lookback.py asks again once the ring is saved
        ring.earlier = {e for me in ring.envs - ring.members for e in missed.get(me, ())} - ring.envs
    return found


def _raised(ring: Ring, config: WarningConfig) -> bool:
    """What save() keeps: a ring from enough villages, or one that extends a signal."""
    return len(ring.villages) >= config.identifier_min_villages or bool(ring.signals)


def _evaluate(conn, keys, rows, values, per_report, config, counts, whole: bool,
              missed: dict[str, set[str]] | None = None) -> tuple[list[Ring], set[str]]:
    """evaluate's rings and the new reports whose hot identifier was read only to its newest
    holders (none when `whole`)."""
    edges: dict[frozenset, set[tuple[str, str]]] = defaultdict(set)
    village: dict[str, int] = {}
    at: dict[str, str] = {}
    star: set[frozenset] = set()
    deferred: set[str] = set()
    for kind in IDENTIFIER_KINDS:
        new = [r for r in rows if r["kind"] == kind]
        hits, one_village = _holders(conn, kind, new, config, whole)
        deferred |= {r["envelope_id"] for r in new if r["key"] in one_village}
        hubs: dict[str, str] = {}
        tops: dict[str, list[str]] = {}       # a key's newest PAIR_CAP holders, read once per key
        for r in new:
            me, key = r["envelope_id"], r["key"]
            village[me], at[me] = r["village_id"], r["at"]
            value = (kind, values[(kind, key)])
            top = tops.get(key)
            if top is None:
                top = tops[key] = [h.envelope_id for h in hits.get(key, [])[:PAIR_CAP]]
                for h in hits.get(key, [])[:PAIR_CAP]:    # a holder's village and time are its own,
                    village[h.envelope_id], at[h.envelope_id] = h.village_id, h.at   # whichever row asked
            hub = hubs.setdefault(key, me)
            if hub != me:
                edges[frozenset((me, hub))].add(value)
            for e in top:
                if e != me:
                    edges[frozenset((me, e))].add(value)
            if hub == me:
                _star(edges, star, hub, hits.get(key, [])[PAIR_CAP:], value, village, at)
    spelling = _name_evidence(conn, keys, per_report, {p: v for p, v in edges.items() if p not in star})
    spelling |= _name_edges(conn, keys, rows, per_report, config, counts, edges, village, at, missed)
    _one_hop(conn, {e for pair in edges for e in pair} - {r["envelope_id"] for r in rows}, config,
             edges, village, at)
    return _rings(conn, keys, edges, village, at, spelling), deferred


def _newest_first(hits: list) -> list:
    return sorted(hits, key=lambda h: h.at, reverse=True)


def _holders(conn, kind: str, new: list[dict], config, whole: bool = True) -> tuple[dict[str, list], set[str]]:
    """Each new key's stored holders in its window, newest first — as many as evaluate links
    pair by pair (the batch's own holders and PAIR_CAP more) and one beyond, read with an
    index-backed LIMIT. A key held by more (a hot identifier) needs its older holders only
    when no ring records them yet: a ring signal, once raised, holds every holder of its
    identifiers then in the window (they were all edges of it), and every later holder joins
    it through an edge to a newer one; so while one of the newest holders is in a live ring,
    the rest are too, and are left unread. Otherwise (the ring not raised yet) the whole
    window is read, once per ring — unless (`whole` False) the newest holders, the batch's
    own and every other holder in the window are of one village (one bounded index question,
    window.elsewhere): then those older holders bring no village, and the keys are returned
    as the second value for evaluate to read whole only if their ring is raised after all."""
    keys_at = {r["key"]: r["at"] for r in new}
    if not keys_at:
        return {}, set()
    mine = {r["envelope_id"] for r in new}
    per_key: dict[str, int] = defaultdict(int)
    for r in new:
        per_key[r["key"]] += 1
    limits = {k: PAIR_CAP + per_key[k] + 1 for k in keys_at}
    hits = newest(conn, kind, keys_at, config.identifier_days, limits)
    hot = {k for k, lst in hits.items() if len(lst) >= limits[k]}
    one_village: set[str] = set()
    if hot:
        ringed = {e for _, e in _live_rings(conn, {h.envelope_id for k in hot for h in hits[k]} - mine)[0]}
        cold = {k: keys_at[k] for k in hot if not any(h.envelope_id in ringed for h in hits[k])}
        if not whole:
            for k in list(cold):
                seen = {h.village_id for h in hits[k]} | {r["village_id"] for r in new if r["key"] == k}
                if len(seen) == 1 and not elsewhere(conn, kind, k, cold[k], config.identifier_days, seen.pop()):
                    one_village.add(k)
                    del cold[k]
        if cold:
            hits.update({k: _newest_first(lst) for k, lst in
                         window(conn, kind, cold, config.identifier_days).items()})
    return hits, one_village


def _live_rings(conn, envs: set[str]) -> tuple[list[tuple[int, str]], dict[int, dict]]:
    """(signal id, envelope id) for these reports in live (not merged) ring signals, and
    those signals: by report first (ix_warn_signal_reports_env), then which are live rings —
    joined in one query, SQLite's planner walked every ring signal instead."""
    if not envs:
        return [], {}
    held = [(s, e) for s, e in driver_sql.rows(conn, "SELECT signal_id, envelope_id FROM warn_signal_reports "
                                                     f"WHERE envelope_id IN ({driver_sql.marks(len(envs))})",
                                               tuple(sorted(envs)))]
    if not held:
        return [], {}
    signals = {s["id"]: dict(s) for s in conn.execute(select(warn_signals).where(and_(
        warn_signals.c.id.in_(sorted({s for s, _ in held})), warn_signals.c.rule == RULE,
        warn_signals.c.status != "merged"))).mappings()}
    return [(s, e) for s, e in held if s in signals], signals


def _star(edges, star: set, hub: str, hits: list, value: tuple[str, str], village, at) -> None:
    """A hot identifier (one calo's phone in thousands of reports): beyond the newest PAIR_CAP
    reports that hold it, each joins the ring through one edge to `hub` instead of an edge to
    every new report, so a batch costs a constant per report, not one per stored holder.
    These edges are not compared name by name (the newest PAIR_CAP carry that evidence)."""
    for h in hits:
        if h.envelope_id != hub:
            pair = frozenset((hub, h.envelope_id))
            if pair not in edges:
                star.add(pair)
            edges[pair].add(value)
            village[h.envelope_id], at[h.envelope_id] = h.village_id, h.at


def _one_hop(conn, stored: set[str], config, edges, village, at) -> None:
    """The identifier partners of stored reports an edge reached (their own window)."""
    if not stored:
        return
    mine = driver_sql.rows(conn, "SELECT envelope_id, kind, key, at FROM warn_links WHERE envelope_id IN "
                                 f"({driver_sql.marks(len(stored))}) AND kind IN ({_KINDS_SQL})", tuple(stored))
    # one look-up per distinct key, from its earliest holder: that holder's window starts
    # first, so it reaches every report a later holder's would (window() has no end)
    firsts: dict[str, dict[str, Any]] = {kind: {} for kind in IDENTIFIER_KINDS}
    for m in mine:
        first = firsts[m.kind]
        if m.key not in first or m.at < first[m.key].at:
            first[m.key] = m
    for kind in IDENTIFIER_KINDS:
        first = firsts[kind]
        hits = newest(conn, kind, {k: m.at for k, m in first.items()}, config.identifier_days,
                      {k: PAIR_CAP for k in first})
        for key, m in first.items():
            me, value = m.envelope_id, (kind, "#" + key[:12])
            for h in hits.get(key, ()):
                if h.envelope_id != me:
                    edges[frozenset((me, h.envelope_id))].add(value)
                    village[h.envelope_id], at[h.envelope_id] = h.village_id, h.at


def _name_evidence(conn, keys, per_report, edges) -> set[frozenset]:
    """Names shared by reports an identifier already links (however common the name): shown
    to the analyst as more evidence, with "ejaan berbeda" only when the spelling differs."""
    mine = {r.envelope_id: [p.name for p in f.people] for r, f in per_report if f.people}
    others = {e for pair in edges for e in pair if any(x in mine for x in pair)} - set(mine)
    theirs: dict[str, list[str]] = defaultdict(list)
    if others:
        for e, blob in _of_kind(conn, "name", others, "sealed"):
            o = _open_person(keys, e, blob)
            if o:
                theirs[e].append(o[0])
    spelling = set()
    decided: dict[tuple[str, str], tuple[bool, bool]] = {}     # a ring repeats the same names
    for pair in list(edges):
        a, b = tuple(pair)
        if a not in mine:
            a, b = b, a
        if a not in mine:
            continue
        for x in mine[a]:
            for y in mine.get(b) or theirs.get(b, []):
                if (x, y) not in decided:
                    same = bool(names.match(x, y))
                    decided[(x, y)] = (same, same and names.spelt_differently(x, y))
                same, differs = decided[(x, y)]
                if same:
                    edges[pair].add(("name", " / ".join(sorted({x, y}))))
                    if differs:
                        spelling.add(pair)
    return spelling


def _name_edges(conn, keys, rows, per_report, config, counts, edges, village, at,
                missed: dict[str, set[str]] | None = None) -> set[frozenset]:
    """Edges by name. A name is looked up when it is not too common (`name_min_bits`); the
    stored reports whose names match it (names.match) count as mentions; the mentions with
    the same role, the same departure point, or both are each tested against chance: with
    λ = names in the window × the name's share × the role's / place's share, a link needs
    P(Poisson(λ) >= mentions) × tests <= `name_alpha`, where tests counts the tests made
    (each corroboration the new report can give — role, place, both — times each level of
    matched words at or above `name_min_bits` that a corroborated mention reaches). So a
    rare name links on one corroborated mention, "Siti Rahman" needs several, and "Nur"
    practically never. `counts`: count_names' answer for the batch (evaluate makes it once).
    `missed`, when given, gains each asking report's mentions that did not link (lookback.py
    asks them again once a ring they name forms or grows)."""
    people = [(r, p) for r, f in per_report for p in f.people]
    if not people:
        return set()
    new_places = {r["envelope_id"]: r["key"] for r in rows if r["kind"] == "place"}
    total = max(counts.get(TOTAL, 1), 1)
    # a batch names the same people again and again: each name's words, each word's keyed
    # hash and each name's blocks are worked out once in this call (and kept no longer)
    said: dict[str, list[str]] = {}
    hashed: dict[str, str] = {}

    def words(name: str) -> list[str]:
        if name not in said:
            said[name] = _words(name)
        return said[name]

    def tok(w: str) -> str:
        if w not in hashed:
            hashed[w] = link_key(keys, "name_tok", w)
        return hashed[w]

    # words weigh by their share of the names each village named, a name counted at most
    # NAME_PER_VILLAGE times there (count_names): a village naming one person thirty times
    # does not make the name common
    distinct = max(counts.get(DISTINCT, 1), 1)
    word_n = {w: counts.get("before:d:" + tok(w)[:60], 0) for _, p in people for w in words(p.name)}
    cap = min(config.name_block_cap, max(config.name_block_share * total, 50.0))
    want: dict[tuple[str, str], str] = {}
    asks = []
    blocks_of: dict[str, list | None] = {}
    for r, p in people:
        if p.name not in blocks_of:
            blocks_of[p.name] = None if names.bits(words(p.name), word_n, distinct) < config.name_min_bits else (
                [("name", link_key(keys, "name", names.full_key(p.name)))]
                + [("name_tok", tok(w)) for w in names.name_tokens(p.name) if counts.get(tok(w), 0) <= cap])
        blocks = blocks_of[p.name]
        if blocks is None:
            continue                     # too common to ever link by name
        for b in blocks:
            want[b] = max(want.get(b, ""), r.received_at)
        asks.append((r, p, blocks))
    if not asks:
        return set()
    hits = {kind: window(conn, kind, {k: a for (kd, k), a in want.items() if kd == kind}, config.name_days)
            for kind in ("name", "name_tok")}
    cands: dict[tuple[str, bytes], Any] = {}
    for by_key in hits.values():
        for lst in by_key.values():
            for h in lst:
                cands.setdefault((h.envelope_id, bytes(h.sealed or b"")), h)
    opened = {ck: _open_person(keys, h.envelope_id, h.sealed) for ck, h in cands.items()}
    places = {**_places(conn, {ck[0] for ck in cands}), **new_places}
    phones = _phones(conn, {ck[0] for ck in cands} | {r.envelope_id for r, _, _ in asks})
    # a candidate of an asking report's own village, with that report's role (only those
    # can count for the village: _significant's groups need the role or the place)
    own = {(r.village_id, p.role) for r, p, _ in asks} | {(r.village_id, None) for r, _, _ in asks
                                                          if r.envelope_id in new_places}
    ringed = _in_rings(conn, {h.envelope_id for ck, h in cands.items() if opened.get(ck)
                              and ((h.village_id, opened[ck][1]) in own or (h.village_id, None) in own)})
    # ... and which ring each candidate is in: a ring village's own mention counts for that
    # ring's reports only, never for strangers of the same name (_significant)
    rings_of: dict[str, set[int]] = defaultdict(set)
    if ringed:
        for sid, e in _live_rings(conn, {h.envelope_id for ck, h in cands.items() if opened.get(ck)})[0]:
            rings_of[e].add(sid)
    near = _near_words({w for _, p, _ in asks for w in words(p.name)},
                       {w for o in opened.values() if o for w in words(o[0])})
    listed: dict[tuple[str, str], list] = {}     # a block's openable holders, read once per block

    def holders(block: tuple[str, str]) -> list:
        if block not in listed:
            listed[block] = [(h.envelope_id, opened[ck], phones.get(h.envelope_id, _NO_PHONES), h)
                             for h in hits[block[0]].get(block[1], ())
                             if opened.get(ck := (h.envelope_id, bytes(h.sealed or b""))) is not None]
        return listed[block]

    spelling: set[frozenset] = set()
    # (new name, stored name) -> the matched words' bits, or None: a common name meets the same
    # stored names in report after report, and each decision costs two keyed hashes
    decided: dict[tuple[str, str], float | None] = {}
    for r, p, blocks in asks:
        mentions: dict[str, tuple[float, bool, bool, str, int]] = {}
        me = r.envelope_id
        mine, here = phones.get(me, set()), places.get(me)       # the same for every hit below
        for block in blocks:
            for env, (other, role), theirs, h in holders(block):
                if env == me:
                    continue
                if mine and theirs and mine.isdisjoint(theirs):
                    continue             # both give a number and they differ: two people with one name
                if frozenset((me, env)) in edges:
                    continue
                pair = (p.name, other)
                if pair not in decided:      # a pure function of the two names in this call
                    words = _decide(keys, p.name, other, near)
                    decided[pair] = None if words is None else names.bits(list(words), word_n, distinct)
                bits = decided[pair]
                if bits is None:
                    continue
                m = (bits, bool(p.role) and p.role == role,
                     here is not None and here == places.get(env), other, h.village_id)
                old = mentions.get(h.envelope_id)
                if old is None or (m[1] + m[2], m[0]) > (old[1] + old[2], old[0]):
                    mentions[h.envelope_id] = m
                    village[h.envelope_id], at[h.envelope_id] = h.village_id, h.at
        linked = _significant(keys, r, p, mentions, counts, total, places, config, ringed, rings_of)
        if missed is not None:           # a mention that could link at all: corroborated, rare enough
            missed[r.envelope_id].update(e for e, m in mentions.items() if e not in linked and (m[1] or m[2])
                                         and m[0] >= config.name_min_bits - 1)
        for env in linked:
            pair = frozenset((r.envelope_id, env))
            edges[pair].add(("name", " / ".join(sorted({p.name, mentions[env][3]}))))
            village[r.envelope_id], at[r.envelope_id] = r.village_id, r.received_at
            if names.spelt_differently(p.name, mentions[env][3]):
                spelling.add(pair)
    return spelling


def _significant(keys, r, p, mentions: dict, counts: dict, total: int, places: dict, config,
                 ringed: set[str] = frozenset(), rings_of: dict[str, set[int]] | None = None) -> set[str]:
    """The mentions that are more than chance (see _name_edges), as envelope ids. Mentions
    from the new report's own village count only when they are `ringed` (see _in_rings), and
    then for their own ring's reports only (`rings_of`: candidate -> its ring signals): the
    village counted once more must not carry strangers who share the name over the bar too
    (red team round 7: "Budi Santoso", one name in 200, named again in a ring village pulled
    the neighbour and five strangers of five other villages into the ring)."""
    if not mentions:
        return set()
    in_window = sum(counts.get("*w:" + w, 0) for w in _weeks(r.received_at, config.name_days))
    # smoothed like the name words: a young office has seen few roles and places
    p_role = (counts.get(_role_key(keys, p.role), 0) + PRIOR_SEEN * 0.25) / (total + PRIOR_SEEN) if p.role else 1.0
    here = places.get(r.envelope_id)
    p_place = (counts.get("p:" + here[:60], 0) + PRIOR_SEEN * 0.1) / (total + PRIOR_SEEN) if here else 1.0
    best: set[str] = set()
    # the tests made: a level no corroborated mention reaches is never tested, nor one whose
    # shared words are too common to be looked up at all ("Ahmad" of "Ahmad Hamzah")
    levels = sorted({m[0] for m in mentions.values() if (m[1] or m[2]) and m[0] >= config.name_min_bits}, reverse=True)
    # ... and a corroboration the new report cannot give is never tested either: no role said,
    # no role test; no departure point, no place test
    modes = [(need_role, need_place, factor) for need_role, need_place, factor in
             ((True, False, p_role), (False, True, p_place), (True, True, p_role * p_place))
             if (p.role or not need_role) and (here or not need_place)]
    for need_role, need_place, factor in modes:
        for weakest in levels:       # the full-name matches first, then down to shorter ones ("Amir")
            group = [e for e, m in mentions.items()
                     if m[0] >= weakest and (m[1] or not need_role) and (m[2] or not need_place)]
            lam = max(in_window, WINDOW_FLOOR) * 2.0 ** -weakest * max(factor, 1e-6)
            # mentions count by village: a village names its own people again and again, so
            # repeats inside one village (or in the new report's own) are not more people ...
            for members in [group] + _ring_groups(group, mentions, r.village_id, ringed, rings_of or {}):
                # ... except its ring report with an identifier, for that ring's reports only
                elsewhere = {mentions[e][4] for e in members if mentions[e][4] != r.village_id or e in ringed}
                if members is group:
                    elsewhere.discard(r.village_id)
                if not elsewhere - {r.village_id}:
                    continue
                if len(modes) * len(levels) * poisson_tail(len(elsewhere), lam) <= config.name_alpha \
                        and len(members) > len(best):
                    best = set(members)
    return best


def _ring_groups(group: list[str], mentions: dict, village_id: int, ringed: set[str],
                 rings_of: dict[str, set[int]]) -> list[list[str]]:
    """For each ring report with an identifier of the new report's own village in `group`:
    the mentions of `group` in the same ring (it among them)."""
    out = []
    for e0 in group:
        if e0 in ringed and mentions[e0][4] == village_id and rings_of.get(e0):
            out.append([e for e in group if rings_of.get(e, set()) & rings_of[e0]])
    return out


def _in_rings(conn: Connection, envs: set[str]) -> set[str]:
    """Which of these reports a live ring signal holds and that give an identifier of their
    own (a phone, account, plate or boat: the ring's evidence, not a name alone). A village
    names its own people again and again, so a mention from the new report's own village is
    no more people — unless that mention is such a ring report: then the ring's agent, not a
    neighbour who shares the name, is who the village named before, and the village naming
    them again with the same role is one more report of the ring (counted as a village in
    the chance test, never alone: another village's mention must be in the group too). A
    ring report linked by its name alone does not count: one stranger let in by name would
    let in every neighbour of the same name after it."""
    held = {e for _, e in _live_rings(conn, envs)[0]}
    if not held:
        return set()
    return {e for (e,) in conn.execute(select(warn_links.c.envelope_id).distinct().where(and_(
        warn_links.c.envelope_id.in_(sorted(held)), warn_links.c.kind.in_(IDENTIFIER_KINDS))))}


def _near_words(mine: set[str], theirs: set[str]) -> set[tuple[str, str]]:
    """Word pairs one insertion or deletion apart (long words only), in one rapidfuzz batch
    per word of the new names."""
    choices = [w for w in theirs if len(w) >= 5]
    out = set()
    for w in mine:
        if len(w) < 5 or not choices:
            continue
        for other, _, _ in process.extract(w, choices, scorer=Indel.distance, score_cutoff=1, limit=None):
            out.add((w, other))
    return out


def _decide(keys: OfficeKeys, a: str, b: str, near: set[tuple[str, str]]) -> tuple[str, ...] | None:
    """names.match with the batch's near words, cached by the two names' keyed hashes."""
    ck = (link_key(keys, "name_pair", a), link_key(keys, "name_pair", b))
    if ck in _PAIR_CACHE:
        _PAIR_CACHE.move_to_end(ck)
        return _PAIR_CACHE[ck]
    found = names.match(a, b, lambda x, y: x == y or (x, y) in near or (y, x) in near)
    out = tuple(found) if found else None
    _PAIR_CACHE[ck] = out
    if len(_PAIR_CACHE) > _PAIR_CACHE_MAX:
        _PAIR_CACHE.popitem(last=False)
    return out


def _phones(conn: Connection, envs: set[str]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    if envs:
        for e, k in _of_kind(conn, "phone", envs):
            out[e].add(k)
    return out


def _places(conn: Connection, envs: set[str]) -> dict[str, str]:
    if not envs:
        return {}
    return dict(_of_kind(conn, "place", envs))


def _of_kind(conn: Connection, kind: str, envs: set[str], column: str = "key") -> list:
    """(envelope id, `column`) of these reports' links of `kind` (office/warning/driver_sql.py)."""
    envs = list(envs)
    return driver_sql.rows(conn, f"SELECT envelope_id, {column} FROM warn_links WHERE kind = ? "
                                 f"AND envelope_id IN ({driver_sql.marks(len(envs))})", (kind, *envs))


def _rings(conn, keys, edges, village, at, spelling) -> list[Ring]:
    if not edges:
        return []
    nodes = {e for pair in edges for e in pair}
    # the signals' reports among the nodes only: a ring's other reports are counted by its
    # stored detail, never read (a hot identifier's ring holds thousands)
    held, signals = _live_rings(conn, nodes)
    members: dict[int, set[str]] = defaultdict(set)
    for s, e in held:
        members[s].add(e)
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(a: str, b: str) -> None:
        parent[find(a)] = find(b)

    for pair in edges:
        a, b = tuple(pair)
        union(a, b)
    for sid, envs in members.items():
        first = next(iter(envs))
        for e in envs:
            union(first, e)
    groups: dict[str, Ring] = {}
    for e in set(parent):
        ring = groups.setdefault(find(e), Ring(set(), set(), set()))
        ring.envs.add(e)
        if e in village:
            ring.villages.add(village[e])
            ring.village_of[e] = village[e]
        ring.newest = max(ring.newest, at.get(e, ""))
    for sid, envs in members.items():
        ring = groups[find(next(iter(envs)))]
        s = signals[sid]
        ring.signals.append(s)
        detail = json.loads(s["detail"])
        ring.members |= envs
        ring.counted += detail["reports"] if "reports" in detail else _count(conn, sid)
        ring.villages.update(detail.get("village_ids", []))
        ring.spelling = ring.spelling or bool(detail.get("spelling"))
        ring.values.update(tuple(v) for v in open_values(keys, s["key"], s["sealed"]))
    for pair, vals in edges.items():
        ring = groups[find(next(iter(pair)))]
        ring.values.update(vals)
        ring.spelling = ring.spelling or pair in spelling
    for ring in groups.values():
        ring.signals.sort(key=lambda s: s["id"])
    return list(groups.values())


def _count(conn: Connection, sid: int) -> int:
    """A signal's reports, counted (a detail written before it kept the count)."""
    return conn.execute(select(func.count()).select_from(warn_signal_reports)
                        .where(warn_signal_reports.c.signal_id == sid)).scalar_one()


def save(conn: Connection, keys: OfficeKeys, rings: list[Ring], config: WarningConfig, stamp: str) -> list[int]:
    """One signal per ring: the oldest of the signals it absorbed survives (its status and
    the analyst's notes with it), the others become "merged" into it."""
    from .rank import score
    ids = []
    for ring in rings:
        kinds: dict[str, int] = defaultdict(int)
        for kind, value in ring.values:
            kinds[kind] += not value.startswith("#")      # "#…": reached by one hop, value not at hand
        kinds = {k: max(n, 1) for k, n in kinds.items()}
        main = next((k for k in IDENTIFIER_KINDS if kinds.get(k)), "name")
        if len(ring.villages) < config.identifier_min_villages and not ring.signals:
            continue
        detail = {"kind": main, "kinds": dict(sorted(kinds.items())), "villages": len(ring.villages),
                  "village_ids": sorted(ring.villages), "reports": ring.reports,
                  "days": config.identifier_days if main != "name" else config.name_days,
                  "spelling": ring.spelling}
        values = sorted([list(v) for v in ring.values])
        if ring.signals:
            keep, *gone = ring.signals
            sid, key = keep["id"], keep["key"]
            if gone:
                gone_ids = [g["id"] for g in gone]
                conn.execute(update(warn_signals).where(warn_signals.c.id.in_(gone_ids)).values(
                    status="merged", merged_into=sid, updated_at=stamp))
                for row in conn.execute(select(warn_signal_reports.c.envelope_id, warn_signal_reports.c.village_id)
                                        .where(warn_signal_reports.c.signal_id.in_(gone_ids))):
                    ring.envs.add(row.envelope_id)          # moved to the one kept (once per merge)
                    ring.members.add(row.envelope_id)
                    if row.village_id is not None:
                        ring.village_of.setdefault(row.envelope_id, row.village_id)
                conn.execute(delete(warn_signal_reports).where(warn_signal_reports.c.signal_id.in_(gone_ids)))
            have = {e for (e,) in conn.execute(select(warn_signal_reports.c.envelope_id).where(and_(
                warn_signal_reports.c.signal_id == sid, warn_signal_reports.c.envelope_id.in_(sorted(ring.envs)))))}
            old = json.loads(keep["detail"])
            if not gone and ring.envs <= have and old == detail:
                continue
            conn.execute(update(warn_signals).where(warn_signals.c.id == sid).values(
                updated_at=stamp, detail=json.dumps(detail, sort_keys=True), delivered=False,
                score=score(RULE, detail, ring.newest or stamp),
                sealed=seal_values(keys, key, values)))
        else:
            have = set()
            key = _fresh_key(conn, "ring:" + link_key(keys, "ring", min(f"{k}:{v}" for k, v in ring.values))[:40])
            sid = conn.execute(insert(warn_signals).values(
                rule=RULE, key=key, created_at=stamp, updated_at=stamp, status="new", region=None,
                detail=json.dumps(detail, sort_keys=True), delivered=False,
                score=score(RULE, detail, ring.newest or stamp), sealed=seal_values(keys, key, values))
            ).inserted_primary_key[0]
        fresh = sorted(ring.envs - have)
        if fresh:
            conn.execute(insert(warn_signal_reports), [{"signal_id": sid, "envelope_id": e,
                                                        "village_id": ring.village_of.get(e)} for e in fresh])
        ids.append(sid)
    return ids


def _fresh_key(conn: Connection, key: str) -> str:
    """A signal key not yet taken (a ring's first value may have led a ring merged away)."""
    taken = {k for (k,) in conn.execute(select(warn_signals.c.key).where(and_(
        warn_signals.c.rule == RULE, warn_signals.c.key.like(key + "%"))))}
    n, out = 1, key
    while out in taken:
        n, out = n + 1, f"{key}.{n}"
    return out
