"""parse(): a definition dict -> Form, or FormError naming the source file and the field
at fault. Every check a definition must pass lives here; the model trusts its input."""
from __future__ import annotations

import copy
import re
from typing import Any

from core.errors import FormError

from . import conditions
from .conditions import is_number
from .i18n import LANGS
from .model import CONFIDENTIAL_VALUE, Choice, Field, Form, Section, Text
from .validation import CONSTRAINT_KEYS, TYPES, parse_temporal

NAME_RE = re.compile(r"[a-z][a-z0-9_]*")
FORM_KEYS = {"id", "version", "title", "description", "confidential_field", "flags",
             "choice_lists", "sections"}
SECTION_KEYS = {"name", "title", "fields"}
FIELD_KEYS = {"name", "type", "label", "hint", "required", "choices", "constraint",
              "relevant", "example", "fields"}
NOT_IN_REPEAT = ("repeat", "photo", "audio")  # no nesting; photos and voice notes are attachments of the report itself

def parse(data: Any, source: str = "<dict>") -> Form:
    """Build a Form from a definition dict; FormError naming `source` and field if broken."""

    def fail(message: str, field: str | None = None) -> FormError:
        where = f"{source}: field '{field}': " if field else f"{source}: "
        return FormError(where + message, source=source, field=field)

    if not isinstance(data, dict):
        raise fail("a form definition must be a JSON object")
    data = copy.deepcopy(data)
    _unknown_keys(data, FORM_KEYS, fail, None, "form")
    fid = data.get("id")
    if not isinstance(fid, str) or not NAME_RE.fullmatch(fid):
        raise fail(f"'id' must be a lower-case name like 'laporan_kecurigaan', got {fid!r}")
    ver = data.get("version")
    if not isinstance(ver, int) or isinstance(ver, bool) or ver < 1:
        raise fail(f"'version' must be a positive integer, got {ver!r}")
    title = _text(data.get("title"), "title", fail, None)
    if "description" in data:
        _text(data["description"], "description", fail, None)

    lists_raw = data.get("choice_lists", {})
    if not isinstance(lists_raw, dict):
        raise fail("'choice_lists' must be an object of name -> list of choices")
    choice_lists: dict[str, list[Choice]] = {}
    for lname, items in lists_raw.items():
        if not isinstance(items, list) or not items:
            raise fail(f"choice list '{lname}' must be a non-empty list")
        seen: set[str] = set()
        out = []
        for it in items:
            if not isinstance(it, dict) or set(it) != {"value", "label"}:
                raise fail(f"choice list '{lname}': each choice needs exactly 'value' and 'label', got {it!r}")
            val = it["value"]
            if not isinstance(val, str) or not NAME_RE.fullmatch(val):
                raise fail(f"choice list '{lname}': value must be a lower-case name, got {val!r}")
            if val in seen:
                raise fail(f"choice list '{lname}': duplicate value '{val}'")
            seen.add(val)
            out.append(Choice(val, _text(it["label"], f"label of choice '{val}' in '{lname}'", fail, None)))
        choice_lists[lname] = out

    secs_raw = data.get("sections")
    if not isinstance(secs_raw, list) or not secs_raw:
        raise fail("'sections' must be a non-empty list")
    sections: list[Section] = []
    fields: dict[str, Field] = {}
    inner: dict[str, Field] = {}  # fields inside repeat groups (names are unique form-wide)
    for s in secs_raw:
        if not isinstance(s, dict):
            raise fail(f"each section must be an object, got {s!r}")
        sname = s.get("name")
        if not isinstance(sname, str) or not NAME_RE.fullmatch(sname):
            raise fail(f"section name must be a lower-case name, got {sname!r}")
        if any(x.name == sname for x in sections):
            raise fail(f"duplicate section name '{sname}'")
        _unknown_keys(s, SECTION_KEYS, fail, None, f"section '{sname}'")
        stitle = _text(s.get("title"), f"title of section '{sname}'", fail, None)
        fl = s.get("fields")
        if not isinstance(fl, list) or not fl:
            raise fail(f"section '{sname}' must have a non-empty 'fields' list")
        sfields = []
        for raw in fl:
            f = _parse_field(raw, sname, choice_lists, fail)
            for n in [f.name] + [s.name for s in f.fields]:
                if n in fields or n in inner:
                    raise fail("duplicate field name", n)
            fields[f.name] = f
            inner.update({s.name: s for s in f.fields})
            sfields.append(f)
        sections.append(Section(sname, stitle, sfields))

    # cross-field checks, now that every field is known. Inside a repeat entry a condition
    # sees the entry's own fields and the form's; the form never sees inside an entry.
    _check_scope(fields, fields, fail)
    for g in fields.values():
        if g.type == "repeat":
            _check_scope({s.name: s for s in g.fields}, {**fields, **{s.name: s for s in g.fields}}, fail)

    flags_raw = data.get("flags", {})
    if not isinstance(flags_raw, dict):
        raise fail("'flags' must be an object of flag name -> condition")
    for k, cond in flags_raw.items():
        if not NAME_RE.fullmatch(k):
            raise fail(f"flag name must be a lower-case name, got {k!r}")
        conditions.check(cond, fields, None, lambda m, k=k: fail(f"flag '{k}': {m}"))

    conf = data.get("confidential_field")
    if conf is not None:
        if not isinstance(conf, str) or conf not in fields:
            raise fail(f"confidential_field names no field of this form: {conf!r}")
        cf = fields[conf]
        if cf.type != "select_one" or CONFIDENTIAL_VALUE not in cf.choice_values:
            raise fail(f"the confidential field must be a select_one with a '{CONFIDENTIAL_VALUE}' choice", conf)

    form = Form(data, source, title, sections, dict(flags_raw))
    form.example()  # a form whose example is invalid is a broken form
    return form


def _check_scope(own: dict[str, Field], visible: dict[str, Field], fail) -> None:
    """Conditions, max_field and cycles of the fields in `own`, which can see `visible`."""
    for f in own.values():
        if f.relevant is not None:
            conditions.check(f.relevant, visible, f.name, lambda m, n=f.name: fail(f"relevant: {m}", n))
        other = f.constraint.get("max_field")
        if other is not None:
            if other == f.name or other not in own or own[other].type not in ("integer", "decimal"):
                raise fail(f"constraint max_field must name another number field, got {other!r}", f.name)
    _check_cycles(visible, fail)


def _unknown_keys(d: dict, allowed: set[str], fail, field: str | None, what: str) -> None:
    for k in d:
        if not (isinstance(k, str) and (k in allowed or k.startswith("_"))):
            raise fail(f"unknown key '{k}' in {what}", field)


def _text(v: Any, what: str, fail, field: str | None) -> Text:
    if not isinstance(v, dict):
        raise fail(f"{what} must be an object with 'id' and 'en' texts, got {v!r}", field)
    for lang in LANGS:
        if not isinstance(v.get(lang), str) or not v[lang].strip():
            raise fail(f"{what} is missing its '{lang}' text", field)
    extra = set(v) - set(LANGS)
    if extra:
        raise fail(f"{what} has unsupported language(s) {sorted(extra)}", field)
    return Text(v)


def _parse_field(raw: Any, section: str, choice_lists: dict[str, list[Choice]], fail,
                 parent: str | None = None) -> Field:
    if not isinstance(raw, dict):
        raise fail(f"each field in section '{section}' must be an object, got {raw!r}")
    name = raw.get("name")
    if not isinstance(name, str) or not NAME_RE.fullmatch(name):
        raise fail(f"field name must be a lower-case name (a-z, 0-9, _), got {name!r}")
    _unknown_keys(raw, FIELD_KEYS, fail, name, "field")
    ftype = raw.get("type")
    if ftype not in TYPES:
        raise fail(f"unknown type {ftype!r} (one of: {', '.join(TYPES)})", name)
    label = _text(raw.get("label"), "label", fail, name)
    hint = _text(raw["hint"], "hint", fail, name) if "hint" in raw else None
    required = raw.get("required", False)
    if not isinstance(required, bool):
        raise fail(f"'required' must be true or false, got {required!r}", name)
    if ftype == "note" and required:
        raise fail("a note cannot be required", name)

    choices: list[Choice] = []
    if ftype in ("select_one", "select_multiple"):
        cname = raw.get("choices")
        if cname is None:
            raise fail(f"a {ftype} needs 'choices' naming a choice list", name)
        if not isinstance(cname, str) or cname not in choice_lists:
            raise fail(f"choices list {cname!r} is not in choice_lists", name)
        choices = choice_lists[cname]
    elif "choices" in raw:
        raise fail(f"a {ftype} field takes no 'choices'", name)

    constraint = raw.get("constraint", {})
    if not isinstance(constraint, dict):
        raise fail("'constraint' must be an object", name)
    _check_constraint(constraint, ftype, choices, fail, name)

    subfields: list[Field] = []
    if ftype == "repeat":
        fl = raw.get("fields")
        if not isinstance(fl, list) or not fl:
            raise fail("a repeat group needs a non-empty 'fields' list", name)
        for sub in fl:
            s = _parse_field(sub, section, choice_lists, fail, parent=name)
            if s.type in NOT_IN_REPEAT:
                raise fail(f"a {s.type} field cannot be inside a repeat group", s.name)
            if any(x.name == s.name for x in subfields):
                raise fail("duplicate field name", s.name)
            subfields.append(s)
        if all(s.type == "note" for s in subfields):
            raise fail("a repeat group needs at least one field that takes an answer", name)
    elif "fields" in raw:
        raise fail(f"a {ftype} field takes no 'fields' (only a repeat group does)", name)

    relevant = raw.get("relevant")
    if "relevant" in raw and not isinstance(relevant, dict):
        raise fail("'relevant' must be a condition object", name)
    if ftype == "note" and "example" in raw:
        raise fail("a note takes no example", name)
    return Field(name=name, type=ftype, label=label, hint=hint, required=required, choices=choices,
                 constraint=constraint, relevant=relevant, section=section, example=raw.get("example"),
                 fields=subfields, parent=parent)


def _nonneg_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


def _check_constraint(c: dict, ftype: str, choices: list[Choice], fail, name: str) -> None:
    allowed = CONSTRAINT_KEYS[ftype]
    for k in c:
        if k != "message" and k not in allowed:
            raise fail(f"constraint '{k}' does not apply to a {ftype} field", name)
    if c and set(c) == {"message"}:
        raise fail("constraint has a message but no rule", name)
    if "message" in c:
        _text(c["message"], "constraint message", fail, name)
    if ftype in ("integer", "decimal"):
        for k in ("min", "max"):
            if k in c:
                ok = is_number(c[k]) and (ftype == "decimal" or isinstance(c[k], int))
                if not ok:
                    raise fail(f"constraint {k} must be {'an integer' if ftype == 'integer' else 'a number'}, got {c[k]!r}", name)
        if "min" in c and "max" in c and c["min"] > c["max"]:
            raise fail(f"constraint min {c['min']} is greater than max {c['max']}", name)
    if ftype in ("date", "datetime"):
        parsed = {}
        for k in ("min", "max"):
            if k in c:
                parsed[k] = parse_temporal(ftype, c[k])
                if parsed[k] is None:
                    raise fail(f"constraint {k} must be a {ftype} like {'2024-01-31' if ftype == 'date' else '2024-01-31T08:00'}, got {c[k]!r}", name)
        if len(parsed) == 2 and parsed["min"] > parsed["max"]:
            raise fail("constraint min is after max", name)
    for lo, hi in (("min_length", "max_length"), ("min_choices", "max_choices"), ("min_count", "max_count")):
        for k in (lo, hi):
            if k in c and not _nonneg_int(c[k]):
                raise fail(f"constraint {k} must be a whole number >= 0, got {c[k]!r}", name)
        if lo in c and hi in c and c[lo] > c[hi]:
            raise fail(f"constraint {lo} is greater than {hi}", name)
    if ftype == "select_multiple" and c.get("min_choices", 0) > len(choices):
        raise fail("constraint min_choices is more than the number of choices", name)
    if "regex" in c:
        if not isinstance(c["regex"], str):
            raise fail("constraint regex must be a string", name)
        try:
            re.compile(c["regex"])
        except re.error as e:
            raise fail(f"bad regex {c['regex']!r}: {e}", name) from None


def _check_cycles(fields: dict[str, Field], fail) -> None:
    """Field A shown when B, B shown when A: neither could ever be decided."""
    state: dict[str, int] = {}

    def visit(n: str, path: list[str]) -> None:
        if state.get(n) == 2:
            return
        if state.get(n) == 1:
            cyc = path[path.index(n):] + [n]
            raise fail(f"relevant conditions form a cycle: {' -> '.join(cyc)}", n)
        state[n] = 1
        rel = fields[n].relevant
        for dep in (conditions.refs(rel) if rel else ()):
            visit(dep, path + [n])
        state[n] = 2

    for n in fields:
        visit(n, [])
