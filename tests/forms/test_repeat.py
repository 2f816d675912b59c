"""Repeat groups on a test form (cases/ulang.v1.json): counts, per-entry validation,
conditions inside an entry, clean, example, summary. Answer vectors: cases/repeat_answers.json."""
import json
from pathlib import Path

import pytest

import forms

CASES = Path(__file__).parent / "cases"
VECTORS = json.loads((CASES / "repeat_answers.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def form():
    return forms.check_file(CASES / "ulang.v1.json")


@pytest.mark.parametrize("case", VECTORS["cases"], ids=lambda c: c["name"])
def test_repeat_vectors(form, case):
    answers = {**VECTORS["base"], **case["answers"]}
    assert form.validate(answers, case.get("lang", "id")) == case["expect"]
    if "clean" in case:
        assert form.clean(answers) == case["clean"]


def test_group_structure(form):
    g = form.field("orang")
    assert g.type == "repeat" and g.parent is None
    assert [s.name for s in g.fields] == ["peran", "peran_lain", "nama", "jumlah", "perempuan", "keterangan"]
    assert form.field("peran").parent == "orang"
    assert "peran" not in [f.name for f in form.fields]  # the form's own list stays top-level


def test_visibility_inside_an_entry(form):
    answers = {"judul": "x", "ada_orang": "ya"}
    assert form.is_visible("peran_lain", answers, {"peran": "lainnya"})
    assert not form.is_visible("peran_lain", answers, {"peran": "calo"})
    assert not form.is_visible("peran", {"ada_orang": "tidak"}, {})  # the whole group is hidden


def test_flag_on_a_group(form):
    assert form.flags({"ada_orang": "ya", "orang": [{"peran": "calo"}]}) == {"ada_yang_terlibat": True}
    assert form.flags({"ada_orang": "ya", "orang": [{}]}) == {"ada_yang_terlibat": False}


def test_example_and_summary(form):
    ex = form.example()
    assert ex["orang"] == [{"peran": "calo", "nama": "Udin"}]
    assert form.validate(ex) == {}
    two = {**ex, "orang": [{"peran": "calo", "nama": "Udin"}, {"peran": "lainnya", "peran_lain": "juru masak"}]}
    assert dict(form.summary(two, "en"))["People involved"] == "Broker \u00b7 Udin | Other \u00b7 juru masak"


def test_clean_does_not_share_entries(form):
    answers = {"judul": "x", "ada_orang": "ya", "orang": [{"peran": "calo"}]}
    form.clean(answers)["orang"][0]["nama"] = "y"
    assert answers["orang"] == [{"peran": "calo"}]
