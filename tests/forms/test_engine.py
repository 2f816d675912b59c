"""The engine on a test form with every type and constraint (cases/semua_jenis.v1.json)."""
import json
from pathlib import Path

import pytest

import forms
from core.errors import ValidationFailed

CASES = Path(__file__).parent / "cases"
VECTORS = json.loads((CASES / "answers.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def form():
    return forms.check_file(CASES / "semua_jenis.v1.json")


@pytest.mark.parametrize("case", VECTORS["cases"], ids=lambda c: c["name"])
def test_answer_vectors(form, case):
    answers = {**VECTORS["base"], **case["answers"]}
    assert form.validate(answers, case.get("lang", "id")) == case["expect"]


def test_structure(form):
    assert (form.id, form.version) == ("semua_jenis", 1)
    assert form.title("id") == "Semua jenis" and form.title("en") == "All types"
    assert [s.name for s in form.sections] == ["satu", "dua"]
    assert form.sections[1].title("en") == "Two"
    assert [f.name for f in form.sections[0].fields] == ["info", "nama", "kode", "umur", "total", "bagian", "berat"]
    assert [f.name for f in form.fields][:3] == ["info", "nama", "kode"]
    assert len(form.fields) == 16
    assert form.confidential_field == "rahasia"


def test_field_attributes(form):
    f = form.field("nama")
    assert (f.name, f.type, f.required, f.section) == ("nama", "text", True, "satu")
    assert f.label("id") == "Nama" and f.label("en") == "Name"
    assert f.hint("id") == "Nama panggilan" and f.hint("en") == "Nickname"
    assert f.constraint == {"min_length": 2, "max_length": 10}
    assert f.relevant is None and f.choices == []
    assert form.field("umur").hint("id") == ""
    w = form.field("warna")
    assert [c.value for c in w.choices] == ["merah", "biru", "hijau"]
    assert [c.label("en") for c in w.choices] == ["Red", "Blue", "Green"]
    assert w.choices[2].label() == "Hijau"
    assert form.field("penjelasan").relevant == {"field": "warna", "equals": "hijau"}


def test_unknown_field_name_raises_keyerror(form):
    with pytest.raises(KeyError, match="no field 'siapa'"):
        form.field("siapa")
    with pytest.raises(KeyError):
        form.is_visible("siapa", {})


def test_visibility_and_cascade(form):
    names = lambda a: [f.name for f in form.visible_fields(a)]  # noqa: E731
    assert "penjelasan" not in names({"warna": "merah"})
    assert "penjelasan" in names({"warna": "hijau"})
    assert not form.is_visible("lanjutan", {"warna": "hijau"})
    assert form.is_visible("lanjutan", {"warna": "hijau", "penjelasan": "x"})
    # penjelasan hidden again: its stale answer no longer shows lanjutan
    assert not form.is_visible("lanjutan", {"warna": "merah", "penjelasan": "x"})


def test_clean_drops_hidden_unknown_note_and_empty(form):
    answers = {"info": "x", "nama": "  Siti  ", "kode": "", "umur": None, "warna": "merah",
               "warna_banyak": [], "penjelasan": "stale", "lanjutan": "stale", "zzz": 1, "total": 0}
    assert form.clean(answers) == {"nama": "Siti", "warna": "merah", "total": 0}


def test_clean_keeps_visible_cascade(form):
    answers = {"nama": "Siti", "warna": "hijau", "penjelasan": "suka", "lanjutan": "ok"}
    assert form.clean(answers) == answers


def test_clean_does_not_share_lists(form):
    answers = {"nama": "Siti", "warna": "biru", "warna_banyak": ["biru"]}
    out = form.clean(answers)
    out["warna_banyak"].append("merah")
    assert answers["warna_banyak"] == ["biru"]


def test_check_returns_clean_answers(form):
    assert form.check({"nama": "Siti ", "warna": "merah", "penjelasan": "x"}) == {"nama": "Siti", "warna": "merah"}


def test_check_raises_validation_failed(form):
    with pytest.raises(ValidationFailed) as exc:
        form.check({"warna": "hijau"}, lang="en")
    assert exc.value.errors == {"nama": "Required", "penjelasan": "Required"}
    assert exc.value.code == "validation_failed"


def test_validate_non_dict(form):
    assert form.validate(["nama"]) == {"_answers": "Jawaban harus berupa objek JSON"}
    assert form.validate(None, "en") == {"_answers": "Answers must be a JSON object"}
    with pytest.raises(ValidationFailed):
        form.check("nama=Siti")


def test_flags(form):
    base = {"nama": "Siti", "warna": "merah"}
    assert form.flags(base) == {"tua": False, "biru_dipilih": False}
    assert form.flags({**base, "umur": 60}) == {"tua": True, "biru_dipilih": False}
    assert form.flags({**base, "umur": 59, "warna_banyak": ["merah", "biru"]}) == {"tua": False, "biru_dipilih": True}


def test_is_confidential(form):
    assert form.is_confidential({"rahasia": "ya"})
    assert not form.is_confidential({"rahasia": "tidak"})
    assert not form.is_confidential({})
    assert not form.is_confidential({"rahasia": True})


def test_form_without_confidential_field_is_never_confidential():
    data = json.loads((CASES / "uji.v1.json").read_text())
    assert not forms.parse(data).is_confidential({"b": "ya"})


def test_example_is_valid_deterministic_and_photo_free(form):
    ex = form.example()
    assert form.validate(ex) == {}
    assert ex == form.example()
    assert "foto" not in ex and "info" not in ex
    assert ex["kode"] == "ABC-12" and ex["warna"] == "merah"
    ex["nama"] = "changed"
    assert form.example()["nama"] == "Siti"


def test_example_of_required_photo_uses_placeholders():
    data = json.loads((CASES / "uji.v1.json").read_text())
    data["sections"][0]["fields"].append({"name": "f", "type": "photo", "required": True,
                                          "label": {"id": "F", "en": "F"}, "constraint": {"min_choices": 2}})
    ex = forms.parse(data).example()
    assert ex["f"] == ["contoh-foto-1", "contoh-foto-2"]


def test_summary_id(form):
    answers = {"info": "x", "nama": "Siti", "umur": 30, "berat": 12.5, "tanggal": "2024-02-29",
               "waktu": "2024-03-01T07:05", "warna": "hijau", "penjelasan": "suka",
               "warna_banyak": ["merah", "biru"], "lokasi": {"lat": -8.95, "lon": 124.95, "accuracy": 12.0},
               "foto": ["a", "b"], "zzz": "unknown"}
    assert form.summary(answers, "id") == [
        ("Nama", "Siti"), ("Umur", "30"), ("Berat", "12,5"), ("Tanggal", "29 Februari 2024"),
        ("Waktu", "1 Maret 2024 07:05"), ("Warna", "Hijau"), ("Warna-warna", "Merah, Biru"),
        ("Lokasi", "-8.95000, 124.95000 (\u00b112 m)"), ("Foto", "2 foto"), ("Kenapa hijau?", "suka"),
    ]


def test_summary_en_skips_hidden(form):
    answers = {"nama": "Siti", "warna": "merah", "penjelasan": "stale", "tanggal": "2024-02-29",
               "berat": 12.5, "foto": ["a"], "lokasi": {"lat": 1, "lon": 2}}
    assert form.summary(answers, "en") == [
        ("Name", "Siti"), ("Weight", "12.5"), ("Date", "29 February 2024"), ("Colour", "Red"),
        ("Location", "1.00000, 2.00000"), ("Photos", "1 photo(s)"),
    ]


def test_to_dict_round_trips(form):
    d = form.to_dict()
    assert d["id"] == "semua_jenis" and d["sections"][0]["fields"][1]["name"] == "nama"
    again = forms.parse(d)
    assert [f.name for f in again.fields] == [f.name for f in form.fields]
    assert json.loads(json.dumps(d)) == d
    d["id"] = "changed"
    assert form.to_dict()["id"] == "semua_jenis"


def test_constraint_message_does_not_replace_type_or_required_errors(form):
    assert form.validate({"nama": "Siti", "warna": "merah", "kode": 5}) == {"kode": "Harus berupa teks"}
