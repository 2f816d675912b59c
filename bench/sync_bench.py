"""Sync throughput, ingest vs floor, and bytes on the wire — ours vs an ODK-style baseline.

    python bench/sync_bench.py [--reports 10000] [--baseline-reports 10000] [--wire-sample 300]

Ours: N reports filed and sealed on a real Device, then one `sync_once` pushes them in
batches to the real office (uvicorn, SQLite) on loopback, verifying every signed receipt
before purging. Baseline: the same answers as ODK encrypted-form submissions, one
multipart POST each, to an endpoint that unwraps, decrypts, verifies and stores them in
SQLite. Floor: the same kind of envelopes ingested by the office's own code with no HTTP.
Bytes on the wire are counted by a loopback proxy, both directions, all headers included.
"""
from __future__ import annotations

import argparse
import gzip
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import requests  # noqa: E402
from cryptography.hazmat.primitives import serialization  # noqa: E402

import forms  # noqa: E402
from bench import harness, odk_baseline  # noqa: E402
from bench.common import report  # noqa: E402
from jaga_desa.testing.proxy import FaultProxy  # noqa: E402
from sync.client import OfficeClient  # noqa: E402
from sync.runner import sync_once  # noqa: E402

FORM = "laporan_kecurigaan"


def answers_for(i: int) -> dict:
    a = forms.load(FORM).example()
    a["tempat"] = f"Dermaga desa nomor {i}"
    return a


def file_reports(dev, session, n: int, start: int = 0) -> float:
    t = time.perf_counter()
    for i in range(start, start + n):
        dev.file(session, FORM, answers_for(i))
    return n / (time.perf_counter() - t)


def ours(tmp: Path, n: int, wire_sample: int) -> dict:
    office = harness.office(tmp / "office")
    try:
        dev, session = harness.enrolled_device(tmp / "office", office.url, tmp / "dev")
        seal_rate = file_reports(dev, session, n)
        client = OfficeClient(office.url, token=dev.sync_token)
        t = time.perf_counter()
        res = sync_once(dev, client, batch_size=200)
        rate = n / (time.perf_counter() - t)
        assert res.received == n and dev.pending_count() == 0, res
        # bytes on the wire for a sample, through a counting proxy
        file_reports(dev, session, wire_sample, start=n)
        proxy = FaultProxy(office.port)
        res = sync_once(dev, OfficeClient(f"http://127.0.0.1:{proxy.port}", token=dev.sync_token),
                        batch_size=100)
        assert res.received == wire_sample
        wire = (proxy.up + proxy.down) / wire_sample
        proxy.close()
        # one report alone, as a phone coming into signal with a single report would send it
        file_reports(dev, session, 1, start=n + wire_sample)
        proxy = FaultProxy(office.port)
        sync_once(dev, OfficeClient(f"http://127.0.0.1:{proxy.port}", token=dev.sync_token))
        single = proxy.up + proxy.down
        proxy.close()
        dev.close()
    finally:
        office.stop()
    return {"rate": rate, "seal_rate": seal_rate, "wire": wire, "single": single}


def floor(tmp: Path, n: int) -> float:
    """The office's own batch ingest on the same kind of envelopes and batches, no HTTP."""
    from sync.office import db, keys as office_keys
    from sync.office.ingest import ingest_batch

    office = harness.office(tmp / "floor")
    dev, session = harness.enrolled_device(tmp / "floor", office.url, tmp / "floor-dev")
    office.stop()
    file_reports(dev, session, n)
    items = dev.pending(n)
    device_id = dev.device_id
    keys = office_keys.load_or_create(tmp / "floor", "bench-office-key")
    engine = db.make_engine(db.sqlite_url(tmp / "floor"))
    t = time.perf_counter()
    for k in range(0, len(items), 200):           # the same batches the API gets, one commit each
        with engine.begin() as conn:
            out = ingest_batch(conn, [i.envelope for i in items[k:k + 200]], device_id=device_id, keys=keys)
            assert all(o["status"] == "accepted" for o in out), out
    rate = n / (time.perf_counter() - t)
    dev.close()
    return rate


def baseline(tmp: Path, n: int, wire_sample: int) -> dict:
    server = harness.odk(tmp / "odk")
    try:
        pub = serialization.load_pem_public_key((tmp / "odk" / "odk_public.pem").read_bytes())
        subs = [odk_baseline.encrypt_submission(pub, FORM, answers_for(i)) for i in range(n + wire_sample)]
        s = requests.Session()
        t = time.perf_counter()
        for _, manifest, ct in subs[:n]:
            odk_baseline.post(s, server.url, FORM, manifest, ct)
        rate = n / (time.perf_counter() - t)
        proxy = FaultProxy(server.port)
        s = requests.Session()
        for _, manifest, ct in subs[n:]:
            odk_baseline.post(s, f"http://127.0.0.1:{proxy.port}", FORM, manifest, ct)
        wire = (proxy.up + proxy.down) / wire_sample
        proxy.close()
    finally:
        server.stop()
    return {"rate": rate, "wire": wire}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reports", type=int, default=10000)
    ap.add_argument("--baseline-reports", type=int, default=None)
    ap.add_argument("--wire-sample", type=int, default=300)
    args = ap.parse_args()
    nb = args.baseline_reports or args.reports
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        o = ours(tmp, args.reports, args.wire_sample)
        b = baseline(tmp, nb, args.wire_sample)
        f = floor(tmp, min(args.reports, 5000))
    gz = sum(len(gzip.compress(json.dumps(answers_for(i)).encode())) for i in range(100)) / 100
    report("sync", [
        {"metric": f"sync throughput, {args.reports} reports (reports/s)", "value": round(o["rate"]),
         "target": ">= 1000 and >= 10x baseline", "met": o["rate"] >= 1000 and o["rate"] >= 10 * b["rate"]},
        {"metric": f"ODK-style baseline, {nb} reports (reports/s)", "value": round(b["rate"])},
        {"metric": "throughput ratio ours / baseline", "value": round(o["rate"] / b["rate"], 1)},
        {"metric": "office ingest via API / floor (no HTTP)", "value": f"{o['rate'] / f:.0%}",
         "target": ">= 33%", "met": o["rate"] / f >= 0.33},
        {"metric": "floor: direct verify+store (reports/s)", "value": round(f)},
        {"metric": "bytes on the wire per report, batched (ours)", "value": round(o["wire"]),
         "target": "<= 0.5x baseline", "met": o["wire"] <= 0.5 * b["wire"]},
        {"metric": "bytes on the wire, one report alone (ours, incl. probe+inbox)", "value": o["single"]},
        {"metric": "bytes on the wire per report (ODK-style)", "value": round(b["wire"])},
        {"metric": "wire ratio ours / baseline", "value": round(o["wire"] / b["wire"], 2)},
        {"metric": "gzip of plaintext answers (bytes)", "value": round(gz)},
        {"metric": "device: file + seal rate (reports/s)", "value": round(o["seal_rate"])},
    ])


if __name__ == "__main__":
    main()
