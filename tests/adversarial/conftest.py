"""Adversarial suite helpers: a real office (uvicorn subprocess) and real phones driven
through `python main.py device ...`, exactly as a trainer or a script would.

    office            module-scoped real office on a free port (jaga_desa.testing.servers.OfficeServer)
    main_py(...)      run `python main.py ARGS` in a child process (JAGA_KDF_SECONDS=0.02)
    Phone             a device data dir with helpers: init, add_user, enroll, file, sync, outbox
"""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from jaga_desa.testing.servers import OfficeServer
from tests.conftest import ROOT, TEST_OFFICE_KEY

PIN = "246810"
HEAD_PIN = "135790"
VILLAGE = "Sebatik Tengah"

CHILD_ENV = {**os.environ, "JAGA_KDF_SECONDS": "0.02",
             "JAGA_OFFICE_KEY": os.environ.get("JAGA_OFFICE_KEY", TEST_OFFICE_KEY),
             "PYTHONPATH": str(ROOT)}


def main_py(*args: str, pin: str | None = None, timeout: float = 180,
            check: bool = True) -> subprocess.CompletedProcess:
    env = dict(CHILD_ENV)
    if pin is not None:
        env["JAGA_PIN"] = pin
    proc = subprocess.run([sys.executable, str(ROOT / "main.py"), *map(str, args)], env=env,
                          capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
                          cwd=ROOT)
    if check and proc.returncode != 0:
        raise AssertionError(f"main.py {' '.join(map(str, args))} exited {proc.returncode}:\n"
                             f"{proc.stderr}\n{proc.stdout}")
    return proc


class Phone:
    """One field device, driven only through the CLI."""

    def __init__(self, data: Path, office: OfficeServer) -> None:
        self.data, self.office = Path(data), office

    def run(self, *args: str, pin: str | None = None, **kw) -> subprocess.CompletedProcess:
        return main_py("device", "--data", self.data, *args, pin=pin, **kw)

    def json(self, *args: str, pin: str | None = None):
        return json.loads(self.run("--json", *args, pin=pin).stdout)

    def setup(self, user: str = "Siti", role: str = "volunteer", pin: str = PIN) -> "Phone":
        if not (self.data / "jaga.db").exists():
            self.run("init")
        self.run("add-user", "--name", user, "--role", role, pin=pin)
        code = self.office.admin_json(["enroll-code", "--village", VILLAGE, "--role", role,
                                       "--name", f"{user} (orang)"])["enroll"]
        self.run("enroll", "--office", self.office.url, "--code", code, "--user", user, pin=pin)
        return self

    def file(self, answers: dict, *, user: str = "Siti", pin: str = PIN, photos=(),
             form: str = "laporan_kecurigaan", rahasia: bool = False) -> dict:
        path = self.data.parent / f"{self.data.name}-answers.json"
        path.write_text(json.dumps(answers, ensure_ascii=False), encoding="utf-8")
        extra = [a for p in photos for a in ("--photo", str(p))] + (["--rahasia"] if rahasia else [])
        out = self.json("file", "--user", user, "--form", form, "--answers", str(path), *extra, pin=pin)
        path.unlink()
        return out

    def sync(self) -> dict:
        return self.json("sync")

    def outbox(self) -> list[dict]:
        return self.json("outbox")

    def meta(self, key: str) -> str | None:
        with sqlite3.connect(self.data / "jaga.db") as conn:
            row = conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None


def start_office(data_dir: Path) -> OfficeServer:
    server = OfficeServer(data_dir).start(timeout=60)
    server.admin(["add-village", "--name", VILLAGE, "--region", "Nunukan"])
    return server


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    server = start_office(tmp_path_factory.mktemp("adv") / "office")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def phone(office, tmp_path_factory) -> Phone:
    """An enrolled volunteer phone (init, add-user, enroll: all through the CLI)."""
    return Phone(tmp_path_factory.mktemp("phone") / "dev", office).setup()
