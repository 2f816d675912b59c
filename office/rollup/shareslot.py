"""`rollup repair-share`: find and repair a lost share-database slot inside an office cluster.

The office feeds its own share database through a same-cluster subscription
(`jaga_share_<code>`) on a slot made beforehand in the office database (same name). That
slot can be lost: `max_slot_wal_keep_size` invalidates it when one transaction outgrows the
cap before the slot's restart point moves (docs/ROLLUP.md), or someone drops it. Then the
share database's subscription fails ("slot does not exist" / "can no longer get changes"),
`disable_on_error` stops it, and nothing the office ingests reaches the region any more.

What the changes since the loss were cannot be known (the WAL is gone), so the repair
copies the office's share rows again, the way `resync` does one hop up:

1. the share DB's subscription is disabled, detached from its slot (`slot_name = NONE`, so
   dropping it does not touch the office DB) and dropped;
2. the lost slot is dropped in the office DB once no walsender holds it, and made again;
3. the share DB's two tables are emptied with DELETE (never TRUNCATE): the deletes travel to
   the region (and national), whose publication carries no TRUNCATE;
4. the subscription is made again on the new slot, copying everything; the copied rows
   travel up as inserts. The region ends equal to the office's share rows: nothing lost,
   nothing twice (its copy of this office is empty for the seconds the copy takes).

A healthy slot is left alone (`ok`, nothing runs), so the command is safe to run again.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import text

from . import ddl
from .names import Office, RollupError
from .steps import Step, engine, exists, run


class ShareNotSetUp(RollupError):
    """The office has no roll-up to repair: run `rollup office-setup` first."""
    code = "rollup_not_set_up"


@dataclass(frozen=True)
class SlotState:
    slot: str | None            # None = missing; else the slot's wal_status (reserved, ..., lost)
    active: bool
    subscription: bool | None   # None = missing; else whether it is enabled

    @property
    def lost(self) -> bool:
        return self.slot is None or self.slot == "lost" or self.subscription is None


def state(admin_url: str, office_db: str, code: str) -> SlotState:
    """The share slot (in the office DB) and the share DB's subscription, as the cluster sees them."""
    o = Office(code)
    with engine(admin_url, office_db).connect() as conn:
        if not conn.execute(text("SELECT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = :p)"),
                            {"p": o.pub_local}).scalar() or not conn.execute(text(
                "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = :d)"), {"d": o.share_db}).scalar():
            raise ShareNotSetUp(f"office {o.code}: {office_db} has no publication {o.pub_local} or the cluster no "
                                f"database {o.share_db}; run `jaga-desa rollup office-setup` first")
        slot = conn.execute(text("SELECT coalesce(wal_status, 'lost') AS wal_status, active FROM pg_replication_slots "
                                 "WHERE slot_name = :s"), {"s": o.slot_local}).first()
        sub = conn.execute(text("SELECT subenabled FROM pg_subscription WHERE subname = :n"),
                           {"n": o.sub_at("share")}).first()       # pg_subscription is cluster-wide
    return SlotState(slot.wal_status if slot else None, bool(slot and slot.active), sub[0] if sub else None)


def _release(admin_url: str, office_db: str, slot: str, deadline: float = 30.0) -> None:
    """Wait (with a deadline) until no walsender holds the slot; end a straggler's backend."""
    end = time.monotonic() + deadline
    with engine(admin_url, office_db).connect() as conn:
        while True:
            pid = conn.execute(text("SELECT active_pid FROM pg_replication_slots WHERE slot_name = :s"),
                               {"s": slot}).scalar()
            if pid is None:
                return
            if time.monotonic() > end:
                raise RollupError(f"slot {slot} is still held by process {pid}; nothing was dropped")
            conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
            time.sleep(0.2)          # polling the catalog until the deadline, not a fixed wait


def repair(admin_url: str, office_db: str, code: str, *, local_conninfo: str, say=print) -> bool:
    """Repair the share slot of office `code` when it is lost; True when something was done."""
    o = Office(code)
    found = state(admin_url, office_db, code)
    say(f"office {o.code}: slot {o.slot_local} in {office_db}: "
        f"{'missing' if found.slot is None else found.slot}; subscription {o.sub_at('share')} in {o.share_db}: "
        f"{'missing' if found.subscription is None else 'enabled' if found.subscription else 'disabled'}")
    if not found.lost:
        say(f"  ok       slot {o.slot_local} is not lost; nothing to repair"
            + ("" if found.subscription else
               f" (the subscription is disabled for another cause: see `rollup check --db {o.share_db}`)"))
        return False
    share = engine(admin_url, o.share_db)
    sub = o.sub_at("share")
    run(share, [Step(f"detach and drop subscription {sub} (its slot is lost; the office DB is not touched)",
                     f"SELECT NOT EXISTS (SELECT 1 FROM pg_subscription WHERE subname = '{sub}')",
                     [f"ALTER SUBSCRIPTION {sub} DISABLE", f"ALTER SUBSCRIPTION {sub} SET (slot_name = NONE)",
                      f"DROP SUBSCRIPTION {sub}"])], say)
    if found.slot is not None:
        _release(admin_url, office_db, o.slot_local)
    office = engine(admin_url, office_db)
    run(office, [
        Step(f"drop the lost slot {o.slot_local}",
             f"SELECT NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = '{o.slot_local}')",
             [f"SELECT pg_drop_replication_slot('{o.slot_local}')"]),
        Step(f"replication slot {o.slot_local} for the share database, new",
             exists(f"SELECT 1 FROM pg_replication_slots WHERE slot_name = '{o.slot_local}'"),
             [f"SELECT pg_create_logical_replication_slot('{o.slot_local}', 'pgoutput')"])], say)
    run(share, [
        Step(f"empty {o.table} and {o.links} in {o.share_db} (DELETE: the region's copy follows)", None,
             [f"DELETE FROM {o.table}", f"DELETE FROM {o.links}"]),
        Step(f"subscription {sub} again on the new slot, copying everything", None,
             [ddl.subscription(sub, local_conninfo, o.pub_local, slot=o.slot_local)])], say)
    return True
