"""A second, independent early-warning test set (issue 25): the check that the rules were
not fitted to `bench/warning_data.py`.

    reports, truth = generate(n_reports, n_villages, seed=...)

Written apart from the first generator and never used to tune a rule: other name lists
(Bugis, Dayak, Flores and Timor Christian, Banjar and Sabah Malay names besides the common
Muslim ones), other spellings ("Yohanis"/"Yohanes", "Jhon"/"John", "Baso"/"Basso",
"Syahrul"/"Sahrul", "Zulkifli"/"Zulkifly"), other titles and writing habits ("Bpk.",
"Sdr.", "Pak De", "Kak", "Daeng" as a title, "alias" nicknames, names in capitals or with a
comma and a village: "Baso, dari Lipatkain", a role after the name: "Baso, calo", "tidak tahu"
where the name is not known, a plate with its car: "avanza hitam DA 1234 XY"), numbers written "0812.3456.7890",
"+62-812 3456 7890", "62 812-3456-7890", "0812 345 67 890", Malaysian "6019-876 5432" and
"019 876 5432", WhatsApp as "no wa 0812…" or "wa: +6281…", accounts as "ig @x",
"akun fb: Nama Page", "tiktok @x", plates "DA1234XY" / "da 1234 xy", boats "MV", "KM.",
"kapal", "pompong", and numbers only in prose ("katanya WA-nya 0853 …", "hubungi …").

Rings: one agent in 3-6 reports from 2-5 villages over 1-9 weeks, each report giving a
random part of what identifies them (some name-only, with a name that is rare here);
near misses: a number with two digits swapped, a boat with another number, the same
nickname for another person in another village, the same common name. Background:
people named once or again in their own village, most names common.
"""
from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from bench.warning_data import END

GIVEN = [("Muhammad", 50), ("Siti", 40), ("Nur", 30), ("Abdul", 25), ("Ahmad", 25), ("Yohanes", 10), ("Maria", 12),
         ("Baso", 6), ("Andi", 12), ("Syahrul", 5), ("Zulkifli", 4), ("Yulius", 3), ("Fransiskus", 4), ("Agustinus", 5),
         ("Hendrikus", 2), ("Petrus", 6), ("Paulus", 4), ("Yosef", 4), ("Jhon", 3), ("Markus", 3), ("Anselmus", 1),
         ("Kornelis", 2), ("Wempi", 1), ("Ansar", 3), ("Jumadi", 3), ("Rusdi", 3), ("Nurdin", 4), ("Hasmawati", 2),
         ("Rosdiana", 2), ("Herlina", 3), ("Junaidi", 4), ("Mardiana", 2), ("Saharuddin", 2), ("Awaluddin", 2),
         ("Ilham", 4), ("Irwan", 4), ("Syamsuddin", 3), ("Rahmawati", 3), ("Sumarni", 2), ("Yuliani", 2),
         ("Suriani", 2), ("Mustafa", 3), ("Ramli", 3), ("Aco", 2), ("Beddu", 1), ("Lamba", 1), ("Apai", 1),
         ("Ijang", 1), ("Tingang", 1), ("Usup", 1), ("Kasim", 3), ("Jamal", 3), ("Hairul", 2), ("Norhayati", 2)]
FAMILY = [("Rahman", 8), ("Hamzah", 4), ("Lamba", 2), ("Pasolo", 1), ("Manurung", 2), ("Tefa", 1), ("Nenobais", 1),
          ("Kolo", 1), ("Bere", 2), ("Seran", 2), ("Lau", 1), ("Ndun", 1), ("Sinaga", 2), ("Mappasessu", 1),
          ("Palallo", 1), ("Tandi", 1), ("Daeng Rani", 1), ("Ibrahim", 4), ("Abdullah", 5), ("Usman", 4),
          ("Hasan", 5), ("Saleh", 4), ("Ali", 4), ("Jumain", 1), ("Udau", 1), ("Belawan", 1), ("Lakaseng", 1)]
SPELL = [("Yohanes", "Yohanis"), ("Jhon", "John"), ("Baso", "Basso"), ("Syahrul", "Sahrul"), ("Zulkifli", "Zulkifly"),
         ("Saharuddin", "Saharudin"), ("Awaluddin", "Awaludin"), ("Syamsuddin", "Samsudin"), ("Muhammad", "Muh."),
         ("Abdul", "Abd"), ("Fransiskus", "Frans"), ("Agustinus", "Agus"), ("Yosef", "Yoseph"), ("Usup", "Yusup"),
         ("Kasim", "Kassim"), ("Nurdin", "Nurdhin"), ("Hairul", "Khairul"), ("Mappasessu", "Mapasesu")]
TITLE = ["Bpk.", "Sdr.", "Pak De", "Kak", "Daeng", "Ibu", "Hj", "Pak", "Om", "Encik"]
UNKNOWN = ["tidak tahu", "tdk tau namanya", "belum kenal", "anonim", "seorang laki-laki", "Tidak Tahu"]
CARS = ["avanza hitam", "pick up putih", "Xenia silver", "mobil travel"]
ROLE = [("calo", 40), ("sponsor", 20), ("tekong", 15), ("sopir", 10), ("penampung", 10), ("lainnya", 5)]
BOATS = ["Nusa Indah", "Bahtera Kasih", "Rezeki Bersama", "Kurnia Ilahi", "Tunas Harapan", "Bunga Teratai",
         "Pelita Hati", "Setia Kawan", "Anak Dara", "Lumba Lumba"]
PLATES = ["DA", "KB", "KT", "DB", "DP", "ED", "SA", "QS", "SS"]
PAGE = ["lowongan", "kerja", "kebun", "sawit", "borneo", "sabah", "kuching", "info", "tenaga", "resmi", "murah",
        "cepat", "kilang", "ladang", "pmi", "agensi"]
PLACES = ["Pelabuhan Nunukan", "Dermaga Sebatik", "PLBN Entikong", "pos lintas Aruk", "Pelabuhan Tunon Taka",
          "jalan setapak Badau", "pangkalan ojek Entikong", "Dermaga Sei Pancang", "PLBN Motaain", "Pantai Atapupu"]
PROSE = ["Ada info lowongan kebun sawit, berangkat lewat jalur tidak resmi.", "Beberapa anak muda sudah dikumpulkan.",
         "Katanya gaji 4 juta sebulan, paspor diurus di sana.", "Berangkat malam, tidak lewat pos resmi.",
         "Orang tua korban melapor ke kepala desa.", "Saya lihat sendiri mereka naik mobil pikap."]


@dataclass
class Person:
    given: list[str]
    role: str
    nick: str | None = None
    phone: str | None = None      # national digits: "8…" (Indonesia) or "1…" (Malaysia)
    wa: str | None = None
    page: str | None = None
    plate: str | None = None
    boat: str | None = None


@dataclass
class Truth:
    rings: list[list[str]] = field(default_factory=list)
    near_misses: int = 0


def _w(rng, pairs):
    return rng.choices([p[0] for p in pairs], [p[1] for p in pairs])[0]


class _Fresh:
    def __init__(self, rng):
        self.rng, self.used = rng, set()

    def take(self, make):
        while (v := make()) in self.used:
            pass
        self.used.add(v)
        return v


def _number(rng, fresh, malaysian: bool = False) -> str:
    if malaysian:
        return fresh.take(lambda: "1" + rng.choice("1469") + f"{rng.randrange(10**7):07d}")
    return fresh.take(lambda: "8" + rng.choice(["11", "13", "21", "23", "51", "52", "53", "56", "57", "81"])
                      + f"{rng.randrange(10**8):08d}")


def _person(rng, fresh, rare: bool = False) -> Person:
    given = [_w(rng, GIVEN)]
    if rare or rng.random() < 0.5:
        given.append(_w(rng, FAMILY if rng.random() < 0.7 else GIVEN))
    if rare and all(dict(GIVEN).get(g, 0) > 10 or dict(FAMILY).get(g, 0) > 4 for g in given):
        given.append(rng.choice([f for f, n in FAMILY if n == 1]))
    return Person(given, _w(rng, ROLE))


def _say_number(rng, d: str) -> str:
    if d.startswith("1"):
        return rng.choice([f"60{d[:2]}-{d[2:5]} {d[5:]}", f"0{d[:2]} {d[2:5]} {d[5:]}", f"+60 {d}", f"0{d}"])
    return rng.choice([f"0{d[:3]}.{d[3:7]}.{d[7:]}", f"+62-{d[:3]} {d[3:7]} {d[7:]}", f"62 {d[:3]}-{d[3:7]}-{d[7:]}",
                       f"0{d[:3]} {d[3:6]} {d[6:8]} {d[8:]}", f"0{d}", f"+62{d}"])


def _say_name(rng, p: Person) -> str:
    words = list(p.given) if rng.random() < 0.7 else p.given[:1]
    text = " ".join(words)
    for a, b in SPELL:
        if a in text and rng.random() < 0.3:
            text = text.replace(a, b)
    if rng.random() < 0.35:
        text = f"{rng.choice(TITLE)} {text}"
    if p.nick and rng.random() < 0.4:
        text += f" alias {p.nick}"
    if rng.random() < 0.1:
        text += f", dari {rng.choice(['Lipatkain', 'Sungai Limau', 'Tanjung', 'kampung sebelah'])}"
    return text.upper() if rng.random() < 0.12 else text


def _mention(rng, p: Person, keep: float, prose: list[str]) -> dict:
    e: dict = {"peran": p.role if rng.random() < 0.85 else _w(rng, ROLE)}
    if rng.random() < 0.06:
        e["nama"] = rng.choice(UNKNOWN)
    elif rng.random() < 0.9:
        e["nama"] = _say_name(rng, p) + (f", {e['peran']}" if rng.random() < 0.08 else "")
    if p.phone and rng.random() < keep:
        if rng.random() < 0.7:
            e["telepon"] = _say_number(rng, p.phone)
        else:
            prose.append(rng.choice(["katanya WA-nya {}", "hubungi {} kalau mau ikut", "nomor yang dikasih: {}"])
                         .format(_say_number(rng, p.phone)))
    if p.wa and rng.random() < keep:
        e["akun_medsos"] = rng.choice(["no wa {}", "wa: {}", "WA {}"]).format(_say_number(rng, p.wa))
    if p.page and rng.random() < keep and "akun_medsos" not in e:
        words = p.page.split("_")
        e["akun_medsos"] = rng.choice([f"ig @{p.page}", "akun fb: " + " ".join(w.capitalize() for w in words),
                                       f"tiktok @{p.page}", f"instagram.com/{p.page}"])
    if p.plate and rng.random() < keep:
        e["plat"] = rng.choice([p.plate.replace(" ", ""), p.plate.lower(), p.plate, f"{rng.choice(CARS)} {p.plate}",
                                f"{p.plate} ({rng.choice(CARS)})"])
    if p.boat and rng.random() < keep:
        e["kapal"] = rng.choice(["MV {}", "KM. {}", "kapal {}", "pompong {}"]).format(p.boat)
    return e


def _report(rng, when, village: int, entries: list[dict], prose: list[str]) -> dict:
    text = " ".join([rng.choice(PROSE)] + prose)
    answers: dict = {"kategori": "rekrutmen", "apa_dilihat": text}
    if rng.random() < 0.5:
        answers["tempat"] = rng.choice(PLACES)
    if entries:
        answers["terlibat"] = entries
    return {"id": str(uuid.uuid4()), "village": village, "form": "laporan_kecurigaan", "at": when, "answers": answers}


def generate(n: int, n_villages: int = 30, weeks: int = 10, seed: int = 1) -> tuple[list[dict], Truth]:
    rng = random.Random(seed * 7919 + 17)
    fresh = _Fresh(rng)
    start = END - timedelta(weeks=weeks)
    out, truth = [], Truth()
    for k in range(max(3, round(n * 14 / 1637))):
        a = _person(rng, fresh, rare=True)
        a.role = rng.choice(["calo", "sponsor", "tekong", "penampung"])
        a.nick = rng.choice([None, None, "Gondrong", "Kribo", "Hitam", "Cina", "Botak"])
        if rng.random() < 0.75:
            a.phone = _number(rng, fresh, malaysian=rng.random() < 0.3)
        if rng.random() < 0.25:
            a.wa = a.phone or _number(rng, fresh)
        if rng.random() < 0.3:
            a.page = fresh.take(lambda: "_".join(rng.sample(PAGE, 2)) + str(rng.randint(1, 9)))
        if rng.random() < 0.2:
            a.plate = fresh.take(lambda: f"{rng.choice(PLATES)} {rng.randint(1000, 9999)} {rng.choice(['AB', 'XY', 'K'])}")
        if a.role == "tekong" or rng.random() < 0.1:
            a.boat = fresh.take(lambda: f"{rng.choice(BOATS)} {rng.randint(1, 30)}")
        size = rng.randint(3, 6)
        villages = rng.sample(range(1, n_villages + 1), rng.randint(2, min(5, size)))
        span = rng.uniform(7, 63)
        t0 = rng.uniform(0, weeks * 7 - span)
        ids = []
        for j in range(size):
            prose: list[str] = []
            when = start + timedelta(days=t0 + span * j / (size - 1))
            r = _report(rng, when, villages[j % len(villages)], [_mention(rng, a, 0.7, prose)], prose)
            out.append(r)
            ids.append(r["id"])
        truth.rings.append(ids)
        out += _near_miss(rng, fresh, a, start + timedelta(days=t0 + span), n_villages, villages)
        truth.near_misses += 1
    known: dict[int, list[Person]] = {}
    while len(out) < n:
        v = rng.randint(1, n_villages)
        prose: list[str] = []
        entries = []
        if rng.random() < 0.6:
            if known.get(v) and rng.random() < 0.25:
                p = rng.choice(known[v])
            else:
                p = _person(rng, fresh)
                if rng.random() < 0.4:
                    p.phone = _number(rng, fresh, malaysian=rng.random() < 0.2)
                if rng.random() < 0.05:
                    p.boat = fresh.take(lambda: f"{rng.choice(BOATS)} {rng.randint(31, 400)}")
                known.setdefault(v, []).append(p)
            entries.append(_mention(rng, p, 0.8, prose))
        out.append(_report(rng, start + timedelta(days=rng.uniform(0, weeks * 7)), v, entries, prose))
    out.sort(key=lambda r: r["at"])
    return out, truth


def _near_miss(rng, fresh, a: Person, when, n_villages: int, ring_villages: list[int]) -> list[dict]:
    """Two reports from other villages that look like the ring and are two other people."""
    others = [v for v in range(1, n_villages + 1) if v not in ring_villages]
    out = []
    for v in rng.sample(others, 2):
        b = _person(rng, fresh)
        b.role = a.role
        kind = rng.choice(["number", "boat", "nick", "common"])
        # each near miss is its own: two near misses sharing a number would be a real link
        if kind == "number" and a.phone:
            b.phone = fresh.take(lambda: _swapped(rng, a.phone))
        elif kind == "boat" and a.boat:
            b.boat = fresh.take(lambda: a.boat.rsplit(" ", 1)[0] + f" {rng.randint(31, 400)}")
        elif kind == "nick":
            b.nick = a.nick or "Gondrong"
        else:
            b.given = rng.choice([["Muhammad", "Rahman"], ["Siti", "Hasan"], ["Nur", "Ali"], ["Andi"]])
        prose: list[str] = []
        out.append(_report(rng, when - timedelta(days=rng.uniform(0, 20)), v, [_mention(rng, b, 1.0, prose)], prose))
    return out


def _swapped(rng, digits: str) -> str:
    """The number with two neighbouring digits swapped (a different number)."""
    while True:
        i = rng.randrange(3, len(digits) - 1)
        if digits[i] != digits[i + 1]:
            return digits[:i] + digits[i + 1] + digits[i] + digits[i + 2:]
