"""`rollup check`: slots, subscriptions, settings — one line each, non-zero exit on trouble.

On a publisher: wal_level, max_slot_wal_keep_size (a dead subscriber must not fill the
disk), each slot's state (`wal_status` reserved/extended/unreserved/lost), WAL retained.
On a subscriber: disabled subscriptions (disable_on_error tripped), apply errors, lag;
each office's subscription owned by that office's own role, and each office's rows here
equal to what it published (counts.py).
On an office cluster: a share-database subscription whose slot is missing or lost
(`rollup repair-share`).
"""
from __future__ import annotations

import re

from sqlalchemy import text

from . import counts
from .steps import engine


# the roll-up's own slots, and the ones PostgreSQL makes for a subscription's initial copy
OURS = re.compile(r"^(jaga_(share|region|national)_[a-z][a-z0-9]{1,9}|pg_\d+_sync_\d+_\d+)$")


def _hba_reaches(conn, role: str, database: str) -> str | None:
    """The first pg_hba rule a TCP login `role` -> `database` meets, unless it rejects."""
    rules = conn.execute(text(
        "SELECT line_number, type, database, user_name, auth_method FROM pg_hba_file_rules "
        "WHERE error IS NULL AND type LIKE 'host%' ORDER BY line_number")).all()
    for r in rules:
        if ("all" in r.database or database in r.database) and ("all" in r.user_name or role in r.user_name):
            return None if r.auth_method == "reject" else f"line {r.line_number} ({r.type} {r.auth_method})"
    return None


def check(admin_url: str, database: str, say=print, *, region_role: str | None = None,
          settle: float = 15.0) -> list[str]:
    """Problems found (empty = healthy); every finding is printed.

    With `region_role` (on an office cluster, `database` = the office DB): pg_hba must
    reject that login for the office database before any line lets it in."""
    problems: list[str] = []
    with engine(admin_url, database).connect() as conn:
        if region_role:
            hole = _hba_reaches(conn, region_role, database)
            say(f"pg_hba: {region_role} -> {database}: {'reachable by ' + hole if hole else 'rejected'}")
            if hole:
                problems.append(f"pg_hba lets {region_role} reach {database} ({hole}): add a reject line first")
        settings = dict(conn.execute(text(
            "SELECT name, setting FROM pg_settings WHERE name IN ('wal_level', 'max_slot_wal_keep_size', "
            "'max_logical_replication_workers', 'max_replication_slots')")).all())
        say(f"settings: {', '.join(f'{k}={v}' for k, v in sorted(settings.items()))}")
        if settings.get("wal_level") != "logical":
            problems.append("wal_level is not logical")
        slots = conn.execute(text(
            "SELECT slot_name, database, active, wal_status, "
            "pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint AS retained, "
            "pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint AS lag "
            "FROM pg_replication_slots WHERE slot_type = 'logical' ORDER BY slot_name")).all()
        if slots and settings.get("max_slot_wal_keep_size") == "-1":
            problems.append("max_slot_wal_keep_size is unlimited: a dead subscriber can fill the disk")
        for s in slots:
            say(f"slot {s.slot_name}: active={s.active} wal_status={s.wal_status} "
                f"retained={s.retained} B lag={s.lag} B")
            if not OURS.match(s.slot_name):
                problems.append(f"slot {s.slot_name} in database {s.database} was not made by the roll-up (a "
                                f"replication login can make one; it pins WAL up to max_slot_wal_keep_size): "
                                f"find who made it, then SELECT pg_drop_replication_slot('{s.slot_name}')")
            elif s.wal_status == "lost" and s.slot_name.startswith("jaga_share_"):
                problems.append(f"slot {s.slot_name} is lost: the share database gets nothing more; "
                                f"`rollup repair-share` on this office")
            elif s.wal_status in ("unreserved", "lost"):
                problems.append(f"slot {s.slot_name} is {s.wal_status}: re-sync that subscriber")
            elif s.wal_status == "extended" or s.wal_status is None:
                problems.append(f"slot {s.slot_name} is not reserved (wal_status={s.wal_status})")
        for s in conn.execute(text(      # the office's own share subscription: its slot lives in this cluster
                "SELECT subname, subslotname FROM pg_subscription WHERE subname LIKE 'jaga\\_share\\_%' "
                "AND subslotname IS NOT NULL AND NOT EXISTS "
                "(SELECT 1 FROM pg_replication_slots r WHERE r.slot_name = subslotname) ORDER BY subname")):
            say(f"subscription {s.subname}: slot {s.subslotname} missing in this cluster")
            problems.append(f"slot {s.subslotname} of subscription {s.subname} is missing: the share database "
                            f"gets nothing more; `rollup repair-share` on this office")
        subs = conn.execute(text(
            "SELECT s.subname, s.subenabled, st.latest_end_time, ss.apply_error_count, ss.sync_error_count "
            "FROM pg_subscription s JOIN pg_database d ON d.oid = s.subdbid AND d.datname = current_database() "
            "LEFT JOIN pg_stat_subscription st ON st.subid = s.oid AND st.relid IS NULL "
            "LEFT JOIN pg_stat_subscription_stats ss ON ss.subid = s.oid ORDER BY s.subname")).all()
        for s in subs:
            say(f"subscription {s.subname}: enabled={s.subenabled} last_message={s.latest_end_time} "
                f"apply_errors={s.apply_error_count} sync_errors={s.sync_error_count}")
            if not s.subenabled:
                problems.append(f"subscription {s.subname} is disabled (an apply error stopped it): "
                                f"after an upstream restart `rollup enable`; after a conflict fix the cause, "
                                f"then `rollup resync`")
        for copy in counts.copies(conn):
            for found in (counts.ownership(conn, copy), counts.compare(conn, copy, say, settle)):
                if found:
                    problems.append(found)
    for p in problems:
        say(f"PROBLEM: {p}")
    return problems
