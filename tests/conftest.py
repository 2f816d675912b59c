"""Shared fixtures. `office_server`: a real office (uvicorn subprocess) on a free loopback port.

    def test_x(office_server):
        office_server.url            # http://127.0.0.1:PORT  (append /api/v1/...)
        office_server.data_dir       # its data dir (tmp_path)
        office_server.admin(["add-village", "--name", "Entikong"])   # office-admin, stdout
        office_server.admin_json([...])                               # same, parsed --json
        office_server.kill(); office_server.restart(); office_server.stop()

The server runs `python -m jaga_desa office ...` — the `jaga-desa office` command — with
JAGA_OFFICE_KEY set for the test. The helpers live in jaga_desa/testing so the benchmarks
use the same ones.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from jaga_desa.testing.postgres import PostgresCluster, PostgresUnavailable
from jaga_desa.testing.servers import OfficeServer

# A skip fails the run unless tests/ALLOWED_SKIPS.txt lists it with its reason.
pytest_plugins = ["tests.skip_policy"]

ROOT = Path(__file__).resolve().parents[1]
TEST_OFFICE_KEY = "test-office-passphrase"
os.environ.setdefault("JAGA_OFFICE_KEY", TEST_OFFICE_KEY)
# Phones' peppers (fieldapp.secret_store) go to a scratch folder, not the tester's ~/.config.
os.environ.setdefault("JAGA_SECRET_DIR", tempfile.mkdtemp(prefix="jaga-secrets-"))


@pytest.fixture
def office_server(tmp_path):
    server = OfficeServer(tmp_path / "office").start()
    yield server
    server.stop()


@pytest.fixture
def office_factory(tmp_path):
    """Start extra offices (e.g. on another DB URL): office_factory(name, db_url=None)."""
    started: list[OfficeServer] = []

    def make(name: str = "office2", db_url: str | None = None) -> OfficeServer:
        server = OfficeServer(tmp_path / name, db_url).start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def postgres_server():
    """A throwaway PostgreSQL on loopback (jaga_desa.testing.postgres); yields a URL factory
    `make_db(name) -> SQLAlchemy URL` of a fresh database. No PostgreSQL here fails the
    test: it never skips."""
    try:
        cluster = PostgresCluster().start()
    except PostgresUnavailable as exc:
        pytest.fail(str(exc))
    yield cluster.make_db
    cluster.stop()


@pytest.fixture(scope="session")
def offline_build(tmp_path_factory) -> Path:
    """`jaga-desa build-app`, once per test session (the noble bundle is also cached across
    sessions, by its lock file: jaga_desa/offline/build.py)."""
    from jaga_desa.offline.build import build_app
    return build_app(tmp_path_factory.mktemp("offline-app") / "app").out


CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def chromium(*extra_args: str):
    """Debian's chromium under Playwright (never Playwright's own download), as a generator
    fixture body: `extra_args` add e.g. a fake microphone (tests/e2e/test_voice.py).
    The background-networking flag keeps it from dialling out on a machine with no internet."""
    exe = shutil.which("chromium")
    if not exe:
        pytest.fail("Debian chromium is not installed (./scripts/test installs it)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=[*CHROMIUM_ARGS, *extra_args])
        yield b
        b.close()


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium per module."""
    yield from chromium()
