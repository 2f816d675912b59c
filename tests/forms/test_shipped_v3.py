"""Version 3 of keberangkatan_pmi: a "where was it seen" step (place text, which the phone
fills with the volunteer's village and kecamatan, the departure point, optional GPS).
v1 and v2 stay readable: envelopes sealed with them must still open and validate."""
import pytest

import forms


@pytest.fixture(scope="module")
def kp3():
    return forms.load("keberangkatan_pmi", 3)


def minimal_kp3(**kw):
    return {"status": "sudah", "tanggal": "2025-03-03", "tempat_terlihat": "Desa Tanjungkarang, Kecamatan Sebatik",
            "negara_tujuan": ["my"], "jalur": "jalur_tikus", "jumlah_laki": 2, "jumlah_perempuan": 0,
            "jumlah_di_bawah_umur": 0, "rahasia": "tidak", **kw}


def test_v3_is_the_newest_and_older_versions_stay():
    assert forms.load("keberangkatan_pmi").version == 3
    assert forms.versions("keberangkatan_pmi") == [1, 2, 3]
    v2 = {"status": "sudah", "tanggal": "2025-03-03", "tempat_berangkat": "Dermaga A", "negara_tujuan": ["my"],
          "jalur": "jalur_tikus", "jumlah_laki": 2, "jumlah_perempuan": 0, "jumlah_di_bawah_umur": 0,
          "rahasia": "tidak"}
    assert forms.load("keberangkatan_pmi", 2).validate(v2, "en") == {}


def test_v3_asks_where_it_was_seen_on_its_own_step(kp3):
    sec = next(s for s in kp3.sections if s.name == "di_mana")
    assert [f.name for f in sec.fields] == ["tempat_terlihat", "tempat_berangkat", "lokasi_berangkat"]
    assert sec.title("id") == "Di mana terlihat"
    assert kp3.field("tempat_terlihat").required and kp3.field("tempat_terlihat").type == "text"
    assert not kp3.field("tempat_berangkat").required            # the village default answers "where"
    gps = kp3.field("lokasi_berangkat")
    assert gps.type == "geopoint" and not gps.required
    assert kp3.validate(minimal_kp3(), "en") == {}
    assert kp3.validate(minimal_kp3(tempat_terlihat=None), "en") == {"tempat_terlihat": "Required"}
    assert kp3.validate(minimal_kp3(tempat_terlihat="x" * 201), "en")["tempat_terlihat"]


def test_v3_gps_is_checked_and_summarised(kp3):
    located = minimal_kp3(lokasi_berangkat={"lat": 4.137, "lon": 117.665, "accuracy": 12.0})
    assert kp3.validate(located, "en") == {}
    assert kp3.validate(minimal_kp3(lokasi_berangkat={"lat": 200, "lon": 0}), "en")["lokasi_berangkat"]
    summary = dict(kp3.summary(located, "id"))
    assert summary["Lokasi GPS (tidak wajib)"] == "4.13700, 117.66500 (\u00b112 m)"
    assert summary["Di mana keberangkatan ini terlihat? (desa, kecamatan)"] == "Desa Tanjungkarang, Kecamatan Sebatik"


def test_v3_keeps_every_v2_question(kp3):
    v2 = forms.load("keberangkatan_pmi", 2)
    assert {f.name for f in v2.fields} <= {f.name for f in kp3.fields}
    assert kp3.flags(minimal_kp3(jumlah_di_bawah_umur=1, jumlah_laki=1))["urgent"] is True
