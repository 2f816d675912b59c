"""A real office store (SQLite, migrated by Alembic to head) and real office keys."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import insert

from sync.office import db, keys as office_keys
from sync.office.schema import villages

T0 = dt.datetime(2025, 6, 2, 8, 0, tzinfo=dt.timezone.utc)   # a Monday


@pytest.fixture
def office(tmp_path):
    engine = db.make_engine(db.sqlite_url(tmp_path))
    db.migrate(engine)
    keys = office_keys.load_or_create(tmp_path, "kata-sandi-kantor")
    with engine.begin() as conn:
        conn.execute(insert(villages), [{"id": 1, "name": "Entikong", "region": "Sanggau"},
                                        {"id": 2, "name": "Badau", "region": "Kapuas Hulu"},
                                        {"id": 3, "name": "Aruk", "region": "Sambas"}])
    yield engine, keys
    engine.dispose()
