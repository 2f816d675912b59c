"""How strong a signal is, and the page's order: strength plus recency.

Strength says how much the reports behind a lead have in common and how far it reaches:
distinct identifiers matched (a phone number is strong, a name weak), reports, villages.
Recency is added as one point per week since the epoch, so the stored `score` orders the
page by "strong and recent" with one index, and an old strong lead sinks below a fresh one
only slowly. A planned departure with minors is urgent: it outranks nearly everything that
week.
"""
from __future__ import annotations

import math

from office import clock

WEEK_S = 7 * 86400.0
IDENTIFIER_WEIGHT = 3.0
NAME_WEIGHT = 1.5


def strength(rule: str, detail: dict) -> float:
    if rule == "same_identifier":
        kinds = detail.get("kinds") or {detail.get("kind", "phone"): 1}
        ids = sum(n for k, n in kinds.items() if k != "name")
        return (IDENTIFIER_WEIGHT * min(ids, 4) + NAME_WEIGHT * min(kinds.get("name", 0), 2)
                + 2.0 * math.log2(max(detail.get("reports", 2), 1)) + 2.0 * (max(detail.get("villages", 1), 1) - 1))
    if rule == "same_name":
        return NAME_WEIGHT + 2.0 * math.log2(max(detail.get("reports", 2), 1))
    if rule == "planned_minors":
        return 16.0 + min(detail.get("minors", 1), 5)
    if rule == "weekly_spike":
        return 4.0 + min(float(detail.get("c2", 0)), 10.0) / 2
    if rule == "same_place":
        return 1.0 + math.log2(max(detail.get("reports", 3), 1))
    return 1.0


def score(rule: str, detail: dict, at: str) -> float:
    """Strength plus recency (weeks since the epoch of the signal's newest report)."""
    return round(strength(rule, detail) + clock.parse(at).timestamp() / WEEK_S, 4)
