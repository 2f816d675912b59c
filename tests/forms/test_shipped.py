"""The two forms that ship: laporan_kecurigaan and keberangkatan_pmi, version 1 (v2 in
test_shipped_v2.py). v1 stays loadable: reports filed with it must always be readable."""
import json

import pytest

import forms
from core.errors import FormNotFound, ValidationFailed
from forms import catalog

SHIPPED = ["keberangkatan_pmi", "laporan_darurat", "laporan_kecurigaan"]


def test_list_forms_returns_latest_of_each():
    assert [(f.id, f.version) for f in forms.list_forms()] == [
        ("keberangkatan_pmi", 3), ("laporan_darurat", 2), ("laporan_kecurigaan", 3)]


@pytest.mark.parametrize("form_id,newest", [("keberangkatan_pmi", 3), ("laporan_darurat", 2), ("laporan_kecurigaan", 3)])
def test_load_latest_and_explicit_version(form_id, newest):
    latest = forms.load(form_id)
    assert latest.id == form_id and latest.version == newest
    assert forms.load(form_id, newest) is latest
    assert forms.load(form_id, 1).version == 1
    assert forms.versions(form_id) == list(range(1, newest + 1))


@pytest.mark.parametrize("form_id,version", [("tidak_ada", None), ("laporan_kecurigaan", 4),
                                             ("laporan_kecurigaan", 0), ("laporan_kecurigaan", "1"),
                                             ("../definitions/laporan_kecurigaan", None), ("", None)])
def test_load_unknown(form_id, version):
    with pytest.raises(FormNotFound) as exc:
        forms.load(form_id, version)
    assert exc.value.code == "form_not_found"


def test_definition_files_all_check():
    files = sorted(catalog.DEFINITIONS.glob("*.json"))
    assert [p.name for p in files] == ["keberangkatan_pmi.v1.json", "keberangkatan_pmi.v2.json",
                                       "keberangkatan_pmi.v3.json", "laporan_darurat.v1.json", "laporan_darurat.v2.json",
                                       "laporan_kecurigaan.v1.json", "laporan_kecurigaan.v2.json",
                                       "laporan_kecurigaan.v3.json"]
    for p in files:
        assert forms.check_file(p).id == p.name.split(".")[0]


@pytest.mark.parametrize("form_id", SHIPPED)
@pytest.mark.parametrize("version", [1, 2])
def test_example_is_valid_and_needs_no_photos(form_id, version):
    form = forms.load(form_id, min(version, forms.versions(form_id)[-1]))
    ex = form.example()
    assert form.validate(ex) == {} and form.validate(ex, "en") == {}
    assert form.check(ex) == ex
    assert "foto" not in ex
    assert not form.is_confidential(ex)
    assert not form.field("foto").required


@pytest.mark.parametrize("form_id", SHIPPED)
def test_every_label_and_hint_in_both_languages(form_id):
    form = forms.load(form_id)
    for f in form.fields:
        assert f.label("id") != f.label("en"), f.name  # really translated, not copied
        assert bool(f.hint("id")) == bool(f.hint("en")), f.name
        for c in f.choices:
            assert c.label("id") and c.label("en")


@pytest.mark.parametrize("form_id", SHIPPED)
def test_confidential_field(form_id):
    form = forms.load(form_id)
    assert form.confidential_field == "rahasia"
    rahasia = form.field("rahasia")
    assert rahasia.required and [c.value for c in rahasia.choices] == ["ya", "tidak"]
    assert "kepala desa" in rahasia.hint("id") and "village head" in rahasia.hint("en")
    assert "Imigrasi" in rahasia.label("id")
    assert form.is_confidential({**form.example(), "rahasia": "ya"})


@pytest.mark.parametrize("form_id", SHIPPED)
def test_photo_limit_is_five(form_id):
    form = forms.load(form_id)
    ex = form.example()
    assert form.validate({**ex, "foto": [f"p{i}" for i in range(5)]}) == {}
    assert form.validate({**ex, "foto": [f"p{i}" for i in range(6)]}) == {"foto": "Paling banyak 5 foto"}


# --- laporan_kecurigaan ---------------------------------------------------------------

@pytest.fixture
def lk():
    return forms.load("laporan_kecurigaan", 1)


def minimal_lk(**kw):
    return {"kategori": "dokumen_palsu", "apa_dilihat": "KTP dengan nama berbeda dipakai untuk paspor",
            "waktu_kejadian": "2025-02-01T10:00", "tempat": "Balai desa", "ada_anak": "tidak",
            "urgensi": "biasa", "rahasia": "tidak", **kw}


def test_lk_minimal_report_is_valid_and_not_urgent(lk):
    assert lk.validate(minimal_lk()) == {}
    assert lk.flags(minimal_lk()) == {"urgent": False}


def test_lk_required_fields(lk):
    assert set(lk.validate({})) == {"kategori", "apa_dilihat", "waktu_kejadian", "tempat", "ada_anak",
                                    "urgensi", "rahasia"}


@pytest.mark.parametrize("kw,urgent", [
    ({"ada_anak": "ya"}, True), ({"ada_anak": "tidak_tahu"}, False),
    ({"urgensi": "mendesak"}, True), ({"urgensi": "darurat"}, True), ({"urgensi": "biasa"}, False),
])
def test_lk_urgent_flag(lk, kw, urgent):
    assert lk.flags(minimal_lk(**kw)) == {"urgent": urgent}


def test_lk_lainnya_text_only_for_lainnya(lk):
    assert not lk.is_visible("kategori_lainnya", minimal_lk())
    assert lk.validate(minimal_lk(kategori="lainnya")) == {"kategori_lainnya": "Wajib diisi"}
    assert lk.validate(minimal_lk(kategori="lainnya", kategori_lainnya="Kawin kontrak")) == {}
    assert "kategori_lainnya" not in lk.clean(minimal_lk(kategori_lainnya="lupa dihapus"))


def test_lk_social_media_only_for_recruitment(lk):
    assert not lk.is_visible("media_sosial", minimal_lk())
    ans = minimal_lk(kategori="rekrutmen", media_sosial=["tiktok", "telegram"])
    assert lk.validate(ans) == {}
    assert lk.clean(ans)["media_sosial"] == ["tiktok", "telegram"]
    assert "media_sosial" not in lk.clean({**ans, "kategori": "penampungan"})


def test_lk_children_count_only_when_children(lk):
    assert not lk.is_visible("jumlah_anak", minimal_lk(ada_anak="tidak_tahu"))
    assert lk.is_visible("jumlah_anak", minimal_lk(ada_anak="ya"))
    assert lk.validate(minimal_lk(ada_anak="ya")) == {}  # the count is optional
    assert lk.validate(minimal_lk(ada_anak="ya", jumlah_anak=0)) == {"jumlah_anak": "Harus antara 1 dan 500"}


def test_lk_counts(lk):
    assert lk.validate(minimal_lk(jumlah_orang=501)) == {"jumlah_orang": "Harus antara 0 dan 500"}
    assert lk.validate(minimal_lk(jumlah_orang=500, jumlah_perempuan=500)) == {}
    assert lk.validate(minimal_lk(jumlah_orang=3, jumlah_perempuan=4), "en") == {
        "jumlah_perempuan": "Cannot be more than \u201cHow many people were seen or are being taken?\u201d (3)"}
    assert lk.validate(minimal_lk(jumlah_perempuan=501)) == {"jumlah_perempuan": "Harus antara 0 dan 500"}


def test_lk_what_was_seen_is_length_limited(lk):
    assert lk.validate(minimal_lk(apa_dilihat="x" * 1001)) == {"apa_dilihat": "Tulis 10 sampai 1000 huruf"}
    assert lk.validate(minimal_lk(apa_dilihat="pendek"), "en") == {"apa_dilihat": "Write 10 to 1000 characters"}


def test_lk_gps_checked(lk):
    assert lk.validate(minimal_lk(lokasi={"lat": 100, "lon": 117})) == {"lokasi": "Lintang harus antara -90 dan 90"}
    assert lk.validate(minimal_lk(lokasi={"lat": 4.1, "lon": 117.6, "accuracy": None})) == {}


def test_lk_check_raises_with_all_errors(lk):
    with pytest.raises(ValidationFailed) as exc:
        lk.check(minimal_lk(kategori="x", jumlah_orang=-1))
    assert set(exc.value.errors) == {"kategori", "jumlah_orang"}


def test_lk_summary_uses_choice_labels(lk):
    s = dict(lk.summary(minimal_lk(ada_anak="ya"), "en"))
    assert s["What kind of case"] == "Forged documents (ID card, passport, letters)"
    assert s["Are there children (under 18)?"] == "Yes"
    assert s["When did it happen?"] == "1 February 2025 10:00"
    assert "How many children?" not in s
    s_id = dict(lk.summary(minimal_lk(), "id"))
    assert s_id["Kapan kejadiannya?"] == "1 Februari 2025 10:00"
    assert s_id["Rahasia - hanya untuk Imigrasi?"] == "Tidak"


def test_lk_note_is_not_answered(lk):
    assert lk.field("keselamatan").type == "note"
    assert "keselamatan" not in lk.example()


# --- keberangkatan_pmi ----------------------------------------------------------------

@pytest.fixture
def kp():
    return forms.load("keberangkatan_pmi", 1)


def minimal_kp(**kw):
    return {"tanggal": "2025-03-03", "negara_tujuan": "brunei", "jalur": "pelabuhan_resmi",
            "jumlah_laki": 2, "jumlah_perempuan": 0, "jumlah_di_bawah_umur": 0, "rahasia": "ya", **kw}


def test_kp_minimal_valid_and_confidential(kp):
    assert kp.validate(minimal_kp()) == {}
    assert kp.is_confidential(minimal_kp())
    assert kp.flags(minimal_kp()) == {"urgent": False}


@pytest.mark.parametrize("minors,urgent", [(0, False), (1, True), (12, True)])
def test_kp_urgent_when_minors(kp, minors, urgent):
    assert kp.flags(minimal_kp(jumlah_di_bawah_umur=minors)) == {"urgent": urgent}


def test_kp_other_country_text(kp):
    assert kp.validate(minimal_kp(negara_tujuan="lainnya"), "en") == {"negara_lainnya": "Required"}
    assert kp.validate(minimal_kp(negara_tujuan="lainnya", negara_lainnya="Singapura")) == {}
    assert "negara_lainnya" not in kp.clean(minimal_kp(negara_lainnya="Singapura"))


def test_kp_choices(kp):
    assert [c.value for c in kp.field("negara_tujuan").choices] == [
        "malaysia", "brunei", "timor_leste", "tidak_tahu", "lainnya"]
    assert [c.value for c in kp.field("jalur").choices] == [
        "plbn", "pelabuhan_resmi", "bandara", "jalur_tikus", "tidak_tahu"]
    assert [c.value for c in kp.field("dokumen").choices] == ["paspor", "visa_kerja", "tidak_ada", "tidak_tahu"]
    assert [c.value for c in kp.field("transportasi").choices] == [
        "kapal", "bus_mobil", "motor", "jalan_kaki", "pesawat", "lainnya"]
    assert kp.field("tanggal").type == "date"


def test_kp_counts(kp):
    assert kp.validate(minimal_kp(jumlah_laki=-1, jumlah_di_bawah_umur=1000)) == {
        "jumlah_laki": "Harus antara 0 dan 500", "jumlah_di_bawah_umur": "Harus antara 0 dan 500"}


def test_kp_definition_is_json_serialisable(kp):
    assert json.loads(json.dumps(kp.to_dict()))["id"] == "keberangkatan_pmi"
