"""codebook.csv: every column and every code, in Indonesian and English, with a crosswalk.

The crosswalk to IOM's counter-trafficking case data (CTDC codebook variable names, the
public face of the Human Trafficking Case Data Standard) and to the ILO indicators of
forced labour (ILO 2012, eleven indicators) is OUR proposal: no official mapping from
these forms exists, and none of it has been reviewed by IOM or ILO. Every mapped row
says so in `mapping_by`; an empty cell means "no counterpart", not "unknown".
Most of what volunteers report (smuggling, forged papers, unofficial routes) has no
counterpart at all: those standards describe identified victims, not early warnings.
Where a field looks as if it should map and does not, the `note` column says why.

Also decoded here: the office's triage codes, the Darurat form's category (it asks none),
and every region code of the office's villages with its name in English.
"""
from __future__ import annotations

import re
from typing import Iterable

from .questions import Question

_VERSION = re.compile(r"__v\d+")
MAPPING_BY = "jaga-desa (proposed, not reviewed by IOM/ILO)"
CATEGORY_PMI = ("pmi_nonprosedural", "Keberangkatan PMI non-prosedural",
                "Non-procedural migrant-worker departure")

# (variable or variable=code) -> (CTDC variable[=value], ILO indicator)
CROSSWALK: dict[str, tuple[str, str]] = {
    "laporan_kecurigaan__kategori=rekrutmen": ("", "deception"),
    "laporan_kecurigaan__kategori=penampungan": ("meansOfControlRestrictsMovement",
                                                 "restriction of movement; isolation"),
    "category=rekrutmen": ("", "deception"),
    "category=penampungan": ("meansOfControlRestrictsMovement", "restriction of movement; isolation"),
    "laporan_kecurigaan__ada_anak=ya": ("majorityStatus=Minor", ""),
    "laporan_kecurigaan__jumlah_anak": ("majorityStatus=Minor (count)", ""),
    "laporan_kecurigaan__jumlah_perempuan": ("gender=Female (count)", ""),
    "keberangkatan_pmi__jumlah_perempuan": ("gender=Female (count)", ""),
    "keberangkatan_pmi__jumlah_di_bawah_umur": ("majorityStatus=Minor (count)", ""),
    "keberangkatan_pmi__negara_tujuan__iso3166": ("CountryOfExploitation (destination, not confirmed)", ""),
    "keberangkatan_pmi__dokumen=tidak_ada": ("", "retention of identity documents (possible)"),
    "keberangkatan_pmi__dokumen_ditahan=ya": ("meansOfControlWithholdsDocuments", "retention of identity documents"),
    "keberangkatan_pmi__biaya=potong_gaji": ("meansOfControlDebtBondage (possible)", "debt bondage"),
    "keberangkatan_pmi__pekerjaan=sawit": ("typeOfLabourAgriculture", ""),
    "keberangkatan_pmi__pekerjaan=art": ("typeOfLabourDomesticWork", ""),
    "keberangkatan_pmi__pekerjaan=pabrik": ("typeOfLabourManufacturing", ""),
    "keberangkatan_pmi__pekerjaan=online_scam": ("typeOfLabourIllicitActivities", "deception"),
    "keberangkatan_pmi__pekerjaan=lainnya": ("typeOfLabourOther", ""),
    "keberangkatan_pmi__pekerjaan=tidak_tahu": ("typeOfLabourNotSpecified", ""),
}

# Fields that look as if they should map to HTCDS/CTDC and do not: why (issue 23.13).
NOTES: dict[str, str] = {
    "laporan_kecurigaan__kategori=rekrutmen": (
        "Recruitment is not a CTDC variable: CTDC records how an identified victim was controlled "
        "(e.g. meansOfControlFalsePromises) once exploitation is established; this is a suspicion "
        "at the recruitment stage."),
    "category=rekrutmen": "See laporan_kecurigaan__kategori=rekrutmen.",
    "role": ("No CTDC counterpart: CTDC records the victim's relationship to the recruiter "
             "(recruiterRelation*), not the role (broker, boatman, driver…) of a party a volunteer names."),
    "keberangkatan_pmi__status": (
        "No CTDC counterpart: CTDC describes identified victims after exploitation; a departure seen, "
        "under way or planned is an early warning, not a case."),
    "keberangkatan_pmi__pekerjaan": (
        "The job promised at departure, as a volunteer heard it; CTDC typeOfLabour* is the labour "
        "actually exploited. Mapped codes are what it would be if confirmed."),
    "keberangkatan_pmi__dokumen_ditahan": (
        "Whether someone keeps the travellers' documents, as seen at departure; CTDC's "
        "meansOfControlWithholdsDocuments is established for an identified victim."),
    "triage": "The office's follow-up status; not part of HTCDS.",
    "rahasia": "Confidential reports (never included unless an admin chose to); not part of HTCDS.",
}
CATEGORY_DARURAT = ("darurat", "Laporan darurat (formulir tanpa kategori)",
                    "Emergency report (the form asks no category)")

HEADER = ["variable", "code", "label_id", "label_en", "iom_ctdc", "ilo_indicator", "mapping_by", "note"]
SCHEMA = {"fields": [
    {"name": "variable", "type": "string", "constraints": {"required": True},
     "description": "column name in the data file"},
    {"name": "code", "type": "string", "description": "a code of that column; empty: the column itself"},
    {"name": "label_id", "type": "string", "description": "label in Bahasa Indonesia"},
    {"name": "label_en", "type": "string", "description": "label in English"},
    {"name": "iom_ctdc", "type": "string", "description": "IOM CTDC / HTCDS counterpart, if any"},
    {"name": "ilo_indicator", "type": "string", "description": "ILO forced-labour indicator, if any"},
    {"name": "mapping_by", "type": "string", "description": "who proposed the mapping"},
    {"name": "note", "type": "string", "description": "why a field has no HTCDS/CTDC counterpart, or what "
                                                      "the mapping means"},
], "missingValues": []}


def _row(variable: str, code: str, label_id: str, label_en: str) -> list[str]:
    base = _VERSION.sub("", variable)        # one crosswalk entry covers every version's column
    key = f"{base}={code}" if code else base
    ctdc, ilo = CROSSWALK.get(key, ("", ""))
    return [variable, code, label_id, label_en, ctdc, ilo, MAPPING_BY if (ctdc or ilo) else "", NOTES.get(key, "")]


_DIRECTIONS = {"Utara": "North", "Selatan": "South", "Barat": "West", "Timur": "East", "Tengah": "Central",
               "Barat Daya": "Southwest", "Pegunungan": "Highland"}


def region_en(code: str, name: str) -> str:
    """A Kemendagri region's name in English, by its level: 'Kalimantan Utara' -> 'North
    Kalimantan', 'Kabupaten Nunukan' -> 'Nunukan Regency', 'Kota Tarakan' -> 'Tarakan City',
    a kecamatan 'Sebatik' -> 'Sebatik District', a desa -> '… Village'. Proper names stay."""
    level = code.count(".")
    if level == 0:
        for word in sorted(_DIRECTIONS, key=len, reverse=True):
            if name.endswith(" " + word):
                return f"{_DIRECTIONS[word]} {name[:-len(word) - 1]}"
        return name
    if level == 1:
        for prefix, kind in (("Kabupaten ", "Regency"), ("Kota ", "City")):
            if name.startswith(prefix):
                return f"{name[len(prefix):]} {kind}"
        return name
    return f"{name} {'District' if level == 2 else 'Village'}"


def region_rows(variable: str, codes: Iterable[str]) -> list[tuple[str, str, str]]:
    """(code, name, name in English) for the codebook; codes outside the list are skipped."""
    from office import regions
    out = []
    for code in sorted(set(codes)):
        try:
            name = regions.get(code).name
        except regions.NotFound:          # a code outside the (partial) list just has no name
            continue
        out.append((code, name, region_en(code, name)))
    return out


def rows(fixed: Iterable[dict], questions: Iterable[Question], codes: dict[str, list[tuple[str, str, str]]]
         ) -> list[list[str]]:
    """Rows for the fixed columns (their Table Schema fields), each question, and their codes."""
    out = []
    for f in fixed:
        out.append(_row(f["name"], "", f.get("title", ""), f.get("description", "")))
        for code, lid, len_ in codes.get(f["name"], []):
            out.append(_row(f["name"], code, lid, len_))
    for q in questions:
        out.append(_row(q.column, "", q.field.label("id"), q.field.label("en")))
        if q.part == "" and q.choices:
            for c in q.choices:
                out.append(_row(q.column, c.value, c.label("id"), c.label("en")))
    return out
