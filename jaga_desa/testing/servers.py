"""Real servers as child processes on free loopback ports, stopped by their pid.

Each server runs in its own session (process group), so stopping it also stops whatever
it started (uvicorn workers, Flet's helpers) and nothing outlives a test. Output goes
to a log file whose tail is shown when the server fails to come up."""
from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from core.net import free_port, wait_http

# `python -m jaga_desa`: the installed package's own entry point, from a checkout or a wheel.
JAGA = (sys.executable, "-m", "jaga_desa")


class ServerProcess:
    """`argv` serving HTTP on 127.0.0.1:`port`; `start()` returns once `health` answers."""

    def __init__(self, argv: list[str], *, port: int, health: str = "/", env: dict | None = None,
                 cwd: Path | None = None, log: Path | None = None, any_status: bool = False) -> None:
        self.argv, self.port, self.health = list(argv), port, health
        self.env, self.cwd, self.any_status = env, cwd, any_status
        self.log = Path(log) if log else Path(tempfile.mkstemp(prefix=f"jaga-server-{port}-", suffix=".log")[1])
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def start(self, timeout: float = 60.0) -> "ServerProcess":
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(self.argv, env=self.env, cwd=self.cwd, stdout=out,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         start_new_session=True)
        try:
            wait_http(self.url + self.health, self.proc, timeout, any_status=self.any_status, log=self.log)
        except Exception:
            self.kill()
            raise
        return self

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM to the server's process group (a clean shutdown), SIGKILL if it lingers."""
        if not self.running():
            return
        self._signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self._signal(signal.SIGKILL)
            self.proc.wait(5)

    def kill(self) -> None:
        """kill -9 the whole group: no shutdown handlers, no flush — the crash case."""
        if self.running():
            self._signal(signal.SIGKILL)
            self.proc.wait(10)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def _signal(self, sig: int) -> None:
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            pass


class OfficeServer(ServerProcess):
    """The office (`jaga-desa office`: sync API + dashboard) on a data dir, optionally on
    another database URL. `admin()` runs office-admin on the same data in-process."""

    def __init__(self, data_dir: Path, db_url: str | None = None, port: int | None = None, *,
                 env: dict | None = None, extra_args: list[str] | None = None) -> None:
        self.data_dir, self.db_url = Path(data_dir), db_url
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        port = port or free_port()
        argv = [*JAGA, "office", "--data", str(self.data_dir), "--host", "127.0.0.1", "--port", str(port)]
        if db_url:
            argv += ["--db", db_url]
        argv += list(extra_args or [])
        super().__init__(argv, port=port, health="/api/v1/health", env={**os.environ, **(env or {})},
                         log=self.data_dir.parent / f"{self.data_dir.name}-office.log")

    @property
    def log_path(self) -> Path:
        return self.log

    def start(self, timeout: float = 60.0) -> "OfficeServer":
        super().start(timeout)
        return self

    def restart(self) -> "OfficeServer":
        self.stop()
        return self.start()

    def admin(self, argv: list[str]) -> str:
        """Run `office-admin --data DIR [--db URL] ARGV...` in-process; returns stdout."""
        from office.cli import main
        full = ["office-admin", "--data", str(self.data_dir)]
        if self.db_url:
            full += ["--db", self.db_url]
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            rc = main(full + list(argv))
        if rc != 0:
            raise RuntimeError(f"office-admin {argv} failed ({rc}): {err.getvalue().strip()}")
        return out.getvalue()

    def derived(self, timeout: float = 120.0) -> None:
        """Wait until the office's derive worker has settled every due job (search terms,
        signals ... exist for every report pushed so far)."""
        from office import db
        from .derive import drain
        engine = db.make_engine(self.db_url or db.sqlite_url(self.data_dir))
        try:
            drain(engine, timeout=timeout)
        finally:
            engine.dispose()

    def admin_json(self, argv: list[str]) -> dict:
        return json.loads(self.admin(list(argv) + ["--json"]))
