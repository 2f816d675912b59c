"""Cross-office signals at the region (or national) level, on pseudonymous keys only.

Two early-warning rules make sense one level up. The "same identifier" rule
(sync/office/warning: one phone number, handle, plate or boat in reports from two villages
within `identifier_days`) lifted one level: one link key in reports from at least two
OFFICES within the window. What the region sees of a signal: the kind, the offices,
kecamatan codes, ISO weeks and report pseudonyms — the same things its share tables
already hold, never a value (the region has no key to make or reverse one). The office
that filed a report can find it again from the pseudonym (HMAC of its envelope id under
the level key) when the region asks about a signal.

The weekly spike (EARS C2 with the office's own function, `warning.rules.ears_c2`, and
settings) on `share_weekly`: an office x kecamatan whose count this ISO week is an
aberration against its earlier weeks. The office runs it per kecamatan x form on its own
reports; the region runs it per office x kecamatan over every form, on counts only.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection, text

from sync.office.warning.config import WarningConfig
from sync.office.warning.rules import ears_c2

DEFAULT_DAYS = WarningConfig().identifier_days


@dataclass(frozen=True)
class CrossOffice:
    kind: str
    key: str                     # the level-keyed HMAC (a pseudonym, shown shortened)
    offices: list[str]
    kecamatan: list[str]
    weeks: list[str]
    reports: list[str]           # report pseudonyms (share_reports.id)
    first: dt.date
    last: dt.date

    @property
    def ref(self) -> str:
        """A short handle people can say on the phone: kind + the first 12 hex of the key."""
        return f"{self.kind}:{self.key[:12]}"


def cross_office(conn: Connection, *, days: int = DEFAULT_DAYS, today: dt.date | None = None,
                 min_offices: int = 2) -> list[CrossOffice]:
    """Every link key seen in reports of >= `min_offices` offices received in the last
    `days` days (UTC dates, up to `today`), newest first. One indexed GROUP BY."""
    today = today or dt.datetime.now(dt.timezone.utc).date()
    rows = conn.execute(text(
        "SELECT l.kind, l.key, "
        "  array_agg(DISTINCT l.office_code ORDER BY l.office_code) AS offices, "
        "  array_remove(array_agg(DISTINCT r.kode_kecamatan ORDER BY r.kode_kecamatan), NULL) AS kecamatan, "
        "  array_agg(DISTINCT r.week ORDER BY r.week) AS weeks, "
        "  array_agg(DISTINCT l.id::text ORDER BY l.id::text) AS reports, "
        "  min(r.received_date) AS first, max(r.received_date) AS last "
        "FROM public.share_links l JOIN public.share_reports r ON r.office_code = l.office_code AND r.id = l.id "
        "WHERE r.received_date > :since AND r.received_date <= :today "
        "GROUP BY l.kind, l.key HAVING count(DISTINCT l.office_code) >= :min "
        "ORDER BY max(r.received_date) DESC, l.kind, l.key"),
        {"since": today - dt.timedelta(days=days), "today": today, "min": min_offices}).all()
    return [CrossOffice(r.kind, r.key, list(r.offices), list(r.kecamatan), list(r.weeks), list(r.reports),
                        r.first, r.last) for r in rows]


def weekly(conn: Connection, *, weeks: int = 8) -> list:
    """Counts per office x kecamatan x ISO week (all forms and categories), the latest
    `weeks` weeks present: the aggregate a regional analyst reads first."""
    return conn.execute(text(
        "WITH w AS (SELECT DISTINCT week FROM public.share_weekly ORDER BY week DESC LIMIT :n) "
        "SELECT office_code, kode_kecamatan, week, sum(reports)::int AS reports FROM public.share_weekly "
        "WHERE week IN (SELECT week FROM w) GROUP BY office_code, kode_kecamatan, week "
        "ORDER BY week DESC, office_code, kode_kecamatan"), {"n": weeks}).all()


def by_category(conn: Connection, *, weeks: int = 8) -> list:
    """Counts per office x form x category over the same weeks."""
    return conn.execute(text(
        "WITH w AS (SELECT DISTINCT week FROM public.share_weekly ORDER BY week DESC LIMIT :n) "
        "SELECT office_code, form_id, category, sum(reports)::int AS reports FROM public.share_weekly "
        "WHERE week IN (SELECT week FROM w) GROUP BY office_code, form_id, category "
        "ORDER BY office_code, reports DESC, form_id, category"), {"n": weeks}).all()


@dataclass(frozen=True)
class WeeklySpike:
    office: str
    kecamatan: str
    week: str                    # ISO week, e.g. 2026-W48 (UTC, as share_reports.week)
    reports: int                 # this week's count
    mean: float                  # baseline mean per week (the weeks before the guard band)
    c2: float                    # the EARS C2 statistic, alarm when > threshold
    threshold: float


def iso_week(day: dt.date) -> str:
    """The week label the office's share trigger writes (to_char(..., 'IYYY-"W"IW'))."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def weekly_spikes(conn: Connection, *, config: WarningConfig | None = None,
                  today: dt.date | None = None) -> list[WeeklySpike]:
    """Every office x kecamatan whose count in the ISO week of `today` (UTC) is an EARS C2
    aberration, highest C2 first. Same guards as the office rule: at least
    `spike_min_count` reports this week, and only a kecamatan with reports older than the
    whole baseline (no alarm against the empty weeks before an office or village started)."""
    config = config or WarningConfig()
    today = today or dt.datetime.now(dt.timezone.utc).date()
    need = config.spike_baseline_weeks + config.spike_guard_weeks + 1
    weeks = [iso_week(today - dt.timedelta(weeks=need - 1 - i)) for i in range(need)]
    rows = conn.execute(text(
        "WITH hot AS (SELECT office_code, kode_kecamatan FROM public.share_weekly "
        "  WHERE week = :this AND kode_kecamatan IS NOT NULL GROUP BY 1, 2 HAVING sum(reports) >= :min) "
        "SELECT w.office_code, w.kode_kecamatan, w.week, sum(w.reports)::int AS reports "
        "FROM public.share_weekly w JOIN hot USING (office_code, kode_kecamatan) "
        "WHERE w.week <= :this GROUP BY 1, 2, 3"),
        {"this": weeks[-1], "min": config.spike_min_count}).all()
    counts: dict[tuple[str, str], dict[str, int]] = {}
    seasoned: set[tuple[str, str]] = set()
    for r in rows:
        pair = (r.office_code, r.kode_kecamatan)
        counts.setdefault(pair, {})[r.week] = r.reports
        if r.week < weeks[0]:            # 'IYYY-"W"IW' labels sort as the weeks do
            seasoned.add(pair)
    out = []
    for pair in sorted(seasoned):
        series = [counts[pair].get(w, 0) for w in weeks]
        res = ears_c2(series, config)
        if res is not None and res[0] > config.spike_threshold:
            out.append(WeeklySpike(pair[0], pair[1], weeks[-1], series[-1], round(res[1], 2), round(res[0], 2),
                                   config.spike_threshold))
    return sorted(out, key=lambda s: (-s.c2, s.office, s.kecamatan))
