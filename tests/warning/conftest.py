"""A real office store (SQLite, migrated by Alembic to head) and real office keys; for the
page tests, a real office server with two villages and staff, and a logged-in session."""
from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
import requests
from sqlalchemy import insert

from jaga_desa.testing.dashboard import csrf_of, sign_in
from office import db, keys as office_keys
from office.schema import villages
from tests.conftest import OfficeServer

T0 = dt.datetime(2025, 6, 2, 8, 0, tzinfo=dt.timezone.utc)   # a Monday
PASSWORD = "kata-sandi-uji-1"
STAFF = {"admin": ("admin", None), "intel_sgu": ("intel", "Sanggau"), "intel_kh": ("intel", "Kapuas Hulu"),
         "intel_sbs": ("intel", "Sambas")}


def staffed_office(folder: Path) -> OfficeServer:
    """A started office with Entikong (Sanggau) and Badau (Kapuas Hulu) and the STAFF
    accounts (password PASSWORD); the caller stops it."""
    server = OfficeServer(folder).start()
    try:
        server.admin(["add-village", "--name", "Entikong", "--region", "Sanggau"])
        server.admin(["add-village", "--name", "Badau", "--region", "Kapuas Hulu"])
        os.environ["JAGA_PASSWORD"] = PASSWORD
        for name, (role, region) in STAFF.items():
            server.admin(["add-staff", "--username", name, "--role", role] + (["--region", region] if region else []))
    except BaseException:
        server.stop()
        raise
    return server


def login(server, username: str) -> requests.Session:
    s = sign_in(server.url, username, PASSWORD)
    s.csrf = csrf_of(s.get(server.url + "/dashboard/signals").text)
    return s


@pytest.fixture
def office(tmp_path):
    engine = db.open_store(tmp_path)
    keys = office_keys.load_or_create(tmp_path, "kata-sandi-kantor")
    with engine.begin() as conn:
        conn.execute(insert(villages), [{"id": 1, "name": "Entikong", "region": "Sanggau"},
                                        {"id": 2, "name": "Badau", "region": "Kapuas Hulu"},
                                        {"id": 3, "name": "Aruk", "region": "Sambas"}])
    yield engine, keys
    engine.dispose()
