"""DARURAT reports: impossible to miss until someone at the office takes them on.

Every dashboard page shows the unacknowledged DARURAT reports a staff member may see
(their region's villages) in a banner. "Saya tangani" records who acknowledged it
(dash_alert_acks) and writes an audit entry; the banner then disappears for everyone.
"""
from __future__ import annotations

from sqlalchemy import Connection, and_, desc, func, insert, select, true

from office import clock
from office.schema import villages

from .queries import visible_village_ids
from .schema import dash_alert_acks, dash_reports

MAX_SHOWN = 20
HANDLING_MESSAGE = ("Laporan darurat Anda sudah dibaca dan sedang ditangani petugas kantor. Bila masih ada "
                    "orang dalam bahaya, tetap telepon 110 / 112.")
COMPACT = 3         # the banner lists this many; the rest are one link away (360 px: it stays short)


def _open(conn: Connection, staff: dict) -> list:
    r = dash_reports.c
    cond = [r.urgency == "darurat",
            ~select(dash_alert_acks.c.envelope_id).where(dash_alert_acks.c.envelope_id == r.envelope_id).exists()]
    allowed = visible_village_ids(conn, staff)
    if allowed is not None:
        cond.append(r.village_id.in_(allowed) if allowed else r.village_id == -1)
    return cond


def open_count(conn: Connection, staff: dict) -> int:
    """How many DARURAT reports nobody has taken on yet (the menu's count: it drops with each
    "Saya tangani", not with a triage change)."""
    return conn.execute(select(func.count()).select_from(dash_reports).where(and_(true(), *_open(conn, staff)))
                        ).scalar_one()


def open_alerts(conn: Connection, staff: dict) -> list[dict]:
    """Unacknowledged DARURAT reports this staff member may see, newest first."""
    r = dash_reports.c
    cond = _open(conn, staff)
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


SENTENCE_CHARS = 160


def sentences(conn: Connection, keys, envelope_ids: list[str]) -> dict[str, str]:
    """What each DARURAT report says ("apa_terjadi"), opened with the office key for the list
    and the banner: staff read the sentence, not "Laporan Darurat — #1a2b3c4d". Only for the
    few darurat rows on screen; the words never leave the sealed envelope into a column."""
    from office.schema import envelopes
    from .indexer import open_report
    out = {}
    for eid in envelope_ids:
        row = conn.execute(select(envelopes).where(envelopes.c.id == eid)).first()
        opened = open_report(conn, keys, row) if row is not None else None
        answers = opened.payload.get("answers") if opened is not None and isinstance(opened.payload, dict) else None
        text = answers.get("apa_terjadi") if isinstance(answers, dict) else None
        if isinstance(text, str) and text.strip():
            text = " ".join(text.split())
            out[eid] = text if len(text) <= SENTENCE_CHARS else text[:SENTENCE_CHARS - 1] + "\u2026"
    return out
