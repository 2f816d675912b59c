"""Numbers and dates as people type them (issue 15): whole numbers refuse decimals, parts
of a count cannot exceed the whole, incidents cannot be in the future, DD-MM-YYYY works,
and messages write dates the Indonesian way."""
import datetime as dt

import pytest

import forms
from forms.validation import normalize_temporal, parse_integer


@pytest.mark.parametrize("typed,value", [("6", 6), (" 12 ", 12), ("1.000", 1000), ("12.500", 12500),
                                         ("2.5", "2.5"), ("2,5", "2,5"), ("12a", "12a"), ("", None)])
def test_parse_integer_never_turns_decimals_into_tens(typed, value):
    assert parse_integer(typed) == value


def test_decimal_people_are_refused_with_a_message():
    pmi = forms.load("keberangkatan_pmi")
    errors = pmi.validate({**pmi.example(), "jumlah_laki": parse_integer("2.5")})
    assert errors == {"jumlah_laki": "Harus bilangan bulat"}


def test_minors_cannot_exceed_men_plus_women():
    pmi = forms.load("keberangkatan_pmi")
    ex = {**pmi.example(), "jumlah_laki": 1, "jumlah_perempuan": 1}
    assert pmi.validate({**ex, "jumlah_di_bawah_umur": 2}) == {}
    err = pmi.validate({**ex, "jumlah_di_bawah_umur": 9})["jumlah_di_bawah_umur"]
    assert err == "Tidak boleh lebih dari \u201cJumlah laki-laki\u201d + \u201cJumlah perempuan\u201d (2)"


def test_suspicion_parts_cannot_exceed_the_total():
    lap = forms.load("laporan_kecurigaan")
    ex = {**lap.example(), "jumlah_orang": 2, "ada_anak": "ya"}
    assert "jumlah_anak" in lap.validate({**ex, "jumlah_anak": 9})
    assert "jumlah_perempuan" in lap.validate({**ex, "jumlah_anak": 1, "jumlah_perempuan": 3})


def test_incident_cannot_be_in_the_future():
    lap = forms.load("laporan_kecurigaan")
    future = (dt.datetime.now() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    err = lap.validate({**lap.example(), "waktu_kejadian": future})["waktu_kejadian"]
    assert err.startswith("Tidak boleh di masa depan (sekarang ")
    assert lap.validate({**lap.example(), "waktu_kejadian": dt.datetime.now().strftime("%Y-%m-%dT%H:%M")}) == {}


def test_min_date_message_is_written_the_indonesian_way():
    lap = forms.load("laporan_kecurigaan")
    err = lap.validate({**lap.example(), "waktu_kejadian": "1999-05-01T10:00"})["waktu_kejadian"]
    assert err == "Tidak boleh sebelum 1 Januari 2000 00:00"


@pytest.mark.parametrize("ftype,typed,stored", [
    ("date", "26-11-2026", "2026-11-26"), ("date", "6/1/2026", "2026-01-06"), ("date", "2026-11-26", "2026-11-26"),
    ("datetime", "26-11-2026 19:30", "2026-11-26T19:30"), ("datetime", "26.11.2026 7.05", "2026-11-26T07:05"),
    ("datetime", "2026-11-26 19:30", "2026-11-26T19:30"), ("date", "kemarin", "kemarin")])
def test_dd_mm_yyyy_is_accepted(ftype, typed, stored):
    assert normalize_temporal(ftype, typed) == stored


def test_a_datetime_answer_is_read_with_its_zone_when_the_reader_names_one():
    lk = forms.load("laporan_kecurigaan")
    answers = {"kategori": "rekrutmen", "apa_dilihat": "Tawaran kerja", "waktu_kejadian": "2026-11-26T19:30",
               "tempat": "Dermaga", "ada_anak": "tidak", "urgensi": "biasa", "rahasia": "tidak"}
    shown = dict(lk.summary(answers, "id", "WITA"))
    assert shown["Kapan kejadiannya?"] == "26 November 2026 19:30 WITA"
    assert dict(lk.summary(answers, "en", "WIT"))["When did it happen?"] == "26 November 2026 19:30 WIT"
    assert dict(lk.summary(answers, "id"))["Kapan kejadiannya?"] == "26 November 2026 19:30"   # no zone known
    pmi = forms.load("keberangkatan_pmi")
    assert forms.format_answer(pmi.field("tanggal"), "2026-11-26", "id", "WITA") == "26 November 2026"  # a day has no zone
