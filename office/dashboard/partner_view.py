"""What a partner token without the free-text grant may read of a report's answers.

An allow-list by the form's own types, at every depth: a repeat group (`terlibat`: names,
phone numbers, handles, plates, boats) is walked entry by entry under the same rule as the
top level, so a field inside a group is never more visible than one outside it. Only values
the form could have produced as codes pass: a choice among its choices, a number, a date, a
point's three numbers, photo ids. Free text, a value that is not what its type says (a hostile
phone's text in a choice or a number), keys the form does not know, notes: all dropped. The
summary is recomputed from what is left, so it can say nothing the answers do not.
"""
from __future__ import annotations

import re
from typing import Any

from forms.validation import parse_date, parse_datetime

_PHOTO_ID = re.compile(r"[0-9a-f]{32}")
_POINT_KEYS = ("lat", "lon", "accuracy")


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and v == v


def _choice(field, v: Any) -> bool:
    return isinstance(v, str) and v in field.choice_values


def _value(field, v: Any) -> tuple[bool, Any]:
    """(keep?, the value kept) for one answer of a field that is not free text."""
    kind = field.type
    if kind == "select_one":
        return _choice(field, v), v
    if kind == "select_multiple":
        if isinstance(v, str):                      # a v1 single choice
            return _choice(field, v), v
        kept = [x for x in v if _choice(field, x)] if isinstance(v, list) else []
        return bool(kept), kept
    if kind == "integer" or kind == "decimal":
        return _number(v), v
    if kind == "date":
        return parse_date(v) is not None, v
    if kind == "datetime":
        return parse_datetime(v) is not None, v
    if kind == "geopoint" and isinstance(v, dict):
        point = {k: v[k] for k in _POINT_KEYS if k in v and _number(v[k])}
        return "lat" in point and "lon" in point, point
    if kind == "photo" and isinstance(v, list):
        kept = [x for x in v if isinstance(x, str) and _PHOTO_ID.fullmatch(x)]
        return bool(kept), kept
    if kind == "repeat" and isinstance(v, list):
        entries = [codes_only(field.fields, e) for e in v if isinstance(e, dict)]
        entries = [e for e in entries if e]
        return bool(entries), entries
    return False, None                               # text, note, anything unforeseen


def codes_only(fields: list, answers: Any) -> dict:
    """The answers to `fields` (a form's, or a repeat group's) without any free text."""
    if not isinstance(answers, dict):
        return {}
    out = {}
    for field in fields:
        if field.name in answers:
            keep, value = _value(field, answers[field.name])
            if keep:
                out[field.name] = value
    return out
