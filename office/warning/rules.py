"""The rules, each with the plain explanation an analyst reads next to the signal.

| rule              | raises a signal when                                                        |
|-------------------|-----------------------------------------------------------------------------|
| same_identifier   | reports linked by the same phone / account / plate / boat (90 d) or the     |
|                   | same rare, corroborated name (60 d), from >= 2 villages: one per ring       |
| same_name         | (no longer raised: names are evidence inside same_identifier; old rows)     |
| same_place        | the same departure point in >= 3 reports within 7 days                      |
| planned_minors    | a planned departure within 48 h that involves minors                        |
| weekly_spike      | a kecamatan x form's count this ISO week is an EARS C2 aberration           |

EARS C2 (CDC Early Aberration Reporting System, Hutwagner et al. 2003): the statistic is
(x - mean) / sd over a baseline of 7 periods that ends 2 periods before the current one
(the guard band keeps a slowly rising outbreak out of its own baseline); alarm when > 3.
Here a period is an ISO week, not a day (village reports are far sparser than syndromic
data), the sd is floored at 1, a spike needs at least 3 reports, and a kecamatan x form
is tested only once it has reports older than its whole baseline (no alarms against the
empty weeks before an office or a village started reporting).
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass

from .config import WarningConfig

KIND_WORDS = {
    "phone": ("nomor HP", "phone number"), "handle": ("akun media sosial", "social-media account"),
    "plate": ("pelat kendaraan", "number plate"), "boat": ("nama kapal", "boat name"),
    "name": ("nama (mirip)", "name (similar spelling)"),
}


@dataclass(frozen=True)
class Rule:
    name: str
    title: tuple[str, str]      # (id, en)
    text: tuple[str, str]       # explanation template, filled from the signal's detail


RULES: dict[str, Rule] = {r.name: r for r in [
    Rule("same_identifier",
         ("Identitas sama di beberapa desa", "Same identifier in several villages"),
         ("{evidence_id} disebut dalam {reports} laporan dari {villages} desa berbeda dalam {days} hari. "
          "Mungkin satu calo / tekong / sponsor bekerja di beberapa desa.{name_note_id}",
          "The {evidence_en} named in {reports} reports from {villages} different villages within {days} days. "
          "One broker / skipper / sponsor may be working several villages.{name_note_en}")),
    Rule("same_name",
         ("Nama mirip di beberapa desa", "Similar name in several villages"),
         ("Nama yang sangat mirip (ejaan berbeda) disebut dalam {reports} laporan dari {villages} desa dalam {days} hari. "
          "Nama lemah sebagai bukti: periksa nomor HP, kendaraan atau ciri lain.",
          "A very similar name (spelt differently) is named in {reports} reports from {villages} villages within {days} days. "
          "Names are weak evidence: check phone numbers, vehicles or other details.")),
    Rule("same_place",
         ("Tempat berangkat dipakai berulang", "Departure point used repeatedly"),
         ("Tempat berangkat yang sama muncul dalam {reports} laporan dalam {days} hari (batas: {min}).",
          "The same departure point appears in {reports} reports within {days} days (threshold: {min}).")),
    Rule("planned_minors",
         ("Rencana berangkat segera, ada anak", "Imminent planned departure with minors"),
         ("Keberangkatan direncanakan dalam {hours} jam dan melibatkan {minors} anak di bawah 18 tahun.",
          "A departure is planned within {hours} hours and involves {minors} minor(s) under 18.")),
    Rule("weekly_spike",
         ("Lonjakan laporan mingguan", "Weekly rise in reports"),
         ("{reports} laporan '{form}' minggu {week} di {region}, di atas biasanya (rata-rata {mean} per minggu; "
          "uji EARS C2 = {c2} > {threshold}).",
          "{reports} '{form}' reports in week {week} in {region}, above the usual (mean {mean} a week; "
          "EARS C2 test = {c2} > {threshold}).")),
]}

LEAD_NOT_ACCUSATION = ("Sinyal adalah petunjuk, bukan tuduhan. Periksa dulu sebelum bertindak.",
                       "A signal is a lead, never an accusation. Verify before acting.")


NAME_WORDS = {False: ("nama yang sama", "same name"), True: ("nama mirip (ejaan berbeda)", "similar name (spelt differently)")}
NAME_NOTE = (" Nama lemah sebagai bukti: periksa nomor HP, kendaraan atau ciri lain.",
             " Names are weak evidence: check phone numbers, vehicles or other details.")


def _evidence(detail: dict) -> tuple[str, str, str, str]:
    """What a ring's reports share, in words: 'Nomor HP yang sama dan nama mirip (ejaan
    berbeda)' / 'same phone number and similar name (spelt differently) are'. "Ejaan
    berbeda" only when the spellings do differ (not for "Pak Udin" / "Udin")."""
    kinds = detail.get("kinds") or {detail.get("kind", ""): 1}
    ids, ens = [], []
    for k in ("phone", "handle", "plate", "boat"):
        if kinds.get(k):
            w = KIND_WORDS[k]
            ids.append(f"{w[0]} yang sama")
            ens.append(f"same {w[1]}")
    if kinds.get("name"):
        w = NAME_WORDS[bool(detail.get("spelling"))]
        ids.append(w[0])
        ens.append(w[1])
    if not ids:
        w = KIND_WORDS.get(detail.get("kind", ""), ("identitas", "identifier"))
        ids, ens = [f"{w[0]} yang sama"], [f"same {w[1]}"]
    join = lambda xs, word: xs[0] if len(xs) == 1 else ", ".join(xs[:-1]) + f" {word} " + xs[-1]
    text_id = join(ids, "dan")
    note = kinds.get("name") and len(kinds) == 1
    return (text_id[:1].upper() + text_id[1:], join(ens, "and") + (" is" if len(ens) == 1 else " are"),
            NAME_NOTE[0] if note else "", NAME_NOTE[1] if note else "")


def explain(rule: str, detail: dict, lang: str = "id") -> str:
    r = RULES.get(rule)
    if r is None:
        return rule
    i = 1 if lang == "en" else 0
    words = KIND_WORDS.get(detail.get("kind", ""), ("identitas", "identifier"))
    ev_id, ev_en, note_id, note_en = _evidence(detail)
    try:
        return r.text[i].format(kind_id=words[0][:1].upper() + words[0][1:], kind_en=words[1], evidence_id=ev_id,
                                evidence_en=ev_en, name_note_id=note_id, name_note_en=note_en, **detail)
    except (KeyError, IndexError, ValueError):
        return r.title[i]


def title(rule: str, lang: str = "id") -> str:
    r = RULES.get(rule)
    return r.title[1 if lang == "en" else 0] if r else rule


def ears_c2(counts: list[int], config: WarningConfig) -> tuple[float, float] | None:
    """counts: oldest first, the last one the current week. (C2, baseline mean), or None when
    there are not enough earlier weeks for a baseline."""
    need = config.spike_baseline_weeks + config.spike_guard_weeks + 1
    if len(counts) < need:
        return None
    x = counts[-1]
    base = counts[-need:-config.spike_guard_weeks - 1]
    mean = statistics.fmean(base)
    sd = max(statistics.stdev(base) if len(base) > 1 else 0.0, config.spike_sd_floor)
    return (x - mean) / sd, mean
