"""What a report's answers say that can link it to other reports: its identifiers, the
people it names (each with their role), and its facts (departure point, planned date,
minors).

Identifiers come from every "terlibat" entry, read the way people fill it in (a WhatsApp
number in the account field is a phone; "Rahman (0812-3456-7890)" in the name field is a
name and a phone; a field may hold several numbers), and from every free-text answer at
any depth ("nomornya +62 812-9988-7766" in "Apa yang Anda lihat?"), with the same
normalisers. Free text is read strictly — only valid mobile numbers (or a number the writer
marks as a phone: "+60 …", "HP-nya …", "hubungi …"), platform links and
@handles, plates with a real region code, boats behind a boat prefix and a capitalised
name — so prose never links strangers. Names are read from the name field only.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from . import names, normalise

# answer key inside an entry -> (identifier kind, normaliser); handover/identifiers.py lists these
ENTRY_KEYS: dict[str, tuple[str, Callable[[str], str | None]]] = {
    "telepon": ("phone", normalise.phone), "akun_medsos": ("handle", normalise.handle),
    "plat": ("plate", normalise.plate), "kapal": ("boat", normalise.boat), "nama": ("name", normalise.name)}
ENTRY_GROUP = "terlibat"
ROLE_KEY = "peran"
# Free-text finders (each hit goes through the kind's own normaliser).
_PHONE_TEXT = re.compile(r"(?:wa\.me/|phone=)?(?<![\w+])\+?\(?\d[\d\s\-.()]{7,17}\d(?!\d)")
_URL_HANDLE = re.compile(r"(?:https?://)?(?:www\.|m\.)?(?:facebook|fb|instagram|tiktok|twitter|x|t)\.(?:com|me)/[@\w.\-/]+", re.I)
_AT_HANDLE = re.compile(r"(?<![\w.])@([A-Za-z0-9_.]{3,40})")
_LABEL_HANDLE = re.compile(r"\b(?:fb|facebook|ig|instagram|tiktok|telegram)\s*:\s*([A-Za-z0-9_.]+(?:[ ][A-Z][A-Za-z0-9]*){0,3})", re.I)
_PLATE_TEXT = re.compile(r"\b([A-Z]{1,3})[ \-]?(\d{1,4})[ \-]?([A-Z]{0,3})\b")
_BOAT_TEXT = re.compile(r"\b(?:KM|K\.M\.|KLM|KMP|SB|S\.B\.|MV|Kapal Motor|[Kk]apal|[Ss]peed ?[Bb]oat|[Ss]peed)\.?\s+"
                        r"((?:[A-Z][A-Za-z']+)(?:\s+(?:[A-Z][A-Za-z']+|\d{1,3}|I{1,3}|IV|V))*)")
_ID_PLATE_CODES = frozenset(normalise._ID_PLATE)
_DIGIT = re.compile(r"\d")          # what every phone and plate match holds (free_text)
# words that mark the number after them as a phone (_said_as_phone); only filler between
_PHONE_CUE = re.compile(r"(?:\b(?:hp|wa|whatsapp|telp|tlp|telepon|kontak|nomor|nomer|no\.?\s*(?:hp|wa|telp|tlp))"
                        r"(?:-?nya)?(?:\s+(?:yang\s+)?(?:dikasih|diberi|diberikan|calo|dia|agen|tekong|sponsor))?"
                        r"|\b(?:hubungi|dihubungi(?:\s+di)?|sms|call))\s*[:=\-]?\s*$", re.I)


@dataclass(frozen=True)
class Person:
    """One name a report gives to someone involved, with their role (None when not said)."""
    name: str
    role: str | None = None


@dataclass
class Facts:
    identifiers: list[tuple[str, str]] = field(default_factory=list)   # (kind, normalised value)
    place: str | None = None
    planned_date: dt.date | None = None
    minors: int = 0
    people: list[Person] = field(default_factory=list)

    def add(self, kind: str, value: str | None) -> None:
        if value and (kind, value) not in self.identifiers:
            self.identifiers.append((kind, value))


def facts(form_id: str, answers: Any, places: dict[str, list[str]]) -> Facts:
    out = Facts()
    if not isinstance(answers, dict):
        return out
    entries = answers.get(ENTRY_GROUP)
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict):
            _entry(entry, out)
    for text in _free_text(answers):
        free_text(text, out)
    raw_place = answers.get("tempat_berangkat")
    if isinstance(raw_place, str):
        out.place = normalise.place(raw_place, places)
    if answers.get("status") == "rencana" and isinstance(answers.get("tanggal_rencana"), str):
        try:
            out.planned_date = dt.date.fromisoformat(answers["tanggal_rencana"])
        except ValueError:
            pass
    for k in ("jumlah_di_bawah_umur", "jumlah_anak"):
        v = answers.get(k)
        if isinstance(v, int) and not isinstance(v, bool) and v > 0:
            out.minors = max(out.minors, v)
    return out


def _entry(entry: dict, out: Facts) -> None:
    role = entry.get(ROLE_KEY) if isinstance(entry.get(ROLE_KEY), str) else None
    if role == "lainnya" and isinstance(entry.get("peran_lain"), str):
        role = "lain:" + normalise.fold(entry["peran_lain"])
    for key, (kind, norm) in ENTRY_KEYS.items():
        raw = entry.get(key)
        if not isinstance(raw, str) or not raw.strip():
            continue
        if kind == "name":
            for n in names.aliases(raw):
                p = Person(n, role)
                if p not in out.people:
                    out.people.append(p)
                    out.add("name", n)
            free_text(raw, out, phones_only=True)
        elif kind == "phone":
            for part in re.split(r"\s*(?:/|,|;|\batau\b|\bdan\b|&)\s*", raw):
                out.add("phone", normalise.phone(part) or normalise.whatsapp(part))
        elif kind == "handle":
            wa = normalise.whatsapp(raw)
            out.add("phone", wa) if wa else out.add("handle", normalise.handle(raw))
        elif kind == "plate":
            # the vehicle written with its plate ("avanza hitam KT 1234 XY"): the plate in it
            plate = norm(raw)
            for p in [plate] if plate else _plates_in(raw.upper()):
                out.add("plate", p)
        else:
            out.add(kind, norm(raw))


def _free_text(value: Any, depth: int = 0) -> list[str]:
    """Every free-text answer at any depth, except the entry fields read above."""
    if depth > 4:
        return []
    if isinstance(value, str):
        return [value] if len(value) >= 8 else []
    if isinstance(value, list):
        return [t for v in value for t in _free_text(v, depth + 1)]
    if isinstance(value, dict):
        return [t for k, v in value.items() if k not in ENTRY_KEYS and k != ROLE_KEY
                for t in _free_text(v, depth + 1)]
    return []


def _plates_in(text: str) -> list[str]:
    """Plates inside prose, strictly: a real region code, three or more digits, and a
    suffix or a two-letter region (so "RT 005" or "A 12" is not a plate)."""
    out = []
    for m in _PLATE_TEXT.finditer(text):
        prefix, digits, suffix = m.groups()
        if (prefix in _ID_PLATE_CODES or prefix[0] in "SQ") and len(digits) >= 3 and (suffix or len(prefix) > 1):
            plate = normalise.plate(m.group(0))
            if plate:
                out.append(plate)
    return out


def _said_as_phone(text: str, m: re.Match) -> bool:
    """A number the writer marked as a phone: with its country code ("+60 11-008 2653",
    "wa.me/…"), or right after a word that says so ("HP-nya", "nomornya", "no hp calo",
    "hubungi", "bisa dihubungi di", "nomor yang dikasih:", "katanya WA-nya"). Such a number
    is read even when the numbering plan does not list its range (a Malaysian 011 number
    written one digit short, a range newer than the phone library): a date or a count is
    never written so, and a bank account or an ID number has its own word ("nomor rekening")."""
    written = m.group(0).lstrip("(")
    if written.startswith(("+", "wa.me/", "phone=")):
        return True
    return _PHONE_CUE.search(text, max(0, m.start() - 40), m.start()) is not None


def free_text(text: str, out: Facts, phones_only: bool = False) -> None:
    """Identifiers written into prose, read strictly (see the module's docstring).

    A finder is run only when the text holds what every match of it must hold (a digit for
    phones and plates, the "/" of a link, the "@", the ":" of a label): most prose has none,
    and the finders' scans were most of a report's fact extraction. Same hits, same order."""
    digits = _DIGIT.search(text) is not None
    if digits:
        for m in _PHONE_TEXT.finditer(text):
            out.add("phone", normalise.phone(m.group(0).replace("wa.me/", "").replace("phone=", ""),
                                             strict=not (phones_only or _said_as_phone(text, m))))
    if phones_only:
        return
    if "/" in text:
        for m in _URL_HANDLE.finditer(text):
            out.add("handle", normalise.handle(m.group(0)))
    if "@" in text:
        for m in _AT_HANDLE.finditer(text):
            out.add("handle", normalise.handle(m.group(1)))
    if ":" in text:
        for m in _LABEL_HANDLE.finditer(text):
            out.add("handle", normalise.handle(m.group(1)))
    if digits:
        for plate in _plates_in(text):
            out.add("plate", plate)
    for m in _BOAT_TEXT.finditer(text):
        out.add("boat", normalise.boat(m.group(1)))
