"""The columns of an export, laid out for an analyst rather than for a machine.

One column per question (not one `answers_json` cell), headed by the question's label in
the reader's language, answers shown by their choice labels ("Tempat penampungan orang",
"Ya"), times in local time with the zone name, and the office's own context: rahasia,
assignee, the latest triage note, the head's verdict. The codes stay available: the
second header row (CSV) or the "kode" sheet (XLSX) names each column's code and choices,
and `answers_json` is kept as the last column for programs.
"""
from __future__ import annotations

import json
from typing import Any, Iterable

from sqlalchemy import Connection, desc, select

import forms
from core import localtime
from office.schema import staff as staff_table

from . import derived
from .i18n import CATEGORY_PMI, TRIAGE, URGENCY, VERDICT, label, t
from .schema import dash_events

# (code, Indonesian header, English header) of the fixed columns, before the questions.
FIXED = [
    ("envelope_id", "ID laporan", "Report id"),
    ("received_at", "Diterima kantor", "Received at office"),
    ("phone_time", "Waktu di HP", "Phone time"),
    ("village", "Desa", "Village"),
    ("form_id", "Formulir", "Form"),
    ("category", "Kategori", "Category"),
    ("urgency", "Urgensi", "Urgency"),
    ("children", "Melibatkan anak", "Children involved"),
    ("rahasia", "Rahasia (hanya Imigrasi)", "Confidential (Immigration only)"),
    ("verdict", "Tinjauan kepala desa", "Head verdict"),
    ("triage", "Status tindak lanjut", "Triage state"),
    ("assignee", "Petugas", "Assignee"),
    ("note", "Catatan tindak lanjut terakhir", "Latest triage note"),
    ("has_photo", "Ada foto", "Has photo"),
    ("lat", "Lintang", "Latitude"),
    ("lon", "Bujur", "Longitude"),
    ("decrypted", "Terbuka", "Opened"),
]
TAIL = [("answers_json", "Jawaban (JSON, kode)", "Answers (JSON, codes)")]


def _yes_no(v: Any, lang: str) -> str:
    return t("yes", lang) if v else t("no", lang)


def _category(code: str | None, lang: str) -> str | None:
    """The dashboard's category column as words (suspicion categories, or PMI non-prosedural)."""
    if not code:
        return None
    if code == CATEGORY_PMI:
        return t("pmi", lang)
    try:
        return forms.load("laporan_kecurigaan").field("kategori").choice_label(code, lang)
    except Exception:   # noqa: BLE001
        return code


def extras(conn: Connection, keys, envelope_id: str, assignee_id: int | None) -> dict:
    """Assignee name and the latest triage note (opened with the office-derived key)."""
    name = None
    if assignee_id:
        name = conn.execute(select(staff_table.c.username).where(staff_table.c.id == assignee_id)).scalar()
    note_blob = conn.execute(select(dash_events.c.note).where(dash_events.c.envelope_id == envelope_id,
                                                              dash_events.c.kind == "triage",
                                                              dash_events.c.note.is_not(None))
                             .order_by(desc(dash_events.c.id)).limit(1)).scalar()
    return {"assignee": name, "note": derived.open_note(keys, envelope_id, note_blob) if note_blob else None}


def question_columns(form_ids: Iterable[str], lang: str) -> list[tuple[str, str, Any]]:
    """(column code, header, field) for every question of the forms in the set, in form order.
    A name shared by two forms with the same label is one column; otherwise it is prefixed."""
    out: list[tuple[str, str, Any]] = []
    seen: dict[str, str] = {}
    for fid in sorted(set(form_ids)):
        for f in _fields_of_all_versions(fid):
            if f.type == "note":
                continue
            head = f.label(lang)
            if f.name in seen and seen[f.name] == head:
                continue
            code = f.name if f.name not in seen else f"{fid}.{f.name}"
            seen.setdefault(f.name, head)
            out.append((code, head, f))
    return out


def _fields_of_all_versions(form_id: str) -> list:
    """The latest version's questions, then those only older versions ask (v1's `agen`):
    envelopes of every version stay readable as columns, named by their newest label."""
    out, names = [], set()
    for version in reversed(forms.versions(form_id)):
        try:
            form = forms.load(form_id, version)
        except Exception:   # noqa: BLE001 — an unknown form keeps only answers_json
            continue
        for f in form.fields:
            if f.name not in names:
                names.add(f.name)
                out.append(f)
    return out


def _answer(field, value: Any, lang: str, zone: str) -> Any:
    if value is None or value == "" or value == []:
        return None
    if field.type == "select_one":
        return field.choice_label(value, lang)
    if field.type == "select_multiple" and isinstance(value, list):
        return "; ".join(field.choice_label(v, lang) for v in value)
    if field.type == "select_multiple" and isinstance(value, str):     # a v1 single choice
        return field.choice_label(value, lang)
    if field.type in ("photo", "audio", "repeat") and isinstance(value, list):
        return len(value)            # a voice note is counted, never named; a repeat group's entries are rows of its own sheet / CSV
    if field.type == "geopoint" and isinstance(value, dict):
        return f"{value.get('lat')}, {value.get('lon')}"
    if field.type == "datetime" and isinstance(value, str):
        return f"{value.replace('T', ' ')} {zone}"      # the wall clock she typed on, named
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)   # never Python's repr
    return value


def table(data: list[dict], lang: str = "id", zone: str | None = None) -> tuple[list[str], list[str], list[list]]:
    """(headers in the reader's language, column codes, rows) for CSV/XLSX."""
    zone = zone or localtime.zone()
    questions = question_columns((r["form_id"] for r in data), lang)
    li = 1 if lang == "id" else 2
    headers = [c[li] for c in FIXED] + [h for _, h, _ in questions] + [c[li] for c in TAIL]
    codes = [c[0] for c in FIXED] + [code for code, _, _ in questions] + [c[0] for c in TAIL]
    titles: dict[str, str] = {}
    rows = []
    for r in data:
        fid = r["form_id"]
        if fid not in titles:
            try:
                titles[fid] = forms.load(fid).title(lang)
            except Exception:   # noqa: BLE001
                titles[fid] = fid
        answers = r.get("answers") or {}
        fixed = {
            "envelope_id": r["envelope_id"],
            "received_at": localtime.format(r["received_at"], zone, lang, short=True),
            "phone_time": localtime.format(r["phone_time"], zone, lang, short=True),
            "village": r.get("village") or r.get("village_id"),
            "form_id": titles[fid],
            "category": _category(r.get("category"), lang),
            "urgency": label(URGENCY, r.get("urgency"), lang) if r.get("urgency") else None,
            "children": _yes_no(r.get("children"), lang),
            "rahasia": None if r.get("rahasia") is None else _yes_no(r["rahasia"], lang),
            "verdict": label(VERDICT, r.get("verdict") or "none", lang),
            "triage": label(TRIAGE, r.get("triage"), lang),
            "assignee": r.get("assignee"), "note": r.get("note"),
            "has_photo": _yes_no(r.get("has_photo"), lang),
            "lat": r.get("lat"), "lon": r.get("lon"),
            "decrypted": _yes_no(r.get("decrypted"), lang),
        }
        row = [fixed[c[0]] for c in FIXED]
        for code, _, f in questions:
            name = code.split(".", 1)[-1]
            belongs = "." not in code or code.startswith(fid + ".")
            row.append(_answer(f, answers.get(name), lang, r.get("typed_zone") or zone) if belongs else None)
        row.append(r.get("answers_json", ""))
        rows.append(row)
    return headers, codes, rows


def codebook(data: list[dict], lang: str = "id") -> list[list]:
    """Rows of the "kode" sheet: column code, header, type, choice code, choice label."""
    out = [["kode kolom", "judul kolom", "jenis", "kode pilihan", "label pilihan"]]
    for code, head, f in question_columns((r["form_id"] for r in data), lang):
        if f.choices:
            for c in f.choices:
                out.append([code, head, f.type, c.value, c.label(lang)])
        else:
            out.append([code, head, f.type, None, None])
    for group, fields in repeat_groups(r["form_id"] for r in data).items():
        for f in fields:
            for c in f.choices or [None]:
                out.append([f"{group}.{f.name}", f.label(lang), f.type,
                            c.value if c else None, c.label(lang) if c else None])
    return out


# (code, Indonesian header, English header) of the columns that key a repeat entry to its report.
GROUP_KEYS = [("envelope_id", "ID laporan", "Report id"), ("entry", "Isian ke-", "Entry no.")]


def repeat_groups(form_ids: Iterable[str]) -> dict[str, list]:
    """Repeat group name -> its fields (union over the forms and versions in the set, in form
    order): `terlibat` in every form that asks it is one table."""
    out: dict[str, list] = {}
    for fid in sorted(set(form_ids)):
        for f in _fields_of_all_versions(fid):
            if f.type != "repeat":
                continue
            have = out.setdefault(f.name, [])
            names = {s.name for s in have}
            have.extend(s for s in f.fields if s.name not in names)
    return out


def group_table(data: list[dict], group: str, lang: str = "id",
                zone: str | None = None) -> tuple[list[str], list[str], list[list]]:
    """A repeat group as its own table, the way ODK and Kobo export repeats: one row per
    entry, keyed by the report's id and the entry's number, one column per field."""
    zone = zone or localtime.zone()
    fields = repeat_groups(r["form_id"] for r in data).get(group, [])
    li = 1 if lang == "id" else 2
    headers = [k[li] for k in GROUP_KEYS] + [f.label(lang) for f in fields]
    codes = [k[0] for k in GROUP_KEYS] + [f"{group}.{f.name}" for f in fields]
    rows = []
    for r in data:
        entries = (r.get("answers") or {}).get(group)
        if not isinstance(entries, list):
            continue
        for i, entry in enumerate((e for e in entries if isinstance(e, dict)), 1):
            rows.append([r["envelope_id"], i] + [_answer(f, entry.get(f.name), lang, zone) for f in fields])
    return headers, codes, rows
