"""Checking one answer against its field: type first, then the field's constraint.

Returns None when fine, else ("type" | "constraint", message). A constraint's own
"message" replaces the engine's message for constraint failures only; type errors and
"Wajib diisi" always use the engine's wording.
"""
from __future__ import annotations

import datetime as _dt
import math
import re
from functools import lru_cache
from typing import Any, Callable

from .conditions import is_answered, is_number
from .i18n import fmt_date, fmt_datetime, msg

DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
DATETIME_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?")
GEO_KEYS = {"lat", "lon", "accuracy"}
FUTURE_GRACE_MINUTES = 10
_GRACE = _dt.timedelta(minutes=FUTURE_GRACE_MINUTES)
_LAST_SECOND = _dt.timedelta(seconds=59)


def parse_date(v: object) -> _dt.date | None:
    if not isinstance(v, str) or not DATE_RE.fullmatch(v):
        return None
    try:
        return _dt.date.fromisoformat(v)
    except ValueError:
        return None


def parse_datetime(v: object) -> _dt.datetime | None:
    if not isinstance(v, str) or not DATETIME_RE.fullmatch(v):
        return None
    try:
        return _dt.datetime.fromisoformat(v)
    except ValueError:
        return None


def parse_temporal(ftype: str, v: object):
    return parse_date(v) if ftype == "date" else parse_datetime(v)


@lru_cache(maxsize=256)
def _bound(ftype: str, v: str):
    """A date field's constraint bound ("min": "2000-01-01T00:00"), parsed once per form
    version rather than for every answer checked against it."""
    return parse_temporal(ftype, v)


_DMY_RE = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})(?:[ T](\d{1,2})[:.](\d{2}))?")
_THOUSANDS_RE = re.compile(r"-?\d{1,3}(\.\d{3})+")


def normalize_temporal(ftype: str, text: str) -> str:
    """What a person typed -> the stored ISO form: "26-11-2026" / "26/11/2026 19.30" become
    "2026-11-26" / "2026-11-26T19:30"; "2026-11-26 19:30" gets its "T". Anything else comes
    back stripped and unchanged, so the engine's message can explain it."""
    t = (text or "").strip()
    m = _DMY_RE.fullmatch(t)
    if m:
        d, mo, y, hh, mm = m.groups()
        t = f"{y}-{int(mo):02d}-{int(d):02d}" + (f" {int(hh):02d}:{mm}" if hh else "")
    if ftype == "datetime" and len(t) >= 16 and t[10] == " ":
        t = t[:10] + "T" + t[11:]
    return t


def parse_integer(text: str) -> int | str | None:
    """A typed whole number. "1.000" (Indonesian thousands) is 1000, but "2.5" or "2,5" is not
    25: it comes back as typed so the engine refuses it with a message. None when empty."""
    s = (text or "").strip().replace(" ", "")
    if not s:
        return None
    if _THOUSANDS_RE.fullmatch(s):
        s = s.replace(".", "")
    try:
        return int(s)
    except ValueError:
        return text.strip()


Result = tuple[str, str] | None


def _finite(v: object) -> bool:
    """A number that is not NaN/inf; ints are always finite (math.isfinite overflows on huge ints)."""
    return isinstance(v, int) or math.isfinite(v)


def check_value(field: Any, value: Any, lang: str, get: Callable[[str], Any],
                label_of: Callable[[str, str], str], now: _dt.datetime | None = None) -> Result:
    """`value` is answered (non-empty). `get(name)` gives another field's effective answer;
    `label_of(name, lang)` its label (for max_field messages); `now` the wall clock in the
    zone the answers were typed in (for not_future; default this process's local time)."""
    t = field.type
    c = field.constraint
    if t in ("date", "datetime"):
        return _temporal(field, value, c, lang, now)
    fn = _CHECKS[t]
    return fn(field, value, c, lang, get, label_of)


def checker(ftype: str) -> Callable[..., Result] | None:
    """check_value's dispatch for one field type, worked out once: the type's own check,
    called as fn(field, value, field.constraint, lang, get, label_of), which answers what
    check_value does (Form's walk calls it for every answer of every report the office
    admits). None for date types (they need the wall clock) and for an unknown type (the
    parser refuses them): the caller goes through check_value for those."""
    return None if ftype in ("date", "datetime") else _CHECKS.get(ftype)


def _range(v, c, lang, fmt=lambda x: x) -> str | None:
    lo, hi = c.get("min"), c.get("max")
    lo_v = None if lo is None else fmt(lo)
    hi_v = None if hi is None else fmt(hi)
    if (lo_v is not None and v < lo_v) or (hi_v is not None and v > hi_v):
        if lo is not None and hi is not None:
            return msg("between", lang, min=lo, max=hi)
        return msg("min", lang, min=lo) if lo is not None else msg("max", lang, max=hi)
    return None


def _number(field, v, c, lang, get, label_of) -> Result:
    if field.type == "integer":
        if not isinstance(v, int) or isinstance(v, bool):
            return ("type", msg("type_integer", lang))
    elif not is_number(v) or not _finite(v):
        return ("type", msg("type_decimal", lang))
    err = _range(v, c, lang)
    if err:
        return ("constraint", err)
    other = c.get("max_field")
    if other:
        ov = get(other)
        if is_number(ov) and v > ov:
            return ("constraint", msg("max_field", lang, label=label_of(other, lang), max=ov))
    parts = c.get("max_sum")
    if parts:   # e.g. minors <= men + women: a part of a count cannot exceed the whole
        values = [get(n) for n in parts]
        if all(is_number(x) for x in values) and v > sum(values):
            label = " + ".join(f"\u201c{label_of(n, lang)}\u201d" for n in parts)
            return ("constraint", msg("max_field", lang, label=label, max=sum(values)).replace(
                "\u201c\u201c", "\u201c").replace("\u201d\u201d", "\u201d"))
    return None


def _text(field, v, c, lang, get, label_of) -> Result:
    if not isinstance(v, str):
        return ("type", msg("type_text", lang))
    s = v.strip()
    if "min_length" in c and len(s) < c["min_length"]:
        return ("constraint", msg("min_length", lang, n=c["min_length"]))
    if "max_length" in c and len(s) > c["max_length"]:
        return ("constraint", msg("max_length", lang, n=c["max_length"]))
    if "regex" in c and not re.fullmatch(c["regex"], s):
        return ("constraint", msg("regex", lang))
    return None


def _temporal(field, v, c, lang, now: _dt.datetime | None = None) -> Result:
    parsed = parse_temporal(field.type, v)
    if parsed is None:
        return ("type", msg("type_" + field.type, lang))
    lo, hi = c.get("min"), c.get("max")
    lo_v = None if lo is None else _bound(field.type, lo)
    hi_v = None if hi is None else _bound(field.type, hi)
    if (lo_v is not None and parsed < lo_v) or (hi_v is not None and parsed > hi_v):
        # dates in messages the way people write them: "1 Januari 2000", not "2000-01-01T00:00"
        show = (lambda d: fmt_date(d, lang)) if field.type == "date" else (lambda d: fmt_datetime(d, lang))
        if lo is not None and hi is not None:
            return ("constraint", msg("date_between", lang, min=show(lo_v), max=show(hi_v)))
        return ("constraint", msg("date_min", lang, min=show(lo_v)) if lo is not None
                else msg("date_max", lang, max=show(hi_v)))
    if c.get("not_future"):
        # the phone's wall clock; a few minutes of grace for a clock that runs slow: the clock
        # to the minute, plus the grace (to that minute's last second for a date-time) —
        # by timedelta arithmetic, as datetime.replace costs microseconds a call
        wall = now or _dt.datetime.now()
        late = wall + (_GRACE - _dt.timedelta(0, wall.second, wall.microsecond))
        limit = late.date() if field.type == "date" else late + _LAST_SECOND
        if parsed > limit:
            today = wall.replace(second=0, microsecond=0)
            return ("constraint", msg("future", lang, now=fmt_date(today.date(), lang) if field.type == "date"
                                      else fmt_datetime(today, lang)))
    return None


def _select_one(field, v, c, lang, get, label_of) -> Result:
    if not isinstance(v, str) or v not in field.choice_values:
        return ("type", msg("type_choice", lang))
    return None


def _count(c, n, lang, kind) -> Result:
    if "min_choices" in c and n < c["min_choices"]:
        return ("constraint", msg(f"min_{kind}", lang, n=c["min_choices"]))
    if "max_choices" in c and n > c["max_choices"]:
        return ("constraint", msg(f"max_{kind}", lang, n=c["max_choices"]))
    return None


def check_count(field: Any, n: int, lang: str) -> Result:
    """A repeat group's number of (non-blank) entries against min_count / max_count."""
    c = field.constraint
    if "min_count" in c and n < c["min_count"]:
        return ("constraint", msg("min_count", lang, n=c["min_count"]))
    if "max_count" in c and n > c["max_count"]:
        return ("constraint", msg("max_count", lang, n=c["max_count"]))
    return None


def _select_multiple(field, v, c, lang, get, label_of) -> Result:
    if not isinstance(v, list):
        return ("type", msg("type_choices", lang))
    if any(not isinstance(x, str) or x not in field.choice_values for x in v):
        return ("type", msg("type_choice", lang))
    if len(set(v)) != len(v):
        return ("type", msg("duplicate_choice", lang))
    return _count(c, len(v), lang, "choices")


def _photo(field, v, c, lang, get, label_of) -> Result:
    if not isinstance(v, list) or any(not isinstance(x, str) or not x.strip() for x in v):
        return ("type", msg("type_photo", lang))
    if len(set(v)) != len(v):
        return ("type", msg("duplicate_photo", lang))
    return _count(c, len(v), lang, "photos")


def _audio(field, v, c, lang, get, label_of) -> Result:
    """A voice note: like a photo, a list of attachment ids (the recording itself is an
    attachment, sealed beside the answers), so drafts, sealing and chunked sync need nothing new."""
    if not isinstance(v, list) or any(not isinstance(x, str) or not x.strip() for x in v):
        return ("type", msg("type_audio", lang))
    if len(set(v)) != len(v):
        return ("type", msg("duplicate_audio", lang))
    return _count(c, len(v), lang, "recordings")


def _geopoint(field, v, c, lang, get, label_of) -> Result:
    if not isinstance(v, dict) or not {"lat", "lon"} <= set(v) or not set(v) <= GEO_KEYS:
        return ("type", msg("type_geopoint", lang))
    lat, lon, acc = v["lat"], v["lon"], v.get("accuracy")
    if not is_number(lat) or not is_number(lon) or not _finite(lat) or not _finite(lon):
        return ("type", msg("type_geopoint", lang))
    if not -90 <= lat <= 90:
        return ("type", msg("lat_range", lang))
    if not -180 <= lon <= 180:
        return ("type", msg("lon_range", lang))
    if acc is not None and (not is_number(acc) or not _finite(acc) or acc < 0):
        return ("type", msg("accuracy", lang))
    return None


def _repeat(field, v, c, lang, get, label_of) -> Result:  # never reached: see Form._validate_repeat
    return ("type", msg("type_repeat", lang))


def _note(field, v, c, lang, get, label_of) -> Result:  # never reached with an answer: see Form.validate
    return ("type", msg("note_answer", lang)) if is_answered(v) else None


_CHECKS = {
    "text": _text, "integer": _number, "decimal": _number, "date": _temporal, "datetime": _temporal,
    "select_one": _select_one, "select_multiple": _select_multiple,
    "geopoint": _geopoint, "photo": _photo, "audio": _audio, "note": _note, "repeat": _repeat,
}
TYPES = tuple(_CHECKS)
# Answers that name attachments (sealed beside the answers, sent in chunks) rather than hold data.
ATTACHMENT_TYPES = ("photo", "audio")

# Which constraint keys make sense for which type ("message" is allowed everywhere a
# constraint is; a constraint made of only a message is rejected as pointless).
CONSTRAINT_KEYS = {
    "text": {"min_length", "max_length", "regex"},
    "integer": {"min", "max", "max_field", "max_sum"},
    "decimal": {"min", "max", "max_field", "max_sum"},
    "date": {"min", "max", "not_future"},
    "datetime": {"min", "max", "not_future"},
    "select_one": set(),
    "select_multiple": {"min_choices", "max_choices"},
    "photo": {"min_choices", "max_choices"},
    "audio": {"min_choices", "max_choices"},
    "geopoint": set(),
    "note": set(),
    "repeat": {"min_count", "max_count"},
}
