"""Real servers for the benchmarks: the office and the ODK-style endpoint as subprocesses,
and an enrolled device — the same components the demo and the tests use."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from core.net import free_port
from jaga_desa.testing.servers import JAGA, ServerProcess

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "JAGA_OFFICE_KEY": "bench-office-key", "JAGA_KDF_SECONDS": "0.05"}


def server(argv: list[str], health: str, port: int) -> ServerProcess:
    """A started server with the benchmark environment (stopped by pid with .stop())."""
    return ServerProcess(argv, port=port, health=health, env=ENV, cwd=ROOT, any_status=True).start()


def office(data: Path, *, workers: int = 1, db_url: str | None = None) -> ServerProcess:
    port = free_port()
    argv = [*JAGA, "office", "--data", str(data), "--port", str(port), "--workers", str(workers)]
    return server(argv + (["--db", db_url] if db_url else []), "/api/v1/health", port)


def odk(data: Path, mode: str = "central") -> ServerProcess:
    """The ODK-style endpoint (bench/odk_baseline.py): mode `central` stores without
    decrypting, `decrypt` also decrypts and checks the element signature."""
    data.mkdir(parents=True, exist_ok=True)
    port = free_port()
    return server([sys.executable, "-m", "bench.odk_baseline", str(port), str(data), mode], "/submission", port)


def admin(data: Path, *args: str) -> dict | str:
    out = subprocess.run([*JAGA, "office-admin", "--data", str(data), *args],
                         env=ENV, cwd=ROOT, capture_output=True, text=True, check=True).stdout
    try:
        return json.loads(out)
    except ValueError:
        return out


def enrolled_device(office_dir: Path, office_url: str, device_dir: Path, role: str = "volunteer"):
    """A real Device with one enrolled user; returns (device, session)."""
    os.environ["JAGA_KDF_SECONDS"] = "0.05"
    from fieldapp.device import Device
    from sync.client import OfficeClient

    try:
        admin(office_dir, "add-village", "--name", "Bench Village", "--region", "Bench")
    except subprocess.CalledProcessError:
        pass
    ticket = admin(office_dir, "enroll-code", "--village", "Bench Village", "--role", role,
                   "--name", f"bench-{role}", "--office-url", office_url, "--json")["enroll"]
    dev = Device.init(device_dir)
    dev.add_user(f"bench-{role}", role, "123456")
    session = dev.unlock(f"bench-{role}", "123456")
    ticket = dev.ticket(ticket)
    dev.apply_enrollment(session, ticket,
                         OfficeClient(office_url).enroll(**dev.enrollment_request(session, ticket)))
    return dev, session
