"""Identifiers as the same person writes them in different ways, made comparable.

Every function returns the canonical form, or None when the input does not look like
that kind of identifier at all (a None never links anything). Libraries do the hard
parts: phonenumbers for numbers, rapidfuzz for place names; the rest is small and
specific to how volunteers at the border write numbers, plates, boats and accounts:

    "012-345 6789"              a Sabah-side mobile (01x is Malaysian)  -> +60123456789
    "WA 0853 1111 2222"         a WhatsApp number in the account field  -> phone +6285311112222
    "wa.me/6285311112222"       the same                                -> phone +6285311112222
    "FB: Loker Sabah Resmi"     platform label dropped                  -> lokersabahresmi
    "Kapal Motor", "KLM", "S.B." boat prefixes dropped
Names and their matching live in names.py; places in place() below.
"""
from __future__ import annotations

import functools
import re
import unicodedata

import phonenumbers
from rapidfuzz import fuzz

from .names import HONORIFICS, name, name_tokens  # noqa: F401 — one place to import normalisers from

_BOAT_PREFIX = re.compile(
    r"^(?:kapal(?: layar)?(?: motor)?|k ?m ?p|k ?l ?m|k ?m ?l|k ?m|k ?l ?n|kmn|mt|m ?v|s ?b|speed ?boat|speed|"
    r"boat|bot|long ?boat|lct|perahu|pompong|jonson|johnson|tug ?boat|ferry|feri)\b\s*")
_ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4", "v": "5", "vi": "6", "vii": "7", "viii": "8", "ix": "9", "x": "10"}
_HANDLE_URL = re.compile(r"^(?:https?://)?(?:www\.|m\.|web\.|mobile\.)?(?:facebook|fb|instagram|instagr|tiktok|vt\.tiktok|"
                         r"twitter|x|t|telegram|youtube|threads)\.(?:com|me|am|net)/(?:groups/|profile\.php\?id=|@)?", re.I)
_PLATFORM_LABEL = re.compile(r"^(?:akun\s+)?(?:fb|facebook|ig|insta|instagram|tiktok|tik tok|tt|twitter|x|telegram|tele|tg|"
                             r"threads|youtube|yt|line|akun|page|grup|group|halaman)\b\s*[:\-]?\s*", re.I)
_WHATSAPP = re.compile(r"^(?:https?://)?(?:(?:api\.)?wa\.me/|(?:api|chat)\.whatsapp\.com/send\?phone=|"
                       r"(?:wa|whatsapp|whats app|wasap|no wa|nomor wa|no\. wa)\b\s*[:\-]?\s*)", re.I)
_SEPARATORS = re.compile(r"[\s._\-]+")
# Plate region codes: Indonesian (Kalimantan, Sumatra, Riau, ... ) and Malaysian Sabah/Sarawak (S…, Q…).
_ID_PLATE = ("A B D E F G H K L M N P R S T W Z AA AB AD AE AG BA BB BD BE BG BH BK BL BM BN BP DA DB DC DD DE DG DH "
             "DK DL DM DN DR DS DT DW EA EB ED KB KH KT KU PA PB").split()
_PLATE = re.compile(r"^(?:[A-Z]{1,2}|S[A-Z]{1,2}|Q[A-Z]{1,2}|W[A-Z]{1,2}|J[A-Z]{1,2})\d{1,4}[A-Z]{0,3}$")


def fold(text: str) -> str:
    """Lower case, accents and punctuation folded to plain ASCII words."""
    t = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return " ".join(re.findall(r"[a-z0-9]+", t))


@functools.lru_cache(maxsize=16384)
def phone(raw: str, strict: bool = False) -> str | None:
    """(Cached: the derive worker meets the same numbers in report after report, and
    phonenumbers' parse is most of a report's fact extraction.) E.164 ('+6281234567890'). Local numbers 08… are Indonesian; 01… are Malaysian (an
    Indonesian number never starts 01: the Sabah-side "012-345 6789" is +60 12…); '62…'
    and '60…' without the plus are read as those countries. `strict` (numbers found in free
    text) takes only valid mobile numbers, so a date or a count is never a phone."""
    s = re.sub(r"[^\d+]", "", raw or "")
    if not s or len(re.sub(r"\D", "", s)) < 8:
        return None
    if not s.startswith("+"):
        if s.startswith("00"):
            s = "+" + s[2:]
        elif s.startswith(("62", "60", "673", "65")) and len(s) >= 10:
            s = "+" + s
        elif s.startswith("01"):
            s = "+60" + s[1:]
        elif s.startswith("8") and 9 <= len(s) <= 12:
            s = "+62" + s
    try:
        n = phonenumbers.parse(s, "ID")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(n):
        return None
    if strict and (not phonenumbers.is_valid_number(n) or phonenumbers.number_type(n) not in (
            phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)):
        return None
    return phonenumbers.format_number(n, phonenumbers.PhoneNumberFormat.E164)


def whatsapp(raw: str) -> str | None:
    """A WhatsApp number written where an account goes ('WA 0853 1111 2222',
    'wa.me/6285311112222'): the phone number, else None."""
    s = (raw or "").strip()
    m = _WHATSAPP.match(s)
    if m:
        return phone(s[m.end():].split("?")[0].split("&")[0])
    digits = re.sub(r"[\s\-.()+]", "", s)
    return phone(s) if digits.isdigit() and len(digits) >= 9 else None


def plate(raw: str) -> str | None:
    """'KT 1234 AB', 'kt-1234-ab' -> 'KT1234AB' (Indonesian and Malaysian plates alike)."""
    s = re.sub(r"[^A-Za-z0-9]", "", raw or "").upper()
    return s if 3 <= len(s) <= 12 and re.search(r"\d", s) and re.search(r"[A-Z]", s) else None


def boat(raw: str) -> str | None:
    """'KM. Sinar Jaya', 'Kapal Motor Sinar Jaya', 'KLM Sinar Jaya', 'S.B. Sinar Jaya',
    'speedboat sinar jaya' -> 'sinar jaya'; 'Sinar Jaya II' / '02' -> 'sinar jaya 2'."""
    s = fold(raw or "")
    prev = None
    while prev != s:           # "KM SB Sinar" — strip every prefix
        prev = s
        s = _BOAT_PREFIX.sub("", s).strip()
    toks = s.split()
    if len(toks) > 1 and toks[-1] in _ROMAN:
        toks[-1] = _ROMAN[toks[-1]]
    toks = [t.lstrip("0") or "0" if t.isdigit() else t for t in toks]
    s = " ".join(toks)
    return s if re.search(r"[a-z]", s) else None


def handle(raw: str) -> str | None:
    """'@Udin.Kerja', 'facebook.com/udin.kerja', 'TikTok: kerja.malaysia.gajibesar',
    'FB: Loker Sabah Resmi' -> 'udinkerja' / 'kerjamalaysiagajibesar' / 'lokersabahresmi':
    platform and label dropped, separators squashed (volunteers write a page's name with
    spaces, dots or nothing between the words). A WhatsApp number is not a handle: see
    whatsapp()."""
    s = (raw or "").strip()
    prev = None
    while prev != s:
        prev = s
        s = _PLATFORM_LABEL.sub("", _HANDLE_URL.sub("", s)).strip()
    s = s.split("?")[0].strip("/ ").lstrip("@").lower()
    s = fold(s.replace(".", " ").replace("_", " "))
    s = _SEPARATORS.sub("", s)
    return s if len(s) >= 3 and not s.isdigit() else None


def place(raw: str, known: dict[str, list[str]], cutoff: float = 88.0) -> str | None:
    """A departure point matched to a known place (its canonical name) only on its
    distinctive part, else the folded text itself. "Dermaga X" stays "dermaga x" (the
    generic word "dermaga" matches nothing); "terminal Entikong" stays itself (a bus
    terminal is not the border post PLBN Entikong: the kinds of place differ)."""
    s = fold(raw or "")
    if not s:
        return None
    kind, core = _split_place(s)
    if not core:
        return s
    best, best_score = None, 0.0
    for alias, (canon, alias_kind, alias_core) in _aliases(tuple((c, tuple(n)) for c, n in known.items())).items():
        if kind and alias_kind and kind != alias_kind:
            continue
        score = _core_match(core, alias_core, _canon_tokens(canon))
        if score >= cutoff and score > best_score:
            best, best_score = canon, score
    return best or s


_PLACE_KINDS = {"dermaga": "port", "pelabuhan": "port", "pel": "port", "jetty": "port", "pangkalan": "port",
                "tangkahan": "port", "pantai": "port", "plbn": "border", "pos": "border", "pplb": "border",
                "lintas": "border", "batas": "border", "terminal": "terminal", "bandara": "airport",
                "bandar": "airport", "jalan": "road", "jl": "road", "simpang": "road", "pasar": "market"}


def _split_place(folded: str) -> tuple[str | None, list[str]]:
    toks = folded.split()
    kinds = {_PLACE_KINDS[t] for t in toks if t in _PLACE_KINDS}
    core = [t for t in toks if t not in _PLACE_KINDS and t not in ("di", "ke", "dari", "dekat", "udara", "laut")]
    return (next(iter(kinds)) if len(kinds) == 1 else None), core


def _canon_tokens(canon: str) -> frozenset[str]:
    return frozenset(fold(canon).split())


def _core_match(core: list[str], alias_core: list[str], canon_tokens: frozenset[str]) -> float:
    """Every distinctive word of the alias is in the answer (spelling slips allowed) and
    every other word of the answer belongs to the canonical name: the lowest word score."""
    if not alias_core:
        return 0.0
    scores = []
    used = set()
    for a in alias_core:
        best = max(((fuzz.ratio(a, c), i) for i, c in enumerate(core) if i not in used), default=(0.0, -1))
        if best[1] < 0:
            return 0.0
        used.add(best[1])
        scores.append(best[0])
    extra = [c for i, c in enumerate(core) if i not in used]
    if any(c not in canon_tokens for c in extra):
        return 0.0
    return min(scores)


@functools.lru_cache(maxsize=8)
def _aliases(known: tuple) -> dict[str, tuple[str, str | None, list[str]]]:
    """Folded alias -> (canonical name, kind of place, distinctive words), once per gazetteer."""
    out = {}
    for canon, names in known:
        for a in [canon, *names]:
            kind, core = _split_place(fold(a))
            out[fold(a)] = (canon, kind or _split_place(fold(canon))[0], core)
    return out
