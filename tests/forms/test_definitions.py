"""Broken definitions are refused with a FormError naming the source and the field."""
import json
from pathlib import Path

import pytest

import forms
from core.errors import FormError

CASES = Path(__file__).parent / "cases"
BROKEN = sorted((CASES / "broken").glob("*.json"))


def test_there_are_broken_cases():
    assert len(BROKEN) >= 40


def test_the_base_of_every_broken_case_is_valid():
    form = forms.check_file(CASES / "uji.v1.json")
    assert (form.id, form.version) == ("uji", 1)


@pytest.mark.parametrize("path", BROKEN, ids=lambda p: p.stem)
def test_broken_definition_is_refused(path):
    case = json.loads(path.read_text(encoding="utf-8"))
    source = f"cases/broken/{path.name}"
    with pytest.raises(FormError) as exc:
        forms.parse(case["form"], source=source)
    err = exc.value
    assert err.code == "form_invalid"
    assert type(err) is FormError  # not FormNotFound
    assert err.message.startswith(source + ": "), err.message
    assert case["message"] in err.message, err.message
    assert err.details["source"] == source
    if case["field"] is not None:
        assert f"field '{case['field']}'" in err.message
        assert err.details["field"] == case["field"]
    assert "\n" not in err.message


@pytest.mark.parametrize("path", BROKEN[:5], ids=lambda p: p.stem)
def test_check_file_names_the_file(tmp_path, path):
    case = json.loads(path.read_text(encoding="utf-8"))
    target = tmp_path / "uji.v1.json"
    target.write_text(json.dumps(case["form"]), encoding="utf-8")
    with pytest.raises(FormError) as exc:
        forms.check_file(target)
    assert exc.value.message.startswith(str(target) + ": ")


def test_condition_may_name_a_later_field():
    data = json.loads((CASES / "uji.v1.json").read_text())
    data["sections"][0]["fields"][0]["relevant"] = {"field": "n", "gt": 2}
    form = forms.parse(data)
    assert not form.is_visible("a", {"n": 2})
    assert form.is_visible("a", {"n": 3})


def test_not_a_json_object():
    with pytest.raises(FormError, match=r"^<dict>: a form definition must be a JSON object"):
        forms.parse([1, 2])


def test_check_file_invalid_json(tmp_path):
    p = tmp_path / "rusak.v1.json"
    p.write_text('{"id": "rusak",', encoding="utf-8")
    with pytest.raises(FormError, match=r"rusak\.v1\.json: not valid JSON"):
        forms.check_file(p)


def test_check_file_missing(tmp_path):
    with pytest.raises(FormError, match="cannot read"):
        forms.check_file(tmp_path / "none.v1.json")


def test_check_file_name_must_match_content(tmp_path):
    data = (CASES / "uji.v1.json").read_text()
    p = tmp_path / "uji.v2.json"
    p.write_text(data, encoding="utf-8")
    with pytest.raises(FormError, match="file name says uji v2 but the form is uji v1"):
        forms.check_file(p)


def test_comment_keys_are_ignored():
    data = json.loads((CASES / "uji.v1.json").read_text())
    data["sections"][0]["fields"][0]["_note"] = "why this field exists"
    assert forms.parse(data).field("a").type == "text"


def test_parse_does_not_keep_a_reference_to_the_input():
    data = json.loads((CASES / "uji.v1.json").read_text())
    form = forms.parse(data)
    data["sections"][0]["fields"][0]["name"] = "changed"
    assert form.to_dict()["sections"][0]["fields"][0]["name"] == "a"
