"""Device figures: save-draft p95, open-outbox time with N stored reports, unlock (KDF) time.

    python bench/device_bench.py [--reports 10000]

The baseline is measured in the same run: an unencrypted sqlite-utils insert of the same
answers JSON (what a store without at-rest encryption pays), so the ratio shows what
per-user AES-GCM + one-transaction-per-save costs.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import forms  # noqa: E402
from bench.common import percentile, report  # noqa: E402
from fieldapp import reports  # noqa: E402
from fieldapp.device import Device  # noqa: E402


def fill_outbox(dev: Device, session, n: int, answers: dict) -> None:
    """Insert n sealed-looking rows fast (one transaction) — the outbox query is what we time."""
    blob = session.cipher.encrypt_json("reports", "x", "answers", answers)
    with dev.db.conn:
        dev.db.conn.execute("BEGIN")
        dev.db.conn.executemany(
            "INSERT INTO reports(id,owner,form_id,form_version,status,created_day,updated_day,seq,answers,"
            "envelope_id,envelope) VALUES(?,?,?,?,?,?,?,?,?,?,?)",
            [(f"r{i}", session.user_id, "laporan_kecurigaan", 1, reports.SEALED if i % 3 else reports.RECEIVED,
              "2026-11-25", "2026-11-25", i, blob, f"e{i}", os.urandom(700)) for i in range(n)])
        dev.db.conn.execute("COMMIT")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reports", type=int, default=10000)
    ap.add_argument("--saves", type=int, default=500)
    ap.add_argument("--unlocks", type=int, default=3)
    args = ap.parse_args()
    answers = forms.load("laporan_kecurigaan").example()
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        dev = Device.init(Path(tmp) / "dev")            # calibrates the KDF for this machine
        calib = time.perf_counter() - t0
        dev.add_user("Bench", "volunteer", "123456")
        unlock = []
        for _ in range(args.unlocks):
            t = time.perf_counter()
            session = dev.unlock("Bench", "123456")
            unlock.append(time.perf_counter() - t)
        fill_outbox(dev, session, args.reports, answers)
        rid = dev.new_draft(session, "laporan_kecurigaan")
        saves = []
        for i in range(args.saves):
            answers["tempat"] = f"tempat {i}"
            t = time.perf_counter()
            dev.save_draft(session, rid, answers)
            saves.append(time.perf_counter() - t)
        base = []
        import json
        import sqlite_utils
        plain = sqlite_utils.Database(Path(tmp) / "plain.db")
        plain.conn.execute("PRAGMA journal_mode=WAL")
        plain.conn.execute("PRAGMA synchronous=FULL")
        plain["d"].insert({"id": 1, "answers": "{}"}, pk="id")
        for i in range(args.saves):
            t = time.perf_counter()
            with plain.conn:
                plain.conn.execute("UPDATE d SET answers=? WHERE id=1", (json.dumps(answers),))
            base.append(time.perf_counter() - t)
        t = time.perf_counter()
        rows = dev.outbox()
        outbox_s = time.perf_counter() - t
        dev.close()
    p95, b95 = percentile(saves, 95) * 1000, percentile(base, 95) * 1000
    u = sorted(unlock)[len(unlock) // 2]
    report("device", [
        {"metric": "save-draft p95 (ms)", "value": round(p95, 2), "target": "<= 10", "met": p95 <= 10,
         "baseline": round(b95, 2), "ratio": round(p95 / b95, 2) if b95 else None},
        {"metric": f"open outbox with {len(rows)} reports (ms)", "value": round(outbox_s * 1000, 1),
         "target": "<= 150", "met": outbox_s <= 0.150},
        {"metric": "unlock / KDF (s, median)", "value": round(u, 3), "target": "0.25–0.6",
         "met": 0.25 <= u <= 0.6},
        {"metric": "KDF calibration at init (s)", "value": round(calib, 2)},
        {"metric": "baseline: plaintext save p95 (ms)", "value": round(b95, 2)},
    ])


if __name__ == "__main__":
    main()
