"""How fresh each office's numbers are at this level, for the people reading them.

A stopped office looks exactly like a quiet one in the counts; an analyst must see that
NNK's figures stop at 13:15 before reading NNK's 727 as the truth. The region's own
subscription knows when it last heard from each office's share database (a keepalive at
least every `wal_sender_timeout / 2` while the link is up), so the view
`public.share_freshness` (made by `region-setup`, readable by `jaga_viewer`) gives, per
office: whether its stream runs, when it last heard from the office, and the newest change
it applied. Older than STALE, or stopped, and the page says so above the numbers.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection, text

STALE = dt.timedelta(minutes=5)

VIEW = ("CREATE OR REPLACE VIEW public.share_freshness AS "
        "SELECT upper(substring(s.subname FROM '^jaga_(?:region|national)_(.*)$')) AS office_code, "
        "s.subenabled AS running, st.last_msg_receipt_time AS last_heard, "
        "(SELECT max(r.updated_at) FROM public.share_reports r "
        " WHERE r.office_code = upper(substring(s.subname FROM '^jaga_(?:region|national)_(.*)$'))) AS newest "
        "FROM pg_subscription s JOIN pg_database d ON d.oid = s.subdbid AND d.datname = current_database() "
        "LEFT JOIN pg_stat_subscription st ON st.subid = s.oid AND st.relid IS NULL "
        "WHERE s.subname ~ '^jaga_(region|national)_[a-z][a-z0-9]{1,9}$'")


@dataclass(frozen=True)
class Freshness:
    office: str
    running: bool
    last_heard: dt.datetime | None
    newest: dt.datetime | None
    reports: int

    def behind(self, now: dt.datetime) -> dt.timedelta | None:
        return None if self.last_heard is None else now - self.last_heard

    def stale(self, now: dt.datetime) -> bool:
        gap = self.behind(now)
        return not self.running or gap is None or gap > STALE


def read(conn: Connection) -> list[Freshness]:
    counts = dict(conn.execute(text("SELECT office_code, count(*) FROM public.share_reports GROUP BY 1")).all())
    return [Freshness(r.office_code, bool(r.running), r.last_heard, r.newest, counts.get(r.office_code, 0))
            for r in conn.execute(text("SELECT * FROM public.share_freshness ORDER BY office_code"))]
