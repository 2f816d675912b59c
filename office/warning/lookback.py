"""Looking back when a ring forms or grows: the same evidence gives the same ring whatever
order the reports arrive in.

Phones are offline for days, so reports reach the office out of the order they were filed,
and the ring rules run forward: a report is tested against what is stored when it arrives.
A report that named a ring's agent before the ring existed was tested against too little —
its mention from the ring's village counted for nothing, the ring was not there to be
joined — and was never asked again. So once a batch's rings are saved, the stored reports
a new ring report's name met but did not link (rings._name_edges's `missed`: corroborated
mentions rare enough to link at all) are asked again, each as if it arrived now, by exactly
the forward test (rings._name_edges: the name's rarity, the corroboration, the chance test,
the ring-village rules of recall5 and red team round 7), against the stored reports and
the saved rings. What they link to joins as the forward rule would join it; a report that
joins may have met earlier ones in turn, asked in the next round.

Cost stays flat: the reports asked again are the ones the forward look-ups of this batch
already read (no scan), at most LOOK_BACK_CAP of them, newest first, per round, and
LOOK_BACK_ROUNDS rounds; each asks its name blocks through the same keyed-hash window
look-ups the forward rule uses (window.remembered shares the rows already read).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import Connection

from office.keys import OfficeKeys

from . import driver_sql, rings
from .config import WarningConfig
from .extract import Person

LOOK_BACK_CAP = 50       # stored reports asked again per round (the newest)
LOOK_BACK_ROUNDS = 2     # a report that joined may have met earlier ones: asked once more


@dataclass
class _Stored:
    """A stored report asked again, in the shape _name_edges reads (Report and Facts)."""
    envelope_id: str
    village_id: int
    received_at: str
    people: list[Person] = field(default_factory=list)


def look_back(conn: Connection, keys: OfficeKeys, found: list[rings.Ring], batch: set[str],
              config: WarningConfig, stamp: str) -> list[int]:
    """Ask again the stored reports that `found`'s raised rings' new reports met by name
    (and the stored reports that joined a ring in this batch, whose names were not asked
    in it); save what they link to. Returns the signals raised or extended."""
    raised = [ring for ring in found if rings._raised(ring, config)]
    ask = set().union(*(ring.earlier for ring in raised)) if raised else set()
    ask |= {e for ring in raised for e in ring.envs - ring.members - batch}
    asked: set[str] = set(batch)
    ids: list[int] = []
    for _ in range(LOOK_BACK_ROUNDS):
        ask -= asked
        if not ask:
            break
        stored = _stored(conn, keys, ask)
        asked |= ask
        missed: dict[str, set[str]] = defaultdict(set)
        edges: dict[frozenset, set[tuple[str, str]]] = defaultdict(set)
        village: dict[str, int] = {}
        at: dict[str, str] = {}
        spelling = _ask(conn, keys, stored, config, edges, village, at, missed)
        # what they would have joined: a ring (a live ring signal's report), not a stranger
        # met on the way — that pair is the forward rule's to make when either arrives
        ringed = {e for _, e in rings._live_rings(conn, {e for pair in edges for e in pair})[0]}
        edges = defaultdict(set, {pair: v for pair, v in edges.items() if pair & ringed})
        if not edges:
            break
        nodes = {e for pair in edges for e in pair}
        rings._one_hop(conn, nodes, config, edges, village, at)
        ids += rings.save(conn, keys, rings._rings(conn, keys, edges, village, at, spelling), config, stamp)
        joined = {e for pair in edges for e in pair if e in ask}
        ask = {e for me in joined for e in missed.get(me, ())}
    return ids


def _stored(conn: Connection, keys: OfficeKeys, envs: set[str]) -> list[_Stored]:
    """The newest LOOK_BACK_CAP of these reports, with the people they name (their sealed
    name links: what was extracted when they arrived)."""
    out: dict[str, _Stored] = {}
    envs_l = sorted(envs)
    for e, village_id, at, blob in driver_sql.rows(
            conn, "SELECT envelope_id, village_id, at, sealed FROM warn_links WHERE kind = 'name' "
                  f"AND envelope_id IN ({driver_sql.marks(len(envs_l))})", tuple(envs_l)):
        opened = rings._open_person(keys, e, blob)
        if opened is None:
            continue
        s = out.setdefault(e, _Stored(e, village_id, at))
        person = Person(*opened)
        if person not in s.people:
            s.people.append(person)
    return sorted(out.values(), key=lambda s: (s.received_at, s.envelope_id), reverse=True)[:LOOK_BACK_CAP]


def _ask(conn, keys, stored: list[_Stored], config, edges, village, at, missed) -> set[frozenset]:
    """rings._name_edges for stored reports, as if they arrived now: the counts as they
    stand (adding nothing), their own departure points."""
    if not stored:
        return set()
    places = dict(rings._of_kind(conn, "place", {s.envelope_id for s in stored}))
    counts = rings.stored_counts(conn, keys, [(s.envelope_id, s.received_at, p.name, p.role)
                                              for s in stored for p in s.people], places)
    rows = [{"envelope_id": e, "kind": "place", "key": k} for e, k in places.items()]
    return rings._name_edges(conn, keys, rows, [(s, s) for s in stored], config, counts, edges, village, at, missed)
