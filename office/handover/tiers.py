"""The three disclosure tiers: which columns, and one generator of CSV rows each.

    A  aggregate  counts per kecamatan x ISO week x form x category; a cell under k
                  (default 11, as CTDC publishes) is left out entirely, so a count of
                  1..k-1 never appears; the package says how many cells were withheld.
    B  pseudonymised case level: one row per report, codes only (see questions.py),
                  place = kecamatan, time = ISO week (no day); report ids are per-recipient
                  pseudonyms and rows are in their order (see shuffle.py).
    C  full referral of chosen reports to one named agency, with a reason (admin only);
                  text cells neutralised against spreadsheet formulas (dashboard exports' rule).
"""
from __future__ import annotations

from collections import Counter
from datetime import date, timedelta, timezone
from typing import Iterable, Iterator

from office import clock, regions
from office.dashboard.exports import neutral

from . import identifiers, questions
from . import keys as pkeys
from .source import Report

TIERS = ("A", "B", "C")
DESCRIPTION = {
    "A": "Agregat: jumlah laporan per kecamatan x minggu x jenis x kategori; sel < k disembunyikan. "
         "/ Aggregate counts; cells below k suppressed.",
    "B": "Tingkat kasus, pseudonim: tanpa nama, nomor telepon, akun, teks bebas atau GPS. "
         "/ Case level, pseudonymised: no names, phone numbers, handles, free text or GPS.",
    "C": "Rujukan lengkap laporan terpilih kepada satu instansi. "
         "/ Full referral of selected reports to one named agency.",
}
# Local time for people: the zone of the village's province (storage stays UTC).
_WIB = ("11", "12", "13", "14", "15", "16", "17", "18", "19", "21", "31", "32", "33", "34",
        "35", "36", "61", "62")
_WIT = ("81", "82", "91", "92", "93", "94", "95", "96")


def zone(kode_wilayah: str | None) -> timezone:
    prov = (kode_wilayah or "")[:2]
    hours = 7 if prov in _WIB else 9 if prov in _WIT else 8
    return timezone(timedelta(hours=hours))


def _f(name: str, type_: str, title: str, description: str, **constraints) -> dict:
    out = {"name": name, "type": type_, "title": title, "description": description}
    if constraints:
        out["constraints"] = constraints
    return out


REGION = {"pattern": r"\d{2}\.\d{2}\.\d{2}"}
WEEK = {"pattern": r"\d{4}-W\d{2}"}
A_FIELDS = [
    _f("kode_kecamatan", "string", "Kode kecamatan (Kemendagri)", "Kemendagri sub-district code",
       required=True, **REGION),
    _f("nama_kecamatan", "string", "Nama kecamatan", "Sub-district name (from the code list)"),
    _f("week", "string", "Minggu ISO (waktu terima, UTC)", "ISO 8601 week of receipt at the office (UTC)",
       required=True, **WEEK),
    _f("form_id", "string", "Jenis laporan", "Report type (form id)", required=True),
    _f("category", "string", "Kategori", "Category code (see codebook)"),
    _f("count", "integer", "Jumlah laporan", "Number of reports (never below k)", required=True),
]
B_FIXED = [
    _f("report_pid", "string", "ID pseudonim laporan", "Pseudonymous report id, stable for this recipient only",
       required=True, unique=True),
    _f("form_id", "string", "Jenis laporan", "Report type (form id)", required=True),
    _f("form_version", "integer", "Versi formulir", "Form version", required=True),
    _f("kode_provinsi", "string", "Kode provinsi", "Kemendagri province code", pattern=r"\d{2}"),
    _f("kode_kabupaten", "string", "Kode kabupaten/kota", "Kemendagri regency/city code", pattern=r"\d{2}\.\d{2}"),
    _f("kode_kecamatan", "string", "Kode kecamatan", "Kemendagri sub-district code", **REGION),
    _f("week", "string", "Minggu ISO diterima", "ISO 8601 week of receipt (UTC); no day in this tier",
       required=True, **WEEK),
    _f("category", "string", "Kategori", "Category code (see codebook)"),
    _f("triage", "string", "Status tindak lanjut", "Office triage status"),
    _f("rahasia", "boolean", "Rahasia", "Confidential report (only present when an admin included them)"),
]
C_FIXED = [
    _f("referral_id", "string", "ID rujukan laporan",
       "This referral's id for the report (the office maps it back; another referral of the same "
       "report gets another id)", required=True, unique=True),
    _f("form_id", "string", "Jenis laporan", "Report type (form id)", required=True),
    _f("form_version", "integer", "Versi formulir", "Form version", required=True),
    _f("kode_wilayah", "string", "Kode desa/kelurahan", "Kemendagri village code",
       pattern=r"\d{2}\.\d{2}\.\d{2}\.\d{4}"),
    _f("village", "string", "Desa", "Village name as registered at the office"),
    _f("received_at", "datetime", "Diterima kantor", "Received at the office (ISO 8601, UTC)", required=True),
    _f("phone_time", "datetime", "Waktu di ponsel", "Phone clock at filing (ISO 8601, UTC; may be wrong)"),
    _f("category", "string", "Kategori", "Category code (see codebook)"),
    _f("triage", "string", "Status tindak lanjut", "Office triage status"),
    _f("rahasia", "boolean", "Rahasia", "Confidential report"),
]


def week_of(received_at: str) -> str:
    y, w, _ = clock.parse(received_at).isocalendar()
    return f"{y}-W{w:02d}"


def aggregate(day_counts: Iterable[tuple], k: int) -> tuple[list[list], int]:
    """(rows of counts >= k, number of withheld cells) from (kode, form, category, day, n)."""
    cells: Counter = Counter()
    for kode, form_id, category, day, n in day_counts:
        y, w, _ = date.fromisoformat(day).isocalendar()
        cells[(kode[:8], f"{y}-W{w:02d}", form_id, category or "")] += n
    rows, withheld = [], 0
    for (kec, week, form_id, cat), n in sorted(cells.items()):
        if n < k:
            withheld += 1
            continue
        name = regions.get(kec).name if _known(kec) else ""
        rows.append([kec, name, week, form_id, cat, n])
    return rows, withheld


def _known(code: str) -> bool:
    try:
        regions.get(code)
        return True
    except Exception:   # noqa: BLE001 - a code outside the (partial) list just has no name
        return False


def case_rows(reports: Iterable[Report], tier: str, qs: list[questions.Question],
              pkey: bytes | None, on_identifier=None) -> Iterator[list]:
    """reports.csv rows; each report's named identifiers go to `on_identifier(row)`.
    `pkey`: the recipient's pseudonym key (B) or this referral's key (C)."""
    for r in reports:
        answers = r.answers or {}
        tz = zone(r.kode_wilayah)
        cells = [questions.value(q, answers, tz) if q.applies(r.form_id, r.form_version) else "" for q in qs]
        flag = "true" if r.rahasia else "false"
        if tier == "B":
            code = r.kode_wilayah or ""
            head = [pkeys.pseudonym(pkey, "r", r.id), r.form_id, r.form_version, code[:2], code[:5],
                    code[:8], week_of(r.received_at), r.category or "", r.triage, flag]
        else:
            head = [pkeys.pseudonym(pkey, "c", r.id), r.form_id, r.form_version, r.kode_wilayah or "", r.village_name,
                    r.received_at, clock.iso_ms(r.created_ms) or "", r.category or "", r.triage, flag]
        if on_identifier is not None:
            for row in identifiers.rows(head[0], answers, tier, pkey):
                on_identifier([neutral(v) for v in row] if tier == "C" else row)
        # Tier C carries text as written: a cell a spreadsheet would run (=HYPERLINK(…), +cmd|,
        # @SUM) gets the dashboard exports' leading apostrophe; '+62… stays a readable number.
        yield [neutral(v) for v in head + cells] if tier == "C" else head + cells


def category_codes() -> list[tuple[str, str, str]]:
    """Every category code with labels: the suspicion form's list plus the PMI departures."""
    import forms
    from .codebook import CATEGORY_DARURAT, CATEGORY_PMI
    out = []
    for form in forms.list_forms():
        try:
            f = form.field("kategori")
        except KeyError:
            continue
        out += [(c.value, c.label("id"), c.label("en")) for c in f.choices]
    return out + [CATEGORY_PMI, CATEGORY_DARURAT]


def triage_codes() -> list[tuple[str, str, str]]:
    from office.dashboard.i18n import TRIAGE
    return [(code, lid, len_) for code, (lid, len_) in TRIAGE.items()]


# Which region-code columns each tier has, and how many characters of a desa code each holds.
REGION_COLUMNS = {"A": {"kode_kecamatan": 8},
                  "B": {"kode_provinsi": 2, "kode_kabupaten": 5, "kode_kecamatan": 8},
                  "C": {"kode_wilayah": 13}}


def region_codes(tier: str, village_codes: Iterable[str]) -> dict[str, list[tuple[str, str, str]]]:
    """Codebook entries (code, name, English name) for the regions of the office's villages."""
    from .codebook import region_rows
    codes = [c for c in village_codes if c]
    return {col: region_rows(col, (c[:n] for c in codes)) for col, n in REGION_COLUMNS[tier].items()}


def form_codes() -> list[tuple[str, str, str]]:
    import forms
    return [(f.id, f.title("id"), f.title("en")) for f in forms.list_forms()]


def period_days(start: date, end: date) -> int:
    return (end - start).days + 1
