"""Refused emergencies are kept, not dropped: a DARURAT report whose author was revoked
between sealing and sending is still refused (the phone is told so, signed, and tells her
to call 110 / 112), but its sealed bytes stay in `quarantine` with the reason, where admins
see it (office/dashboard/quarantine.py). Someone may be in danger whatever the account's state.

Only what verifies under the enrolled author's own key is kept — a stranger cannot fill the
table by sending garbage in a revoked person's name — and only emergencies, so a revoked
phone's backlog of ordinary reports stays refused as before.
"""
from __future__ import annotations

from sqlalchemy import Connection, insert, select

from sync import envelope as env
from office.keys import OfficeKeys
from office.schema import quarantine

from .common import Rejected, _phone_ms, _verify_and_open

KEPT_CODES = ("revoked",)
EMERGENCY_FORM = "laporan_darurat"


def is_emergency(form_id: str, payload: object) -> bool:
    answers = payload.get("answers") if isinstance(payload, dict) else None
    return form_id == EMERGENCY_FORM or (isinstance(answers, dict) and answers.get("urgensi") == "darurat")


def keep_if_emergency(conn: Connection, data: bytes, header: env.Header, author: dict | None,
                      refused: Rejected, keys: OfficeKeys, received_at: str) -> bool:
    """Keep a refused item when it is an emergency its enrolled author really signed; True if kept
    (now or by an earlier push of the same bytes)."""
    if refused.code not in KEPT_CODES or author is None:
        return False
    try:
        opened = _verify_and_open(data, header, author, keys)
    except Rejected:
        return False
    if not is_emergency(header.form_id, opened.payload):
        return False
    if conn.execute(select(quarantine.c.envelope_id).where(quarantine.c.envelope_id == header.envelope_id)).first():
        return True
    conn.execute(insert(quarantine).values(
        envelope_id=header.envelope_id, author_id=author["id"], village_id=author.get("village_id"),
        form_id=header.form_id[:64], code=refused.code, reason=refused.reason[:300], received_at=received_at,
        created_ms=_phone_ms(header), data=data))
    return True
