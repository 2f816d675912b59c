"""What a stranger's gzip push costs the office's memory (issue 22, item 12).

    python -m bench.push_bomb_bench [--requests 3]

A real office (uvicorn subprocess). Peak resident memory (VmHWM) of the office process is read
before and after `--requests` pushes with no valid token: first a plain small body (the
baseline), then a 7.6 KB gzip body that inflates to 7.8 MB of JSON holding 2.6 million `{}`.
Prints both growths and their ratio. The office checks the token before it reads the body,
so the bomb should cost what the baseline costs (ratio ~1); it cost ~195 MiB before.
"""
from __future__ import annotations

import argparse
import gzip
from pathlib import Path
from tempfile import TemporaryDirectory

import requests

from bench import harness
from bench.common import machine


def _peak_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))


def _growth(server, body: bytes, headers: dict, n: int) -> int:
    before = _peak_kib(server.pid)
    for _ in range(n):
        requests.post(server.url + "/api/v1/envelopes", data=body, headers=headers, timeout=120)
    return _peak_kib(server.pid) - before


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=3)
    args = ap.parse_args()
    bomb = gzip.compress(b'{"envelopes":[' + b"{}," * 2_600_000 + b"{}]}", 9)
    stranger = {"Content-Type": "application/json", "Authorization": "Bearer not-a-token"}
    with TemporaryDirectory(prefix="jaga-bomb-") as tmp:
        server = harness.office(Path(tmp) / "office")
        try:
            base = _growth(server, b'{"envelopes":[]}', stranger, args.requests)
            boom = _growth(server, bomb, {**stranger, "Content-Encoding": "gzip"}, args.requests)
        finally:
            server.stop()
    print(f"push_bomb_bench on {machine()}: {args.requests} stranger pushes each")
    print(f"  plain small body: peak memory +{base} KiB")
    print(f"  gzip bomb ({len(bomb)} B -> 7.8 MB of JSON): peak memory +{boom} KiB")
    print(f"  ratio bomb/baseline: {(boom + 1) / (base + 1):.1f}x (before the fix: ~200,000 KiB for the bomb)")


if __name__ == "__main__":
    main()
