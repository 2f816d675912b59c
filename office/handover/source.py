"""The reports a hand-over draws on, read from the office store one batch at a time.

Rows stream (keyset paging on received_at, id) so an export of 100k reports holds one
batch in memory, not the period. Answers are opened with the office key only when the
tier needs them (B, C); tier A counts from plain columns and never decrypts.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Iterator

from sqlalchemy import Connection, and_, func, or_, select

from sync.formids import REVIEW_FORM
from office import clock, opening
from office.keys import OfficeKeys
from office.schema import envelopes, villages

from .errors import HandoverError, RegionCodeMissing

BATCH = 1000
# The keberangkatan and Darurat forms ask no category: each form's reports count as one
# (the codebook decodes both codes, so no category cell is left empty).
FORM_CATEGORY = {"keberangkatan_pmi": "pmi_nonprosedural", "laporan_darurat": "darurat"}


@dataclass(frozen=True)
class Period:
    start: date
    end: date          # inclusive

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise HandoverError(f"period ends ({self.end}) before it starts ({self.start})",
                                f"periode berakhir ({self.end}) sebelum dimulai ({self.start})")

    @property
    def bounds(self) -> tuple[str, str]:
        """received_at bounds as office ISO strings: [start 00:00Z, end+1 00:00Z)."""
        lo = datetime.combine(self.start, time(), timezone.utc)
        hi = datetime.combine(self.end + timedelta(days=1), time(), timezone.utc)
        return clock.iso(lo), clock.iso(hi)


@dataclass
class Report:
    id: str
    form_id: str
    form_version: int
    village_id: int
    village_name: str
    kode_wilayah: str | None
    received_at: str
    created_ms: int
    rahasia: bool
    category: str | None
    triage: str
    answers: dict | None = None     # None when not opened (tier A) or not openable


def _where(period: Period, include_rahasia: bool, ids: list[str] | None):
    lo, hi = period.bounds
    cond = and_(envelopes.c.received_at >= lo, envelopes.c.received_at < hi,
                envelopes.c.form_id != REVIEW_FORM)
    if not include_rahasia:
        cond = and_(cond, envelopes.c.rahasia.is_(False))
    if ids is not None:
        cond = and_(cond, envelopes.c.id.in_(ids))
    return cond


def check_region_codes(conn: Connection, period: Period, include_rahasia: bool,
                       ids: list[str] | None = None) -> None:
    """Tiers A/B place every report by its village's code: refuse, naming the villages, if any lacks one."""
    q = (select(villages.c.id, villages.c.name).distinct()
         .join(envelopes, envelopes.c.village_id == villages.c.id)
         .where(_where(period, include_rahasia, ids), villages.c.kode_wilayah.is_(None))
         .order_by(villages.c.name))
    missing = conn.execute(q).all()
    if missing:
        names = ", ".join(f"{m.name} (id {m.id})" for m in missing)
        raise RegionCodeMissing(
            f"village without a Kemendagri region code: {names}; set it on the dashboard's Villages page "
            "or with `office-admin set-village-code --village ID --code KODE` before a tier A/B export",
            f"desa tanpa kode wilayah Kemendagri: {names}; tetapkan kodenya di halaman Desa "
            "sebelum serah terima tingkat A/B")


def day_counts(conn: Connection, period: Period, *, include_rahasia: bool = False) -> Iterator[tuple]:
    """(kode_wilayah, form_id, category, UTC day 'YYYY-MM-DD', count): tier A's input, counted
    by the database so 100k reports never cross into Python one by one."""
    day = func.substr(envelopes.c.received_at, 1, 10)
    q = (select(villages.c.kode_wilayah, envelopes.c.form_id, envelopes.c.category, day, func.count())
         .join(villages, villages.c.id == envelopes.c.village_id)
         .where(_where(period, include_rahasia, None))
         .group_by(villages.c.kode_wilayah, envelopes.c.form_id, envelopes.c.category, day))
    for kode, form_id, category, d, n in conn.execute(q):
        yield kode, form_id, category or FORM_CATEGORY.get(form_id), d, n


def iter_reports(conn: Connection, period: Period, *, include_rahasia: bool = False,
                 ids: list[str] | None = None, keys: OfficeKeys | None = None) -> Iterator[Report]:
    """Reports received in the period, oldest first; answers opened when `keys` is given."""
    authors: dict[str, object] = {}
    cols = [envelopes.c.id, envelopes.c.form_id, envelopes.c.form_version, envelopes.c.village_id,
            villages.c.name.label("village_name"), villages.c.kode_wilayah, envelopes.c.received_at,
            envelopes.c.created_ms, envelopes.c.rahasia, envelopes.c.category, envelopes.c.triage,
            envelopes.c.author_id]
    if keys is not None:
        cols.append(envelopes.c.data)
    base = (select(*cols).join(villages, villages.c.id == envelopes.c.village_id)
            .where(_where(period, include_rahasia, ids))
            .order_by(envelopes.c.received_at, envelopes.c.id).limit(BATCH))
    after: tuple[str, str] | None = None
    while True:
        q = base if after is None else base.where(or_(
            envelopes.c.received_at > after[0],
            and_(envelopes.c.received_at == after[0], envelopes.c.id > after[1])))
        rows = conn.execute(q).all()
        for r in rows:
            answers = None
            if keys is not None:
                answers = _open(conn, keys, authors, r)
            yield Report(id=r.id, form_id=r.form_id, form_version=r.form_version,
                         village_id=r.village_id, village_name=r.village_name,
                         kode_wilayah=r.kode_wilayah, received_at=r.received_at,
                         created_ms=r.created_ms, rahasia=bool(r.rahasia),
                         category=r.category or FORM_CATEGORY.get(r.form_id),
                         triage=r.triage or "new", answers=answers)
        if len(rows) < BATCH:
            return
        after = (rows[-1].received_at, rows[-1].id)


def _open(conn: Connection, keys: OfficeKeys, authors: dict, r) -> dict | None:
    if r.author_id not in authors:
        authors.update(opening.authors_public(conn, [r.author_id]) or {r.author_id: None})
    payload = opening.payload_of(opening.open_stored(keys, r.data, authors[r.author_id]))
    answers = payload.get("answers") if payload is not None else None
    return answers if isinstance(answers, dict) else None
