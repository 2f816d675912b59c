"""Hypothesis against the form engine: for any JSON-ish answers, every shipped form's
`validate` returns a dict of str -> str messages and `check` returns clean answers or
raises ValidationFailed — never any other exception.
"""
from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import forms
from core.errors import ValidationFailed

SETTINGS = settings(max_examples=150, derandomize=True, deadline=None, database=None,
                    suppress_health_check=list(HealthCheck))
FORM_IDS = [f.id for f in forms.list_forms()]
HUGE = 10 ** 5000            # str() of it raises ValueError (int max str digits): sweep only
BIG = 10 ** 4000             # overflows float, still printable (Hypothesis reprs examples)


def deep(n: int):
    v: list = []
    for _ in range(n):
        v = [v]
    return v


scalars = st.one_of(
    st.none(), st.booleans(),
    st.integers(), st.sampled_from([BIG, -BIG, 2 ** 63, -(2 ** 63) - 1, 10 ** 400, -(10 ** 400)]),
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([math.nan, math.inf, -math.inf, -0.0, 1e308]),
    st.text(), st.builds(lambda c, n: c * n, st.text(min_size=1, max_size=3), st.integers(300, 5000)),
    st.sampled_from(["", "   ", "\u0000", "\ud800", "٢٠٢٥-٠١-١٥", "٢٠٢٥-٠١-١٥T١٩:٣٠", "2025-02-30",
                     "9999-12-31T23:59:59", "0000-01-01", "2025-01-15T24:00", "x" * 200_000,
                     "ya", "tidak", "lainnya", "rekrutmen", "Ｙａ"]),
)
values = st.recursive(scalars, lambda c: st.lists(c, max_size=5) | st.dictionaries(
    st.one_of(st.text(max_size=10), st.sampled_from(["lat", "lon", "accuracy"])), c, max_size=4),
    max_leaves=15) | st.sampled_from([{"lat": BIG, "lon": 0}, {"lat": 0, "lon": -BIG},
                                      {"lat": 1, "lon": 1, "accuracy": BIG},
                                      {"lat": math.nan, "lon": 0}, [BIG]]) \
    | st.sampled_from([5000, 20_000]).map(deep) | st.integers(1, 10_000).map(lambda n: ["ya"] * n)


def answers_for(form_id: str):
    form = forms.load(form_id)
    names = [f.name for f in form.fields]
    valid = form.example()
    # start from a valid example (so the checks past "required" are reached), overwrite some
    # fields with hostile values, sometimes add unknown keys
    return st.builds(
        lambda over, extra: {**valid, **over, **extra},
        st.dictionaries(st.sampled_from(names), values, max_size=len(names)),
        st.dictionaries(st.text(max_size=30), values, max_size=2))


def _exercise(form_id: str, answers, lang: str) -> None:
    form = forms.load(form_id)
    errors = form.validate(answers, lang)
    assert isinstance(errors, dict)
    assert all(isinstance(k, str) and isinstance(v, str) and v for k, v in errors.items())
    try:
        clean = form.check(answers, lang)
    except ValidationFailed as exc:
        assert exc.errors == errors and errors
    else:
        assert errors == {} and isinstance(clean, dict)


@pytest.mark.parametrize("form_id", FORM_IDS)
@SETTINGS
@given(data=st.data(), lang=st.sampled_from(["id", "en", "EN-us", "", "zz", "\u0000"]))
def test_hostile_answers_per_field(form_id, data, lang):
    _exercise(form_id, data.draw(answers_for(form_id)), lang)


@pytest.mark.parametrize("form_id", FORM_IDS)
@SETTINGS
@given(answers=values)
def test_answers_not_an_object(form_id, answers):
    _exercise(form_id, answers, "id")


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_every_field_with_every_nasty_value(form_id):
    """Deterministic sweep: each field alone gets each extreme value on top of a valid example."""
    form = forms.load(form_id)
    nasty = [HUGE, -HUGE, 10 ** 400, -(10 ** 400), math.nan, math.inf, -math.inf, True, None, "",
             "x" * 1_000_000, "\ud800", deep(5000), [HUGE], {"lat": HUGE, "lon": HUGE},
             {"lat": -HUGE, "lon": 0, "accuracy": -HUGE}, {"lat": 0.0, "lon": 0.0, "accuracy": math.inf},
             ["ya", "ya"], [[]], [{}], {"a": deep(3000)}, "٢٠٢٥-٠١-١٥", "٢٠٢٥-٠١-١٥T١٩:٣٠"]
    for f in form.fields:
        for v in nasty:
            for lang in ("id", "en"):
                _exercise(form_id, {**form.example(), f.name: v}, lang)


def test_example_answers_are_valid():
    """Guard for the strategies above: the base they mutate really is valid."""
    for form_id in FORM_IDS:
        form = forms.load(form_id)
        assert form.validate(form.example()) == {}
