"""Feedback from the office to a report's author: a sealed v1 envelope like any other.

form_id "_feedback", authored by the office (fixed OFFICE_AUTHOR_ID), signed with the
office Ed25519 key and sealed to the volunteer's X25519 key (and the office's, so the
dashboard can show what was sent). The phone verifies it with the office key it got at
enrollment, so nobody between can put words in the office's mouth.
"""
from __future__ import annotations

import json

from sqlalchemy import Connection, select

from core.errors import NotFound
from sync import envelope as env
from sync.formids import FEEDBACK_FORM
from office import clock, inbox
from office import keys as office_keys
from office.keys import OFFICE_AUTHOR_ID, OfficeKeys, b64
from office.schema import envelopes, persons


KINDS = ("info", "forwarded", "needs_info", "closed")     # what the reply means for the report


def send_feedback(conn: Connection, envelope_id: str, message: str, *,
                  keys: OfficeKeys | None = None, kind: str | None = None) -> str:
    """Queue `message` for the author of report `envelope_id`; returns the feedback envelope id.
    `kind` (one of KINDS) tells the phone how to word the report's state: forwarded, the
    office needs more information, closed — instead of one undifferentiated "returned"."""
    keys = keys or office_keys.current()
    row = conn.execute(select(persons.c.id, persons.c.x25519_public).select_from(
        envelopes.join(persons, persons.c.id == envelopes.c.author_id))
        .where(envelopes.c.id == envelope_id)).first()
    if row is None:
        raise NotFound("no such report")
    payload = {"envelope_id": envelope_id, "message": message}
    if kind in KINDS:
        payload["kind"] = kind
    sealed = env.seal(payload,
                      form_id=FEEDBACK_FORM, form_version=1, author_id=OFFICE_AUTHOR_ID,
                      device_id=OFFICE_AUTHOR_ID, signing_key=keys.ed25519,
                      recipients=[env.load_public_x25519(row.x25519_public), keys.x25519.public_key()])
    inbox.queue(conn, [{"person_id": row.id, "kind": "feedback", "ref_id": sealed.envelope_id,
                        "body": json.dumps({"envelope": b64(sealed.envelope), "envelope_id": envelope_id}),
                        "created_at": clock.iso(clock.now())}])
    return sealed.envelope_id
