"""The inbox query: filters parsed from a query string, region scoping, keyset paging.

`list_reports(conn, staff, filters, limit)` is the one list+filter query used by the
inbox page, the exports and the partner API — callable directly for benchmarks.
Ordering is (received_at DESC, envelope_id DESC) over ix_dash_reports_recv, and the
cursor is the last row's pair, so page N costs the same as page 1 at 100k rows.
"""
from __future__ import annotations

import base64
from collections import Counter
from dataclasses import dataclass, field, fields
from datetime import date, timedelta
from typing import Mapping, Sequence

from sqlalchemy import Connection, and_, desc, func, or_, select, true

from core.errors import BadRequest, JagaError

from office.schema import envelopes, reviews, villages

from . import derived, search_index
from .i18n import TRIAGE, URGENCY, VERDICT
from .indexer import words
from .schema import dash_reports

MAX_LIMIT = 500
MAX_SEARCH_WORDS = 8


class FilterError(ValueError):
    """A filter value that cannot be understood; the message names the field."""


MAX_ID = 2**31 - 1      # ids are INTEGER columns: PostgreSQL's is 32-bit, SQLite's 64-bit


def parse_id(raw: object, what: str) -> int:
    """A database id typed by a person or a URL, or BadRequest naming `what`: ASCII digits
    only (isdigit() alone admits "²", int() admits "1_0"), at most MAX_ID — a 20-digit id
    reached SQLite as an OverflowError and PostgreSQL as a DataError: a 500 (issue 22)."""
    text = raw.strip() if isinstance(raw, str) else ""
    if not (text.isascii() and text.isdigit() and len(text) <= 10) or int(text) > MAX_ID:
        raise BadRequest(f"{what}: expected an id number, not {str(raw)[:40]!r}")
    return int(text)


@dataclass
class Filters:
    form: str | None = None
    village: int | None = None
    category: str | None = None
    urgency: str | None = None
    triage: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    has_photo: bool | None = None
    verdict: str | None = None
    children: bool | None = None
    q: str | None = None
    cursor: tuple[str, str] | None = field(default=None, compare=False)

    def query_items(self) -> list[tuple[str, str]]:
        """Back to query-string pairs (without the cursor), for links and audit."""
        out = []
        for f in fields(self):
            v = getattr(self, f.name)
            if v is None or f.name == "cursor":
                continue
            out.append((f.name, ("1" if v else "0") if isinstance(v, bool) else str(v)))
        return out


def _bool(name: str, v: str) -> bool:
    if v in ("1", "true", "ya", "yes"):
        return True
    if v in ("0", "false", "tidak", "no"):
        return False
    raise FilterError(f"{name}: use 1 or 0, not {v[:40]!r}")


def _date(name: str, v: str) -> date:
    try:
        d = date.fromisoformat(v)
    except ValueError:
        raise FilterError(f"{name}: use a date like 2025-01-31, not {v[:40]!r}") from None
    # date_to is used as "before the next day": 9999-12-31 has none
    return min(d, date.max - timedelta(days=1))


def encode_cursor(received_at: str, envelope_id: str) -> str:
    return base64.urlsafe_b64encode(f"{received_at}|{envelope_id}".encode()).decode().rstrip("=")


def decode_cursor(text: str) -> tuple[str, str]:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
        received_at, envelope_id = raw.split("|")
        if len(received_at) > 32 or len(envelope_id) > 36:
            raise ValueError
        return received_at, envelope_id
    except ValueError:
        raise FilterError("cursor: not a cursor from this dashboard; start from the first page") from None


def parse_filters(params: Mapping[str, str]) -> Filters:
    """Query parameters -> Filters; empty values mean 'any'. Raises FilterError."""
    f = Filters()
    get = {k: (params.get(k) or "").strip() for k in
           ("form", "village", "category", "urgency", "triage", "date_from", "date_to",
            "has_photo", "verdict", "children", "q", "cursor")}
    if get["form"]:
        f.form = get["form"][:255]
    if get["village"]:
        try:
            f.village = parse_id(get["village"], "village")
        except JagaError as e:
            raise FilterError(e.message) from None
    if get["category"]:
        f.category = get["category"][:100]
    if get["urgency"]:
        if get["urgency"] not in URGENCY:
            raise FilterError(f"urgency: one of {', '.join(URGENCY)}")
        f.urgency = get["urgency"]
    if get["triage"]:
        if get["triage"] not in TRIAGE:
            raise FilterError(f"triage: one of {', '.join(TRIAGE)}")
        f.triage = get["triage"]
    if get["verdict"]:
        if get["verdict"] not in VERDICT:
            raise FilterError(f"verdict: one of {', '.join(VERDICT)}")
        f.verdict = get["verdict"]
    for name in ("date_from", "date_to"):
        if get[name]:
            setattr(f, name, _date(name, get[name]))
    if f.date_from and f.date_to and f.date_from > f.date_to:
        raise FilterError("date_from is after date_to")
    for name in ("has_photo", "children"):
        if get[name]:
            setattr(f, name, _bool(name, get[name]))
    if get["q"]:
        if len(words(get["q"])) > MAX_SEARCH_WORDS:
            raise FilterError(f"q: at most {MAX_SEARCH_WORDS} words")
        if not words(get["q"]):
            raise FilterError("q: search for words of at least 2 letters or digits")
        f.q = get["q"][:200]
    if get["cursor"]:
        f.cursor = decode_cursor(get["cursor"])
    return f


def visible_village_ids(conn: Connection, staff: dict) -> list[int] | None:
    """None = every village (admin); otherwise the ids of the staff member's region, narrowed
    further to a partner token's regions when the caller uses one."""
    regions = (staff.get("scope") or {}).get("regions")
    q = select(villages.c.id)
    if staff["role"] != "admin":
        if not staff.get("region"):
            return []
        q = q.where(villages.c.region == staff["region"])
    elif regions is None:
        return None
    if regions is not None:
        q = q.where(villages.c.region.in_(regions))
    return list(conn.execute(q).scalars())


def may_see_village(conn: Connection, staff: dict, village_id: int) -> bool:
    allowed = visible_village_ids(conn, staff)
    return allowed is None or village_id in allowed


def _latest_verdict():
    return (select(reviews.c.verdict).where(reviews.c.report_id == dash_reports.c.envelope_id)
            .order_by(desc(reviews.c.received_at)).limit(1).scalar_subquery())


def conditions(conn: Connection, staff: dict, f: Filters, keys=None, *, first: int | None = None,
               also: Sequence = ()) -> list:
    """THE definition of "the reports matching these words under this staff member's grants
    and filters", as WHERE terms on dash_reports: every list, count and map of the dashboard
    is built on it. `first`: the caller reads only its first rows newest first (a page), so a
    search may walk the reports instead of fetching every match; `also`: the caller's own
    further terms (a level of the urgency inbox), weighed with the rest when the search
    chooses how to answer (search_index.holding_all)."""
    r = dash_reports.c
    cond = list(also)
    allowed = visible_village_ids(conn, staff)
    if allowed is not None:
        cond.append(r.village_id.in_(allowed) if allowed else r.village_id == -1)
    if staff.get("scope") and not staff["scope"].get("rahasia"):
        cond.append(r.envelope_id.not_in(select(envelopes.c.id).where(envelopes.c.rahasia.is_(True))))
    if f.form:
        cond.append(r.form_id == f.form)
    if f.village is not None:
        cond.append(r.village_id == f.village)
    if f.category:
        cond.append(r.category == f.category)
    if f.urgency:
        cond.append(r.urgency == f.urgency)
    if f.triage:
        cond.append(r.triage == f.triage)
    if f.has_photo is not None:
        cond.append(r.has_photo.is_(f.has_photo))
    if f.children is not None:
        cond.append(r.children.is_(f.children))
    if f.date_from:
        cond.append(r.received_at >= f"{f.date_from.isoformat()}T00:00:00.000Z")
    if f.date_to:
        cond.append(r.received_at < f"{(f.date_to + timedelta(days=1)).isoformat()}T00:00:00.000Z")
    if f.verdict == "none":
        cond.append(~select(reviews.c.id).where(reviews.c.report_id == r.envelope_id).exists())
    elif f.verdict:
        cond.append(_latest_verdict() == f.verdict)
    if f.q:
        if keys is None:
            from office import keys as office_keys
            keys = office_keys.current()
        tokens = derived.term_hashes(keys, words(f.q))
        if tokens:
            cond.append(search_index.holding_all(conn, tokens, r.envelope_id, first=first, among=cond))
    return cond


def newest(conn: Connection, staff: dict, filters: Filters, n: int, *, keys=None,
           after: tuple[str, str] | None = None, also: Sequence = ()) -> list[dict]:
    """The first `n` matching reports newest first (after the (received_at, envelope_id)
    cursor `after`, if any), with their village's name and latest verdict: the report list
    and each level of the urgency inbox."""
    r = dash_reports.c
    cond = conditions(conn, staff, filters, keys, first=n, also=also)
    if after:
        at, eid = after
        # the first term is implied by the second; it is there so SQLite seeks the cursor in
        # ix_dash_reports_recv instead of walking every newer report to reach it
        cond += [r.received_at <= at, or_(r.received_at < at, and_(r.received_at == at, r.envelope_id < eid))]
    q = (select(dash_reports, villages.c.name.label("village_name"), _latest_verdict().label("verdict"))
         .join(villages, villages.c.id == r.village_id, isouter=True)
         .where(and_(true(), *cond)).order_by(desc(r.received_at), desc(r.envelope_id)).limit(n))
    return _open_geo(conn.execute(q).mappings(), keys)


def list_reports(conn: Connection, staff: dict, filters: Filters, limit: int = 50, *,
                 keys=None) -> tuple[list[dict], str | None]:
    """One page of matching reports, newest first, and the cursor of the next page (or None)."""
    limit = max(1, min(int(limit), MAX_LIMIT))
    rows = newest(conn, staff, filters, limit + 1, keys=keys, after=filters.cursor)
    nxt = None
    if len(rows) > limit:
        rows = rows[:limit]
        nxt = encode_cursor(rows[-1]["received_at"], rows[-1]["envelope_id"])
    return rows, nxt


def iter_reports(conn: Connection, staff: dict, filters: Filters, cap: int, *, keys=None):
    """Every matching report up to `cap`, page by page (exports)."""
    f = Filters(**{k.name: getattr(filters, k.name) for k in fields(filters)})
    f.cursor = None
    seen = 0
    while seen < cap:
        rows, nxt = list_reports(conn, staff, f, min(MAX_LIMIT, cap - seen), keys=keys)
        yield from rows
        seen += len(rows)
        if nxt is None:
            return
        f.cursor = decode_cursor(nxt)


def counts(conn: Connection, staff: dict, filters: Filters, column: str, *, keys=None,
           top: int = 30) -> list[tuple[str | None, int]]:
    """One chart's counts (`charts` for several at once)."""
    return charts(conn, staff, filters, (column,), keys=keys, top=top)[column]


def charts(conn: Connection, staff: dict, filters: Filters, columns: Sequence[str], *, keys=None,
           top: int = 30) -> dict[str, list[tuple]]:
    """The overview's charts: matching reports counted by each of `columns` (the `top` most
    frequent values; weeks: the latest `top`), from ONE statement: the matching reports
    are found once and counted by every combination of the columns' values (a few hundred
    groups: weeks x villages x categories x routes that occur), then each chart sums its
    column here. Each chart counting the match itself found every match once per chart
    (4 x ~0.6 s for two common words at 100k on SQLite); one GROUP BY per chart over the
    match materialized once sorted it four times (~120 of ~195 ms)."""
    cols = [getattr(dash_reports.c, c) for c in columns]
    q = (select(*cols, func.count()).where(and_(true(), *conditions(conn, staff, filters, keys)))
         .group_by(*cols))
    tally: dict[str, Counter] = {c: Counter() for c in columns}
    for *values, n in conn.execute(q):
        for c, value in zip(columns, values):
            tally[c][value] += n
    out: dict[str, list[tuple]] = {}
    for c in columns:
        if c == "week":
            out[c] = sorted(tally[c].items(), key=lambda vn: vn[0], reverse=True)[:top]   # never NULL
        else:
            out[c] = tally[c].most_common(top)
    return out


def points(conn: Connection, staff: dict, filters: Filters, *, keys=None, cap: int = 2000) -> list[dict]:
    r = dash_reports.c
    cond = conditions(conn, staff, filters, keys, first=cap, also=[r.geo.is_not(None)])
    q = (select(r.envelope_id, r.geo, r.urgent, r.children, r.received_at, r.category, r.form_id)
         .where(and_(true(), *cond))
         .order_by(desc(r.received_at), desc(r.envelope_id)).limit(cap))
    return [p for p in _open_geo(conn.execute(q).mappings(), keys) if p["lat"] is not None]


def _open_geo(rows, keys) -> list[dict]:
    """Rows with their sealed GPS point opened into lat/lon (None without the office keys)."""
    out = []
    for m in rows:
        d = dict(m)
        d["lat"], d["lon"] = derived.open_geo(keys, d["envelope_id"], d.pop("geo", None))
        out.append(d)
    return out
