"""Cross-office signals at the region (or national) level, on pseudonymous keys only.

Two early-warning rules make sense one level up. The "same identifier" rule
(office/warning: one phone number, handle, plate or boat in reports from two villages
within `identifier_days`) lifted one level: one link key in reports from at least two
OFFICES within the window. What the region sees of a signal: the kind, the offices,
kecamatan codes, ISO weeks and report pseudonyms — the same things its share tables
already hold, never a value (the region has no key to make or reverse one). The office
that filed a report can find it again from the pseudonym (HMAC of its envelope id under
the level key) when the region asks about a signal.

The weekly spike (EARS C2 with the office's own function, `warning.rules.ears_c2`, and
settings) on `share_weekly`: an office x kecamatan whose count in this ISO week or one of the
`spike_recent_weeks` before it is an aberration against the weeks before that week. The office runs it per kecamatan x form on its own
reports; the region runs it per office x kecamatan over every form, on counts only.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection, text

from office.warning.config import WarningConfig
from office.warning.rules import ears_c2

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


def ranked(found: list[CrossOffice]) -> list[CrossOffice]:
    """The one to read first on top: most offices, then most reports, then the most recent."""
    return sorted(found, key=lambda s: (-len(s.offices), -len(s.reports), -s.last.toordinal(), s.key))


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
    reports: int                 # that week's count
    mean: float                  # baseline mean per week (the weeks before the guard band)
    c2: float                    # the EARS C2 statistic, alarm when > threshold
    threshold: float


def iso_week(day: dt.date) -> str:
    """The week label the office's share trigger writes (to_char(..., 'IYYY-"W"IW'))."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def weekly_spikes(conn: Connection, *, config: WarningConfig | None = None,
                  today: dt.date | None = None) -> list[WeeklySpike]:
    """Every office x kecamatan x week, among the ISO week of `today` (UTC) and the
    `spike_recent_weeks` complete weeks before it, whose count is an EARS C2 aberration
    against the weeks before that week: newest week first, then highest C2.

    Why the recent weeks and not only this one: an analyst opening the page on Monday
    morning would otherwise see nothing of last week's spike, and a regional review that
    meets monthly would miss most of them. Each week is judged as it would have been on its
    own Sunday night (its own baseline and guard band), so a later quiet week does not hide
    it and the spike itself, once in a later week's baseline, only raises that baseline.

    Same guards as the office rule: at least `spike_min_count` reports that week, and only a
    kecamatan with reports older than that week's whole baseline (no alarm against the empty
    weeks before an office or village started)."""
    config = config or WarningConfig()
    today = today or dt.datetime.now(dt.timezone.utc).date()
    need = config.spike_baseline_weeks + config.spike_guard_weeks + 1
    recent = max(0, config.spike_recent_weeks)
    # oldest first: the first `need - 1` weeks are the earliest checked week's history
    weeks = [iso_week(today - dt.timedelta(weeks=need - 1 + recent - i)) for i in range(need + recent)]
    checked = weeks[need - 1:]
    rows = conn.execute(text(
        "WITH hot AS (SELECT office_code, kode_kecamatan FROM public.share_weekly "
        "  WHERE week >= :first AND week <= :this AND kode_kecamatan IS NOT NULL "
        "  GROUP BY office_code, kode_kecamatan, week HAVING sum(reports) >= :min) "
        "SELECT w.office_code, w.kode_kecamatan, w.week, sum(w.reports)::int AS reports "
        "FROM public.share_weekly w JOIN (SELECT DISTINCT * FROM hot) h USING (office_code, kode_kecamatan) "
        "WHERE w.week <= :this GROUP BY 1, 2, 3"),
        {"first": checked[0], "this": checked[-1], "min": config.spike_min_count}).all()
    counts: dict[tuple[str, str], dict[str, int]] = {}
    oldest: dict[tuple[str, str], str] = {}
    for r in rows:
        pair = (r.office_code, r.kode_kecamatan)
        counts.setdefault(pair, {})[r.week] = r.reports
        oldest[pair] = min(oldest.get(pair, r.week), r.week)   # 'IYYY-"W"IW' labels sort as the weeks do
    out = []
    for pair in sorted(counts):
        full = [counts[pair].get(w, 0) for w in weeks]
        for end in range(need - 1, len(weeks)):
            series = full[end - need + 1:end + 1]
            if series[-1] < config.spike_min_count or not oldest[pair] < weeks[end - need + 1]:
                continue
            res = ears_c2(series, config)
            if res is not None and res[0] > config.spike_threshold:
                out.append(WeeklySpike(pair[0], pair[1], weeks[end], series[-1], round(res[1], 2), round(res[0], 2),
                                       config.spike_threshold))
    out.sort(key=lambda s: (s.office, s.kecamatan))
    return sorted(out, key=lambda s: (s.week, s.c2), reverse=True)      # stable: ties keep office order
