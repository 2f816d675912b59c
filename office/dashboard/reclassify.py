"""Reclassify a report as rahasia (or, by an admin, back): one function for the dashboard and the CLI.

The classification lives in `envelopes.rahasia`, which everything that lets reports leave
reads (hand-over tiers A/B, partner API scopes, the roll-up's share trigger). Setting it
here is therefore enough for the report to leave every copy downstream: on PostgreSQL with
the roll-up, the share trigger flips the share row and its links, the publication's row
filter (NOT rahasia) turns that into a DELETE, and the region and national copies follow.

Marking a report rahasia only narrows who sees it, so any staff member who may see the
report may do it; taking the mark away widens it again, so only an admin may. Each change
is a timeline event (with the reason, sealed like triage notes) and an audit entry.
"""
from __future__ import annotations

from sqlalchemy import Connection, insert, update

from core.errors import BadRequest, Forbidden
from office import clock
from office.schema import envelopes

from . import derived
from .reports import MAX_NOTE, report_row
from .schema import dash_events

CLI_STAFF = 0            # dash_events.staff_id of a change made with `office-admin reclassify`


def set_rahasia(conn: Connection, keys, staff: dict | None, envelope_id: str, rahasia: bool,
                reason: str = "") -> bool:
    """True when the classification changed; False when it already was `rahasia`.
    `staff` None = the office's command line (an administrator of the machine)."""
    reason = (reason or "").strip()
    if len(reason) > MAX_NOTE:
        raise BadRequest(f"the reason is longer than {MAX_NOTE} characters")
    row = report_row(conn, envelope_id)
    if row.form_id == "_review":
        raise BadRequest("a head's review is not a report; reclassify the report it reviews")
    if bool(row.rahasia) == rahasia:
        return False
    if not rahasia and staff is not None and staff.get("role") != "admin":
        raise Forbidden("only an admin may take the rahasia mark off a report")
    conn.execute(update(envelopes).where(envelopes.c.id == row.id).values(rahasia=rahasia))
    conn.execute(insert(dash_events).values(
        envelope_id=row.id, at=clock.iso(clock.now()), staff_id=staff["id"] if staff else CLI_STAFF,
        kind="rahasia", from_state="rahasia" if row.rahasia else "biasa", to_state="rahasia" if rahasia else "biasa",
        note=derived.seal_note(keys, row.id, reason) if reason and keys is not None else None))
    return True
