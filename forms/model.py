"""The form model: Form, Section, Field, Choice, Text — what a parsed definition is.

Built only by forms.parser.parse(); never mutated afterwards. Pure: answers in,
messages / clean answers / flags out."""
from __future__ import annotations

import copy
import datetime
from typing import Any, Callable, Mapping

from core.errors import ValidationFailed

from . import conditions
from .conditions import is_answered, is_number
from .example import build_example
from .i18n import fmt_date, fmt_datetime, fmt_value, msg, norm_lang
from .validation import check_count, check_value, checker, parse_date, parse_datetime

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
                 example: Any = None, fields: list["Field"] | None = None,
                 parent: str | None = None) -> None:
        self.name = name
        self.type = type
        self._label = label
        self._hint = hint
        self.required = required
        self.choices = choices
        self.choice_values = tuple(c.value for c in choices)
        self.constraint = constraint
        self.relevant = relevant
        self.check = checker(type)     # check_value's dispatch, once per field (None: ask check_value)
        self._shown: Callable[[Callable[[str], Any]], bool] | None = None
        self.section = section  # the section's name
        self.example = example
        self.fields = fields or []  # a repeat group's fields, asked once per entry
        self.parent = parent        # the repeat group a field belongs to, or None
        # an entry's scope, built once per form version rather than once per entry checked
        self.by_name = {s.name: s for s in self.fields}

    def shown(self, get: Callable[[str], Any]) -> bool:
        """Is this field shown, `get(name)` giving the other fields' effective answers: its
        condition compiled on first use, once per form version (the parser checks it first),
        rather than re-read as a dict for every report checked."""
        if self.relevant is None:
            return True
        if self._shown is None:
            self._shown = conditions.compile_condition(self.relevant)
        return self._shown(get)

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
        self._all = {**self._by_name, **{s.name: s for f in self.fields for s in f.fields}}
        self._flags = flags
        self.confidential_field: str | None = data.get("confidential_field")
        self._example: dict | None = None

    def __repr__(self) -> str:
        return f"Form({self.id!r}, v{self.version})"

    def title(self, lang: str = "id") -> str:
        return self._title(lang)

    def field(self, name: str) -> Field:
        """The field called `name` (also a field inside a repeat group); KeyError if none."""
        try:
            return self._all[name]
        except KeyError:
            raise KeyError(f"{self.id} v{self.version} has no field '{name}'") from None

    @property
    def flag_names(self) -> list[str]:
        return list(self._flags)

    # --- skip logic -----------------------------------------------------------------
    def _visibility(self, answers: Mapping[str, Any]) -> "_Visibility":
        if not _is_mapping(answers):
            raise TypeError("answers must be a dict")
        return _Visibility(self._by_name, answers)

    def is_visible(self, name: str, answers: Mapping[str, Any], entry: Mapping[str, Any] | None = None) -> bool:
        """Is `name` shown? For a field inside a repeat group pass that entry's answers."""
        f = self.field(name)
        vis = self._visibility(answers)
        if f.parent is not None:
            if not vis.visible(f.parent):
                return False
            vis = vis.inner(self._all[f.parent], entry if isinstance(entry, Mapping) else {})
        return vis.visible(name)

    def visible_fields(self, answers: Mapping[str, Any]) -> list[Field]:
        vis = self._visibility(answers)
        return [f for f in self.fields if vis.visible(f.name)]

    # --- answers --------------------------------------------------------------------
    def validate(self, answers: Mapping[str, Any], lang: str = "id",
                 now: datetime.datetime | None = None) -> dict[str, str]:
        """Field name -> message for every failing field; {} when the answers are valid.
        Hidden fields are skipped (never required, their answers ignored). A field inside a
        repeat group is named `group[i].field` (i counts every entry, blank ones too).
        `now` is the wall clock in the zone the answers were typed in (core.localtime.wall_clock):
        "not in the future" means on that clock, not on this process's."""
        return self._walk(answers, lang, now, None)

    def validate_clean(self, answers: Mapping[str, Any], lang: str = "id",
                       now: datetime.datetime | None = None) -> tuple[dict[str, str], dict | None]:
        """(validate(answers), clean(answers)) in one walk, the clean answers None when any
        field fails. The office admits every report with both (office/ingest/admission.py):
        one pass asks each field's visibility once and copies its answer as it checks it,
        where validate-then-clean walked the answers and worked out visibility twice."""
        out: dict = {}
        errors = self._walk(answers, lang, now, out)
        return errors, (None if errors else out)

    def _walk(self, answers: Mapping[str, Any], lang: str, now: datetime.datetime | None,
              out: dict | None) -> dict[str, str]:
        if not _is_mapping(answers):
            return {"_answers": msg("not_object", lang)}
        errors: dict[str, str] = {}
        self._validate_scope(self.fields, answers, self._visibility(answers), lang, "", errors, now, out,
                             self._label_of)
        return errors

    def _label_of(self, name: str, lang: str) -> str:
        return self.field(name).label(lang)

    def _validate_scope(self, fields: list[Field], answers: Mapping[str, Any], vis: "_Visibility",
                        lang: str, prefix: str, errors: dict[str, str],
                        now: datetime.datetime | None, out: dict | None,
                        label_of: Callable[[str, str], str]) -> None:
        """Check `fields` of one scope; with `out` (a dict) also put each answer that passes
        into it as `clean` keeps it (stripped text, copied lists and dicts). What lands in
        `out` is `clean`'s only while no field fails: the caller drops it otherwise."""
        known = vis.scope
        effective = vis.effective
        get = answers.get
        for f in fields:
            if f.relevant is not None and not vis.visible(f.name):   # no condition: always shown
                continue
            v = get(f.name)
            t = f.type
            if t == "note":
                if is_answered(v):
                    errors[prefix + f.name] = msg("note_answer", lang)
                continue
            if t == "repeat":
                self._validate_repeat(f, v, vis, lang, prefix + f.name, errors, now, out, label_of)
                continue
            if not is_answered(v):
                if f.required:
                    errors[prefix + f.name] = msg("required", lang)
                continue
            check = f.check
            res = (check(f, v, f.constraint, lang, effective, label_of) if check is not None
                   else check_value(f, v, lang, effective, label_of, now))
            if res:
                errors[prefix + f.name] = _message(f, res, lang)
            elif out is not None:
                out[f.name] = v.strip() if isinstance(v, str) else _copy(v)
        for k in answers:
            if k not in known:
                errors[prefix + str(k)] = msg("unknown_field", lang)

    def _validate_repeat(self, f: Field, v: Any, vis: "_Visibility", lang: str, key: str,
                         errors: dict[str, str], now: datetime.datetime | None, out: dict | None,
                         label_of: Callable[[str, str], str]) -> None:
        if v is None or v == []:
            if f.required:
                errors[key] = msg("required", lang)
            return
        if not isinstance(v, list) or not all(_is_mapping(e) for e in v):
            errors[key] = msg("type_repeat", lang)
            return
        filled = [i for i, e in enumerate(v) if not is_blank_entry(e)]
        if not filled and f.required:
            errors[key] = msg("required", lang)
            return
        res = check_count(f, len(filled), lang)
        if res:
            errors[key] = _message(f, res, lang)
        entries = []
        for i in filled:
            entry = {} if out is not None else None
            self._validate_scope(f.fields, v[i], vis.inner(f, v[i]), lang, f"{key}[{i}].", errors, now,
                                 entry, label_of)
            entries.append(entry)
        if out is not None and entries:
            out[f.name] = entries

    def clean(self, answers: Mapping[str, Any]) -> dict:
        """Only answers that count: visible, known, not notes, not empty; text stripped.
        A repeat group keeps its non-blank entries, each cleaned the same way."""
        return self._clean_scope(self.fields, answers, self._visibility(answers))

    def _clean_scope(self, fields: list[Field], answers: Mapping[str, Any], vis: "_Visibility") -> dict:
        out = {}
        for f in fields:
            v = answers.get(f.name)
            if f.type == "note" or not is_answered(v) or (f.relevant is not None and not vis.visible(f.name)):
                continue
            if f.type == "repeat":
                if isinstance(v, list):
                    entries = [self._clean_scope(f.fields, e, vis.inner(f, e))
                               for e in v if _is_mapping(e) and not is_blank_entry(e)]
                    if entries:
                        out[f.name] = entries
                continue
            out[f.name] = v.strip() if isinstance(v, str) else _copy(v)
        return out

    def check(self, answers: Mapping[str, Any], lang: str = "id", now: datetime.datetime | None = None) -> dict:
        """The clean answers, or ValidationFailed(errors). `now`: as in validate."""
        errors, clean = self.validate_clean(answers, lang, now)
        if errors:
            raise ValidationFailed(errors)
        return clean  # type: ignore[return-value]

    def flags(self, answers: Mapping[str, Any]) -> dict[str, bool]:
        vis = self._visibility(answers)
        return {k: conditions.evaluate(c, vis.effective) for k, c in self._flags.items()}

    def is_confidential(self, answers: Mapping[str, Any]) -> bool:
        """True when the confidential field is visible and answered 'ya'."""
        if not self.confidential_field:
            return False
        vis = self._visibility(answers)
        return vis.effective(self.confidential_field) == CONFIDENTIAL_VALUE

    def example(self) -> dict:
        """A valid, deterministic set of answers (no photos unless a photo is required)."""
        if self._example is None:
            self._example = build_example(self)
        return copy.deepcopy(self._example)

    def summary(self, answers: Mapping[str, Any], lang: str = "id",
                zone: str | None = None) -> list[tuple[str, str]]:
        """(label, readable value) for every visible answered field, in form order. `zone`
        (WIB/WITA/WIT) names the wall clock a datetime answer was typed in."""
        cleaned = self.clean(answers)
        return [(f.label(lang), format_answer(f, cleaned[f.name], lang, zone))
                for f in self.fields if f.name in cleaned]

    def to_dict(self) -> dict:
        """The definition as JSON-ready data; parse(form.to_dict()) gives an equal form."""
        return copy.deepcopy(self._data)


def format_answer(f: Field, v: Any, lang: str = "id", zone: str | None = None) -> str:
    """A human-readable rendering of one answer (choice labels, local dates, ...). A datetime
    is a wall-clock time without a zone; `zone` (the reader's WIB/WITA/WIT) is appended so
    a person never reads a bare "19:30"."""
    lang = norm_lang(lang)
    if f.type == "select_one":
        return f.choice_label(v, lang)
    if f.type == "select_multiple" and isinstance(v, list):
        return ", ".join(f.choice_label(x, lang) for x in v)
    if f.type == "photo" and isinstance(v, list):
        return msg("photos", lang, n=len(v))
    if f.type == "audio" and isinstance(v, list):
        return msg("recordings", lang, n=len(v))
    if f.type == "repeat" and isinstance(v, list):
        return " | ".join(" \u00b7 ".join(format_answer(s, e[s.name], lang, zone) for s in f.fields
                                           if s.name in e)
                          for e in v if isinstance(e, Mapping))
    if f.type == "geopoint" and isinstance(v, dict) and is_number(v.get("lat")) and is_number(v.get("lon")):
        s = f"{v['lat']:.5f}, {v['lon']:.5f}"
        if is_number(v.get("accuracy")):
            s += f" (\u00b1{v['accuracy']:.0f} m)"
        return s
    if f.type == "date" and (d := parse_date(v)):
        return fmt_date(d, lang)
    if f.type == "datetime" and (dt := parse_datetime(v)):
        return fmt_datetime(dt, lang) + (f" {zone}" if zone else "")
    return fmt_value(v, lang)


def is_blank_entry(entry: Any) -> bool:
    """A repeat entry with nothing answered in it does not count (an "add" tapped by mistake)."""
    return _is_mapping(entry) and not any(is_answered(x) for x in entry.values())


def _is_mapping(x: Any) -> bool:
    """isinstance(x, Mapping), with the common case (a plain dict from JSON) first: the ABC
    check costs a microsecond and runs for every repeat entry of every report admitted."""
    return type(x) is dict or isinstance(x, Mapping)


_ATOMS = (str, int, float, bool, type(None))


def _copy(v: Any) -> Any:
    """copy.deepcopy(v), fast for what answers hold (a list of choice/attachment ids, a
    geopoint of numbers): a shallow copy is a deep one when every item is immutable."""
    t = type(v)
    if t is list and all(type(x) in _ATOMS for x in v):
        return list(v)
    if t is dict and all(type(x) in _ATOMS for x in v.values()):
        return dict(v)
    if t in _ATOMS:
        return v
    return copy.deepcopy(v)


def _message(f: Field, res: tuple[str, str], lang: str) -> str:
    kind, text = res
    own = f.constraint.get("message")
    return own[norm_lang(lang)] if kind == "constraint" and own else text


class _Visibility:
    """Which fields are shown for one set of answers (memoised), and their effective answers:
    a hidden field counts as unanswered wherever a condition looks at it."""

    __slots__ = ("_fields", "_answers", "_memo", "_outer")

    def __init__(self, fields: Mapping[str, Field], answers: Mapping[str, Any],
                 outer: "_Visibility | None" = None) -> None:
        self._fields = fields
        self._answers = answers
        self._memo: dict[str, bool] = {}
        self._outer = outer  # the form's scope, seen from inside a repeat entry

    @property
    def scope(self) -> Mapping[str, Field]:
        """This scope's own fields by name (the form's, or one repeat group's)."""
        return self._fields

    def inner(self, group: Field, entry: Mapping[str, Any]) -> "_Visibility":
        """The scope of one entry of a repeat group: its own fields, then the form's."""
        return _Visibility(group.by_name, entry, self)

    def visible(self, name: str) -> bool:
        try:
            return self._memo[name]
        except KeyError:
            f = self._fields[name]
            rule = f._shown
            if rule is None:
                shown = f.shown(self.effective)      # no condition, or compiled on this first use
            else:
                shown = rule(self.effective)
            self._memo[name] = shown
            return shown

    def effective(self, name: str) -> Any:
        if name not in self._fields:
            return self._outer.effective(name) if self._outer is not None else None
        if not self.visible(name):
            return None
        v = self._answers.get(name)
        if self._fields[name].type == "repeat" and isinstance(v, list):
            return [e for e in v if not is_blank_entry(e)]
        return v
