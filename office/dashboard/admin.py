"""Admin services: villages, enrollment codes (with QR), devices, staff. Thin over the
office's own enrollment/staff modules."""
from __future__ import annotations

import base64
import io

import qrcode
from sqlalchemy import Connection, func, select, update

from core.errors import NotFound
from office import clock, enrollment
from office.schema import devices, envelopes, persons, reviews, staff as staff_table, villages


def village_list(conn: Connection) -> list[dict]:
    return [dict(m) for m in conn.execute(select(villages).order_by(villages.c.name)).mappings()]


def qr_data_uri(text: str) -> str:
    buf = io.BytesIO()
    qrcode.make(text, box_size=6, border=2).save(buf)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def issue_code(conn: Connection, village: str, role: str, name: str, office_url: str) -> dict:
    from office import keys as office_keys
    out = enrollment.create_code(conn, village=village, role=role, name=name,
                                 fingerprint=office_keys.current().fingerprint, office_url=office_url)
    out["qr"] = qr_data_uri(out["enroll"])      # the ticket: code + office fingerprint (+ address)
    return out


def device_list(conn: Connection) -> list[dict]:
    """Devices, their people, and their last sync: the later of the last inbox pull (every
    sync round ends with one) and the last report or review received."""
    last_env = dict(conn.execute(select(envelopes.c.device_id, func.max(envelopes.c.received_at))
                                 .group_by(envelopes.c.device_id)).all())
    last_rev = dict(conn.execute(select(persons.c.device_id, func.max(reviews.c.received_at))
                                 .join(persons, persons.c.id == reviews.c.head_id)
                                 .group_by(persons.c.device_id)).all())
    people: dict[str, list] = {}
    for p in conn.execute(select(persons.c.id, persons.c.device_id, persons.c.name, persons.c.role, persons.c.revoked_at,
                                 villages.c.name.label("village"))
                          .join(villages, villages.c.id == persons.c.village_id)).mappings():
        people.setdefault(p["device_id"], []).append(dict(p))
    out = []
    for d in conn.execute(select(devices.c.id, devices.c.created_at, devices.c.revoked_at,
                                 devices.c.last_sync_at).order_by(devices.c.created_at.desc())).mappings():
        last = max(filter(None, [last_env.get(d["id"]), last_rev.get(d["id"]), d["last_sync_at"]]), default=None)
        out.append({**d, "persons": people.get(d["id"], []), "last_sync": last})
    return out


def revoke_device(conn: Connection, device_id: str) -> None:
    enrollment.revoke_device(conn, device_id[:36])


def person_on_device(conn: Connection, person_id: str) -> tuple[dict, dict]:
    """(the person, their device) as device_list shows them; NotFound for an unknown id."""
    for d in device_list(conn):
        for p in d["persons"]:
            if p["id"] == person_id[:36]:
                return p, d
    raise NotFound("no such person")


def revoke_person(conn: Connection, person_id: str) -> None:
    """One person (a volunteer who left, a head replaced) while the phone and the others on it
    keep working; their phone is told at its next sync."""
    enrollment.revoke_person(conn, person_id[:36])


def staff_list(conn: Connection) -> list[dict]:
    return [dict(m) for m in conn.execute(
        select(staff_table.c.id, staff_table.c.username, staff_table.c.role, staff_table.c.region,
               staff_table.c.created_at, staff_table.c.disabled_at).order_by(staff_table.c.username)).mappings()]


def disable_staff(conn: Connection, staff_id: int) -> None:
    n = conn.execute(update(staff_table).where(staff_table.c.id == staff_id)
                     .values(disabled_at=clock.iso(clock.now()))).rowcount
    if n != 1:
        raise NotFound("no such staff member")
