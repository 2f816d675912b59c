"""Version 2 of the shipped forms: the repeatable "person or thing involved" group, the
departure details of keberangkatan_pmi, orang asing + "how do you know" in
laporan_kecurigaan, and the wording fixes. v1 stays readable (test_shipped.py)."""
import pycountry
import pytest

import forms

ROLES = ["calo", "tekong", "sponsor", "penampung", "sopir", "juru_bawa", "lainnya"]


@pytest.fixture(scope="module")
def kp():
    return forms.load("keberangkatan_pmi", 2)


@pytest.fixture(scope="module")
def lk():
    return forms.load("laporan_kecurigaan", 2)


def minimal_kp(**kw):
    return {"status": "sudah", "tanggal": "2025-03-03", "tempat_berangkat": "Dermaga A", "negara_tujuan": ["my"],
            "jalur": "jalur_tikus", "jumlah_laki": 2, "jumlah_perempuan": 0, "jumlah_di_bawah_umur": 0,
            "rahasia": "tidak", **kw}


def minimal_lk(**kw):
    return {"kategori": "rekrutmen", "apa_dilihat": "Ada tawaran kerja ke Malaysia", "sumber_info": "melihat",
            "waktu_kejadian": "2025-03-03T20:00", "tempat": "Dermaga", "ada_anak": "tidak", "urgensi": "biasa",
            "rahasia": "tidak", **kw}


@pytest.mark.parametrize("form_id", ["keberangkatan_pmi", "laporan_kecurigaan"])
def test_involved_group(form_id):
    g = forms.load(form_id, 2).field("terlibat")
    assert g.type == "repeat" and not g.required and g.constraint == {"max_count": 10}
    assert [s.name for s in g.fields] == ["peran", "peran_lain", "nama", "telepon", "akun_medsos", "plat", "kapal"]
    assert [c.value for c in g.fields[0].choices] == ROLES
    assert all(s.label("id") and s.label("en") for s in g.fields)


def test_kp_minimal_is_valid(kp):
    assert kp.validate(minimal_kp()) == {}


def test_kp_status_decides_which_date(kp):
    assert kp.validate(minimal_kp(status="rencana")) == {"tanggal_rencana": "Wajib diisi"}
    assert kp.validate(minimal_kp(status="rencana", tanggal_rencana="2025-03-05")) == {}
    assert "tanggal" not in kp.clean(minimal_kp(status="rencana", tanggal_rencana="2025-03-05"))
    assert kp.validate(minimal_kp(status="sedang", tanggal=None), "en") == {"tanggal": "Required"}


def test_kp_countries_are_iso_3166_alpha2(kp):
    codes = [c.value for c in kp.field("negara_tujuan").choices if c.value not in ("lainnya", "tidak_tahu")]
    for code in codes:
        assert pycountry.countries.get(alpha_2=code.upper()) is not None, code
    assert {"my", "kh", "th", "sa", "ae"} <= set(codes)


def test_kp_documents_as_a_volunteer_sees_them(kp):
    assert [c.value for c in kp.field("dokumen").choices] == ["paspor", "plb", "visa_turis_ziarah", "tidak_ada", "tidak_tahu"]
    assert "visa_kerja" not in kp.field("dokumen").choice_values


def test_kp_job_money_and_agency(kp):
    assert [c.value for c in kp.field("pekerjaan").choices] == ["sawit", "art", "pabrik", "online_scam", "lainnya", "tidak_tahu"]
    assert kp.validate(minimal_kp(pekerjaan="lainnya"), "en") == {"pekerjaan_lain": "Required"}
    assert "potong_gaji" in kp.field("biaya").choice_values
    assert kp.validate(minimal_kp(biaya="bayar", jumlah_biaya=15000000)) == {}
    assert kp.field("lewat_p3mi").choice_values == ("ya", "tidak", "tidak_tahu")
    assert kp.field("dokumen_ditahan").type == "select_one"


def test_kp_involved_entries_are_validated(kp):
    ans = minimal_kp(terlibat=[{"peran": "tekong", "kapal": "KM Sinar Jaya"}, {"telepon": "0812 3456 7890"}])
    assert kp.validate(ans, "en") == {"terlibat[1].peran": "Required"}
    bad = minimal_kp(terlibat=[{"peran": "calo", "telepon": "tanya pak RT"}])
    assert kp.validate(bad) == {"terlibat[0].telepon": "Tulis angka nomor HP saja, boleh dengan + di depan"}
    assert kp.validate(minimal_kp(terlibat=[{"peran": "sopir", "plat": "KT 1234 AB", "telepon": "+60 12-345 6789"}])) == {}


def test_kp_departure_point_and_gps(kp):
    assert kp.validate(minimal_kp(tempat_berangkat=None), "en") == {"tempat_berangkat": "Required"}
    assert kp.field("lokasi_berangkat").type == "geopoint" and not kp.field("lokasi_berangkat").required
    assert kp.field("waktu_hari").choice_values[-1] == "tidak_tahu"


def test_kp_plbn_is_not_labelled_as_the_passport_stamp(kp):
    label = kp.field("jalur").choice_label("plbn", "id").lower()
    assert "paspor" not in label and "cap" not in label


def test_lk_orang_asing_asks_nationality(lk):
    assert "orang_asing" in lk.field("kategori").choice_values
    assert lk.validate(minimal_lk(kategori="orang_asing"), "en") == {"kewarganegaraan": "Required"}
    assert lk.validate(minimal_lk(kategori="orang_asing", kewarganegaraan="cn")) == {}
    assert lk.validate(minimal_lk(kategori="orang_asing", kewarganegaraan="lainnya"), "en") == {"kewarganegaraan_lain": "Required"}


def test_lk_how_do_you_know(lk):
    assert lk.field("sumber_info").choice_values == ("melihat", "diberi_tahu", "media_sosial")
    assert lk.validate(minimal_lk(sumber_info=None)) == {}     # optional: a 2-minute report stays 2 minutes


def test_lk_wording(lk):
    assert lk.field("jumlah_perempuan").label("id") == "Berapa di antaranya perempuan?"
    assert lk.validate(minimal_lk(apa_dilihat="pendek")) == {"apa_dilihat": "Tulis 10 sampai 1.000 karakter"}
    texts = " ".join(f.label("id") + " " + f.hint("id") for f in lk.fields)
    assert "pelaku" not in texts.lower()
    assert "orang yang dicurigai" in lk.field("ciri_ciri").label("id").lower()
    assert "pelaku" not in [f.name for f in lk.fields]


def test_urgent_flags_unchanged(kp, lk):
    assert kp.flags(minimal_kp(jumlah_di_bawah_umur=1)) == {"urgent": True}
    assert lk.flags(minimal_lk(urgensi="darurat")) == {"urgent": True}
