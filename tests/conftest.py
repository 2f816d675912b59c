"""Shared fixtures. `office_server`: a real office (uvicorn subprocess) on a free loopback port.

    def test_x(office_server):
        office_server.url            # http://127.0.0.1:PORT  (append /api/v1/...)
        office_server.data_dir       # its data dir (tmp_path)
        office_server.admin(["add-village", "--name", "Entikong"])   # office-admin, stdout
        office_server.admin_json([...])                               # same, parsed --json
        office_server.kill(); office_server.restart(); office_server.stop()

The server runs `python -m sync.office.cli office ...` — the same `main(argv)` that
`python main.py office` calls — with JAGA_OFFICE_KEY set for the test.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import socket
import subprocess
import sys
import shutil
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[1]
TEST_OFFICE_KEY = "test-office-passphrase"
os.environ.setdefault("JAGA_OFFICE_KEY", TEST_OFFICE_KEY)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class OfficeServer:
    def __init__(self, data_dir: Path, db_url: str | None = None, port: int | None = None,
                 workers: int = 1) -> None:
        self.data_dir, self.workers = Path(data_dir), workers
        self.db_url = db_url
        self.port = port or free_port()
        self.proc: subprocess.Popen | None = None
        self.log_path = self.data_dir.parent / f"{self.data_dir.name}-office.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> "OfficeServer":
        cmd = [sys.executable, "-m", "sync.office.cli", "office", "--data", str(self.data_dir),
               "--host", "127.0.0.1", "--port", str(self.port)]
        if self.db_url:
            cmd += ["--db", self.db_url]
        if self.workers > 1:
            cmd += ["--workers", str(self.workers)]
        env = {**os.environ, "JAGA_OFFICE_KEY": os.environ.get("JAGA_OFFICE_KEY", TEST_OFFICE_KEY),
               "PYTHONPATH": str(ROOT)}
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"office exited with {self.proc.returncode}: "
                                   + self.log_path.read_text()[-2000:])
            try:
                if requests.get(self.url + "/api/v1/health", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.kill()
        raise RuntimeError("office did not become healthy: " + self.log_path.read_text()[-2000:])

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def kill(self) -> None:
        """kill -9: no shutdown handlers, no flush — the crash case."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def restart(self) -> "OfficeServer":
        self.stop()
        return self.start()

    def admin(self, argv: list[str]) -> str:
        """Run `office-admin --data DIR [--db URL] ARGV...` in-process; returns stdout."""
        from sync.office.cli import main
        full = ["office-admin", "--data", str(self.data_dir)]
        if self.db_url:
            full += ["--db", self.db_url]
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            rc = main(full + list(argv))
        if rc != 0:
            raise RuntimeError(f"office-admin {argv} failed ({rc}): {err.getvalue().strip()}")
        return out.getvalue()

    def admin_json(self, argv: list[str]) -> dict:
        return json.loads(self.admin(list(argv) + ["--json"]))


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
def postgres_server(tmp_path_factory):
    """A throwaway PostgreSQL on loopback (see ../shared/postgres.md); yields a URL factory
    `make_db(name) -> SQLAlchemy URL` of a fresh database. Skipped only without `initdb`."""
    import shutil
    if shutil.which("initdb") is None or shutil.which("pg_ctl") is None:
        pytest.skip("PostgreSQL is not installed (no initdb on PATH): apt-get install -y postgresql")
    import tempfile
    # Not under pytest's tmp dir: that is private to root, and the server runs as `postgres`.
    base = Path(tempfile.mkdtemp(prefix="jaga-pg-"))
    port = free_port()
    as_postgres = os.geteuid() == 0
    if as_postgres:
        shutil.chown(base, "postgres")

    def run(cmd: str) -> None:
        full = ["su", "postgres", "-s", "/bin/sh", "-c", cmd] if as_postgres else ["sh", "-c", cmd]
        done = subprocess.run(full, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120)
        if done.returncode:
            raise RuntimeError(f"{cmd}: {done.stderr.decode()[-1000:]}")

    run(f"initdb -D {base}/pg -A trust -U jaga")
    run(f"pg_ctl -D {base}/pg -o '-p {port} -k {base} -c listen_addresses=127.0.0.1 "
        f"-c fsync=off' -l {base}/log -w start")
    from sqlalchemy import create_engine, text
    admin = create_engine(f"postgresql+psycopg://jaga@127.0.0.1:{port}/postgres",
                          isolation_level="AUTOCOMMIT")

    def make_db(name: str) -> str:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        return f"postgresql+psycopg://jaga@127.0.0.1:{port}/{name}"

    yield make_db
    admin.dispose()
    run(f"pg_ctl -D {base}/pg -m fast stop")
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium under Playwright (never Playwright's own download), one per module.
    The background-networking flag keeps it from dialling out on a machine with no internet."""
    exe = shutil.which("chromium")
    if not exe:
        pytest.skip("Debian chromium is not installed (./scripts/test installs it)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe,
                              args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield b
        b.close()
