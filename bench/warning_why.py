"""Why a bench ring report was missed (`python bench/warning_bench.py --why`): for every
report of a planted ring that is not in the signal holding most of its ring, its best
relation to the ring's other reports, as one cause, so misses can be grouped and a rule
changed for a cause rather than for one set.

Causes, checked in this order:
    no name, no identifier       the report gives neither (only a role): nothing to link
    shares an identifier         with another ring report (with the days between and
                                 whether the two are in one village: a one-village pair
                                 is no signal until the ring crosses a village)
    identifiers no other ...     its identifiers are its own in the ring, and it names no one
    name does not match          no ring report's name matches (names.match)
    full name + same role        a name of two or more words and the same role in another
                                 village: left to the chance test (rings._significant)
    one-word name + same role    the same, on one word ("Junaidi", "Maria")
    name matches, role differs   in another village, said with another role
    name matches in own village  only the report's own village names it
"""
from __future__ import annotations

from collections import Counter

from office.warning import extract, names
from office.warning.config import current


def causes(data: list[dict], rings: list[list[str]], signal_of: dict[str, int]) -> Counter:
    """Cause -> missed ring reports. `signal_of`: envelope id -> the link signal holding it."""
    by_id = {r["id"]: r for r in data}
    facts = {e: extract.facts(by_id[e]["form"], by_id[e]["answers"], current().places) for ring in rings for e in ring}
    out: Counter = Counter()
    for ring in rings:
        held = Counter(signal_of[e] for e in ring if e in signal_of).most_common(1)
        main = held[0][0] if held else None
        for e in ring:
            if main is None or signal_of.get(e) != main:
                out[_cause(e, [o for o in ring if o != e], by_id, facts)] += 1
    return out


def _ids(f: extract.Facts) -> set[tuple[str, str]]:
    return {x for x in f.identifiers if x[0] != "name"}


def _cause(e: str, others: list[str], by_id: dict, facts: dict) -> str:
    f, mine = facts[e], by_id[e]
    ids = _ids(f)
    if not ids and not f.people:
        return "no name, no identifier"
    shared = next((o for o in others if ids & _ids(facts[o])), None)
    if shared is not None:
        other = by_id[shared]
        where = "one village" if other["village"] == mine["village"] else "another village"
        return f"shares an identifier with a ring report ({where}, {abs((other['at'] - mine['at']).days) // 7} weeks apart)"
    if not f.people:
        return "identifiers no other ring report gives, no name"
    seen = set()
    for o in others:
        for p in f.people:
            for q in facts[o].people:
                if names.match(p.name, q.name):
                    full = min(len(names.split(p.name)[0]), len(names.split(q.name)[0])) >= 2
                    seen.add((full, p.role == q.role, by_id[o]["village"] == mine["village"]))
    if not seen:
        return "name does not match the ring's names"
    for label, test in (("full name + same role, another village (left to the chance test)",
                         lambda full, role, own: full and role and not own),
                        ("one-word name + same role, another village", lambda full, role, own: role and not own),
                        ("name matches, role differs", lambda full, role, own: not own)):
        if any(test(*s) for s in seen):
            return label
    return "name matches only in its own village"
