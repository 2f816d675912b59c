"""A throwaway PostgreSQL cluster on loopback, for the tests and the benchmarks.

    with PostgresCluster() as pg:
        url = pg.make_db("office1")      # postgresql+psycopg://jaga@127.0.0.1:PORT/office1

Finds `initdb`/`pg_ctl` on PATH or, as Debian installs them, under
/usr/lib/postgresql/<version>/bin (core.postgres.bin_dir). Runs as the `postgres` user
when we are root (PostgreSQL refuses to run as root). `PostgresUnavailable` says what
to install; the tests turn it into a failure, never a skip."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from core.net import free_port
from core.postgres import PostgresUnavailable, bin_dir

__all__ = ["PostgresCluster", "PostgresUnavailable"]


class PostgresCluster:
    """initdb + pg_ctl start on a free port in a fresh temp dir; `stop()` removes it all."""

    def __init__(self, *, fsync: bool = False, user: str = "jaga") -> None:
        self.bin = bin_dir()
        self.fsync, self.user = fsync, user
        self.port = free_port()
        # Not under pytest's tmp dir: that is private to root, and the server runs as `postgres`.
        self.base = Path(tempfile.mkdtemp(prefix="jaga-pg-"))
        self.as_postgres = os.geteuid() == 0
        self._admin = None

    def _run(self, *argv: str) -> None:
        cmd = [str(self.bin / argv[0]), *argv[1:]]
        if self.as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120)
        if done.returncode:
            raise RuntimeError(f"{' '.join(argv)}: {done.stderr.decode(errors='replace')[-1000:]}")

    def start(self) -> "PostgresCluster":
        if self.as_postgres:
            shutil.chown(self.base, "postgres")
        data = self.base / "pg"
        self._run("initdb", "-D", str(data), "-A", "trust", "-U", self.user)
        opts = (f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1"
                + ("" if self.fsync else " -c fsync=off"))
        self._run("pg_ctl", "-D", str(data), "-o", opts, "-l", str(self.base / "log"), "-w", "start")
        return self

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{dbname}"

    def make_db(self, name: str) -> str:
        """A fresh (dropped and re-created) database; returns its SQLAlchemy URL."""
        return self._create(name, "")

    def copy_db(self, source: str, name: str) -> str:
        """A fresh database `name` made from `source` (CREATE DATABASE ... TEMPLATE: no one may
        be connected to `source`); returns its SQLAlchemy URL. A bench's stores "as the push
        left them", as it copies a SQLite file."""
        return self._create(name, f' TEMPLATE "{source}"')

    def _create(self, name: str, template: str) -> str:
        from sqlalchemy import create_engine, text
        if self._admin is None:
            self._admin = create_engine(self.url(), isolation_level="AUTOCOMMIT")
        with self._admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"{template}'))
        return self.url(name)

    def stop(self) -> None:
        if self._admin is not None:
            self._admin.dispose()
            self._admin = None
        try:
            self._run("pg_ctl", "-D", str(self.base / "pg"), "-m", "fast", "-w", "stop")
        except RuntimeError:
            pass                          # never started, or already gone
        shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self) -> "PostgresCluster":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
