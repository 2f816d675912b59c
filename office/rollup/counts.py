"""`rollup check` at a region or national cluster: who may write each office's table, and
whether each office's copy holds what that office says it published.

A subscription only shows that rows arrive; it cannot show that the rows in `kanim_etk` are
ETK's. Two findings that can:

* ownership — each office's subscription must be owned by that office's own role
  (`jaga_sub_etk`), not a superuser, and the role may write no other office's table
  (PostgreSQL applies changes with the owner's privileges: that is the boundary);
* counts — for every office, the rows here against the rows upstream (the office's share
  database for a region, the region for national), asked over the subscription's own
  connection. Replication is asynchronous, so unequal counts are asked again until they
  agree or `settle` seconds pass; only then are they a problem.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass

import psycopg
from sqlalchemy import Connection, text

from .names import Office

SUBSCRIPTION = re.compile(r"^jaga_(region|national)_([a-z][a-z0-9]{1,9})$")
TABLES = ("share_reports", "share_links")


@dataclass(frozen=True)
class OfficeCopy:
    office: Office
    subscription: str
    conninfo: str
    enabled: bool
    owner: str
    owner_super: bool


def copies(conn: Connection) -> list[OfficeCopy]:
    """The roll-up subscriptions of this database (needs a superuser: subconninfo)."""
    rows = conn.execute(text(
        "SELECT s.subname, s.subconninfo, s.subenabled, r.rolname, r.rolsuper FROM pg_subscription s "
        "JOIN pg_database d ON d.oid = s.subdbid AND d.datname = current_database() "
        "JOIN pg_roles r ON r.oid = s.subowner ORDER BY s.subname")).all()
    out = []
    for r in rows:
        m = SUBSCRIPTION.match(r.subname)
        if m:
            out.append(OfficeCopy(Office(m.group(2).upper()), r.subname, r.subconninfo, r.subenabled,
                                  r.rolname, r.rolsuper))
    return out


def ownership(conn: Connection, copy: OfficeCopy) -> str | None:
    """A problem when the subscription's owner could write another office's table."""
    o = copy.office
    if copy.owner != o.subscriber or copy.owner_super:
        return (f"subscription {copy.subscription} is owned by {copy.owner}"
                f"{' (a superuser)' if copy.owner_super else ''}, not {o.subscriber}: rows {o.code} publishes "
                f"for another office's table would be written; run `rollup region-setup` again")
    foreign = conn.execute(text(
        "SELECT schemaname || '.' || tablename FROM pg_tables WHERE schemaname LIKE 'kanim\\_%' "
        "AND schemaname <> :own AND (has_table_privilege(:r, quote_ident(schemaname) || '.' || "
        "quote_ident(tablename), 'INSERT') OR has_table_privilege(:r, quote_ident(schemaname) || '.' || "
        "quote_ident(tablename), 'UPDATE')) ORDER BY 1"), {"own": o.schema, "r": o.subscriber}).scalars().all()
    if foreign:
        return f"{o.subscriber} may write {', '.join(foreign)}: it must write {o.schema} only"
    return None


def _here(conn: Connection, o: Office) -> dict[str, int]:
    return {t: conn.execute(text(f"SELECT count(*) FROM {o.schema}.{t}")).scalar() for t in TABLES}


def _upstream(conninfo: str, o: Office) -> dict[str, int]:
    with psycopg.connect(conninfo, connect_timeout=10) as up:
        return {t: up.execute(f"SELECT count(*) FROM {o.schema}.{t}").fetchone()[0] for t in TABLES}


def compare(conn: Connection, copy: OfficeCopy, say, settle: float = 15.0) -> str | None:
    """Rows here vs rows the office published; a problem when they still differ after `settle`."""
    o = copy.office
    deadline = time.monotonic() + (settle if copy.enabled else 0.0)
    while True:
        try:
            theirs = _upstream(copy.conninfo, o)
        except psycopg.Error as exc:
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            return f"cannot ask {o.code} what it published ({first})"
        ours = _here(conn, o)
        if ours == theirs or time.monotonic() > deadline:
            break
        time.sleep(0.5)        # poll interval while replication catches up (bounded by `settle`)
    say(f"office {o.code}: here {ours['share_reports']} reports, {ours['share_links']} links; "
        f"published {theirs['share_reports']} reports, {theirs['share_links']} links")
    if ours != theirs:
        return (f"office {o.code}: this copy holds {ours['share_reports']} reports and {ours['share_links']} links, "
                f"{o.code} published {theirs['share_reports']} and {theirs['share_links']}: "
                f"`rollup resync --code {o.code}` after finding the cause")
    return None
