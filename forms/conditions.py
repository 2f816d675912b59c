"""Conditions: JSON data (never evaluated strings) that show/hide a field or derive a flag.

    {"field": f, "equals": v}          {"field": f, "in": [v, ...]}
    {"field": f, "contains": v}        (select_multiple)
    {"field": f, "answered": true}     (or false)
    {"field": f, "gt" | "gte" | "lt" | "lte": n}   (integer / decimal)
    {"all": [c, ...]}  {"any": [c, ...]}  {"not": c}

A field that is hidden counts as unanswered wherever a condition looks at it.
"""
from __future__ import annotations

import operator
from typing import Any, Callable, Iterator, Mapping

from .i18n import norm_lang

FIELD_OPS = ("equals", "in", "contains", "answered", "gt", "gte", "lt", "lte")
COMPARE = {"gt": operator.gt, "gte": operator.ge, "lt": operator.lt, "lte": operator.le}
NUMERIC_TYPES = ("integer", "decimal")


def is_number(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def is_answered(v: object) -> bool:
    if v is None:
        return False
    if isinstance(v, str):
        # v.strip() != "" without copying the text: strip() removes exactly what isspace() tests
        return v != "" and not v.isspace()
    if isinstance(v, (list, dict)):
        return len(v) > 0
    return True


def check(cond: Any, fields: Mapping[str, Any], owner: str | None, fail: Callable[[str], Exception]) -> None:
    """Raise fail(message) when `cond` is malformed or names a missing field / bad value.

    `fields` maps name -> Field (needs .type and .choice_values); `owner` is the field
    the condition belongs to (it may not refer to itself)."""
    if not isinstance(cond, dict) or not cond:
        raise fail(f"condition must be a JSON object, got {cond!r}")
    if "field" not in cond:
        if len(cond) != 1:
            raise fail(f"condition must have exactly one of all/any/not/field: {cond!r}")
        (key, val), = cond.items()
        if key in ("all", "any"):
            if not isinstance(val, list) or not val:
                raise fail(f"'{key}' needs a non-empty list of conditions")
            for c in val:
                check(c, fields, owner, fail)
        elif key == "not":
            check(val, fields, owner, fail)
        else:
            raise fail(f"unknown condition operator '{key}'")
        return
    ops = [k for k in cond if k != "field"]
    if len(ops) != 1 or ops[0] not in FIELD_OPS:
        raise fail(f"condition on a field needs exactly one of {', '.join(FIELD_OPS)}: {cond!r}")
    name, op = cond["field"], ops[0]
    val = cond[op]
    if not isinstance(name, str) or name not in fields:
        raise fail(f"condition refers to unknown field '{name}'")
    if name == owner:
        raise fail(f"condition refers to the field itself ('{name}')")
    target = fields[name]
    if target.type == "note":
        raise fail(f"condition refers to note '{name}', which never has an answer")
    if target.type == "repeat" and op != "answered":
        raise fail(f"a repeat group ('{name}') can only be tested with 'answered'")
    allowed = target.choice_values
    if op == "answered":
        if not isinstance(val, bool):
            raise fail(f"'answered' must be true or false, got {val!r}")
    elif op in COMPARE:
        if target.type not in NUMERIC_TYPES:
            raise fail(f"'{op}' needs a number field, '{name}' is {target.type}")
        if not is_number(val):
            raise fail(f"'{op}' needs a number, got {val!r}")
    elif op == "contains":
        if target.type != "select_multiple":
            raise fail(f"'contains' needs a select_multiple field, '{name}' is {target.type}")
        if val not in allowed:
            raise fail(f"'{val}' is not a choice of '{name}'")
    elif op == "in":
        if not isinstance(val, list) or not val:
            raise fail("'in' needs a non-empty list")
        if target.type in ("select_one", "select_multiple"):
            for v in val:
                if v not in allowed:
                    raise fail(f"'{v}' is not a choice of '{name}'")
    elif op == "equals":
        if target.type == "select_one" and val not in allowed:
            raise fail(f"'{val}' is not a choice of '{name}'")


def _same(a: object, b: object) -> bool:
    """Equality without surprises: 1 == 1.0, but True != 1 and "1" != 1."""
    if is_number(a) and is_number(b):
        return a == b
    return type(a) is type(b) and a == b


def refs(cond: Any) -> Iterator[str]:
    """Every field name a (well-formed) condition looks at."""
    if "field" in cond:
        yield cond["field"]
    elif "all" in cond or "any" in cond:
        for c in cond.get("all") or cond.get("any"):
            yield from refs(c)
    elif "not" in cond:
        yield from refs(cond["not"])


def evaluate(cond: Mapping[str, Any], get: Callable[[str], Any]) -> bool:
    """Evaluate a checked condition; get(name) returns the field's effective answer or None."""
    if "all" in cond:
        return all(evaluate(c, get) for c in cond["all"])
    if "any" in cond:
        return any(evaluate(c, get) for c in cond["any"])
    if "not" in cond:
        return not evaluate(cond["not"], get)
    v = get(cond["field"])
    if "answered" in cond:
        return is_answered(v) == cond["answered"]
    if not is_answered(v):
        return False
    if "equals" in cond:
        return _same(v, cond["equals"])
    if "in" in cond:
        return any(_same(v, x) for x in cond["in"])
    if "contains" in cond:
        return isinstance(v, list) and cond["contains"] in v
    for op, fn in COMPARE.items():
        if op in cond:
            return is_number(v) and fn(v, cond[op])
    return False  # pragma: no cover - check() rejects anything else


def compile_condition(cond: Mapping[str, Any]) -> Callable[[Callable[[str], Any]], bool]:
    """`evaluate` with the condition's shape worked out once: a function of `get` that answers
    exactly as evaluate(cond, get) does (the same keys tried in the same order). A form
    version compiles each field's condition when it is parsed, so checking a report's
    answers no longer re-reads every condition's dict for each report (office admission
    runs it for every report pushed)."""
    if "all" in cond:
        parts = tuple(compile_condition(c) for c in cond["all"])
        return lambda get: all(p(get) for p in parts)
    if "any" in cond:
        parts = tuple(compile_condition(c) for c in cond["any"])
        return lambda get: any(p(get) for p in parts)
    if "not" in cond:
        inner = compile_condition(cond["not"])
        return lambda get: not inner(get)
    name = cond["field"]
    if "answered" in cond:
        want = cond["answered"]
        return lambda get: is_answered(get(name)) == want
    if "equals" in cond:
        val = cond["equals"]
        if type(val) is str:    # _same on text is type-and-value equality
            return lambda get: type(v := get(name)) is str and v == val and is_answered(v)
        return lambda get: is_answered(v := get(name)) and _same(v, val)
    if "in" in cond:
        vals = tuple(cond["in"])
        return lambda get: is_answered(v := get(name)) and any(_same(v, x) for x in vals)
    if "contains" in cond:
        val = cond["contains"]
        return lambda get: is_answered(v := get(name)) and isinstance(v, list) and val in v
    for op, fn in COMPARE.items():
        if op in cond:
            bound = cond[op]
            return lambda get: is_answered(v := get(name)) and is_number(v) and fn(v, bound)
    return lambda get: False  # pragma: no cover - check() rejects anything else


_WORDS = {
    "id": {"equals": "=", "in": "salah satu dari", "contains": "berisi", "answered": "diisi",
           "not_answered": "kosong", "all": "semua", "any": "salah satu", "not": "bukan"},
    "en": {"equals": "=", "in": "is one of", "contains": "includes", "answered": "answered",
           "not_answered": "empty", "all": "all of", "any": "any of", "not": "not"},
}
_SYMBOL = {"gt": ">", "gte": "\u2265", "lt": "<", "lte": "\u2264"}


def describe(cond: Mapping[str, Any], lang: str = "id") -> str:
    """A short human-readable rendering, e.g. 'kategori = lainnya'."""
    w = _WORDS[norm_lang(lang)]
    if "all" in cond or "any" in cond:
        key = "all" if "all" in cond else "any"
        return f"{w[key]}(" + "; ".join(describe(c, lang) for c in cond[key]) + ")"
    if "not" in cond:
        return f"{w['not']}({describe(cond['not'], lang)})"
    f = cond["field"]
    if "answered" in cond:
        return f"{f} {w['answered'] if cond['answered'] else w['not_answered']}"
    if "in" in cond:
        return f"{f} {w['in']} {', '.join(map(str, cond['in']))}"
    if "contains" in cond:
        return f"{f} {w['contains']} {cond['contains']}"
    if "equals" in cond:
        return f"{f} = {cond['equals']}"
    op = next(o for o in _SYMBOL if o in cond)
    return f"{f} {_SYMBOL[op]} {cond[op]}"
