"""Which questions leave the office in which tier, and how each becomes a CSV column.

An allow-list by field type, so a question type added later (a v2 identifier, a repeat
group) stays home until someone decides here that it may travel:

    tier B  select_one, select_multiple, integer, decimal, date; datetime coarsened to
            its date. Never text, note, photo, geopoint (names, free text, exact GPS).
    tier C  every question: text as written, geopoint as lat/lon, datetime with the
            village's zone, photos only counted (attachments are not in the package).

A column is named `<form id>__<field>` so the two forms' questions never collide.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import forms
from forms import Field, Form

from . import countries

B_TYPES = ("select_one", "select_multiple", "integer", "decimal", "date", "datetime")
C_EXTRA = ("text", "geopoint", "photo")


@dataclass(frozen=True)
class Question:
    form_id: str
    field: Field
    column: str
    type: str                      # Table Schema type
    part: str = ""                 # "" | "lat" | "lon" | "iso3166" | "count"

    def schema(self) -> dict:
        f = self.field
        desc_id, desc_en = f.label("id"), f.label("en")
        out: dict[str, Any] = {"name": self.column, "type": self.type,
                               "title": desc_id, "description": desc_en}
        if self.part == "" and f.type == "select_one":
            out["constraints"] = {"enum": list(f.choice_values)}
        elif self.part == "" and f.type == "select_multiple":
            alt = "|".join(sorted(f.choice_values, key=len, reverse=True))
            out["constraints"] = {"pattern": f"(?:{alt})(?: (?:{alt}))*"}
            out["description"] += " (codes separated by spaces)"
        elif self.part == "iso3166":
            out["constraints"] = {"pattern": "[A-Z]{2}"}
            out["description"] += " (ISO 3166-1 alpha-2)"
        elif self.part in ("lat", "lon"):
            out["description"] += f" ({'latitude' if self.part == 'lat' else 'longitude'}, WGS84)"
        elif self.part == "count":
            out["description"] += " (number of photos; photos are not in the package)"
        elif f.type == "datetime" and self.type == "date":
            out["description"] += " (date only in this tier)"
        return out


def _latest_fields(form_id: str) -> list[Field]:
    """Every field of every shipped version of a form, in first-seen order."""
    seen: dict[str, Field] = {}
    for v in forms.versions(form_id):
        for f in forms.load(form_id, v).fields:
            seen.setdefault(f.name, f)
    return list(seen.values())


def for_tier(tier: str) -> list[Question]:
    out: list[Question] = []
    for form in forms.list_forms():
        for f in _latest_fields(form.id):
            if f.name == form.confidential_field:
                continue                     # carried as the `rahasia` column instead
            out.extend(_columns(form, f, tier))
    return out


def _columns(form: Form, f: Field, tier: str) -> list[Question]:
    col = f"{form.id}__{f.name}"
    allowed = B_TYPES if tier == "B" else B_TYPES + C_EXTRA
    if f.type not in allowed:
        return []
    if f.type == "select_one":
        qs = [Question(form.id, f, col, "string")]
        if countries.is_country_list(f):
            qs.append(Question(form.id, f, col + "__iso3166", "string", "iso3166"))
        return qs
    if f.type == "select_multiple":
        return [Question(form.id, f, col, "string")]
    if f.type == "integer":
        return [Question(form.id, f, col, "integer")]
    if f.type == "decimal":
        return [Question(form.id, f, col, "number")]
    if f.type == "date":
        return [Question(form.id, f, col, "date")]
    if f.type == "datetime":
        return [Question(form.id, f, col, "date" if tier == "B" else "datetime")]
    if f.type == "text":
        return [Question(form.id, f, col, "string")]
    if f.type == "geopoint":
        return [Question(form.id, f, col + "__lat", "number", "lat"),
                Question(form.id, f, col + "__lon", "number", "lon")]
    if f.type == "photo":
        return [Question(form.id, f, col + "__count", "integer", "count")]
    return []


def value(q: Question, answers: dict, tz) -> Any:
    """The CSV cell for one question of one report ('' when unanswered or not this form)."""
    v = answers.get(q.field.name)
    if v is None:
        return ""
    t = q.field.type
    if q.part == "iso3166":
        return countries.alpha2(q.field, v) or ""
    if q.part in ("lat", "lon"):
        return v.get(q.part, "") if isinstance(v, dict) else ""
    if q.part == "count":
        return len(v) if isinstance(v, list) else 0
    if t == "select_multiple":
        return " ".join(x for x in v if isinstance(x, str)) if isinstance(v, list) else ""
    if t == "datetime":
        from forms.validation import parse_datetime
        dt = parse_datetime(v)
        if dt is None:
            return ""
        if q.type == "date":
            return dt.date().isoformat()
        return (dt if dt.tzinfo else dt.replace(tzinfo=tz)).isoformat()
    if isinstance(v, bool):
        return ""
    if isinstance(v, (str, int, float)):
        return v
    return ""
