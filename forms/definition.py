"""Form, Section, Field, Choice — and parse(), which turns a definition dict into a Form
or raises FormError naming the source file and the field at fault."""
from __future__ import annotations

import copy
import re
from typing import Any, Callable, Mapping

from core.errors import FormError, ValidationFailed

from . import conditions
from .conditions import is_answered, is_number
from .i18n import LANGS, fmt_date, fmt_datetime, fmt_value, msg, norm_lang
from .validation import CONSTRAINT_KEYS, TYPES, check_value, parse_date, parse_datetime, parse_temporal

NAME_RE = re.compile(r"[a-z][a-z0-9_]*")
FORM_KEYS = {"id", "version", "title", "description", "confidential_field", "flags",
             "choice_lists", "sections"}
SECTION_KEYS = {"name", "title", "fields"}
FIELD_KEYS = {"name", "type", "label", "hint", "required", "choices", "constraint",
              "relevant", "example"}
CONFIDENTIAL_VALUE = "ya"


class Text:
    """A text in every supported language."""

    __slots__ = ("_by_lang",)

    def __init__(self, by_lang: Mapping[str, str]) -> None:
        self._by_lang = dict(by_lang)

    def __call__(self, lang: str = "id") -> str:
        return self._by_lang[norm_lang(lang)]

    def __repr__(self) -> str:
        return f"Text({self._by_lang!r})"


class Choice:
    __slots__ = ("value", "_label")

    def __init__(self, value: str, label: Text) -> None:
        self.value = value
        self._label = label

    def label(self, lang: str = "id") -> str:
        return self._label(lang)

    def __repr__(self) -> str:
        return f"Choice({self.value!r})"


class Field:
    def __init__(self, *, name: str, type: str, label: Text, hint: Text | None, required: bool,
                 choices: list[Choice], constraint: dict, relevant: dict | None, section: str,
                 example: Any = None) -> None:
        self.name = name
        self.type = type
        self._label = label
        self._hint = hint
        self.required = required
        self.choices = choices
        self.choice_values = tuple(c.value for c in choices)
        self.constraint = constraint
        self.relevant = relevant
        self.section = section  # the section's name
        self.example = example

    def label(self, lang: str = "id") -> str:
        return self._label(lang)

    def hint(self, lang: str = "id") -> str:
        """The hint, or '' when the field has none."""
        return self._hint(lang) if self._hint else ""

    def choice_label(self, value: Any, lang: str = "id") -> str:
        for c in self.choices:
            if c.value == value:
                return c.label(lang)
        return str(value)

    def __repr__(self) -> str:
        return f"Field({self.name!r}, {self.type!r})"


class Section:
    def __init__(self, name: str, title: Text, fields: list[Field]) -> None:
        self.name = name
        self._title = title
        self.fields = fields

    def title(self, lang: str = "id") -> str:
        return self._title(lang)

    def __repr__(self) -> str:
        return f"Section({self.name!r}, {len(self.fields)} fields)"


class Form:
    """One version of one form. Build with parse(); never mutated afterwards."""

    def __init__(self, data: dict, source: str, title: Text, sections: list[Section],
                 flags: dict[str, dict]) -> None:
        self._data = data
        self.source = source
        self.id: str = data["id"]
        self.version: int = data["version"]
        self._title = title
        self.sections = sections
        self.fields = [f for s in sections for f in s.fields]
        self._by_name = {f.name: f for f in self.fields}
        self._flags = flags
        self.confidential_field: str | None = data.get("confidential_field")
        self._example: dict | None = None

    def __repr__(self) -> str:
        return f"Form({self.id!r}, v{self.version})"

    def title(self, lang: str = "id") -> str:
        return self._title(lang)

    def field(self, name: str) -> Field:
        """The field called `name`; KeyError if the form has none."""
        try:
            return self._by_name[name]
        except KeyError:
            raise KeyError(f"{self.id} v{self.version} has no field '{name}'") from None

    @property
    def flag_names(self) -> list[str]:
        return list(self._flags)

    # --- skip logic -----------------------------------------------------------------
    def _visibility(self, answers: Mapping[str, Any]) -> Callable[[str], bool]:
        if not isinstance(answers, Mapping):
            raise TypeError("answers must be a dict")
        memo: dict[str, bool] = {}

        def visible(name: str) -> bool:
            if name not in memo:
                rel = self._by_name[name].relevant
                memo[name] = True if rel is None else conditions.evaluate(rel, effective)
            return memo[name]

        def effective(name: str) -> Any:
            return answers.get(name) if visible(name) else None

        visible.effective = effective  # type: ignore[attr-defined]
        return visible

    def is_visible(self, name: str, answers: Mapping[str, Any]) -> bool:
        self.field(name)
        return self._visibility(answers)(name)

    def visible_fields(self, answers: Mapping[str, Any]) -> list[Field]:
        vis = self._visibility(answers)
        return [f for f in self.fields if vis(f.name)]

    # --- answers --------------------------------------------------------------------
    def validate(self, answers: Mapping[str, Any], lang: str = "id") -> dict[str, str]:
        """Field name -> message for every failing field; {} when the answers are valid.
        Hidden fields are skipped (never required, their answers ignored)."""
        if not isinstance(answers, Mapping):
            return {"_answers": msg("not_object", lang)}
        vis = self._visibility(answers)
        get = vis.effective  # type: ignore[attr-defined]
        errors: dict[str, str] = {}
        for f in self.fields:
            if not vis(f.name):
                continue
            v = answers.get(f.name)
            if f.type == "note":
                if is_answered(v):
                    errors[f.name] = msg("note_answer", lang)
                continue
            if not is_answered(v):
                if f.required:
                    errors[f.name] = msg("required", lang)
                continue
            res = check_value(f, v, lang, get, lambda n, lg: self.field(n).label(lg))
            if res:
                kind, text = res
                own = f.constraint.get("message")
                errors[f.name] = own[norm_lang(lang)] if kind == "constraint" and own else text
        for key in answers:
            if key not in self._by_name:
                errors[str(key)] = msg("unknown_field", lang)
        return errors

    def clean(self, answers: Mapping[str, Any]) -> dict:
        """Only answers that count: visible, known, not notes, not empty; text stripped."""
        vis = self._visibility(answers)
        out = {}
        for f in self.fields:
            v = answers.get(f.name)
            if f.type == "note" or not is_answered(v) or not vis(f.name):
                continue
            out[f.name] = v.strip() if isinstance(v, str) else copy.deepcopy(v)
        return out

    def check(self, answers: Mapping[str, Any], lang: str = "id") -> dict:
        """The clean answers, or ValidationFailed(errors)."""
        errors = self.validate(answers, lang)
        if errors:
            raise ValidationFailed(errors)
        return self.clean(answers)

    def flags(self, answers: Mapping[str, Any]) -> dict[str, bool]:
        vis = self._visibility(answers)
        return {k: conditions.evaluate(c, vis.effective) for k, c in self._flags.items()}  # type: ignore[attr-defined]

    def is_confidential(self, answers: Mapping[str, Any]) -> bool:
        """True when the confidential field is visible and answered 'ya'."""
        if not self.confidential_field:
            return False
        vis = self._visibility(answers)
        return vis.effective(self.confidential_field) == CONFIDENTIAL_VALUE  # type: ignore[attr-defined]

    def example(self) -> dict:
        """A valid, deterministic set of answers (no photos unless a photo is required)."""
        if self._example is None:
            self._example = _build_example(self)
        return copy.deepcopy(self._example)

    def summary(self, answers: Mapping[str, Any], lang: str = "id") -> list[tuple[str, str]]:
        """(label, readable value) for every visible answered field, in form order."""
        cleaned = self.clean(answers)
        return [(f.label(lang), format_answer(f, cleaned[f.name], lang))
                for f in self.fields if f.name in cleaned]

    def to_dict(self) -> dict:
        """The definition as JSON-ready data; parse(form.to_dict()) gives an equal form."""
        return copy.deepcopy(self._data)


def format_answer(f: Field, v: Any, lang: str = "id") -> str:
    """A human-readable rendering of one answer (choice labels, local dates, ...)."""
    lang = norm_lang(lang)
    if f.type == "select_one":
        return f.choice_label(v, lang)
    if f.type == "select_multiple" and isinstance(v, list):
        return ", ".join(f.choice_label(x, lang) for x in v)
    if f.type == "photo" and isinstance(v, list):
        return msg("photos", lang, n=len(v))
    if f.type == "geopoint" and isinstance(v, dict) and is_number(v.get("lat")) and is_number(v.get("lon")):
        s = f"{v['lat']:.5f}, {v['lon']:.5f}"
        if is_number(v.get("accuracy")):
            s += f" (\u00b1{v['accuracy']:.0f} m)"
        return s
    if f.type == "date" and (d := parse_date(v)):
        return fmt_date(d, lang)
    if f.type == "datetime" and (dt := parse_datetime(v)):
        return fmt_datetime(dt, lang)
    return fmt_value(v, lang)


# ------------------------------------------------------------------------------------
# parsing


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
            if f.name in fields:
                raise fail("duplicate field name", f.name)
            fields[f.name] = f
            sfields.append(f)
        sections.append(Section(sname, stitle, sfields))

    # cross-field checks, now that every field is known
    for f in fields.values():
        if f.relevant is not None:
            conditions.check(f.relevant, fields, f.name, lambda m, n=f.name: fail(f"relevant: {m}", n))
        other = f.constraint.get("max_field")
        if other is not None:
            if other == f.name or other not in fields or fields[other].type not in ("integer", "decimal"):
                raise fail(f"constraint max_field must name another number field, got {other!r}", f.name)
    _check_cycles(fields, fail)

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


def _parse_field(raw: Any, section: str, choice_lists: dict[str, list[Choice]], fail) -> Field:
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

    relevant = raw.get("relevant")
    if "relevant" in raw and not isinstance(relevant, dict):
        raise fail("'relevant' must be a condition object", name)
    if ftype == "note" and "example" in raw:
        raise fail("a note takes no example", name)
    return Field(name=name, type=ftype, label=label, hint=hint, required=required, choices=choices,
                 constraint=constraint, relevant=relevant, section=section, example=raw.get("example"))


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
    for lo, hi in (("min_length", "max_length"), ("min_choices", "max_choices")):
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


# ------------------------------------------------------------------------------------
# examples

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
    if f.type == "photo" and f.required:
        return [f"contoh-foto-{i + 1}" for i in range(max(c.get("min_choices", 0), 1))]
    return None


def _build_example(form: Form) -> dict:
    raw = {}
    for f in form.fields:
        v = f.example if f.example is not None else _default_example(f)
        if v is not None:
            raw[f.name] = v
    answers = form.clean(raw)
    errors = form.validate(answers, "en")
    if errors:
        name, text = next(iter(errors.items()))
        where = f"field '{name}': " if name in form._by_name else ""
        raise FormError(f"{form.source}: {where}the example answer is not valid ({text}); "
                        f"set a valid \"example\" on the field", source=form.source, field=name)
    return answers
