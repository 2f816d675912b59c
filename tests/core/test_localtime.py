"""core.localtime: UTC in, local time with its zone name out."""
import datetime as dt

import pytest

from core import localtime


def test_zones_and_names():
    assert localtime.format("2026-11-26T07:31:00.000Z", "WITA") == "26 November 2026 15:31 WITA"
    assert localtime.format("2026-11-26T07:31:00Z", "WIB", short=True) == "26-11-2026 14:31 WIB"
    assert localtime.format(dt.datetime(2026, 11, 26, 20, 5, tzinfo=dt.timezone.utc), "WIT", date=False) == "05:05 WIT"
    assert localtime.format("2026-11-26T07:31:00Z", "WIB", "en") == "26 November 2026 14:31 WIB"
    # epoch milliseconds (envelope created_ms) and naive text (= UTC)
    assert localtime.format(0, "WIB", short=True) == "01-01-1970 07:00 WIB"
    assert localtime.format("2026-01-01T00:00", "WIB", short=True) == "01-01-2026 07:00 WIB"


def test_not_a_time_is_shown_as_is():
    assert localtime.format("kemarin", "WIB") == "kemarin"
    assert localtime.format(None, "WIB") == ""


@pytest.mark.parametrize("region,zone", [("Kalimantan Utara", "WITA"), ("Papua", "WIT"), ("nusa tenggara timur", "WITA"),
                                         ("Kalimantan Barat", None), ("", None)])
def test_zone_for_region(region, zone):
    assert localtime.zone_for_region(region) == zone


def test_zone_choice_order(monkeypatch):
    monkeypatch.delenv("JAGA_TZ", raising=False)
    assert localtime.zone("wit") == "WIT"
    assert localtime.zone(region="Maluku") == "WIT"
    monkeypatch.setenv("JAGA_TZ", "WITA")
    assert localtime.zone(region="Maluku") == "WITA"
    assert localtime.zone_for_offset(8 * 3600) == "WITA" and localtime.zone_for_offset(0) is None


def test_indonesian_date():
    assert localtime.date_text(dt.date(2026, 11, 26)) == "26 November 2026"
    assert localtime.date_text(dt.date(2026, 8, 17), "en") == "17 August 2026"
