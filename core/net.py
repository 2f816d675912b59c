"""Loopback plumbing every part that starts a server needs: a free port and a wait until
a URL answers. The demo (runtime) and the tests and benchmarks (through
`jaga_desa.testing`) use these two and no copies of them."""
from __future__ import annotations

import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path


class ServerDidNotStart(RuntimeError):
    """A server process exited, or did not answer before its deadline."""


def free_port(host: str = "127.0.0.1") -> int:
    """A port the kernel just handed out on `host` (closed again at once: never a fixed port)."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def wait_http(url: str, proc: subprocess.Popen | None = None, timeout: float = 60.0, *,
              any_status: bool = False, log: Path | None = None) -> None:
    """Block until `url` answers 200 (or any HTTP status with `any_status`); raise
    ServerDidNotStart as soon as `proc` dies, or at the deadline — with the tail of `log`."""
    def fail(why: str) -> ServerDidNotStart:
        tail = ""
        if log is not None and Path(log).exists():
            tail = "\n" + Path(log).read_text(errors="replace")[-3000:]
        return ServerDidNotStart(why + tail)

    deadline = time.monotonic() + timeout
    while True:
        if proc is not None and proc.poll() is not None:
            raise fail(f"the server for {url} exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200 or any_status:
                    return
        except urllib.error.HTTPError:
            if any_status:
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise fail(f"{url} did not answer within {timeout:.0f} s")
        time.sleep(0.1)
