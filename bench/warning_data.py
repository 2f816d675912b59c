"""A realistic early-warning test set, written the way volunteers write (issue 25).

    reports, truth = generate(n_reports, n_villages, weeks, rng)

- People: names drawn from a frequency list of Indonesian and Malay name words (Zipf
  weights: "Muhammad", "Nur", "Siti" are everywhere), one to three words, sometimes
  "bin/binti" and a father's name, written with titles (Pak, Bu, H., Haji, Ustaz, Bang)
  and spelling variants (Saparuddin/Saparudin, Achmad/Ahmad, Mohd/Muhammad, Yusuf/Yusup).
- Identifiers written in the ways the issue lists: Indonesian numbers as 08…/+62…/62…,
  Sabah-side 01x numbers ("012-345 6789"), a WhatsApp number in the account field ("WA
  0853 1111 2222", "wa.me/62…"), a number inside the name ("Rahman (0812-…)"), handles
  behind platform labels ("FB: Loker Sabah Resmi", "TikTok: kerja.malaysia.gajibesar"),
  boats behind "KM", "Kapal Motor", "KLM", "S.B.", plates in any spacing, and numbers only
  in free text ("nomornya +62 812-9988-7766").
- Rings: one agent (calo / tekong / sponsor / sopir) named in 3-7 reports from 2-4
  villages over weeks, some 21-23 days apart; each report gives a different subset of
  what identifies them, differently written.
- Near misses by design: a number one digit off, the same plate digits in another
  region, "Bintang Timur" vs "Bintang Laut", a handle with one more character, a
  different person with a similar name ("Siti Aminah" / "Siti Amanah") or the same
  common name ("Abdul Rahman") in another village — all in the ring's weeks.
- Background: reports from every village, half naming someone, with local people named
  again in their own village (never a cross-village link), one-off numbers, free text
  with and without numbers, a handful of departure points.
"""
from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

END = datetime(2026, 11, 20, 12, tzinfo=timezone.utc)

# (word, weight): rough frequency order of given-name words at the border (both sexes)
FIRST = [("Muhammad", 60), ("Siti", 45), ("Nur", 40), ("Ahmad", 30), ("Abdul", 28), ("Agus", 14), ("Sri", 14),
         ("Dewi", 10), ("Budi", 9), ("Andi", 9), ("Rahmat", 8), ("Putri", 8), ("Ali", 7), ("Dian", 7), ("Eko", 6),
         ("Hendra", 6), ("Wahyu", 6), ("Yusuf", 6), ("Hasan", 6), ("Rudi", 5), ("Dedi", 5), ("Joko", 5), ("Fatimah", 5),
         ("Aminah", 5), ("Amanah", 2), ("Aisyah", 5), ("Ismail", 5), ("Ibrahim", 5), ("Bambang", 4), ("Iwan", 4),
         ("Udin", 4), ("Asep", 3), ("Rina", 4), ("Yanti", 4), ("Wati", 3), ("Lestari", 3), ("Indah", 3), ("Ani", 3),
         ("Ida", 3), ("Hamid", 3), ("Aziz", 3), ("Syamsul", 3), ("Zainal", 3), ("Arifin", 3), ("Sulaiman", 3),
         ("Hamzah", 2), ("Ridwan", 2), ("Irfan", 2), ("Fajar", 2), ("Rizki", 3), ("Taufik", 2), ("Jafar", 2),
         ("Daud", 2), ("Hasyim", 2), ("Kamarudin", 2), ("Baharudin", 2), ("Jamaludin", 2), ("Saparudin", 2),
         ("Rusli", 2), ("Amir", 2), ("Suparman", 2), ("Sutrisno", 2), ("Slamet", 2), ("Herman", 2), ("Yohanes", 2),
         ("Petrus", 2), ("Markus", 1), ("Nurhayati", 3), ("Hasanah", 2), ("Rahmawati", 2), ("Maria", 3),
         ("Yuliana", 2), ("Susanti", 2), ("Ratna", 2), ("Sari", 2), ("Mega", 1), ("Fitri", 2), ("Rosmawati", 1),
         ("Zubaidah", 1), ("Halimah", 2), ("Khadijah", 1), ("Salmah", 1), ("Rohani", 1), ("Faizal", 2),
         ("Hafiz", 1), ("Azlan", 1), ("Roslan", 1), ("Kassim", 1), ("Awang", 1), ("Dayang", 1), ("Lukas", 1),
         ("Gusti", 1), ("Made", 1), ("Ketut", 1), ("Wayan", 1), ("Ujang", 1), ("Daeng", 1), ("Baco", 1)]
SECOND = [("Rahman", 10), ("Hidayat", 8), ("Saputra", 8), ("Kurniawan", 6), ("Setiawan", 6), ("Hakim", 5),
          ("Santoso", 5), ("Wijaya", 5), ("Nugroho", 4), ("Pratama", 5), ("Siregar", 3), ("Nasution", 3),
          ("Lubis", 2), ("Harahap", 2), ("Sinaga", 2), ("Hasanah", 3), ("Aminah", 3), ("Amanah", 1), ("Lestari", 3),
          ("Wulandari", 3), ("Yusuf", 3), ("Ismail", 3), ("Hamid", 2), ("Abdullah", 4), ("Sulaiman", 2),
          ("Halim", 2), ("Anwar", 2), ("Effendi", 2), ("Gunawan", 2), ("Susilo", 2), ("Purnomo", 2), ("Tanjung", 1),
          ("Pane", 1), ("Daeng", 1), ("Latif", 1), ("Karim", 1), ("Jaya", 2), ("Ramadhan", 2), ("Firmansyah", 2)]
TITLES_M = ["Pak", "Pak", "Bapak", "H.", "Haji", "Bang", "Ustaz", "Om", "Pak H."]
TITLES_F = ["Bu", "Bu", "Ibu", "Hj.", "Kak", "Mbak"]
FEMALE = {"Siti", "Sri", "Dewi", "Putri", "Dian", "Fatimah", "Aminah", "Amanah", "Aisyah", "Rina", "Yanti", "Wati",
          "Lestari", "Indah", "Ani", "Ida", "Nurhayati", "Hasanah", "Rahmawati", "Maria", "Yuliana", "Susanti",
          "Ratna", "Sari", "Mega", "Fitri", "Rosmawati", "Zubaidah", "Halimah", "Khadijah", "Salmah", "Rohani",
          "Dayang"}
ROLES = [("calo", 45), ("tekong", 15), ("sponsor", 15), ("sopir", 12), ("penampung", 5), ("lainnya", 8)]
PLACES = ["Pelabuhan Tunon Taka", "Dermaga Sei Menggaris", "dermaga sungai nyamuk", "Pelabuhan Nunukan",
          "Dermaga Haji Putri", "Dermaga Lalosalo", "terminal Entikong", "PLBN Entikong", "pos entikong",
          "jalan tikus Aruk", "Dermaga Bambangan", "Pantai Batu Lamampu", "dermaga Sebatik", "Tanjung Aru",
          "dermaga desa", "Pelabuhan Liem Hie Djung", "belakang pasar", "Dermaga Tanjung Karang"]
BOAT_NAMES = ["Sinar Jaya", "Harapan Baru", "Bintang Laut", "Bintang Timur", "Cahaya Timur", "Mutiara", "Putra Bahari",
              "Sri Rezeki", "Berkat Abadi", "Rahmat Ilahi", "Nur Ilahi", "Putri Ayu", "Sumber Rejeki", "Samudra Jaya",
              "Dua Saudara", "Bunga Karang", "Fajar Baru", "Mega Buana", "Anugerah", "Karya Bahari"]
PLATE_ID = ["KT", "KU", "KB", "DA", "KH", "BP", "DD"]
PLATE_MY = ["SA", "SAB", "SS", "ST", "SU", "QA", "QAA", "QK", "QS"]
HANDLE_WORDS = ["kerja", "loker", "lowongan", "info", "gaji", "sawit", "malaysia", "sabah", "brunei", "tawau",
                "resmi", "cepat", "ladang", "pabrik", "agen", "tki", "pmi", "peluang", "kilang", "besar"]
FREE_TEXT = ["Ada beberapa orang menunggu di dermaga sejak pagi, katanya mau kerja di kebun sawit.",
             "Saya dengar dari tetangga ada yang menawarkan kerja ke Malaysia tanpa paspor.",
             "Mereka dijemput mobil malam hari dan dibawa ke pelabuhan.",
             "Ada anak muda dari desa sebelah ikut, katanya dijanjikan gaji besar.",
             "Orangnya bilang semua urusan dokumen dia yang atur, bayar 5 juta.",
             "Kumpul di rumah warga, 12 orang, berangkat tanggal 14.",
             "Calonya sering datang ke warung, pakai motor.", "Tidak tahu namanya, orangnya tinggi kurus."]


@dataclass
class Agent:
    first: str
    second: str | None
    father: str | None
    role: str
    phone: tuple[str, str] | None = None        # (country, national digits without the leading 0 / 60)
    wa: tuple[str, str] | None = None
    handle: str | None = None
    plate: str | None = None
    boat: str | None = None


@dataclass
class Truth:
    rings: list[list[str]] = field(default_factory=list)     # envelope ids per planted ring
    near_misses: int = 0


def _pick(rng: random.Random, pairs):
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


class Factory:
    """Fresh identifiers that never collide by accident (two random numbers that matched
    would be a real link, not noise)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng, self.used = rng, set()

    def _fresh(self, make):
        while True:
            v = make()
            if v not in self.used:
                self.used.add(v)
                return v

    def phone(self, country: str | None = None) -> tuple[str, str]:
        c = country or ("MY" if self.rng.random() < 0.25 else "ID")
        if c == "MY":
            return self._fresh(lambda: ("MY", "1" + self.rng.choice("0123456789") + f"{self.rng.randrange(10**7):07d}"))
        return self._fresh(lambda: ("ID", "8" + self.rng.choice(["12", "13", "21", "22", "52", "53", "77", "95"])
                                    + f"{self.rng.randrange(10**8):08d}"))

    def handle(self) -> str:
        return self._fresh(lambda: ".".join(self.rng.sample(HANDLE_WORDS, self.rng.randint(2, 3)))
                           + (str(self.rng.randint(1, 99)) if self.rng.random() < 0.4 else ""))

    def plate(self) -> str:
        if self.rng.random() < 0.3:
            return self._fresh(lambda: f"{self.rng.choice(PLATE_MY)} {self.rng.randint(100, 9999)} {self.rng.choice(['', 'A', 'B', 'C'])}".strip())
        return self._fresh(lambda: f"{self.rng.choice(PLATE_ID)} {self.rng.randint(1000, 9999)} {self.rng.choice(['A', 'AB', 'XY', 'K', 'BC', 'FF'])}")

    def boat(self) -> str:
        # numbered after the first 20 names: a large test set would otherwise run out of boats
        return self._fresh(lambda: self.rng.choice(BOAT_NAMES) + (f" {self.rng.randint(1, 9 + len(self.used) // 50)}"
                                                                  if self.rng.random() < 0.6 or len(self.used) > 150 else ""))

    def person(self, rare: bool = False) -> Agent:
        rng = self.rng
        first = _pick(rng, FIRST)
        second = _pick(rng, SECOND) if rng.random() < (0.9 if rare else 0.55) else None
        father = _pick(rng, FIRST) if rng.random() < 0.08 else None
        if rare and second is None:
            second = _pick(rng, SECOND)
        return Agent(first, second, father, _pick(rng, ROLES))


# -- how people write things ---------------------------------------------------------------

def write_phone(rng: random.Random, p: tuple[str, str]) -> str:
    c, d = p
    if c == "MY":
        return rng.choice([f"0{d[:2]}-{d[2:5]} {d[5:]}", f"+60 {d[:2]}-{d[2:5]} {d[5:]}", f"60{d}", f"0{d}",
                           f"+60{d}", f"0{d[:2]} {d[2:5]} {d[5:]}"])
    return rng.choice([f"0{d[:3]} {d[3:7]} {d[7:]}", f"+62 {d[:3]}-{d[3:7]}-{d[7:]}", f"62{d}", f"0{d}",
                       f"(0{d[:3]}) {d[3:7]}.{d[7:]}", f"0{d[:3]}-{d[3:7]}-{d[7:]}", f"+62{d}"])


def write_wa(rng: random.Random, p: tuple[str, str]) -> str:
    c, d = p
    cc = "60" if c == "MY" else "62"
    return rng.choice([f"WA {write_phone(rng, p)}", f"wa.me/{cc}{d}", f"WhatsApp: {write_phone(rng, p)}",
                       f"https://wa.me/{cc}{d}"])


def write_handle(rng: random.Random, h: str) -> str:
    words = h.split(".")
    spaced = " ".join(w.capitalize() for w in words)
    return rng.choice([f"@{h}", f"facebook.com/{h}", f"FB: {spaced}", f"TikTok: {h}", f"https://www.tiktok.com/@{h}",
                       f"IG: {h.replace('.', '_')}", spaced, f"fb {spaced}"])


def write_plate(rng: random.Random, p: str) -> str:
    compact = p.replace(" ", "")
    return rng.choice([p, p.lower(), compact, p.replace(" ", "-"), p.lower().replace(" ", "")]) or compact


def write_boat(rng: random.Random, b: str) -> str:
    roman = {"1": "I", "2": "II", "3": "III", "4": "IV"}
    parts = b.split()
    if parts[-1] in roman and rng.random() < 0.3:
        b = " ".join(parts[:-1] + [roman[parts[-1]]])
    return rng.choice([f"KM {b}", f"KM. {b.upper()}", f"Kapal Motor {b}", f"KLM {b}", f"S.B. {b}", f"speedboat {b.lower()}",
                       f"SB {b}", b])


_VARIANTS = [("uddin", "udin"), ("udin", "uddin"), ("Ahmad", "Achmad"), ("Muhammad", "Mohd"), ("Muhammad", "Muhamad"),
             ("Muhammad", "M."), ("Abdul", "Abd."), ("Yusuf", "Yusup"), ("Syamsul", "Samsul"), ("Rahmat", "Rachmat"),
             ("Nur", "Noor"), ("Hidayat", "Hidayath"), ("Saputra", "Saputera"), ("Jafar", "Ja'far"),
             ("Arifin", "Ariffin"), ("Hasyim", "Hasim"), ("Zainal", "Zainal"), ("Ismail", "Ismael"),
             ("Kamarudin", "Kamaruddin"), ("Rusli", "Rusly"), ("Effendi", "Efendi"), ("Fatimah", "Fatimah"),
             ("Ramadhan", "Ramadan"), ("Firmansyah", "Firmansah"), ("Halim", "Haleem")]


def write_name(rng: random.Random, a: Agent, full: float = 0.6) -> str:
    words = [a.first] + ([a.second] if a.second and rng.random() < full + 0.3 else [])
    text = " ".join(words)
    if a.father and rng.random() < 0.5:
        text += (" binti " if a.first in FEMALE else " bin ") + a.father
    if rng.random() < 0.35:
        src, dst = rng.choice(_VARIANTS)
        text = text.replace(src, dst)
    if rng.random() < 0.4:
        text = rng.choice(TITLES_F if a.first in FEMALE else TITLES_M) + " " + text
    if rng.random() < 0.15:
        text = text.upper() if rng.random() < 0.5 else text.lower()
    return text


# -- reports ---------------------------------------------------------------------------------

def _entry(rng: random.Random, a: Agent, keep: float, text: list[str]) -> dict:
    """One 'terlibat' entry about agent `a`, naming each identifier with probability `keep`,
    some of them in the wrong field or only in the free text."""
    e: dict = {"peran": a.role if rng.random() < 0.9 else _pick(rng, ROLES)}
    if rng.random() < 0.85:
        e["nama"] = write_name(rng, a)
    if a.phone and rng.random() < keep:
        where = rng.random()
        if where < 0.6:
            e["telepon"] = write_phone(rng, a.phone)
        elif where < 0.75 and "nama" in e:
            e["nama"] += f" ({write_phone(rng, a.phone)})"
        else:
            text.append(rng.choice(["nomornya {}", "HP-nya {}", "bisa dihubungi di {}", "no hp calo {}"])
                        .format(write_phone(rng, a.phone)))
    if a.wa and rng.random() < keep:
        e["akun_medsos"] = write_wa(rng, a.wa)
    if a.handle and rng.random() < keep and "akun_medsos" not in e:
        e["akun_medsos"] = write_handle(rng, a.handle)
    if a.plate and rng.random() < keep:
        e["plat"] = write_plate(rng, a.plate)
    if a.boat and rng.random() < keep:
        if rng.random() < 0.8:
            e["kapal"] = write_boat(rng, a.boat)
        else:
            text.append(f"naik {write_boat(rng, a.boat)} dari dermaga")
    return e


def _report(rng, when: datetime, village: int, entries: list[dict], text: list[str], place: str | None,
            form: str | None = None) -> dict:
    form = form or rng.choice(["keberangkatan_pmi", "laporan_kecurigaan"])
    answers: dict = {"status": "sudah", "jumlah_di_bawah_umur": 0}
    prose = " ".join([rng.choice(FREE_TEXT)] + text) if (text or rng.random() < 0.7) else ""
    if form == "laporan_kecurigaan":
        answers = {"kategori": "rekrutmen", "apa_dilihat": prose or rng.choice(FREE_TEXT)}
        if place:
            answers["tempat"] = place
    else:
        if place:
            answers["tempat_berangkat"] = place
        if prose:
            answers["catatan"] = prose
    if entries:
        answers["terlibat"] = entries
    return {"id": str(uuid.uuid4()), "village": village, "form": form, "at": when, "answers": answers}


def generate(n: int, n_villages: int = 30, weeks: int = 10, seed: int = 25) -> tuple[list[dict], Truth]:
    """`n` reports in time order and the truth. Rings and near misses scale with n (14 each
    for 1,637 reports, as the issue's set)."""
    rng = random.Random(seed)
    make = Factory(rng)
    start = END - timedelta(weeks=weeks)
    span = weeks * 7.0
    out: list[dict] = []
    truth = Truth()
    n_rings = max(3, round(n * 14 / 1637))
    for k in range(n_rings):
        a = make.person(rare=rng.random() < 0.7)
        a.role = rng.choice(["calo", "calo", "tekong", "sponsor", "sopir"])
        a.phone = make.phone() if rng.random() < 0.8 else None
        a.wa = (a.phone if rng.random() < 0.5 else make.phone("ID")) if rng.random() < 0.3 else None
        a.handle = make.handle() if rng.random() < 0.35 else None
        a.plate = make.plate() if a.role == "sopir" or rng.random() < 0.2 else None
        a.boat = make.boat() if a.role == "tekong" or rng.random() < 0.15 else None
        size = rng.randint(3, 4) if k % 4 == 0 else rng.randint(3, 7)
        villages = rng.sample(range(1, n_villages + 1), rng.randint(2, min(4, size)))
        gap_ring = k % 4 == 0                      # reports 21-23 days apart
        day = rng.uniform(0, max(1.0, span - (23 * (size - 1) if gap_ring else 8 * size)))
        ids = []
        for j in range(size):
            when = start + timedelta(days=day)
            day += rng.uniform(21, 23) if gap_ring else rng.uniform(0.5, 8)
            text: list[str] = []
            e = _entry(rng, a, keep=0.75, text=text)
            if len(e) == 1 and "nama" not in e:
                e["nama"] = write_name(rng, a)
            entries = [e] + ([_entry(rng, make.person(), 0.6, text)] if rng.random() < 0.25 else [])
            place = rng.choice(PLACES) if rng.random() < 0.7 else None
            r = _report(rng, min(when, END), villages[j % len(villages)], entries, text, place)
            out.append(r)
            ids.append(r["id"])
        truth.rings.append(ids)
        out += _near_misses(rng, make, a, start, day, n_villages, villages)
        truth.near_misses += 1
    locals_: dict[int, list[Agent]] = {}
    while len(out) < n:
        v = rng.randint(1, n_villages)
        when = start + timedelta(days=rng.uniform(0, span))
        text: list[str] = []
        entries = []
        if rng.random() < 0.55:
            if rng.random() < 0.3 and locals_.get(v):
                a = rng.choice(locals_[v])               # the village's own, named again
            else:
                a = make.person()
                a.phone = make.phone() if rng.random() < 0.45 else None
                a.handle = make.handle() if rng.random() < 0.1 else None
                a.plate = make.plate() if rng.random() < 0.08 else None
                a.boat = make.boat() if rng.random() < 0.06 else None
                locals_.setdefault(v, []).append(a)
            entries.append(_entry(rng, a, 0.8, text))
            if rng.random() < 0.2:
                b = make.person()
                b.phone = make.phone() if rng.random() < 0.3 else None
                entries.append(_entry(rng, b, 0.8, text))
        elif rng.random() < 0.1:
            text.append(f"ada nomor {write_phone(rng, make.phone())}")
        out.append(_report(rng, when, v, entries, text, rng.choice(PLACES) if rng.random() < 0.6 else None))
    out.sort(key=lambda r: r["at"])
    return out, truth


def _near_misses(rng, make: Factory, a: Agent, start, day_end, n_villages, ring_villages) -> list[dict]:
    """Reports in the ring's weeks, from other villages, that look like the ring and are not."""
    out = []
    others = [v for v in range(1, n_villages + 1) if v not in ring_villages]
    for _ in range(2):
        b = make.person()
        b.role = a.role
        kind = rng.choice(["phone", "plate", "boat", "handle", "name", "name"])
        if kind == "phone" and a.phone:
            c, d = a.phone
            i = rng.randrange(len(d) - 4, len(d))
            b.phone = (c, d[:i] + str((int(d[i]) + rng.randint(1, 9)) % 10) + d[i + 1:])
        elif kind == "plate":
            p = a.plate or make.plate()
            parts = p.split()
            b.plate = " ".join([rng.choice([x for x in PLATE_ID + PLATE_MY if x != parts[0]])] + parts[1:])
        elif kind == "boat":
            base = (a.boat or make.boat()).split()
            b.boat = " ".join(base[:1] + [rng.choice(["Laut", "Timur", "Baru", "Jaya", "Abadi"])] + base[2:])
            if b.boat == a.boat:
                b.boat += " 2"
        elif kind == "handle":
            b.handle = (a.handle or make.handle()) + rng.choice(["1", "x", ".id", "2"])
        elif rng.random() < 0.5:
            # a similar name: one vowel of the surname changed (Siti Aminah / Siti Amanah), or the
            # same first name with another surname
            b.first = a.first
            sur = a.second or _pick(rng, SECOND)
            vowels = [i for i, ch in enumerate(sur) if ch in "aiueo" and i > 0]
            i = rng.choice(vowels) if vowels else 1
            b.second = (sur[:i] + rng.choice([v for v in "aiu" if v != sur[i]]) + sur[i + 1:]) if rng.random() < 0.6 \
                else _pick(rng, SECOND)
        else:
            # two different people with the same common name, in two other villages
            common = rng.choice([("Abdul", "Rahman"), ("Siti", "Aminah"), ("Muhammad", "Yusuf"), ("Nur", "Hasanah"),
                                 ("Agus", "Setiawan"), ("Ahmad", "Hidayat")])
            for v in rng.sample(others, 2):
                c = make.person()
                c.first, c.second, c.role = common[0], common[1], a.role
                text: list[str] = []
                when = start + timedelta(days=max(0.0, day_end - rng.uniform(0, 30)))
                out.append(_report(rng, when, v, [_entry(rng, c, 1.0, text)], text,
                                   rng.choice(PLACES) if rng.random() < 0.6 else None))
            continue
        text: list[str] = []
        when = start + timedelta(days=max(0.0, day_end - rng.uniform(0, 30)))
        out.append(_report(rng, when, rng.choice(others), [_entry(rng, b, 1.0, text)], text,
                           rng.choice(PLACES) if rng.random() < 0.6 else None))
    return out
