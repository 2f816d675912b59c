"""Measure a full sync of N text reports over loopback: reports/s and bytes/report on the wire.

    JAGA_OFFICE_KEY=x .venv/bin/python -m bench.sync_throughput [N] [--batch B]

Starts a real office (uvicorn subprocess, SQLite in a temp dir), enrolls a volunteer and a
head with real keys, seals N reports (office + head recipients), then runs sync_once
through a counting pass-through proxy. Prints one JSON line.
"""
from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("JAGA_OFFICE_KEY", "bench-passphrase")

from sync.runner import sync_once  # noqa: E402
from jaga_desa.testing.proxy import FaultProxy  # noqa: E402
from jaga_desa.testing.servers import OfficeServer  # noqa: E402
from tests.support import enroll, outbox_for, village  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("n", nargs="?", type=int, default=10_000)
    ap.add_argument("--batch", type=int, default=100)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server = OfficeServer(Path(tmp) / "office").start()
        try:
            village(server)
            enroll(server, "Entikong", "head", "Kades")          # the head's own phone
            vol, client = enroll(server, "Entikong", "volunteer", "Sari")
            outbox = outbox_for(Path(tmp) / "device.db", vol, client, server.url)
            t0 = time.perf_counter()
            for _ in range(args.n):
                outbox.add(vol.report())
            seal_s = time.perf_counter() - t0
            proxy = FaultProxy(server.port)
            client.base_url = proxy.url + "/api/v1"
            client.token = client.token
            t0 = time.perf_counter()
            result = sync_once(outbox, client, batch_size=args.batch)
            sync_s = time.perf_counter() - t0
            proxy.close()
            assert result.ok and result.received == args.n, result
            up, down = proxy.stats["bytes_up"], proxy.stats["bytes_down"]
            print(json.dumps({
                "reports": args.n, "batch": args.batch, "seal_s": round(seal_s, 2),
                "sync_s": round(sync_s, 2), "reports_per_s": round(args.n / sync_s, 1),
                "bytes_up_per_report": round(up / args.n), "bytes_down_per_report": round(down / args.n),
                "envelope_bytes": len(vol.report().envelope),
                "note": "push + receipts verified + inbox (empty); reports sealed to office and head"}))
        finally:
            server.stop()


if __name__ == "__main__":
    main()
