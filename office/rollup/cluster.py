"""A throwaway PostgreSQL cluster on loopback, for `rollup demo`, the bench and the tests.

initdb refuses to run as root, so as root the server runs as the `postgres` user in a
directory it owns. Logical replication is on; pg_hba is ours to write (the regional
login's restrictions are part of what is tested). Stopped with `pg_ctl stop`.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from core.net import free_port
from core.postgres import bin_dir

SUPERUSER = "jaga"


class LocalCluster:
    def __init__(self, name: str, hba: list[str] | None = None,
                 tls: tuple[bytes, bytes] | None = None) -> None:
        """`tls` = (certificate PEM, key PEM): the server then speaks TLS (ssl=on)."""
        self.tls = tls
        self.bin = bin_dir()        # PATH, or Debian's /usr/lib/postgresql/<v>/bin
        self.name = name
        self.base = Path(tempfile.mkdtemp(prefix=f"jaga-{name}-"))
        self.port = free_port()
        self.hba = hba or []
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            shutil.chown(self.base, "postgres")

    def _run(self, cmd: str) -> None:
        cmd = f"{self.bin}/{cmd}"    # every command here is initdb or pg_ctl
        full = ["su", "postgres", "-s", "/bin/sh", "-c", cmd] if self._as_postgres else ["sh", "-c", cmd]
        done = subprocess.run(full, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120)
        if done.returncode:
            raise RuntimeError(f"{cmd}: {done.stderr.decode()[-1000:]}")

    @property
    def data(self) -> Path:
        return self.base / "pg"

    def start(self) -> "LocalCluster":
        self._run(f"initdb -D {self.data} -A trust -U {SUPERUSER} >/dev/null")
        lines = ["local all all trust", *self.hba,
                 f"host all {SUPERUSER} 127.0.0.1/32 trust", f"host replication {SUPERUSER} 127.0.0.1/32 trust",
                 "host all all 127.0.0.1/32 scram-sha-256"]
        self.write_hba(lines)
        with (self.data / "postgresql.conf").open("a") as conf:     # a file, not -c: ALTER SYSTEM may change it
            conf.write("max_slot_wal_keep_size = '1GB'\n")
        ssl = ""
        if self.tls:
            for name, pem in (("server.crt", self.tls[0]), ("server.key", self.tls[1])):
                path = self.data / name
                path.write_bytes(pem)
                os.chmod(path, 0o600)
                if self._as_postgres:
                    shutil.chown(path, "postgres")
            ssl = "-c ssl=on "
        self._opts = opts = (ssl + f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 -c wal_level=logical "
                "-c max_replication_slots=20 -c max_wal_senders=20 -c max_logical_replication_workers=12 "
                "-c max_worker_processes=24 -c fsync=off "
                "-c shared_buffers=32MB -c password_encryption=scram-sha-256")
        self._run(f"pg_ctl -D {self.data} -o '{opts}' -l {self.base}/log -w start >/dev/null")
        return self

    def file_for_server(self, name: str, data: bytes) -> Path:
        """A file the server processes (e.g. a subscription's sslrootcert) can read."""
        path = self.base / name
        path.write_bytes(data)
        if self._as_postgres:
            shutil.chown(path, "postgres")
        return path

    def write_hba(self, lines: list[str]) -> None:
        path = self.data / "pg_hba.conf"
        path.write_text("\n".join(lines) + "\n")
        if self._as_postgres:
            shutil.chown(path, "postgres")

    def reload(self) -> None:
        self._run(f"pg_ctl -D {self.data} reload >/dev/null")

    def url(self, database: str = "postgres", user: str = SUPERUSER, password: str | None = None) -> str:
        auth = f"{user}:{password}" if password else user
        return f"postgresql+psycopg://{auth}@127.0.0.1:{self.port}/{database}"

    def conninfo(self, database: str, user: str = SUPERUSER, password: str | None = None) -> str:
        out = f"host=127.0.0.1 port={self.port} dbname={database} user={user}"
        return out + (f" password={password}" if password else "")

    def kill9(self) -> None:
        """The crash drill: SIGKILL the postmaster."""
        pid = int((self.data / "postmaster.pid").read_text().split()[0])
        os.kill(pid, 9)

    def stop_keep_data(self) -> None:
        """A clean stop that keeps the data dir (start again with restart_after_crash)."""
        self._run(f"pg_ctl -D {self.data} -m fast stop >/dev/null")

    def restart_after_crash(self, timeout: float = 60.0) -> None:
        """Start again after kill9. The killed postmaster's backends notice its death on their
        own schedule and hold the shared memory until they do; until then a start is refused
        ("pre-existing shared memory block is still in use"), so poll until one succeeds."""
        import time
        deadline = time.monotonic() + timeout
        while True:
            try:
                self._run(f"pg_ctl -D {self.data} -o '{self._opts}' -l {self.base}/log -w start >/dev/null")
                return
            except RuntimeError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.25)                  # poll interval while the old backends exit

    def stop(self) -> None:
        try:
            self._run(f"pg_ctl -D {self.data} -m fast stop >/dev/null")
        except RuntimeError:
            pass
        shutil.rmtree(self.base, ignore_errors=True)
