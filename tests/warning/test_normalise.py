"""Identifiers written differently by different people come out the same; others do not."""
import pytest

from office.warning import normalise
from office.warning.places import KNOWN_PLACES


@pytest.mark.parametrize("raw,e164", [
    ("0812 3456 7890", "+6281234567890"), ("+62 812-3456-7890", "+6281234567890"),
    ("6281234567890", "+6281234567890"), ("(0812) 3456.7890", "+6281234567890"),
    ("+60 12-345 6789", "+60123456789"), ("60123456789", "+60123456789"),
    ("tanya pak RT", None), ("12", None), ("", None),
])
def test_phone_to_e164(raw, e164):
    assert normalise.phone(raw) == e164


def test_near_miss_numbers_stay_apart():
    assert normalise.phone("0812 3456 7890") != normalise.phone("0812 3456 7891")


@pytest.mark.parametrize("raw,out", [("KT 1234 AB", "KT1234AB"), ("kt-1234-ab", "KT1234AB"),
                                     ("SAB 1234 A", "SAB1234A"), ("hitam", None)])
def test_plate(raw, out):
    assert normalise.plate(raw) == out


@pytest.mark.parametrize("raw", ["KM Sinar Jaya", "KM. Sinar Jaya", "SB Sinar Jaya", "speedboat sinar jaya",
                                 "KMP  SINAR  JAYA", "KM SB Sinar Jaya"])
def test_boat_prefixes_dropped(raw):
    assert normalise.boat(raw) == "sinar jaya"


@pytest.mark.parametrize("raw", ["@Udin.Kerja", "facebook.com/udin.kerja", "https://www.tiktok.com/@udin.kerja",
                                 " udin.kerja ", "https://m.facebook.com/Udin.Kerja?ref=x"])
def test_handles_lower_cased_and_squashed(raw):
    assert normalise.handle(raw) == "udinkerja"


def test_names_drop_titles_and_order():
    assert normalise.name("Pak H. Udin Saparudin") == "udin saparudin"
    assert normalise.name("Bu") is None
    assert normalise.name_tokens("udin saparudin") == ["saparudin", "udin"]


def test_places_matched_to_known_names():
    assert normalise.place("dermaga sei menggaris", KNOWN_PLACES) == "Dermaga Sei Menggaris"
    assert normalise.place("Pelabuhan Tunon Taka", KNOWN_PLACES) == "Pelabuhan Tunon Taka (Nunukan)"
    assert normalise.place("sungai nyamuk sebatik", KNOWN_PLACES) == "Dermaga Sungai Nyamuk (Sebatik)"
    assert normalise.place("Kebun Pak Ali", KNOWN_PLACES) == "kebun pak ali"   # unknown: the folded text
