"""Identifiers as the same person writes them in different ways, made comparable.

Every function returns the canonical form, or None when the input does not look like
that kind of identifier at all (a None never links anything). Libraries do the hard
parts: phonenumbers for numbers, rapidfuzz for place names; the rest is small and
specific to how volunteers at the border write plates, boats and handles.
"""
from __future__ import annotations

import functools
import re
import unicodedata

import phonenumbers
from rapidfuzz import fuzz, process

_SPACES = re.compile(r"[\s.\-_/]+")
_BOAT_PREFIX = re.compile(r"^(?:km|kmp|kln|kapal|sb|speedboat|speed|boat|mv|kml)\b[\s.]*", re.I)
_HANDLE_URL = re.compile(r"^(?:https?://)?(?:www\.|m\.)?(?:facebook|fb|instagram|tiktok|twitter|x|t)\.(?:com|me)/(?:@)?", re.I)
# Titles and kinship words people put before a name; they say nothing about who it is.
HONORIFICS = {"pak", "bapak", "bpk", "bu", "ibu", "bang", "abang", "kak", "kakak", "mas", "mbak", "om",
              "tante", "haji", "hj", "h", "ustad", "ustadz", "cik", "encik", "datuk", "tuan", "puan",
              "bro", "sdr", "saudara", "mr", "mrs", "ms"}


def fold(text: str) -> str:
    """Lower case, accents and punctuation folded to plain ASCII words."""
    t = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return " ".join(re.findall(r"[a-z0-9]+", t))


def phone(raw: str) -> str | None:
    """E.164 ('+6281234567890'). Local numbers (08…) are Indonesian; '60…'/'+60…' Malaysian;
    '62…' without the plus is read as Indonesian too. Invalid numbers give None."""
    s = re.sub(r"[^\d+]", "", raw or "")
    if not s:
        return None
    if not s.startswith("+") and (s.startswith("62") or s.startswith("60")) and len(s) >= 10:
        s = "+" + s
    try:
        n = phonenumbers.parse(s, "ID")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(n):
        return None
    return phonenumbers.format_number(n, phonenumbers.PhoneNumberFormat.E164)


def plate(raw: str) -> str | None:
    """'KT 1234 AB', 'kt-1234-ab' -> 'KT1234AB' (Indonesian and Malaysian plates alike)."""
    s = re.sub(r"[^A-Za-z0-9]", "", raw or "").upper()
    return s if 3 <= len(s) <= 12 and re.search(r"\d", s) else None


def boat(raw: str) -> str | None:
    """'KM. Sinar Jaya', 'SB Sinar Jaya 2', 'speedboat sinar jaya' -> 'sinar jaya' / 'sinar jaya 2'."""
    s = fold(raw or "")
    prev = None
    while prev != s:           # "KM SB Sinar" — strip every prefix
        prev = s
        s = _BOAT_PREFIX.sub("", s).strip()
    return s or None


def handle(raw: str) -> str | None:
    """'@Udin.Kerja', 'facebook.com/udin.kerja', 'https://www.tiktok.com/@udin.kerja' -> 'udin.kerja'."""
    s = (raw or "").strip()
    s = _HANDLE_URL.sub("", s).split("?")[0].strip("/ ").lstrip("@").lower()
    s = re.sub(r"\s+", "", s)
    return s or None


def name(raw: str) -> str | None:
    """'Pak H. Udin  Saparudin' -> 'saparudin udin': folded, titles dropped, tokens sorted (so
    word order does not matter). Fuzzy comparison of what is left: see rules.same_name."""
    toks = [t for t in fold(raw or "").split() if t not in HONORIFICS and not t.isdigit()]
    toks = [t for t in toks if len(t) > 1]
    return " ".join(sorted(toks)) or None


def name_tokens(normalised: str) -> list[str]:
    """Blocking tokens of a normalised name: two spellings that share none are never compared."""
    return sorted({t[:4] for t in normalised.split() if len(t) >= 3})


def place(raw: str, known: dict[str, list[str]], cutoff: float = 85.0) -> str | None:
    """A departure point matched to a known place (its canonical name) when one is close
    enough (rapidfuzz WRatio over every alias), else the folded text itself."""
    s = fold(raw or "")
    if not s:
        return None
    aliases, choices = _aliases(tuple((canon, tuple(names)) for canon, names in known.items()))
    hit = process.extractOne(s, choices, scorer=fuzz.WRatio, score_cutoff=cutoff)
    return aliases[hit[0]] if hit else s


@functools.lru_cache(maxsize=8)
def _aliases(known: tuple) -> tuple[dict[str, str], list[str]]:
    """Folded alias -> canonical name, built once per gazetteer (not once per report)."""
    aliases = {fold(a): canon for canon, names in known for a in [canon, *names]}
    return aliases, list(aliases)
