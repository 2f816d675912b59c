"""Run every benchmark and rewrite BENCHMARKS.md from their figures.

    python bench/run_all.py            # full sizes (≈10–15 min on 2 cores)
    python bench/run_all.py --smoke    # tiny sizes: checks the scripts run (CI does this)
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
FULL = {
    "device_bench.py": [],
    "sync_bench.py": [],
    "network_bench.py": [],
    "dashboard_bench.py": [],
    "app_bench.py": [],
}
SMOKE = {
    "device_bench.py": ["--reports", "200", "--saves", "20", "--unlocks", "1"],
    "sync_bench.py": ["--reports", "60", "--wire-sample", "20"],
    "network_bench.py": ["--trials", "1", "--photo-mb", "0.1", "--kbit", "400", "--rtt", "0.05",
                         "--photo-kbit", "4000"],
    "dashboard_bench.py": ["--reports", "2000", "--repeat", "2"],
    "app_bench.py": ["--loads", "1"],
}


def run(script: str, args: list[str]) -> dict:
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / script), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=3600)
    sys.stdout.write(proc.stdout)
    if proc.returncode != 0:
        raise SystemExit(f"{script} failed:\n{proc.stderr[-3000:]}")
    line = next(l for l in proc.stderr.splitlines()[::-1] if l.startswith("JSON "))
    return json.loads(line[5:])


def table(results: list[dict]) -> str:
    out = ["| bench | figure | value | target | met |", "|---|---|---|---|---|"]
    for res in results:
        for r in res["rows"]:
            met = "" if r.get("target") is None else ("yes" if r.get("met") else "**no**")
            out.append(f"| {res['bench']} | {r['metric'].strip()} | {r['value']} | {r.get('target', '')} | {met} |")
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--only", nargs="*")
    ap.add_argument("--write", default=None, help="file to write (default BENCHMARKS.md unless --smoke)")
    args = ap.parse_args()
    plan = SMOKE if args.smoke else FULL
    results = [run(s, a) for s, a in plan.items() if not args.only or s in args.only]
    target = args.write or (None if args.smoke else str(ROOT / "BENCHMARKS.md"))
    if target:
        from bench.common import machine
        Path(target).write_text(HEADER.format(machine=machine(), date=time.strftime("%Y-%m-%d %H:%M UTC"))
                                + table(results) + "\n" + NOTES)
        print(f"wrote {target}")


HEADER = """# Benchmarks

Latest full run: {date}, {machine} (the CI machine kind). Rerun with
`.venv/bin/python bench/run_all.py` (rewrites this file; ≈10–15 min) or one script,
e.g. `.venv/bin/python bench/sync_bench.py --reports 10000`. Every ratio is measured
against a baseline run in the same process on the same machine. CI runs each script once
at tiny sizes (`tests/bench/test_bench_smoke.py`) as a smoke test only.

"""
NOTES = """
## What each figure measures

- **sync**: `bench/sync_bench.py`. N reports filed and sealed on a real device, pushed by
  `sync_once` (batches of 200) to the real office (uvicorn + SQLite, fsync on) on
  loopback; every office-signed receipt is verified before the report is purged. The
  ODK-style baseline (`bench/odk_baseline.py`) sends the same answers as ODK encrypted-form
  submissions (RSA-OAEP-wrapped AES key, AES-CFB instance XML, submission.xml manifest with
  element signature), one multipart POST each, to a Starlette endpoint under the same
  uvicorn that unwraps, decrypts, checks and stores in SQLite. The floor is the office's
  own `ingest_batch` on the same kind of envelopes with no HTTP. Bytes are counted by a
  loopback proxy in both directions, headers included.
- **network**: `bench/network_bench.py`, through `jaga_desa/testing/proxy.py` (bandwidth cap,
  one-way delay per burst, connection cuts at exponentially distributed byte counts).
  The photo leg runs at a weak-3G 256 kbit/s so the run ends in minutes; the bytes ratio
  does not depend on the bandwidth.
- **device**: `bench/device_bench.py`. Save-draft = one encrypted autosave transaction
  (WAL, synchronous=FULL); outbox = the outbox screen's query over N stored reports;
  unlock = Scrypt at the parameters calibrated on this machine. Baseline: the same save
  as plaintext JSON.
- **dashboard**: `bench/dashboard_bench.py`, 100,000 rows through the real schema and
  query code, 8 filter combinations × admin and regional intel, first and next page.
- **app**: `bench/app_bench.py`, headless Chromium (Debian) loading the real Flet app
  until the lock screen's PIN field is in the accessibility tree; baseline = a one-field
  Flet app served the same way.

## Targets missed, and what limits them

- **Sync throughput ≥ 10× the ODK-style baseline: missed (≈4–5×, ≥ 1,000 reports/s met).**
  Profiled (cProfile on both ends): per report the office verifies the author's Ed25519
  signature, unwraps and opens the envelope (X25519 + HKDF + AES-GCM + zlib) to read its
  filter flags, and signs a per-report receipt; the phone verifies that receipt against
  the exact envelope bytes before purging. That is ~0.35 ms of public-key work per report
  on this CPU, by design (per-report non-repudiation and per-report proof of receipt),
  before Python HTTP/JSON. What was fixed on the way: one lookup + one multi-row insert
  per table + one fsync per batch at the office (was one transaction per report), one
  local transaction per batch for purging on the phone and an index on `envelope_id`
  (each receipt used to scan the outbox), a single receipt verification per item, and one
  batch in flight while the previous is checked (phone and office work overlap). Going
  further would mean batch receipts (one signature over a Merkle root of the batch) —
  planned, not built. Figures on this shared 2-core VM vary ±30 % between runs.
- **Dashboard "page 200" baseline**: the OFFSET baseline is a bare `SELECT`; ours joins
  villages and the latest head verdict. Keyset paging keeps page 200 as cheap as page 1
  (≈2 ms); OFFSET cost grows with depth, which at 100k rows is still under a millisecond
  in SQLite — the dashboard target (≤ 200 ms p95) is met with wide margin either way.
"""

if __name__ == "__main__":
    main()
