"""General alerts back to the villages ("waspada: lowongan kerja palsu via Facebook di
kecamatan X"), for the heads and/or volunteers of chosen villages.

Each person gets their own copy through the phone inbox, built exactly like office
feedback: a v1 envelope with form_id "_alert", signed with the office Ed25519 key and
sealed to that person's X25519 key (and the office's). The phone opens it with the office
key pinned at enrollment, so nobody in between can forge or alter a warning. The body is
the staff member's text and the time — no report id, no author, no count: an alert never
says who reported what.
"""
from __future__ import annotations

import json

from sqlalchemy import Connection, and_, select

from core.errors import BadRequest
from sync import envelope as env
from sync.formids import ALERT_FORM
from office import clock, inbox
from office.keys import OFFICE_AUTHOR_ID, OfficeKeys, b64
from office.schema import persons

MAX_LEN = 500
ROLES = ("head", "volunteer")


def send_alert(conn: Connection, keys: OfficeKeys, village_ids: list[int], message: str,
               roles: tuple[str, ...] = ROLES) -> int:
    """Queue one signed alert per enrolled, not revoked person of `roles` in `village_ids`;
    returns how many were queued."""
    message = (message or "").strip()
    if not message:
        raise BadRequest("an alert needs a message")
    if len(message) > MAX_LEN:
        raise BadRequest(f"an alert is at most {MAX_LEN} characters")
    if not village_ids:
        raise BadRequest("choose at least one village")
    if not roles or set(roles) - set(ROLES):
        raise BadRequest(f"roles must be among {', '.join(ROLES)}")
    people = conn.execute(select(persons.c.id, persons.c.x25519_public).where(and_(
        persons.c.village_id.in_(village_ids), persons.c.role.in_(roles), persons.c.revoked_at.is_(None)))).all()
    now = clock.iso(clock.now())
    rows = []
    for p in people:
        sealed = env.seal({"message": message, "sent_at": now}, form_id=ALERT_FORM, form_version=1,
                          author_id=OFFICE_AUTHOR_ID, device_id=OFFICE_AUTHOR_ID, signing_key=keys.ed25519,
                          recipients=[env.load_public_x25519(p.x25519_public), keys.x25519.public_key()])
        rows.append({"person_id": p.id, "kind": "alert", "ref_id": sealed.envelope_id,
                     "body": json.dumps({"envelope": b64(sealed.envelope)}), "created_at": now})
    inbox.queue(conn, rows)
    return len(rows)
