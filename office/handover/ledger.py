"""Tier A's release ledger: each ISO week is published once, under one policy, and then
only ever through versioned corrections (issue 23.8).

Without it a count below k came back by subtraction: the same week with and without
rahasia reports (17 − 14 = 3), or the same period asked again twelve minutes later
(15 − 14 = 1). So:

    - tier A publishes whole ISO weeks that have ended (UTC); a period is widened to the
      weeks it touches, and a week still running is refused;
    - the first export of a week stores its table here (rows, withheld cells, policy =
      k and rahasia). Every later export of that week returns the stored table, whatever
      arrived or changed since, for any recipient;
    - another policy for a released week is refused: two tables of one week that differ
      only by the rahasia reports (or by k) are exactly the subtraction;
    - a correction (`handover correct --week W --reason …`) is a new version with its
      reason as a notice; packages carry the latest version and list the notices, so a
      difference between versions is declared, never silent.

A correction can itself reveal a small difference: it is an admin decision, audited,
and named in every later package.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import (Column, Connection, Integer, String, Table, Text, UniqueConstraint, and_,
                        desc, select)
from sqlalchemy.exc import IntegrityError

from office import clock
from office.schema import metadata

from . import tiers
from .errors import HandoverError
from .source import Period, day_counts

releases = Table(
    "handover_releases", metadata,               # migration handover_0001
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("week", String(8), nullable=False),          # "2026-W48"
    Column("version", Integer, nullable=False),         # 1, then one more per correction
    Column("policy", String(64), nullable=False),       # "k=11; rahasia=excluded"
    Column("released_at", String(32), nullable=False),
    Column("released_by", String(100), nullable=False),
    Column("withheld", Integer, nullable=False),
    Column("rows", Text, nullable=False),               # JSON: the published rows of this week
    Column("sha256", String(64), nullable=False),
    Column("notice", Text, nullable=True),              # a correction's reason
    UniqueConstraint("week", "version", name="uq_handover_release_week_version"),
)


MAX_WEEKS = 260                  # five years per package


@dataclass(frozen=True)
class Week:
    year: int
    number: int

    @property
    def label(self) -> str:
        return f"{self.year}-W{self.number:02d}"

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.number, 1)

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)

    @classmethod
    def parse(cls, text: str) -> "Week":
        try:
            y, w = text.upper().split("-W")
            out = cls(int(y), int(w))
            out.monday                      # noqa: B018 - raises on week 54 etc.
            return out
        except ValueError:
            raise HandoverError(f"not an ISO week (YYYY-Www): {text!r}",
                                f"bukan minggu ISO (TTTT-Wmm): {text!r}") from None


def weeks(period: Period) -> list[Week]:
    out, d = [], period.start - timedelta(days=period.start.weekday())
    while d <= period.end:
        y, w, _ = d.isocalendar()
        out.append(Week(y, w))
        d += timedelta(days=7)
    return out


def policy(k: int, include_rahasia: bool) -> str:
    return f"k={k}; rahasia={'included' if include_rahasia else 'excluded'}"


def _latest(conn: Connection, week: Week):
    return conn.execute(select(releases).where(releases.c.week == week.label)
                        .order_by(desc(releases.c.version)).limit(1)).first()


def _compute(conn: Connection, week: Week, k: int, include_rahasia: bool) -> tuple[list[list], int]:
    return tiers.aggregate(day_counts(conn, Period(week.monday, week.sunday),
                                      include_rahasia=include_rahasia), k)


def _store(conn: Connection, week: Week, version: int, pol: str, rows: list[list], withheld: int,
           actor: str, now: datetime, notice: str | None) -> None:
    body = json.dumps(rows, ensure_ascii=False)
    with conn.begin_nested():
        conn.execute(releases.insert().values(
            week=week.label, version=version, policy=pol, released_at=clock.iso(now), released_by=actor[:100],
            withheld=withheld, rows=body, sha256=hashlib.sha256(body.encode()).hexdigest(), notice=notice))


@dataclass
class Release:
    rows: list[list]
    withheld: int
    period: Period                       # widened to whole weeks
    entries: list[dict]                  # per week: week, version, policy, released, notices


def release(conn: Connection, period: Period, *, k: int, include_rahasia: bool, actor: str,
            now: datetime | None = None) -> Release:
    """The tier A table for the whole weeks of `period`: ledgered weeks as released, new ones
    computed and ledgered now."""
    now = now or clock.now()
    pol = policy(k, include_rahasia)
    ws = weeks(period)
    if len(ws) > MAX_WEEKS:       # each week asked is ledgered: no accidental release of decades
        raise HandoverError(f"tier A releases at most {MAX_WEEKS} ISO weeks per package; ask for a shorter period",
                            f"tingkat A menerbitkan paling banyak {MAX_WEEKS} minggu ISO per paket; "
                            "pilih periode yang lebih pendek")
    running = [w.label for w in ws if w.sunday >= now.date()]
    if running:
        raise HandoverError(f"tier A publishes whole ISO weeks once they are over; {', '.join(running)} "
                            f"has not ended (UTC). Ask for weeks up to the last Sunday.",
                            f"tingkat A hanya menerbitkan minggu ISO yang sudah selesai; {', '.join(running)} "
                            f"belum selesai (UTC). Pilih sampai hari Minggu yang lalu.")
    rows, withheld, entries = [], 0, []
    for w in ws:
        row = _latest(conn, w)
        if row is None:
            computed, held = _compute(conn, w, k, include_rahasia)
            try:
                _store(conn, w, 1, pol, computed, held, actor, now, None)
            except IntegrityError:          # released by a concurrent export meanwhile: use that
                pass
            row = _latest(conn, w)
        if row.policy != pol:
            raise HandoverError(f"week {w.label} was released under {row.policy}; one policy per week "
                                f"(another table of the same week would reveal small counts by subtraction)",
                                f"minggu {w.label} sudah diterbitkan dengan {row.policy}; satu kebijakan per "
                                f"minggu (tabel lain untuk minggu yang sama membuka jumlah kecil lewat pengurangan)")
        rows += json.loads(row.rows)
        withheld += row.withheld
        entries.append({"week": w.label, "version": row.version, "policy": row.policy,
                        "released": row.released_at, "sha256": row.sha256, "notices": notices(conn, w)})
    return Release(rows, withheld, Period(ws[0].monday, ws[-1].sunday), entries)


def notices(conn: Connection, week: Week) -> list[dict]:
    q = (select(releases.c.version, releases.c.released_at, releases.c.notice)
         .where(and_(releases.c.week == week.label, releases.c.version > 1)).order_by(releases.c.version))
    return [{"version": r.version, "released": r.released_at, "notice": r.notice} for r in conn.execute(q)]


def correct(conn: Connection, week_label: str, reason: str, *, actor: str,
            now: datetime | None = None) -> dict:
    """A new version of a released week, recomputed under its policy, with `reason` as notice."""
    week = Week.parse(week_label)
    if not (reason or "").strip():
        raise HandoverError("a correction needs its reason (it is published as a notice)",
                            "koreksi perlu alasan (diterbitkan sebagai pemberitahuan)")
    row = _latest(conn, week)
    if row is None:
        raise HandoverError(f"week {week.label} has not been released; nothing to correct",
                            f"minggu {week.label} belum diterbitkan; tidak ada yang dikoreksi")
    k = int(row.policy.split(";")[0].split("=")[1])
    include_rahasia = row.policy.endswith("included")
    computed, held = _compute(conn, week, k, include_rahasia)
    _store(conn, week, row.version + 1, row.policy, computed, held, actor, now or clock.now(), reason.strip()[:500])
    return {"week": week.label, "version": row.version + 1, "policy": row.policy, "rows": len(computed),
            "withheld": held, "changed": json.loads(row.rows) != computed}
