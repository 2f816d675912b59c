"""Real servers for the benchmarks: the office and the ODK-style endpoint as subprocesses,
and an enrolled device — the same components the demo and the tests use."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bench.common import free_port
from jaga_desa.demo import wait_http

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "JAGA_OFFICE_KEY": "bench-office-key", "JAGA_KDF_SECONDS": "0.05"}


class Server:
    def __init__(self, argv: list[str], health: str, port: int) -> None:
        self.port, self.url = port, f"http://127.0.0.1:{port}"
        self.proc = subprocess.Popen(argv, env=ENV, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wait_http(self.url + health, self.proc)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def office(data: Path) -> Server:
    port = free_port()
    return Server([sys.executable, "main.py", "office", "--data", str(data), "--port", str(port)],
                  "/api/v1/health", port)


def odk(data: Path) -> Server:
    data.mkdir(parents=True, exist_ok=True)
    port = free_port()
    return Server([sys.executable, "-m", "bench.odk_baseline", str(port), str(data)], "/", port)


def admin(data: Path, *args: str) -> dict | str:
    out = subprocess.run([sys.executable, "main.py", "office-admin", "--data", str(data), *args],
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
    code = admin(office_dir, "enroll-code", "--village", "Bench Village", "--role", role,
                 "--name", f"bench-{role}", "--json")["code"]
    dev = Device.init(device_dir)
    dev.add_user(f"bench-{role}", role, "123456")
    session = dev.unlock(f"bench-{role}", "123456")
    dev.apply_enrollment(session, office_url,
                         OfficeClient(office_url).enroll(**dev.enrollment_request(session, code)))
    return dev, session
