"""DARURAT reports: impossible to miss until someone at the office takes them on.

Every dashboard page shows the unacknowledged DARURAT reports a staff member may see
(their region's villages) in a banner. "Saya tangani" records who acknowledged it
(dash_alert_acks) and writes an audit entry; the banner then disappears for everyone.
"""
from __future__ import annotations

from sqlalchemy import Connection, and_, desc, insert, select, true

from office import clock
from office.schema import villages

from .queries import visible_village_ids
from .schema import dash_alert_acks, dash_reports

MAX_SHOWN = 20


def open_alerts(conn: Connection, staff: dict) -> list[dict]:
    """Unacknowledged DARURAT reports this staff member may see, newest first."""
    r = dash_reports.c
    cond = [r.urgency == "darurat",
            ~select(dash_alert_acks.c.envelope_id).where(dash_alert_acks.c.envelope_id == r.envelope_id).exists()]
    allowed = visible_village_ids(conn, staff)
    if allowed is not None:
        cond.append(r.village_id.in_(allowed) if allowed else r.village_id == -1)
    q = (select(r.envelope_id, r.received_at, r.form_id, villages.c.name.label("village_name"))
         .join(villages, villages.c.id == r.village_id, isouter=True)
         .where(and_(true(), *cond)).order_by(desc(r.received_at)).limit(MAX_SHOWN))
    return [dict(m) for m in conn.execute(q).mappings()]


def acknowledged(conn: Connection, envelope_id: str) -> dict | None:
    row = conn.execute(select(dash_alert_acks).where(dash_alert_acks.c.envelope_id == envelope_id)).first()
    return dict(row._mapping) if row else None


def acknowledge(conn: Connection, staff: dict, envelope_id: str) -> bool:
    """Record the acknowledgement once; False when someone already had (nothing changes)."""
    if acknowledged(conn, envelope_id):
        return False
    conn.execute(insert(dash_alert_acks).values(envelope_id=envelope_id, staff_id=staff["id"],
                                                at=clock.iso(clock.now())))
    return True
