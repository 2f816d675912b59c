"""Every condition kind: evaluation, strictness, and how hidden fields count."""
import json
from pathlib import Path

import pytest

import forms
from core.errors import FormError
from forms import conditions

CASES = Path(__file__).parent / "cases"


@pytest.fixture(scope="module")
def form():
    return forms.check_file(CASES / "semua_jenis.v1.json")


EVAL = [
    ({"field": "warna", "equals": "hijau"}, {"warna": "hijau"}, True),
    ({"field": "warna", "equals": "hijau"}, {"warna": "merah"}, False),
    ({"field": "warna", "equals": "hijau"}, {}, False),
    ({"field": "umur", "equals": 3}, {"umur": 3.0}, True),
    ({"field": "umur", "equals": 1}, {"umur": True}, False),
    ({"field": "kode", "equals": "1"}, {"kode": 1}, False),
    ({"field": "warna", "in": ["biru", "hijau"]}, {"warna": "biru"}, True),
    ({"field": "warna", "in": ["biru", "hijau"]}, {"warna": "merah"}, False),
    ({"field": "warna", "in": ["biru"]}, {"warna": ["biru"]}, False),
    ({"field": "warna_banyak", "contains": "biru"}, {"warna_banyak": ["merah", "biru"]}, True),
    ({"field": "warna_banyak", "contains": "biru"}, {"warna_banyak": ["merah"]}, False),
    ({"field": "warna_banyak", "contains": "biru"}, {"warna_banyak": "biru"}, False),
    ({"field": "lokasi", "answered": True}, {"lokasi": {"lat": 1, "lon": 2}}, True),
    ({"field": "lokasi", "answered": True}, {"lokasi": {}}, False),
    ({"field": "nama", "answered": True}, {"nama": "  "}, False),
    ({"field": "nama", "answered": False}, {}, True),
    ({"field": "nama", "answered": False}, {"nama": "x"}, False),
    ({"field": "umur", "gt": 17}, {"umur": 18}, True),
    ({"field": "umur", "gt": 17}, {"umur": 17}, False),
    ({"field": "umur", "gte": 17}, {"umur": 17}, True),
    ({"field": "umur", "gte": 17}, {"umur": 16}, False),
    ({"field": "umur", "lt": 17}, {"umur": 16}, True),
    ({"field": "umur", "lt": 17}, {"umur": 17}, False),
    ({"field": "umur", "lte": 17}, {"umur": 17}, True),
    ({"field": "umur", "lte": 17}, {"umur": 18}, False),
    ({"field": "umur", "lt": 17}, {}, False),
    ({"field": "umur", "lt": 17}, {"umur": "5"}, False),
    ({"all": [{"field": "umur", "gt": 1}, {"field": "warna", "equals": "biru"}]}, {"umur": 2, "warna": "biru"}, True),
    ({"all": [{"field": "umur", "gt": 1}, {"field": "warna", "equals": "biru"}]}, {"umur": 2, "warna": "merah"}, False),
    ({"any": [{"field": "umur", "gt": 1}, {"field": "warna", "equals": "biru"}]}, {"umur": 0, "warna": "biru"}, True),
    ({"any": [{"field": "umur", "gt": 1}, {"field": "warna", "equals": "biru"}]}, {"umur": 0, "warna": "merah"}, False),
    ({"not": {"field": "warna", "equals": "biru"}}, {"warna": "merah"}, True),
    ({"not": {"field": "warna", "equals": "biru"}}, {"warna": "biru"}, False),
]


@pytest.mark.parametrize("cond,answers,expected", EVAL, ids=[str(i) for i in range(len(EVAL))])
def test_evaluate(form, cond, answers, expected):
    fields = {f.name: f for f in form.fields}
    conditions.check(cond, fields, None, FormError)  # every vector is a well-formed condition
    assert conditions.evaluate(cond, answers.get) is expected


@pytest.mark.parametrize("cond,answers,expected", EVAL, ids=[str(i) for i in range(len(EVAL))])
def test_same_condition_drives_visibility(cond, answers, expected):
    d = json.loads((CASES / "semua_jenis.v1.json").read_text())
    d["sections"][0]["fields"].append({"name": "probe", "type": "text", "label": {"id": "P", "en": "P"},
                                       "relevant": cond})
    assert forms.parse(d).is_visible("probe", answers) is expected


def test_hidden_field_counts_as_unanswered_in_flags(form):
    # penjelasan is only shown for hijau: a stale answer must not drive anything
    d = form.to_dict()
    d["flags"]["dijelaskan"] = {"field": "penjelasan", "answered": True}
    f2 = forms.parse(d)
    assert f2.flags({"warna": "hijau", "penjelasan": "x"})["dijelaskan"] is True
    assert f2.flags({"warna": "merah", "penjelasan": "x"})["dijelaskan"] is False


def test_hidden_confidential_field_is_not_confidential(form):
    d = form.to_dict()
    d["sections"][1]["fields"][-1]["relevant"] = {"field": "nama", "answered": True}
    f2 = forms.parse(d)
    assert f2.is_confidential({"nama": "x", "rahasia": "ya"})
    assert not f2.is_confidential({"rahasia": "ya"})


@pytest.mark.parametrize("cond,lang,text", [
    ({"field": "warna", "equals": "hijau"}, "id", "warna = hijau"),
    ({"field": "warna", "in": ["a", "b"]}, "en", "warna is one of a, b"),
    ({"field": "warna_banyak", "contains": "biru"}, "id", "warna_banyak berisi biru"),
    ({"field": "nama", "answered": False}, "en", "nama empty"),
    ({"field": "umur", "gte": 18}, "id", "umur \u2265 18"),
    ({"any": [{"field": "umur", "lt": 5}, {"not": {"field": "nama", "answered": True}}]}, "en",
     "any of(umur < 5; not(nama answered))"),
])
def test_describe(cond, lang, text):
    assert conditions.describe(cond, lang) == text
