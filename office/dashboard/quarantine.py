"""The quarantine of refused emergencies (office/ingest/quarantine.py), for admins: when, from
which village and person, why it was refused, and what she wrote — opened with the office key
the moment an admin looks, never copied out of its sealed bytes into a column."""
from __future__ import annotations

from sqlalchemy import Connection, desc, func, select

from core.errors import EnvelopeError
from sync import envelope as env
from office.keys import OfficeKeys
from office.schema import persons, quarantine, villages

MAX_SHOWN = 200


def count(conn: Connection) -> int:
    return conn.execute(select(func.count()).select_from(quarantine)).scalar() or 0


def listing(conn: Connection, keys: OfficeKeys) -> list[dict]:
    q = (select(quarantine, persons.c.name.label("person"), persons.c.ed25519_public,
                villages.c.name.label("village"))
         .join(persons, persons.c.id == quarantine.c.author_id)
         .join(villages, villages.c.id == quarantine.c.village_id, isouter=True)
         .order_by(desc(quarantine.c.received_at)).limit(MAX_SHOWN))
    out = []
    for r in conn.execute(q).mappings():
        sentence = None
        try:
            opened = env.open(r["data"], recipient_key=keys.x25519,
                              author_public=env.load_public_ed25519(r["ed25519_public"]))
            answers = opened.payload.get("answers") if isinstance(opened.payload, dict) else None
            if isinstance(answers, dict) and isinstance(answers.get("apa_terjadi"), str):
                sentence = answers["apa_terjadi"]
        except EnvelopeError:
            pass
        out.append({"envelope_id": r["envelope_id"], "received_at": r["received_at"], "person": r["person"],
                    "village": r["village"], "form_id": r["form_id"], "code": r["code"], "reason": r["reason"],
                    "sentence": sentence})
    return out
