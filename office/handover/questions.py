"""Which questions leave the office in which tier, and how each becomes a CSV column.

An allow-list by field type, so a question type added later (a v2 identifier, a repeat
group) stays home until someone decides here that it may travel:

    tier B  select_one, select_multiple, integer, decimal; date and datetime coarsened to
            the ISO week. Never text, note, photo, geopoint (names, free text, exact GPS).
    tier C  every question: text as written, geopoint as lat/lon, datetime with the
            village's zone, photos only counted (attachments are not in the package).

A column is named `<form id>__<field>` so the two forms' questions never collide. Across
form versions a question keeps one column while its type stays the same (a choice list
that grew is merged: the column admits every version's codes); when the type changed
(v1 `negara_tujuan` one country, v2 several) each type gets its own column, suffixed
`__v<first version>`, so one version's values never land in a column typed for another.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import forms
from forms import Choice, Field, Form
from forms.validation import parse_datetime

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
    versions: frozenset = frozenset()    # the form versions whose answers fill this column
    choices: tuple = ()                  # every version's choices (latest labels first)

    def applies(self, form_id: str, version: int) -> bool:
        return form_id == self.form_id and version in self.versions

    def schema(self) -> dict:
        f = self.field
        desc_id, desc_en = f.label("id"), f.label("en")
        out: dict[str, Any] = {"name": self.column, "type": self.type,
                               "title": desc_id, "description": desc_en}
        if self.part == "" and f.type == "select_one":
            out["constraints"] = {"enum": [c.value for c in self.choices]}
        elif self.part == "" and f.type == "select_multiple":
            alt = "|".join(sorted((c.value for c in self.choices), key=len, reverse=True))
            out["constraints"] = {"pattern": f"(?:{alt})(?: (?:{alt}))*"}
            out["description"] += " (codes separated by spaces)"
        elif self.part == "iso3166":
            out["constraints"] = {"pattern": "[A-Z]{2}(?: [A-Z]{2})*"}
            out["description"] += " (ISO 3166-1 alpha-2)"
        elif self.part in ("lat", "lon"):
            out["description"] += f" ({'latitude' if self.part == 'lat' else 'longitude'}, WGS84)"
        elif self.part == "count":
            out["description"] += " (number of photos; photos are not in the package)"
        elif self.part == "week":
            out["constraints"] = {"pattern": r"\d{4}-W\d{2}"}
            out["description"] += " (ISO 8601 week only in this tier)"
        return out


def _definitions(form_id: str) -> list[tuple[Field, str, frozenset, tuple]]:
    """(latest field, column base, versions, merged choices) per question and type."""
    by_name: dict[str, dict[str, list[tuple[int, Field]]]] = {}
    for v in forms.versions(form_id):
        form = forms.load(form_id, v)
        for f in form.fields:
            if f.name == form.confidential_field:
                continue                     # carried as the `rahasia` column instead
            by_name.setdefault(f.name, {}).setdefault(f.type, []).append((v, f))
    out = []
    for name, by_type in by_name.items():
        for defs in by_type.values():
            latest = defs[-1][1]
            merged: dict[str, Choice] = {}
            for _, f in reversed(defs):                  # latest labels win
                for c in f.choices:
                    merged.setdefault(c.value, c)
            base = f"{form_id}__{name}" + (f"__v{defs[0][0]}" if len(by_type) > 1 else "")
            out.append((latest, base, frozenset(v for v, _ in defs), tuple(merged.values())))
    return out


def for_tier(tier: str) -> list[Question]:
    out: list[Question] = []
    for form in forms.list_forms():
        for f, base, versions, choices in _definitions(form.id):
            out.extend(_columns(form, f, base, versions, choices, tier))
    return out


def _columns(form: Form, f: Field, col: str, versions: frozenset, choices: tuple,
             tier: str) -> list[Question]:
    def Q(column: str, type_: str, part: str = "") -> Question:      # noqa: N802
        return Question(form.id, f, column, type_, part, versions, choices)

    allowed = B_TYPES if tier == "B" else B_TYPES + C_EXTRA
    if f.type not in allowed:
        return []
    if f.type in ("select_one", "select_multiple"):
        qs = [Q(col, "string")]
        if countries.is_country_list(choices):
            qs.append(Q(col + "__iso3166", "string", "iso3166"))
        return qs
    if f.type == "integer":
        return [Q(col, "integer")]
    if f.type == "decimal":
        return [Q(col, "number")]
    if f.type in ("date", "datetime") and tier == "B":
        return [Q(col, "string", "week")]        # generalised: a day is too fine to share widely
    if f.type == "date":
        return [Q(col, "date")]
    if f.type == "datetime":
        return [Q(col, "datetime")]
    if f.type == "text":
        return [Q(col, "string")]
    if f.type == "geopoint":
        return [Q(col + "__lat", "number", "lat"),
                Q(col + "__lon", "number", "lon")]
    if f.type == "photo":
        return [Q(col + "__count", "integer", "count")]
    return []


def value(q: Question, answers: dict, tz) -> Any:
    """The CSV cell for one question of one report ('' when unanswered or not this form)."""
    v = answers.get(q.field.name)
    if v is None:
        return ""
    t = q.field.type
    if q.part == "iso3166":
        codes = v if isinstance(v, list) else [v]
        return " ".join(a for a in (countries.alpha2(q.choices, c) for c in codes if isinstance(c, str)) if a)
    if q.part in ("lat", "lon"):
        return v.get(q.part, "") if isinstance(v, dict) else ""
    if q.part == "count":
        return len(v) if isinstance(v, list) else 0
    if t == "select_multiple":
        return " ".join(x for x in v if isinstance(x, str)) if isinstance(v, list) else ""
    if q.part == "week":
        dt = parse_datetime(v) if t == "datetime" else None
        try:
            d = dt.date() if dt is not None else date.fromisoformat(str(v)[:10])
        except ValueError:
            return ""
        y, w, _ = d.isocalendar()
        return f"{y}-W{w:02d}"
    if t == "datetime":
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
