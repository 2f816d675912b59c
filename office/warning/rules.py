"""The rules, each with the plain explanation an analyst reads next to the signal.

| rule              | raises a signal when                                                        |
|-------------------|-----------------------------------------------------------------------------|
| same_identifier   | the same phone / account / plate / boat in reports from >= 2 villages, 14 d |
| same_name         | names that match fuzzily (rapidfuzz) in reports from >= 2 villages, 14 d    |
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
         ("{kind_id} yang sama disebut dalam {reports} laporan dari {villages} desa berbeda dalam {days} hari. "
          "Mungkin satu calo / tekong / sponsor bekerja di beberapa desa.",
          "The same {kind_en} is named in {reports} reports from {villages} different villages within {days} days. "
          "One broker / skipper / sponsor may be working several villages.")),
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


def explain(rule: str, detail: dict, lang: str = "id") -> str:
    r = RULES.get(rule)
    if r is None:
        return rule
    i = 1 if lang == "en" else 0
    words = KIND_WORDS.get(detail.get("kind", ""), ("identitas", "identifier"))
    try:
        return r.text[i].format(kind_id=words[0][:1].upper() + words[0][1:], kind_en=words[1], **detail)
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
