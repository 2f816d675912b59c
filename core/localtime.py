"""Local time for people, UTC for storage: the one helper both the phone and the office use.

Indonesia has three zones and no daylight saving: WIB (UTC+7), WITA (UTC+8), WIT (UTC+9).
Every time a person reads carries its zone name ("26 November 2026 15:31 WITA"), because
a volunteer in Nunukan (WITA) and an analyst in Jakarta (WIB) must agree on what "15:31"
meant. The zone comes from, in order: an explicit setting (JAGA_TZ or the caller's
choice), the region's province, the machine's own UTC offset, else WIB.
"""
from __future__ import annotations

import datetime as dt
import os
import time

ZONES: dict[str, int] = {"WIB": 7, "WITA": 8, "WIT": 9}      # hours east of UTC
DEFAULT = "WIB"
MONTHS = {"id": ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September",
                 "Oktober", "November", "Desember"),
          "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September",
                 "October", "November", "December")}

# Provinces by zone (Permendagri / Keppres 41/1987); lower-case names, common spellings.
_PROVINCES = {
    "WITA": ("bali", "nusa tenggara barat", "ntb", "nusa tenggara timur", "ntt", "kalimantan selatan",
             "kalimantan timur", "kalimantan utara", "sulawesi utara", "sulawesi tengah", "sulawesi selatan",
             "sulawesi tenggara", "sulawesi barat", "gorontalo"),
    "WIT": ("maluku", "maluku utara", "papua", "papua barat", "papua barat daya", "papua selatan",
            "papua tengah", "papua pegunungan"),
}


# Kemendagri province codes (the first two digits of every kode wilayah) by zone. Names drift
# (Kalimantan Utara was split from Kalimantan Timur in 2012, Papua into six since 2022) and a
# village's region is often its kabupaten ("Nunukan"), so the code decides, not the name.
_PROVINCE_CODES = {
    "WIB": ("11", "12", "13", "14", "15", "16", "17", "18", "19", "21", "31", "32", "33", "34", "35", "36",
            "61", "62"),
    "WITA": ("51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76"),
    "WIT": ("81", "82", "91", "92", "93", "94", "95", "96"),
}


def zone_for_code(kode_wilayah: str | None) -> str | None:
    """WIB / WITA / WIT for a Kemendagri region code at any level ("65", "65.03.01.2001"), else None."""
    head = (kode_wilayah or "").strip()[:2]
    for zone_name, codes in _PROVINCE_CODES.items():
        if head in codes:
            return zone_name
    return None


def wall_clock(zone_name: str, now: dt.datetime | None = None) -> dt.datetime:
    """What a clock on the wall in `zone_name` reads at this instant (naive, to the second).

    A typed date-time is stored as such a wall-clock reading with its zone named beside it;
    the process's own local time is NOT it — a phone (or a browser build) set to UTC while
    its user chose WITA would otherwise fill "now" eight hours early and label it WITA."""
    instant = now if now is not None else dt.datetime.now(dt.timezone.utc)
    if instant.tzinfo is None:
        instant = instant.astimezone()        # a naive instant is this process's local time
    return instant.astimezone(tzinfo(zone_name)).replace(tzinfo=None, microsecond=0)


def zone_for_region(region: str | None) -> str | None:
    """WIB / WITA / WIT for a province name (or a region text that contains one), else None."""
    if not region:
        return None
    r = region.strip().lower()
    for zone, names in _PROVINCES.items():
        if any(r == n or r.endswith(" " + n) or r.startswith(n + " ") or f"({n})" in r for n in names):
            return zone
    return None


def zone_for_offset(seconds: int | float | None) -> str | None:
    for name, hours in ZONES.items():
        if seconds is not None and int(seconds) == hours * 3600:
            return name
    return None


def zone(explicit: str | None = None, region: str | None = None) -> str:
    """The zone to show: explicit choice, JAGA_TZ, the region's province, this machine, else WIB."""
    for cand in (explicit, os.environ.get("JAGA_TZ")):
        if cand and cand.upper() in ZONES:
            return cand.upper()
    return (zone_for_region(region) or zone_for_offset(-time.timezone if not time.daylight else None)
            or DEFAULT)


def tzinfo(name: str) -> dt.timezone:
    return dt.timezone(dt.timedelta(hours=ZONES[name]), name)


def parse_utc(value: str | int | float | dt.datetime | None) -> dt.datetime | None:
    """An ISO text ("…Z", "+00:00" or naive = UTC), epoch milliseconds, or a datetime."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return dt.datetime.fromtimestamp(value / 1000, dt.timezone.utc)
    try:
        d = dt.datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return d if d.tzinfo else d.replace(tzinfo=dt.timezone.utc)


def to_local(value, zone_name: str) -> dt.datetime | None:
    d = parse_utc(value)
    return None if d is None else d.astimezone(tzinfo(zone_name))


def date_text(d: dt.date, lang: str = "id") -> str:
    """26 November 2026 — the way dates are written in Indonesian (and English)."""
    return f"{d.day} {MONTHS.get(lang, MONTHS['id'])[d.month - 1]} {d.year}"


def format(value, zone_name: str, lang: str = "id", *, date: bool = True, short: bool = False) -> str:  # noqa: A001
    """'26 November 2026 15:31 WITA' (short: '26-11-2026 15:31 WITA'; date=False: '15:31 WITA').
    Text that is not a time comes back unchanged, never an exception in a page."""
    d = to_local(value, zone_name)
    if d is None:
        return "" if value in (None, "") else str(value)
    clock = f"{d:%H:%M} {zone_name}"
    if not date:
        return clock
    return f"{d:%d-%m-%Y} {clock}" if short else f"{date_text(d.date(), lang)} {clock}"
