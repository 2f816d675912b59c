"""validate/clean take shortcuts the office pays for on every admitted report (a group's field
map built once per form version, no visibility lookup for a field without a condition, plain
dicts and lists copied without deepcopy). This pins that they answer exactly what the
straightforward reading of the rules answers (below: every field asked, every condition
evaluated afresh, every answer deep-copied), on thousands of generated answer sets over every
shipped form and the test forms, top-level fields and fields inside repeat groups alike."""
from __future__ import annotations

import copy
import datetime
import random
import types
import zlib
from pathlib import Path
from typing import Any, Mapping

import pytest

import forms
from forms import conditions
from forms.conditions import is_answered
from forms.i18n import msg
from forms.model import _message
from forms.validation import check_count, check_value

CASES = Path(__file__).parent / "cases"
NOW = datetime.datetime(2026, 11, 26, 19, 30)


# --- the reference: the rules read plainly, nothing precomputed or memoised -------------------
def _blank(entry: Any) -> bool:
    return isinstance(entry, Mapping) and not any(is_answered(x) for x in entry.values())


def _effective(scopes: list[tuple[list, Mapping]], name: str) -> Any:
    """`scopes`: innermost first, each (its fields, its answers)."""
    for i, (fields, answers) in enumerate(scopes):
        f = next((f for f in fields if f.name == name), None)
        if f is None:
            continue
        if not _visible(scopes[i:], f):
            return None
        v = answers.get(name)
        return [e for e in v if not _blank(e)] if f.type == "repeat" and isinstance(v, list) else v
    return None


def _visible(scopes: list[tuple[list, Mapping]], f: forms.Field) -> bool:
    return f.relevant is None or conditions.evaluate(f.relevant, lambda n: _effective(scopes, n))


def ref_validate(form: forms.Form, answers: Any, lang: str) -> dict[str, str]:
    if not isinstance(answers, Mapping):
        return {"_answers": msg("not_object", lang)}
    errors: dict[str, str] = {}
    _ref_scope(form, form.fields, [(form.fields, answers)], lang, "", errors)
    return errors


def _ref_scope(form, fields, scopes, lang, prefix, errors) -> None:
    answers = scopes[0][1]
    for f in fields:
        if not _visible(scopes, f):
            continue
        key, v = prefix + f.name, answers.get(f.name)
        if f.type == "note":
            if is_answered(v):
                errors[key] = msg("note_answer", lang)
        elif f.type == "repeat":
            if v is None or v == []:
                if f.required:
                    errors[key] = msg("required", lang)
            elif not isinstance(v, list) or not all(isinstance(e, Mapping) for e in v):
                errors[key] = msg("type_repeat", lang)
            else:
                filled = [i for i, e in enumerate(v) if not _blank(e)]
                if not filled and f.required:
                    errors[key] = msg("required", lang)
                    continue
                res = check_count(f, len(filled), lang)
                if res:
                    errors[key] = _message(f, res, lang)
                for i in filled:
                    _ref_scope(form, f.fields, [(f.fields, v[i])] + scopes, lang, f"{key}[{i}].", errors)
        elif not is_answered(v):
            if f.required:
                errors[key] = msg("required", lang)
        else:
            res = check_value(f, v, lang, lambda n: _effective(scopes, n),
                              lambda n, lg: form.field(n).label(lg), NOW)
            if res:
                errors[key] = _message(f, res, lang)
    for k in answers:
        if k not in {f.name for f in fields}:
            errors[prefix + str(k)] = msg("unknown_field", lang)


def ref_clean(fields: list, scopes: list[tuple[list, Mapping]]) -> dict:
    answers, out = scopes[0][1], {}
    for f in fields:
        v = answers.get(f.name)
        if f.type == "note" or not is_answered(v) or not _visible(scopes, f):
            continue
        if f.type == "repeat":
            if isinstance(v, list):
                entries = [ref_clean(f.fields, [(f.fields, e)] + scopes)
                           for e in v if isinstance(e, Mapping) and not _blank(e)]
                if entries:
                    out[f.name] = entries
            continue
        out[f.name] = v.strip() if isinstance(v, str) else copy.deepcopy(v)
    return out


# --- generated answers: the example, then each answer kept, dropped, blanked or replaced -----
def _odd_value(rng: random.Random, f: forms.Field) -> Any:
    pool = [None, "", "   ", " x ", "lainnya", "ya", "tidak", 0, 1, -3, 2.5, 10**30, float("nan"),
            True, [], [""], ["a", "a"], ["a", "b"], [{"x": 1}], {}, {"lat": 1.0, "lon": 2.0},
            {"lat": 1.0, "lon": 2.0, "accuracy": -1}, {"lat": [1], "lon": 2}, "2026-11-26",
            "2026-11-26T19:30", "2099-01-01T00:00", "1999-12-31", "bukan tanggal", "x" * 120]
    pool += list(f.choice_values[:3]) + [list(f.choice_values[:2])]
    return rng.choice(pool)


def _entries(rng: random.Random, group: forms.Field, example: list) -> Any:
    made = []
    for _ in range(rng.randint(0, 4)):
        base = dict(rng.choice(example)) if example and rng.random() < 0.6 else {}
        for s in group.fields:
            if rng.random() < 0.3:
                base[s.name] = _odd_value(rng, s)
        if rng.random() < 0.1:
            base["tak_dikenal"] = "x"
        made.append(types.MappingProxyType(base) if rng.random() < 0.1 else base)
    if rng.random() < 0.1:
        made.append(rng.choice([{}, {"peran": ""}, "bukan entri", None]))
    return made


def generated(form: forms.Form, n: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    example = form.example()
    out = []
    for _ in range(n):
        a = {}
        for f in form.fields:
            roll = rng.random()
            if f.type == "repeat" and roll < 0.7:
                a[f.name] = _entries(rng, f, [e for e in example.get(f.name, []) if isinstance(e, dict)])
            elif roll < 0.55 and f.name in example:
                a[f.name] = copy.deepcopy(example[f.name])
            elif roll < 0.8:
                a[f.name] = _odd_value(rng, f)
        if rng.random() < 0.1:
            a["tak_dikenal"] = 1
        out.append(a)
    return out


FORMS = [forms.load(f.id, v) for f in forms.list_forms() for v in forms.versions(f.id)] + [
    forms.check_file(CASES / name) for name in ("ulang.v1.json", "semua_jenis.v1.json", "uji.v1.json")]


def _containers(v: Any, seen: set[int]) -> set[int]:
    if isinstance(v, (list, dict)):
        seen.add(id(v))
        for x in (v.values() if isinstance(v, dict) else v):
            _containers(x, seen)
    return seen


@pytest.mark.parametrize("form", FORMS, ids=lambda f: f"{f.id}.v{f.version}")
def test_validate_and_clean_match_the_plain_reading(form):
    checked = 0
    for i, answers in enumerate(generated(form, 400, seed=zlib.crc32(f"{form.id}.{form.version}".encode()))):
        lang = "en" if i % 2 else "id"
        assert form.validate(answers, lang, NOW) == ref_validate(form, answers, lang), answers
        cleaned = form.clean(answers)
        assert cleaned == ref_clean(form.fields, [(form.fields, answers)]), answers
        # clean's answers share nothing mutable with what came in (as deepcopy would)
        assert not (_containers(cleaned, set()) & _containers(dict(answers), set())), answers
        checked += bool(form.validate(answers, lang, NOW))
    assert checked > 0, "the generated answers never failed: they test nothing"


def test_generated_answers_reach_inside_repeat_groups():
    """The comparison above covers fields inside groups (e.g. `terlibat`), valid and not."""
    form = forms.load("laporan_kecurigaan")
    answers = generated(form, 400, seed=7)
    inner = [k for a in answers for k in form.validate(a, "en", NOW) if "[" in k]
    assert any(k.startswith("terlibat[") for k in inner)
    assert any(form.clean(a).get("terlibat") for a in answers)


@pytest.mark.parametrize("form", FORMS, ids=lambda f: f"{f.id}.v{f.version}")
def test_validate_clean_is_validate_then_clean(form):
    """The office admits a report with one walk (Form.validate_clean): its errors are the
    plain reading's, and its clean answers — used for the rahasia decision and stored
    nowhere else — are the plain clean's whenever the answers are valid, None otherwise."""
    valid = 0
    for i, answers in enumerate(generated(form, 400, seed=zlib.crc32(f"both.{form.id}.{form.version}".encode()))
                                + [form.example()]):
        lang = "en" if i % 2 else "id"
        errors, cleaned = form.validate_clean(answers, lang, NOW)
        assert errors == ref_validate(form, answers, lang), answers
        if errors:
            assert cleaned is None
            continue
        valid += 1
        assert cleaned == ref_clean(form.fields, [(form.fields, answers)]), answers
        assert not (_containers(cleaned, set()) & _containers(dict(answers), set())), answers
        assert form.is_confidential(cleaned) == form.is_confidential(ref_clean(form.fields, [(form.fields, answers)]))
    assert valid > 0, "no generated answers were valid: the clean side was never compared"


def test_validate_clean_keeps_repeat_entries_and_rahasia():
    """Valid reports with entries inside `terlibat` (blank ones dropped, text stripped) and a
    rahasia answer: the one walk cleans them as clean does, so the office's rahasia decision
    (made on the clean answers) is unchanged."""
    form = forms.load("laporan_kecurigaan")
    base = form.example()
    cases = []
    for rahasia in ("ya", "tidak"):
        a = copy.deepcopy(base)
        a["rahasia"] = rahasia
        a["terlibat"] = [{"peran": "calo", "nama": "  Pak Udin  "}, {}, {"peran": "tekong", "kapal": "KM Jaya "}]
        cases.append(a)
    for a in cases:
        errors, cleaned = form.validate_clean(a, "en", NOW)
        assert errors == {} and cleaned == form.clean(a) == ref_clean(form.fields, [(form.fields, a)])
        assert cleaned["terlibat"] == [{"peran": "calo", "nama": "Pak Udin"}, {"peran": "tekong", "kapal": "KM Jaya"}]
    assert [form.is_confidential(form.validate_clean(a, "en", NOW)[1]) for a in cases] == [True, False]
    # a bad answer inside an entry fails the whole report, named by its place
    bad = copy.deepcopy(cases[0])
    bad["terlibat"][2]["peran"] = "bukan pilihan"
    errors, cleaned = form.validate_clean(bad, "en", NOW)
    assert cleaned is None and list(errors) == ["terlibat[2].peran"] == list(ref_validate(form, bad, "en"))


def test_is_answered_tests_text_as_strip_does():
    """is_answered decides "blank" without copying the text (isspace, not strip): the same
    answer for every code point alone, repeated, around a letter and inside spaces."""
    import sys
    chars = [chr(i) for i in range(sys.maxunicode + 1)]
    assert [is_answered(c) for c in chars] == [c.strip() != "" for c in chars]
    for c in [c for c in chars if not c.strip()] + chars[::997]:      # the blanks, and a sample
        for s in (c * 3, " " + c, c + "x", "x" + c + " "):
            assert is_answered(s) == (s.strip() != ""), repr(s)
    assert not is_answered("") and not is_answered(" \t\u00a0\u3000\n") and is_answered(" a ")


def _conditions(form: forms.Form) -> list[dict]:
    found = []
    for f in form.fields:
        for g in [f] + list(f.fields):
            if g.relevant is not None:
                found.append(g.relevant)
    return found + list(form._flags.values())


WITH_CONDITIONS = [f for f in FORMS if _conditions(f)]


def test_shipped_forms_have_conditions_to_compare():
    assert {f.id for f in WITH_CONDITIONS} >= {"laporan_kecurigaan", "keberangkatan_pmi"}


@pytest.mark.parametrize("form", WITH_CONDITIONS, ids=lambda f: f"{f.id}.v{f.version}")
def test_compiled_conditions_answer_as_evaluate_does(form):
    """Each field's condition is compiled once per form version (Field.shown); on every
    condition of every form (flags too) and odd answers for whatever it looks at — text
    against numbers, True against 1, blanks, lists — it answers as `evaluate` reads it."""
    rng = random.Random(zlib.crc32(f"cond.{form.id}.{form.version}".encode()))
    conds = _conditions(form)
    every = {f.name: f for f in form.fields} | {s.name: s for f in form.fields for s in f.fields}
    for cond in conds:
        rule = conditions.compile_condition(cond)
        names = list(conditions.refs(cond))
        for _ in range(300):
            values = {n: _odd_value(rng, every[n]) for n in names}
            get = values.get
            assert rule(get) is conditions.evaluate(cond, get), (cond, values)


@pytest.mark.parametrize("wall", [
    datetime.datetime(2026, 11, 26, 19, 30, 0, 0), datetime.datetime(2026, 11, 26, 19, 30, 59, 999999),
    datetime.datetime(2026, 12, 31, 23, 49, 59, 999999), datetime.datetime(2026, 12, 31, 23, 50, 0, 1),
    datetime.datetime(2024, 2, 28, 23, 55, 30, 500000)])
def test_not_future_limit_is_the_plain_reading(wall):
    """The not-in-the-future check works its limit out by timedelta arithmetic: at and
    around the limit — the wall clock to the minute, plus the grace, to that minute's last
    second for a date-time (and the next day for a date near midnight) — it takes and
    refuses exactly what the plain reading with datetime.replace does."""
    from forms.validation import FUTURE_GRACE_MINUTES, _temporal

    today = wall.replace(second=0, microsecond=0)
    late = today + datetime.timedelta(minutes=FUTURE_GRACE_MINUTES)
    plain = {"datetime": late.replace(second=59), "date": late.date()}
    for ftype, limit in plain.items():
        f = types.SimpleNamespace(type=ftype)
        shape = "%Y-%m-%dT%H:%M:%S" if ftype == "datetime" else "%Y-%m-%d"
        steps = ([datetime.timedelta(minutes=-1), datetime.timedelta(seconds=-1), datetime.timedelta(0),
                  datetime.timedelta(seconds=1)] if ftype == "datetime" else
                 [datetime.timedelta(days=-1), datetime.timedelta(0), datetime.timedelta(days=1)])
        verdicts = []
        for step in steps:
            text = (limit + step).strftime(shape)
            refused = _temporal(f, text, {"not_future": True}, "en", wall) is not None
            parsed = datetime.datetime.fromisoformat(text) if ftype == "datetime" else datetime.date.fromisoformat(text)
            assert refused == (parsed > limit), (ftype, wall, text)
            verdicts.append(refused)
        assert verdicts[-1] and not verdicts[-2], verdicts    # the limit taken, one step past refused


def test_a_fields_own_check_answers_as_check_value():
    """Form's walk calls each field's type check directly (Field.check, worked out once per
    field) instead of through check_value's dispatch: on every field of every form, top-level
    and inside groups, and odd values of every kind, both give the same answer (date types
    and unknown ones go through check_value itself)."""
    from forms.validation import checker
    rng = random.Random(11)
    compared = 0
    for form in FORMS:
        every = [f for f in form.fields] + [s for f in form.fields for s in f.fields]
        for f in every:
            if f.type in ("note", "repeat"):
                continue
            assert (f.check is None) == (f.type in ("date", "datetime"))
            for _ in range(40):
                v = _odd_value(rng, f)
                if not is_answered(v):
                    continue
                get, label_of = (lambda n: None), (lambda n, lg: n)
                direct = (f.check(f, v, f.constraint, "en", get, label_of) if f.check is not None
                          else check_value(f, v, "en", get, label_of, NOW))
                assert direct == check_value(f, v, "en", get, label_of, NOW), (form.id, f.name, v)
                compared += 1
    assert compared > 1000
    assert checker("no_such_type") is None
