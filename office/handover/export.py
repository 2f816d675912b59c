"""export(): one hand-over package for one tier, period and recipient — built, signed, audited."""
from __future__ import annotations

import os
import uuid
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import forms
from sqlalchemy import Connection, select

from office import clock, regions
from office.dashboard import audit
from office.keys import OfficeKeys
from office.schema import villages

from . import codebook, identifiers, keys as pkeys, ledger, questions, shuffle, tiers
from .errors import HandoverError
from .package import Builder, Table, fingerprint
from .source import Period, check_region_codes, iter_reports

DEFAULT_K = 11
MAX_REFERRAL = 500
LEGAL_BASIS = [
    "Peraturan Presiden No. 39 Tahun 2019 tentang Satu Data Indonesia",
    "Undang-Undang No. 21 Tahun 2007 tentang Pemberantasan Tindak Pidana Perdagangan Orang",
    "Undang-Undang No. 6 Tahun 2011 tentang Keimigrasian",
    "Undang-Undang No. 18 Tahun 2017 tentang Pelindungan Pekerja Migran Indonesia",
    "Undang-Undang No. 27 Tahun 2022 tentang Pelindungan Data Pribadi",
]


def _pkg_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "unknown"


def export(conn: Connection, keys: OfficeKeys, *, tier: str, period: Period, out: Path,
           producer: str, recipient: str | None = None, reason: str | None = None,
           report_ids: list[str] | None = None, include_rahasia: bool = False, k: int = DEFAULT_K,
           staff: dict | None = None, actor: str = "cli", now: datetime | None = None,
           contact: str | None = None, custodian: str | None = None) -> dict:
    """Build and sign the package; audit it. Returns a summary (tier, rows, sha256, ...).

    The caller decides who may ask: tier C and include_rahasia are for admins only.
    """
    tier = tier.upper()
    if tier not in tiers.TIERS:
        raise HandoverError(f"tier must be one of {', '.join(tiers.TIERS)}",
                            f"tingkat harus salah satu dari {', '.join(tiers.TIERS)}")
    if k < 2 or k > 1000:
        raise HandoverError("k must be between 2 and 1000", "k harus antara 2 dan 1000")
    if tier in ("B", "C") and not (recipient or "").strip():
        raise HandoverError(f"tier {tier} is made for one named recipient agency (--recipient)",
                            f"tingkat {tier} dibuat untuk satu instansi penerima: isi nama instansinya")
    recipient = (recipient or "publik").strip()
    pkeys.recipient_slug(recipient)
    if tier == "C":
        if not report_ids:
            raise HandoverError("tier C refers chosen reports: name at least one report id",
                                "tingkat C merujuk laporan terpilih: pilih minimal satu laporan di Kotak masuk")
        if len(report_ids) > MAX_REFERRAL:
            raise HandoverError(f"tier C refers at most {MAX_REFERRAL} reports at once",
                                f"tingkat C merujuk paling banyak {MAX_REFERRAL} laporan sekaligus")
        if not (reason or "").strip():
            raise HandoverError("tier C needs the reason for the referral", "tingkat C perlu alasan rujukan")
        include_rahasia = True      # a referral names its reports; rahasia ones may be among them
    elif report_ids:
        raise HandoverError("only tier C selects reports by id", "hanya tingkat C yang memilih laporan satu per satu")
    now = now or clock.now()
    package_id = str(uuid.uuid4())

    released = None
    if tier == "A":
        weeks = ledger.weeks(period)
        period = Period(weeks[0].monday, weeks[-1].sunday)
    if tier in ("A", "B"):
        check_region_codes(conn, period, include_rahasia)
    with Builder() as b:
        counts, withheld = {}, None
        if tier == "A":
            released = ledger.release(conn, period, k=k, include_rahasia=include_rahasia,
                                      actor=(staff or {}).get("username") or actor, now=now)
            rows, withheld = released.rows, released.withheld
            t = b.add(Table("counts", {"fields": tiers.A_FIELDS, "missingValues": [""],
                                       "primaryKey": ["kode_kecamatan", "week", "form_id", "category"]},
                            "Jumlah laporan / Report counts"), rows)
            fixed, qs = tiers.A_FIELDS, []
        else:
            qs = questions.for_tier(tier)
            fixed = tiers.B_FIXED if tier == "B" else tiers.C_FIXED
            pkey = pkeys.key_for(keys, recipient) if tier == "B" else pkeys.referral_key(keys, package_id)
            reports = iter_reports(conn, period, include_rahasia=include_rahasia,
                                   ids=report_ids, keys=keys)
            idt = Table("identifiers", identifiers.schema(tier), "Pihak/benda yang disebut / Identifiers named")
            rpt = Table("reports", {"fields": fixed + [q.schema() for q in qs], "missingValues": [""],
                                    "primaryKey": [fixed[0]["name"]]}, "Laporan / Reports")
            if tier == "B":          # per-recipient order: copies for two agencies do not line up
                named = shuffle.Spill(prefix=2)
                t = b.add(rpt, shuffle.sorted_by_id(tiers.case_rows(reports, tier, qs, pkey, named.add)))
                b.add(idt, named.rows())
            else:
                with b.stream(idt) as write_identifier:
                    t = b.add(rpt, tiers.case_rows(reports, tier, qs, pkey, write_identifier))
            counts[idt.name] = idt.rows
            if tier == "C" and t.rows < len(set(report_ids or [])):
                missing = len(set(report_ids)) - t.rows
                raise HandoverError(f"{missing} of the chosen reports are not in the period "
                                    f"{period.start}..{period.end} (or do not exist)",
                                    f"{missing} laporan terpilih tidak ada dalam periode "
                                    f"{period.start}..{period.end} (atau tidak ada)")
        counts[t.name] = t.rows
        cb_codes = {"form_id": tiers.form_codes(), "category": tiers.category_codes(),
                    "triage": tiers.triage_codes(),
                    **tiers.region_codes(tier, conn.execute(select(villages.c.kode_wilayah)).scalars())}
        if tier != "A":
            cb_codes.update(identifiers.codes())
            fixed = fixed + identifiers.schema(tier)["fields"][1:]
        cb = b.add(Table("codebook", codebook.SCHEMA, "Buku kode / Codebook"),
                   codebook.rows(fixed, qs, cb_codes))
        counts["codebook"] = cb.rows
        descriptor = _descriptor(keys, tier=tier, period=period, producer=producer, recipient=recipient,
                                 reason=reason, include_rahasia=include_rahasia, k=k, withheld=withheld,
                                 counts=counts, now=now, package_id=package_id,
                                 contact=contact or os.environ.get("JAGA_OFFICE_CONTACT", ""),
                                 custodian=custodian or os.environ.get("JAGA_HANDOVER_CUSTODIAN", ""))
        if released is not None:
            descriptor["releases"] = released.entries
        _, sha = b.write(out, descriptor, keys)
    summary = {"tier": tier, "recipient": recipient, "rows": counts.get("counts", counts.get("reports")),
               "period": [period.start.isoformat(), period.end.isoformat()], "sha256": sha,
               "rahasia_included": include_rahasia, "package_id": descriptor["id"]}
    if tier == "A":
        summary["k"], summary["cells_withheld"] = k, withheld
        summary["releases"] = [f"{e['week']} v{e['version']}" for e in released.entries]
    if tier == "C":
        summary["reason"] = reason.strip()
        # The office's way back from a partner's "about referral_id X": only in the audit.
        pkey = pkeys.referral_key(keys, package_id)
        summary["referrals"] = {pkeys.pseudonym(pkey, "c", rid): rid for rid in sorted(set(report_ids))}
    audit.record(conn, "handover_export", staff=staff, username=None if staff else actor,
                 target=descriptor["id"], detail=summary)
    return summary


LICENCES = {
    "A": {"name": "CC-BY-4.0", "path": "https://creativecommons.org/licenses/by/4.0/",
          "title": "Creative Commons Attribution 4.0 (agregat, boleh disebarluaskan dengan menyebut sumber / "
                   "aggregate, may be shared with attribution)"},
    "B": {"name": "other-closed", "title": "Terbatas: hanya untuk instansi penerima; tidak boleh diteruskan tanpa "
                                           "izin kantor / Restricted: for the recipient agency only; no onward "
                                           "sharing without the office's consent"},
}
LICENCES["C"] = LICENCES["B"]
METHOD = ("Relawan desa terlatih mengisi formulir baku di aplikasi Jaga Desa (luring, terenkripsi ujung ke "
          "ujung); laporan diterima kantor imigrasi, dibuka dengan kunci kantor dan ditindaklanjuti analis. "
          "Ini laporan peringatan dini (dugaan), bukan kasus yang terbukti. / Trained village volunteers fill "
          "standard forms in the Jaga Desa app (offline, end-to-end encrypted); reports are received by the "
          "immigration office, opened with its key and triaged by analysts. These are early-warning reports "
          "(suspicions), not proven cases. Counts are of reports, not of persons: one event may be reported twice.")
DEFINITIONS = [
    {"term": "TPPO", "definition": "Tindak Pidana Perdagangan Orang (UU 21/2007) / trafficking in persons"},
    {"term": "TPPM", "definition": "Tindak Pidana Penyelundupan Manusia (UU 6/2011 ps. 120) / smuggling of migrants"},
    {"term": "PMI non-prosedural", "definition": "Pekerja Migran Indonesia yang berangkat tanpa prosedur resmi "
                                                 "(UU 18/2017) / a migrant worker departing outside the legal procedure"},
    {"term": "rahasia", "definition": "laporan yang ditandai rahasia oleh pelapor; hanya kantor yang membukanya / "
                                      "a report its author marked confidential; only the office opens it"},
    {"term": "triage", "definition": "status tindak lanjut kantor (lihat codebook) / the office's follow-up status"},
    {"term": "k", "definition": "jumlah terkecil yang diterbitkan di tingkat A / the smallest count tier A publishes"},
    {"term": "minggu ISO / ISO week", "definition": "ISO 8601 week (Monday–Sunday) of receipt at the office, UTC"},
    {"term": "kode wilayah", "definition": "kode wilayah administrasi pemerintahan (Kepmendagri 300.2.2-2138/2025)"},
]


def _descriptor(keys: OfficeKeys, *, tier, period, producer, recipient, reason, include_rahasia, k,
                withheld, counts, now, package_id, contact, custodian) -> dict:
    disclosure = {"tier": tier, "description": tiers.DESCRIPTION[tier], "recipient": recipient,
                  "rahasiaIncluded": include_rahasia}
    if tier == "A":
        disclosure.update(k=k, cellsWithheld=withheld, ledger=(
            "Each ISO week is published once, under one policy (k, rahasia), and then only through "
            "versioned corrections listed in `releases` with their notices: the same week asked again, "
            "by anyone, returns the same table, so no count below k comes back by subtraction."))
    if tier == "B":
        disclosure["pseudonyms"] = ("HMAC-SHA256 under a key derived for this recipient: stable across "
                                    "this recipient's packages, different in any other recipient's copy; "
                                    "rows are ordered by it, so copies do not line up row by row")
        disclosure["linkability"] = ("Not a guarantee of unlinkability: a report whose coded answers, "
                                     "kecamatan and week are unique can be matched across two recipients' "
                                     "copies by those values. Do not give tier B of one period to two "
                                     "agencies that must not pool their data; use tier A.")
    if tier == "C":
        disclosure["reason"] = reason.strip()
        disclosure["attachments"] = "photos are not included; ask the office"
        disclosure["ids"] = ("referral_id is this package's own id for a report (HMAC under a key of this "
                             "referral): quote it to the office; it does not reveal who filed the report")
    return {
        "profile": "tabular-data-package",
        "id": package_id,
        "name": f"jaga-desa-tier-{tier.lower()}-{period.start.isoformat()}-{period.end.isoformat()}",
        "title": f"Jaga Desa — paket serah terima tingkat {tier} / hand-over package tier {tier}",
        "description": "Laporan deteksi dini TPPO/TPPM dan keberangkatan PMI non-prosedural dari desa binaan. "
                       "/ Early-warning reports of trafficking, smuggling and non-procedural migrant departures.",
        "version": "1.0.0",
        "created": now.isoformat(timespec="seconds"),
        "producer": {"office": producer, "software": f"jaga-desa {_pkg_version('jaga-desa')}",
                     "keyFingerprint": fingerprint(keys.x25519_public, keys.ed25519_public)},
        "period": {"start": period.start.isoformat(), "end": period.end.isoformat(),
                   "basis": "received_at (office clock)", "timezone": "UTC"},
        "legalBasis": LEGAL_BASIS,
        "licenses": [LICENCES[tier]],
        "contributors": [{"title": producer, "role": "publisher", **({"email": contact} if contact else {})},
                         {"title": custodian or producer, "role": "maintainer"}],
        # Satu Data Indonesia metadata (Perpres 39/2019): producer, custodian (walidata), concept,
        # method, frequency, unit — in Bahasa Indonesia with English.
        "satuData": {"produsenData": producer, "waliData": custodian or producer,
                     "kontak": contact or producer, "metodologi": METHOD, "definisi": DEFINITIONS,
                     "satuan": "laporan / reports",
                     "frekuensi": ("mingguan, per minggu ISO yang sudah selesai / weekly, per ended ISO week"
                                   if tier == "A" else "sesuai permintaan / on request"),
                     "cakupanWilayah": "desa binaan kantor (lihat codebook) / the office's villages (see codebook)"},
        "disclosure": disclosure,
        "codeLists": [
            {"name": "kode_wilayah", "version": regions.VERSION, "coverage": regions.COVERAGE,
             "source": "Keputusan Menteri Dalam Negeri No. 300.2.2-2138 Tahun 2025"},
            {"name": "ISO 3166-1 alpha-2", "version": f"pycountry {_pkg_version('pycountry')}"},
            {"name": "forms", "version": ", ".join(f"{f.id} v{f.version}" for f in forms.list_forms())},
        ],
        "rowCounts": counts,
    }
