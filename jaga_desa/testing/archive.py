"""Stored reports without phones: envelope rows written straight into an office store, for
tests and benches of what reads the store (signal lists, pages) at sizes no phone could push
in a test's time. The rows are real rows of the real schema; only the sealed bytes are
filler, so nothing here may be opened."""
from __future__ import annotations

import hashlib

from sqlalchemy import Connection, insert, select

from office.schema import devices, persons
from office.store.filter_row import iso_week

DEVICE = "00000000-0000-4000-8000-00000000a000"
PERSON = "00000000-0000-4000-8000-00000000a001"


def ensure_author(conn: Connection, village_id: int) -> None:
    """The one archive device and person every filler envelope is written by."""
    if conn.execute(select(devices.c.id).where(devices.c.id == DEVICE)).first():
        return
    conn.execute(insert(devices).values(id=DEVICE, token_hash="0" * 64, created_at="2026-01-01T00:00:00.000Z"))
    conn.execute(insert(persons).values(
        id=PERSON, name="arsip", village_id=village_id, role="volunteer", device_id=DEVICE,
        x25519_public=b"\0" * 32, ed25519_public=b"\0" * 32, key_id="0" * 32, created_at="2026-01-01T00:00:00.000Z"))


def envelope_row(envelope_id: str, village_id: int, form_id: str, received_at: str, rahasia: bool = False) -> dict:
    return {"id": envelope_id, "author_id": PERSON, "device_id": DEVICE, "village_id": village_id,
            "form_id": form_id, "form_version": 2, "category": None, "urgent": False, "has_photo": False,
            "rahasia": rahasia, "created_ms": 0, "received_at": received_at, "skew_ms": 0,
            "sha256": hashlib.sha256(envelope_id.encode()).hexdigest(), "size": 1, "data": b"\0",
            "complete": True, "receipt": "{}", "triage": "new"}


def dash_row(envelope_id: str, village_id: int, form_id: str, received_at: str) -> dict:
    """The envelope's dashboard row, as ingest's projection would have written it (so the
    office does not try to index filler it cannot open)."""
    return {"envelope_id": envelope_id, "village_id": village_id, "form_id": form_id, "received_at": received_at,
            "created_ms": 0, "has_photo": False, "opened": False, "category": None, "urgency": None,
            "urgent": False, "children": False, "route": None, "geo": None,
            "week": iso_week(received_at), "triage": "new", "assignee_id": None, "indexed_at": received_at}

