"""Example answers: a valid, deterministic set for any form (documentation, fixtures, and
a self-test of the definition: parse() rejects a form whose example is invalid)."""
from __future__ import annotations

from typing import Any, Protocol, Sequence

from core.errors import FormError

from .validation import parse_temporal


class Field(Protocol):
    """What an example needs of a field (forms.model.Field has it). A protocol, not an
    import: the model builds its example here, so this module must not import the model."""
    name: str
    type: str
    required: bool
    constraint: dict
    example: Any
    fields: Sequence["Field"]
    choice_values: Sequence[str]


class Form(Protocol):
    source: str
    fields: Sequence[Field]

    def clean(self, answers: dict) -> dict: ...

    def validate(self, answers: dict, lang: str = "id") -> dict: ...

_EXAMPLE_GEO = {"lat": 4.13681, "lon": 117.66642, "accuracy": 15.0}  # Nunukan harbour


def _default_example(f: Field) -> Any:
    c = f.constraint
    if f.type == "text":
        n = max(c.get("min_length", 0), 1)
        s = ("contoh " * n)[: max(n, 6)].strip()
        while len(s) < n:
            s += "x"
        return s[: c["max_length"]] if "max_length" in c else s
    if f.type in ("integer", "decimal"):
        v = 0 if f.type == "integer" else 0.0
        if "min" in c and v < c["min"]:
            v = c["min"]
        if "max" in c and v > c["max"]:
            v = c["max"]
        return v
    if f.type in ("date", "datetime"):
        v = "2025-01-15" if f.type == "date" else "2025-01-15T08:30"
        lo = parse_temporal(f.type, c["min"]) if "min" in c else None
        hi = parse_temporal(f.type, c["max"]) if "max" in c else None
        if lo is not None and parse_temporal(f.type, v) < lo:
            v = c["min"]
        if hi is not None and parse_temporal(f.type, v) > hi:
            v = c["max"]
        return v
    if f.type == "select_one":
        return f.choice_values[0]
    if f.type == "select_multiple":
        return list(f.choice_values[: max(c.get("min_choices", 0), 1)])
    if f.type == "geopoint":
        return dict(_EXAMPLE_GEO)
    if f.type == "repeat":
        n = max(c.get("min_count", 0), 1 if f.required else 0)
        return [_example_entry(f) for _ in range(n)] or None
    if f.type == "photo" and f.required:
        return [f"contoh-foto-{i + 1}" for i in range(max(c.get("min_choices", 0), 1))]
    if f.type == "audio" and f.required:
        return [f"contoh-suara-{i + 1}" for i in range(max(c.get("min_choices", 0), 1))]
    return None


def _example_entry(group: Field) -> dict:
    entry = {}
    for s in group.fields:
        v = s.example if s.example is not None else _default_example(s)
        if v is not None:
            entry[s.name] = v
    return entry


def build_example(form: Form) -> dict:
    raw = {}
    for f in form.fields:
        v = f.example if f.example is not None else _default_example(f)
        if v is not None:
            raw[f.name] = v
    answers = form.clean(raw)
    errors = form.validate(answers, "en")
    if errors:
        name, text = next(iter(errors.items()))
        where = f"field '{name}': " if name.split("[")[0] in {f.name for f in form.fields} else ""
        raise FormError(f"{form.source}: {where}the example answer is not valid ({text}); "
                        f"set a valid \"example\" on the field", source=form.source, field=name)
    return answers
