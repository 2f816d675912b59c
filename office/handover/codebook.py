"""codebook.csv: every column and every code, in Indonesian and English, with a crosswalk.

The crosswalk to IOM's counter-trafficking case data (CTDC codebook variable names, the
public face of the Human Trafficking Case Data Standard) and to the ILO indicators of
forced labour (ILO 2012, eleven indicators) is OUR proposal: no official mapping from
these forms exists, and none of it has been reviewed by IOM or ILO. Every mapped row
says so in `mapping_by`; an empty cell means "no counterpart", not "unknown".
Most of what volunteers report (smuggling, forged papers, unofficial routes) has no
counterpart at all: those standards describe identified victims, not early warnings.
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
}

HEADER = ["variable", "code", "label_id", "label_en", "iom_ctdc", "ilo_indicator", "mapping_by"]
SCHEMA = {"fields": [
    {"name": "variable", "type": "string", "constraints": {"required": True},
     "description": "column name in the data file"},
    {"name": "code", "type": "string", "description": "a code of that column; empty: the column itself"},
    {"name": "label_id", "type": "string", "description": "label in Bahasa Indonesia"},
    {"name": "label_en", "type": "string", "description": "label in English"},
    {"name": "iom_ctdc", "type": "string", "description": "IOM CTDC / HTCDS counterpart, if any"},
    {"name": "ilo_indicator", "type": "string", "description": "ILO forced-labour indicator, if any"},
    {"name": "mapping_by", "type": "string", "description": "who proposed the mapping"},
], "missingValues": []}


def _row(variable: str, code: str, label_id: str, label_en: str) -> list[str]:
    base = _VERSION.sub("", variable)        # one crosswalk entry covers every version's column
    ctdc, ilo = CROSSWALK.get(f"{base}={code}" if code else base, ("", ""))
    return [variable, code, label_id, label_en, ctdc, ilo, MAPPING_BY if (ctdc or ilo) else ""]


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
