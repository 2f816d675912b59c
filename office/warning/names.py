"""People's names as volunteers write them, and when two of them may be the same person.

Names are weak evidence: "Nur", "Muhammad", "Siti" are held by thousands. So a name is
    - normalised: titles and kinship words dropped (Pak, Bu, Haji, H., Ustaz …), a number
      written into the name taken out (it is read as a phone by extract.py), "bin/binti"
      splitting the given name from the father's, common spellings of the same name made
      one (Muhammad/Mohd/Muhamad/Muh., Abd/Abdul, Noor/Nur); what is not a name dropped: where
      the person is from ("Baso, dari Lipatkain"), a role ("Udin, sopir"), an academic
      degree ("M.Si"), a title that is also a name before a name ("Daeng Andi"), and an
      answer that says the name is not known ("tidak tahu", "anonim") is no name at all;
    - keyed per word by a phonetic squash (oe→u, dj→j, ch/kh→h, doubled consonants once,
      f/v→p, a silent h dropped), so "Saparuddin"/"Saparudin" and "Achmad"/"Ahmad" are
      the same word while "Aminah"/"Amanah" (another vowel) are not;
    - weighed by how rare it is (`bits`): −log2 of each word's share among the office's own
      names (warn_name_stats), smoothed towards prior shares of the commonest Indonesian
      and Malay name words, so a young office does not think "Nur" is rare.
Two names match (`match`) when every word of the shorter one has its word in the longer
(the same squashed word, or one letter inserted or dropped in a long word), and fathers
named on both sides agree. Whether a match becomes a link (corroboration, rarity) is the
engine's decision.
"""
from __future__ import annotations

import math
import re
import unicodedata
from functools import lru_cache
from typing import Callable

from rapidfuzz.distance import Indel

HONORIFICS = frozenset(
    "pak bapak bpk bp bu ibu bang abang bg kak kakak mas mbak mba om tante haji hj hjh hajjah hajah h ustad ustadz ustaz "
    "ust ustazah kyai kiai kh cik encik che datuk dato datin tuan puan bro sis sdr sdri saudara saudari mr mrs ms miss "
    "dr drs dra ir ny nyonya nona tn mak mbok wak pakcik makcik uncle aunty bos boss juragan koh engkoh apak abah umi "
    "pa bu alm almarhum sy syeikh syekh tuk tok nek atok cikgu ketua pakde bude paklik de".split())
# where a name stops and the person's village or workplace begins: "Baso, dari Lipatkain",
# "Pak Udin asal Sebatik", "Rahman orang Tawau" (the place is not part of the name)
ORIGIN = frozenset("dari asal orang warga penduduk tinggal di".split())
# academic degrees after a name ("Drs. H. Abd. Rahman, M.Si", "Budi Santoso S.Pd", "Andi
# Hamzah SH"): "M.Si" was read as "Muhammad Si", a rare name shared by strangers
DEGREE = re.compile(r"(?<![A-Za-z])(?:[SMD]\.\s?(?:Pd|H|E|T|Si|Kom|Sos|Ag|IP|Hut|Kep|Kes|Ked|Psi|Ak|Farm|Hum|Th|Kn|M|Sn)"
                    r"|A\.\s?Md|Ph\.\s?D|M\.\s?Sc)\.?(?![A-Za-z])", re.I)
DEGREE_END = re.compile(r"[\s,]+(?:SH|SE|ST|MM|MH|MSi|SPd|SKom|SSos|Amd|AMd|PhD|MBA|Lc)\.?\s*$")
# what volunteers write where they do not know a name: "tidak tahu", "tdk tau namanya",
# "belum kenal", "anonim", "seorang laki-laki", "Bapak yang pakai topi" — no name at all
# (else every "tidak tahu" in every village would be one rare, corroborated name)
NOT_KNOWN = re.compile(r"\b(?:tidak|tdk|tak|gak|ga|nggak|ngga|enggak|engga|belum|blm|lupa|kurang)\s+"
                       r"(?:tahu|tau|tw|kenal|jelas|ingat|diketahui|disebut)\b")
NO_NAME = frozenset("anonim anonymous anon nn unknown rahasia na xx xxx noname".split())
DESCRIPTION = frozenset("seorang laki perempuan pria wanita cowok cewek yang".split())
# what someone does, written into the name field ("Udin, sopir"; "agen PT Maju Jaya")
ROLE_WORDS = frozenset("calo sopir supir tekong sponsor agen agent penampung perekrut kurir travel ojek tukang "
                       "pt cv namanya nama kapal lainnya".split())
# titles that are also names: a title before a name ("Daeng Andi Hamzah" is Andi Hamzah), a
# name when nothing follows ("Muhammad Daeng")
LEADING_TITLES = frozenset({"daeng", "karaeng"})
PATRONYMIC = frozenset({"bin", "binti", "bt", "bte", "binte", "b", "anak", "ak"})
CANONICAL = {**{v: "muhammad" for v in ("muhammad muhamad mohammad mohamad mohamed mohammed muhammed muhamed "
                                        "mohd muhd moh mhd md mochammad mochamad mukhammad m").split()},
             "abd": "abdul", "abdl": "abdul", "noor": "nur", "nor": "nur", "nurul": "nur", "sitti": "siti",
             "st": "siti", "achmad": "ahmad", "akhmad": "ahmad", "ahmat": "ahmad", "muh": "muhammad"}
# Shares of the commonest name words in Indonesia and Malaysia (rounded, from public
# name-frequency lists): a floor under the office's own counts, never a ceiling.
PRIOR = {"muhammad": 0.08, "siti": 0.05, "nur": 0.05, "abdul": 0.04, "ahmad": 0.03, "agus": 0.015,
         "dewi": 0.012, "sri": 0.015, "budi": 0.01, "putri": 0.01, "dian": 0.008, "rahmat": 0.008,
         "hasan": 0.006, "ali": 0.008, "ismail": 0.005, "ibrahim": 0.005, "aminah": 0.005, "fatimah": 0.006,
         "aisyah": 0.005, "yusuf": 0.006, "rahman": 0.008, "hidayat": 0.006, "wati": 0.006, "sari": 0.008,
         "indah": 0.005, "eko": 0.006, "joko": 0.005, "bambang": 0.005, "hendra": 0.005, "rudi": 0.005,
         "andi": 0.008, "dedi": 0.005, "yanti": 0.005, "lestari": 0.005, "rina": 0.004, "wahyu": 0.006,
         "adi": 0.006, "putra": 0.008, "dwi": 0.008, "tri": 0.006, "nurul": 0.01, "iwan": 0.004, "hasanah": 0.004,
         "udin": 0.004, "asep": 0.004, "ujang": 0.003, "kurniawan": 0.004, "setiawan": 0.004, "saputra": 0.004,
         "abdullah": 0.006, "aziz": 0.004, "hamid": 0.004, "hussain": 0.004, "husin": 0.004, "yati": 0.004,
         "ani": 0.004, "ida": 0.004, "ria": 0.003, "lina": 0.003, "anto": 0.003, "ahmat": 0.003}
PRIOR_NAMES = 1000               # the prior weighs as much as this many names of the office's own
UNKNOWN_SHARE = 1 / 5000         # the prior share of a word not in PRIOR


def fold(text: str) -> str:
    t = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return " ".join(re.findall(r"[a-z0-9]+", t))


def name(raw: str) -> str | None:
    """'Pak H. Udin Saparudin' -> 'udin saparudin'; 'Abdul Rahman bin Yusuf' -> 'abdul rahman
    bin yusuf'; 'Rahman (0812-3456-7890)' -> 'rahman'; 'Baso dari Lipatkain' -> 'baso'. None
    when nothing of a name is left, or the answer says the name is not known ('tidak tahu')."""
    text = re.sub(r"\([^)]*\)|\[[^\]]*\]|\+?\d[\d\s\-.]{5,}\d", " ", raw or "")
    first = re.match(r"\s*\S+", text)                # a degree follows a name: "M. H. Rahman" is Muhammad
    if DEGREE.fullmatch(text.strip()):                 # "…, M.Si": the part after the comma
        return None
    if first:
        text = text[:first.end()] + DEGREE.sub(" ", text[first.end():])
    while DEGREE_END.search(text):
        text = DEGREE_END.sub("", text)
    folded = fold(text)
    if NOT_KNOWN.search(folded) or folded in NO_NAME or DESCRIPTION & set(folded.split()):
        return None
    toks = [CANONICAL.get(t, t) for t in folded.split() if not t.isdigit() and t not in ROLE_WORDS]
    origin = next((i for i, t in enumerate(toks) if t in ORIGIN), len(toks))
    toks = [t for t in toks[:origin] if t not in HONORIFICS]
    while len(toks) > 1 and toks[0] in LEADING_TITLES:
        toks = toks[1:]
    out, father = [], []
    for i, t in enumerate(toks):
        if t in PATRONYMIC and out and i + 1 < len(toks):
            father = [x for x in toks[i + 1:] if x not in PATRONYMIC and len(x) > 1]
            break
        if len(t) > 1 or t == "muhammad":
            out.append(t)
    if not out:
        return None
    return " ".join(out) + (" bin " + " ".join(father) if father else "")


# "Udin alias Black", "Udin als. Botak", "Yohanes panggilan Cina", "Baso (dipanggil Kribo)":
# what follows is a nickname, and a nickname is not a name: "Gondrong", "Hitam", "Botak" are
# given to long-haired, dark, bald men in every village ("the same nickname for another person")
NICKNAME = re.compile(r"[\s(]*\b(?:alias|als|a\.?k\.?a|panggilan(?:nya)?|dipanggil|sapaan(?:nya)?)\b\.?", re.I)


def aliases(raw: str) -> list[str]:
    """One answer may name one person by several names ('Udin / Saparudin'): each,
    normalised. A nickname after "alias" / "als." / "panggilan" / "dipanggil" is not one of
    them when a name comes before it (it is read only when it is all the answer gives)."""
    named = NICKNAME.split(raw or "", maxsplit=1)
    out = _names(named[0])
    return out if out or len(named) == 1 else _names(named[1])


def _names(raw: str) -> list[str]:
    parts = re.split(r"\s*(?:/|\||;|\batau\b|\bdkk\b|\bdan\b|&|,)\s*", raw, flags=re.I)
    out = []
    for p in parts:
        n = name(p)
        if n and n not in out:
            out.append(n)
    return out


def split(normalised: str) -> tuple[list[str], list[str]]:
    given, _, father = normalised.partition(" bin ")
    return given.split(), father.split()


@lru_cache(maxsize=65536)
def squash(word: str) -> str:
    """A word's sound as Indonesian spellings vary it: old spellings (oe, dj, tj), a silent or
    inserted h, doubled letters, f/v/p, z/j, final y/i."""
    w = word.replace("oe", "u").replace("dj", "j").replace("tj", "c").replace("sj", "sy").replace("ch", "h")
    w = w.replace("kh", "h").replace("sy", "s").replace("dh", "d").replace("th", "t").replace("ph", "p")
    w = w.translate(str.maketrans("fvzq", "ppjk"))
    w = w[:1] + w[1:].replace("h", "") if len(w) > 2 else w
    w = re.sub(r"([^aiueo])\1+", r"\1", w)      # doubled consonants once; a vowel pair stays (Nugroho: "nugroo")
    if w.endswith("y") and len(w) > 3:
        w = w[:-1] + "i"
    if len(w) >= 6:              # e/i in a long name's closing syllable: Yohanes/Yohanis, Ismael/Ismail
        w = _CLOSING_E.sub(r"i\1", w)
    return w


_CLOSING_E = re.compile(r"e([^aiueo]+)$")


def name_tokens(normalised: str) -> list[str]:
    """The squashed words of the given name: the blocks a name is looked up by (the engine
    skips words too common to be a block on their own)."""
    return sorted({squash(t) for t in split(normalised)[0]})


def full_key(normalised: str) -> str:
    """The whole name, squashed and order-free: equal names meet here whatever their words'
    frequency."""
    given, father = split(normalised)
    return " ".join(sorted(squash(t) for t in given)) + ("|" + " ".join(squash(t) for t in father) if father else "")


def same_word(a: str, b: str) -> bool:
    """Two squashed words of one name: equal, or one letter inserted or dropped in a long word."""
    if a == b:
        return True
    return min(len(a), len(b)) >= 5 and Indel.distance(a, b, score_cutoff=1) <= 1


def _align(short: list[str], long: list[str], same: Callable[[str, str], bool]) -> list[tuple[str, str]] | None:
    free = list(long)
    pairs = []
    for s in short:
        hit = next((w for w in free if same(s, w)), None)
        if hit is None:
            return None
        free.remove(hit)
        pairs.append((s, hit))
    return pairs


def match(a: str, b: str, same: Callable[[str, str], bool] = same_word) -> list[str] | None:
    """The squashed words the two names share when they may be one person, else None.
    `same` decides two words (the engine passes one computed in a rapidfuzz batch)."""
    ga, fa = split(a)
    gb, fb = split(b)
    sa, sb = [squash(t) for t in ga], [squash(t) for t in gb]
    short, long = (sa, sb) if len(sa) <= len(sb) else (sb, sa)
    pairs = _align(short, long, same)
    if not pairs:
        return None
    if fa and fb and _align([squash(t) for t in fa], [squash(t) for t in fb], same) is None \
            and _align([squash(t) for t in fb], [squash(t) for t in fa], same) is None:
        return None
    return [p[0] for p in pairs] + ([squash(t) for t in fa] if fa and fb else [])


def spelt_differently(a: str, b: str) -> bool:
    """Do two matched names differ in spelling (not only in titles or word order)?"""
    return sorted(split(a)[0]) != sorted(split(b)[0])


def bits(words: list[str], counts: dict[str, int], total: int) -> float:
    """How surprising these squashed words are together: Σ −log2(share). A word's share is
    its count among the office's `total` names smoothed towards the prior (PRIOR_NAMES
    pseudo-names: the word's prior share, or UNKNOWN_SHARE for a word not in it), so a young
    office with three names does not think every name is common, nor "Nur" rare."""
    out = 0.0
    for w in words:
        prior = _PRIOR_SQUASHED.get(w, UNKNOWN_SHARE)
        out += -math.log2((counts.get(w, 0) + PRIOR_NAMES * prior) / (max(total, 0) + PRIOR_NAMES))
    return out


_PRIOR_SQUASHED = {squash(k): v for k, v in PRIOR.items()}
