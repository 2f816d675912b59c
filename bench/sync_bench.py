"""Sync throughput, office ingest vs the physical floor, and bytes on the wire — ours vs
two ODK-style baselines, every figure measured in this one run.

    python bench/sync_bench.py [--reports 2000] [--repeats 3] [--workers 1] [--wire-sample 300] [--warmup 200]

Each repeat, interleaved so machine noise hits every side alike:
- ours, end to end: N reports filed and sealed on a real Device, then one `sync_once`
  pushes them in batches of 200 to the real office (uvicorn, SQLite WAL synchronous=FULL)
  on loopback; every batch receipt proof is verified before a report is purged;
- Central-like baseline: the same answers as ODK encrypted-form submissions, HEAD + one
  multipart POST each, stored WITHOUT decryption (bench/odk_baseline.py `central`);
- server-decrypts baseline: the same, but the server unwraps, decrypts and checks the
  element signature (`decrypt`);
- physical floor: the same envelopes through bench/floor.py (bare cryptography + sqlite3,
  no HTTP, no app code);
- office ingest: the same envelopes through the office's own `ingest_batch` (no HTTP), one
  commit per batch, with synchronous=FULL and, for comparison, NORMAL.
Bytes on the wire are counted by a loopback proxy, both directions, all headers included.
Figures are medians over the repeats, with the spread (min–max) beside them.
Steadiness: each repeat pushes into an office holding the repeats before it, so a cost that
grows with what is stored shows as a decline. The per-repeat push rates are printed with
their spread (max/min − 1, target <= 15%), and beside them the office's CPU per pushed
report in each repeat (from /proc, so other load on the machine does not move it): the
office's own share of a push, which must not grow as it fills either — and the phone's CPU
per pushed report (this process: building the requests, verifying receipts, purging), the
other side of the pipelined push (sync.runner overlaps the two). Before the first
repeat every server (ours and both baselines) takes `--warmup` reports that are not
counted: each has just started, and a fresh process's first requests pay for its imports,
caches and connection set-up — a start-up cost, not a cost of what is stored.
"""
from __future__ import annotations

import argparse
import os
import gzip
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import requests  # noqa: E402
from cryptography.hazmat.primitives import serialization  # noqa: E402

import forms  # noqa: E402

# One bench phone pushes what a whole district's phones would (thousands of reports per
# round): the office's per-phone push rate (office/phone_limits.py, fairness between
# phones) would stop it after 30 pushes a minute, and its bound on one phone's reports waiting
# for derive after 500. Throughput is measured here; the limits themselves are tested in
# tests/adversarial/test_redteam_office_abuse.py and test_redteam_round7.py.
os.environ.setdefault("JAGA_PHONE_PUSHES_PER_MINUTE", "1000000")
os.environ.setdefault("JAGA_PHONE_DERIVE_BACKLOG", "1000000000")
from bench import floor as physical, harness, odk_baseline  # noqa: E402
from bench.common import cpu_seconds, report  # noqa: E402
from jaga_desa.testing.proxy import FaultProxy  # noqa: E402
from sync.client import OfficeClient  # noqa: E402
from sync.runner import sync_once  # noqa: E402

FORM = "laporan_kecurigaan"
BATCH = 200


def answers_for(i: int) -> dict:
    a = forms.load(FORM).example()
    a["tempat"] = f"Dermaga desa nomor {i}"
    return a


def file_reports(dev, session, n: int, start: int = 0) -> float:
    t = time.perf_counter()
    for i in range(start, start + n):
        dev.file(session, FORM, answers_for(i))
    return n / (time.perf_counter() - t)


def batches(items: list[bytes]) -> list[list[bytes]]:
    return [items[k:k + BATCH] for k in range(0, len(items), BATCH)]


def office_ingest(snapshot: Path, work: Path, envelopes: list[bytes], device_id: str, synchronous: str,
                  clock=time.perf_counter) -> float:
    """The office's own batch ingest (office.ingest.ingest_batch), no HTTP, one commit
    per batch, on a fresh copy of the enrolled office; reports/s by `clock`."""
    from office import db, keys as office_keys
    from office.ingest import ingest_batch

    shutil.copytree(snapshot, work)
    keys = office_keys.load_or_create(work, "bench-office-key")
    engine = db.make_engine(db.sqlite_url(work), synchronous=synchronous)
    t = clock()
    for batch in batches(envelopes):
        with engine.begin() as conn:
            out = ingest_batch(conn, batch, device_id=device_id, keys=keys)
            assert all(o["status"] == "accepted" for o in out), out[:3]
    rate = len(envelopes) / (clock() - t)
    engine.dispose()
    return rate


def floor(snapshot: Path, work: Path, envelopes: list[bytes], author_public: bytes, synchronous: str = "FULL",
          clock=time.perf_counter) -> float:
    from office import keys as office_keys      # setup only: the office's private keys
    keys = office_keys.load_or_create(snapshot, "bench-office-key")
    work.mkdir(parents=True)
    con = physical.connect(work / "floor.db", synchronous)
    rate = physical.ingest(con, batches(envelopes), keys.x25519, keys.ed25519, author_public, clock)
    con.close()
    return rate


def baseline_rate(url: str, subs: list) -> float:
    s = requests.Session()
    t = time.perf_counter()
    for _, manifest, ct in subs:
        odk_baseline.post(s, url, FORM, manifest, ct)
    return len(subs) / (time.perf_counter() - t)


def wire_ours(office, dev, session, n: int, start: int) -> tuple[float, int]:
    file_reports(dev, session, n, start=start)
    proxy = FaultProxy(office.port)
    res = sync_once(dev, OfficeClient(f"http://127.0.0.1:{proxy.port}", token=dev.sync_token), batch_size=BATCH)
    assert res.received == n, res
    per_report = (proxy.up + proxy.down) / n
    proxy.close()
    # one report alone, as a phone coming into signal with a single report would send it
    file_reports(dev, session, 1, start=start + n)
    proxy = FaultProxy(office.port)
    sync_once(dev, OfficeClient(f"http://127.0.0.1:{proxy.port}", token=dev.sync_token))
    single = proxy.up + proxy.down
    proxy.close()
    return per_report, single


def wire_baseline(server, subs: list) -> float:
    proxy = FaultProxy(server.port)
    s = requests.Session()
    for _, manifest, ct in subs:
        odk_baseline.post(s, f"http://127.0.0.1:{proxy.port}", FORM, manifest, ct)
    per = (proxy.up + proxy.down) / len(subs)
    proxy.close()
    return per


def derive_drained(data: Path, timeout: float = 600.0) -> float:
    """perf_counter() when the office's derive queue is empty: its worker has derived
    everything pushed (search words, early warning, roll-up links, webhooks)."""
    from sqlalchemy import func, select
    from office import db as office_db
    from office.derive.schema import derive_jobs
    engine = office_db.make_engine(office_db.sqlite_url(data))
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            with office_db.reading(engine) as conn:
                if conn.execute(select(func.count()).select_from(derive_jobs)).scalar_one() == 0:
                    return time.perf_counter()
            time.sleep(0.02)          # a bench polling the queue, not a test
        raise TimeoutError("the office's derive queue did not drain")
    finally:
        engine.dispose()


def swing(values: list[float]) -> float:
    """How far the repeats are apart: max/min − 1 (0.15 = the fastest is 15% above the slowest)."""
    return max(values) / min(values) - 1 if min(values) > 0 else float("inf")


def per_repeat(values: list[float], digits: int = 0) -> str:
    return ", ".join(f"{v:.{digits}f}" for v in values)


def spread(values: list[float]) -> str:
    return f"{min(values):.0f}–{max(values):.0f}" if len(values) > 1 else "one run"


def ranged(values: list[float]) -> dict:
    """The spread as text for the table and as numbers for run_all's prose."""
    return {"spread": spread(values), "min": round(min(values)), "max": round(max(values))}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reports", type=int, default=2000, help="reports per repeat")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--workers", type=int, default=1, help="office worker processes")
    ap.add_argument("--wire-sample", type=int, default=300)
    ap.add_argument("--warmup", type=int, default=200, help="reports each server takes, uncounted, before repeat 1")
    args = ap.parse_args()
    n, rounds = args.reports, args.repeats
    runs: dict[str, list[float]] = {k: [] for k in ("ours", "central", "decrypt", "floor", "full", "normal", "seal",
                                                    "derive", "tail", "office_ms", "phone_ms")}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        office = harness.office(tmp / "office", workers=args.workers)
        servers = {m: harness.odk(tmp / f"odk-{m}", m) for m in odk_baseline.MODES}
        try:
            dev, session = harness.enrolled_device(tmp / "office", office.url, tmp / "dev")
            office.stop()                      # a quiet copy of the enrolled office for the floor runs
            snapshot = tmp / "snapshot"
            shutil.copytree(tmp / "office", snapshot)
            office = harness.office(tmp / "office", workers=args.workers)
            subs = {}
            for m, server in servers.items():
                pub = serialization.load_pem_public_key((tmp / f"odk-{m}" / "odk_public.pem").read_bytes())
                subs[m] = [odk_baseline.encrypt_submission(pub, FORM, answers_for(i))
                           for i in range(n * rounds + args.wire_sample + args.warmup)]
            from office import db as office_db
            from sqlalchemy import text
            eng = office_db.make_engine(office_db.sqlite_url(snapshot))
            with eng.connect() as conn:
                author_public = bytes(conn.execute(text("SELECT ed25519_public FROM persons")).scalar_one())
            eng.dispose()
            if args.warmup:                  # every side's fresh process warms up alike, uncounted
                file_reports(dev, session, args.warmup, start=rounds * n + args.wire_sample + 1)
                res = sync_once(dev, OfficeClient(office.url, token=dev.sync_token), batch_size=BATCH)
                assert res.ok and res.received == args.warmup, res
                derive_drained(tmp / "office")
                for m, server in servers.items():
                    baseline_rate(server.url, subs[m][n * rounds + args.wire_sample:])
            for r in range(rounds):
                runs["seal"].append(file_reports(dev, session, n, start=r * n))
                envs = [i.envelope for i in dev.pending(n)]
                runs["floor"].append(floor(snapshot, tmp / f"floor-{r}", envs, author_public))
                runs["full"].append(office_ingest(snapshot, tmp / f"full-{r}", envs, dev.device_id, "FULL"))
                runs["normal"].append(office_ingest(snapshot, tmp / f"normal-{r}", envs, dev.device_id, "NORMAL"))
                client = OfficeClient(office.url, token=dev.sync_token)
                cpu, phone_cpu = cpu_seconds(office.pid), time.process_time()
                t = time.perf_counter()
                res = sync_once(dev, client, batch_size=BATCH)
                pushed = time.perf_counter()
                runs["office_ms"].append(1000 * (cpu_seconds(office.pid) - cpu) / n)
                runs["phone_ms"].append(1000 * (time.process_time() - phone_cpu) / n)
                runs["ours"].append(n / (pushed - t))
                derived = derive_drained(tmp / "office")      # the office's own worker, in its process
                runs["derive"].append(n / (derived - t))
                runs["tail"].append(derived - pushed)
                assert res.ok and res.received == n and dev.pending_count() == 0, res
                for m, server in servers.items():
                    runs[m].append(baseline_rate(server.url, subs[m][r * n:(r + 1) * n]))
            wire, single = wire_ours(office, dev, session, args.wire_sample, rounds * n)
            wire_b = wire_baseline(servers["central"], subs["central"][rounds * n:rounds * n + args.wire_sample])
            dev.close()
        finally:
            office.stop()
            for server in servers.values():
                server.stop()
    med = {k: statistics.median(v) for k, v in runs.items()}
    gz = sum(len(gzip.compress(json.dumps(answers_for(i)).encode())) for i in range(100)) / 100
    ratio_c, ratio_d = med["ours"] / med["central"], med["ours"] / med["decrypt"]
    of_floor = med["full"] / med["floor"]
    ratios_c = [o / c for o, c in zip(runs["ours"], runs["central"])]
    where = f"{args.workers} office worker{'s' if args.workers > 1 else ''}"
    steady = swing(runs["ours"])
    report("sync", [
        {"key": "e2e", "metric": f"ours end-to-end, {n} reports × {rounds} (reports/s, median)",
         "value": round(med["ours"]), **ranged(runs["ours"]), "target": ">= 3000",
         "met": med["ours"] >= 3000, "note": where},
        {"key": "e2e_repeats", "metric": "ours per repeat, in order (reports/s)", "value": per_repeat(runs["ours"])},
        {"key": "e2e_swing", "metric": "repeats apart: fastest / slowest − 1", "value": f"{steady:.0%}",
         "target": "<= 15%", "met": steady <= 0.15},
        {"key": "office_cpu", "metric": "office CPU per pushed report, per repeat (ms, while pushing)",
         "value": per_repeat(runs["office_ms"], 2), "spread": f"{swing(runs['office_ms']):.0%} apart"},
        {"key": "phone_cpu", "metric": "phone CPU per pushed report, per repeat (ms: build, verify, purge)",
         "value": per_repeat(runs["phone_ms"], 2), "spread": f"{swing(runs['phone_ms']):.0%} apart"},
        {"key": "central", "metric": "Central-like baseline: HEAD+POST, stored encrypted (reports/s)",
         "value": round(med["central"]), **ranged(runs["central"])},
        {"key": "ratio_central", "metric": "ratio ours / Central-like", "value": round(ratio_c, 2),
         "spread": f"{min(ratios_c):.2f}–{max(ratios_c):.2f}", "target": ">= 5", "met": ratio_c >= 5},
        {"key": "central_repeats", "metric": "Central-like per repeat, in order (reports/s)",
         "value": per_repeat(runs["central"]), "spread": f"{swing(runs['central']):.0%} apart"},
        {"key": "decrypt", "metric": "server-decrypts baseline: + RSA unwrap, decrypt, signature (reports/s)",
         "value": round(med["decrypt"]), **ranged(runs["decrypt"])},
        {"key": "ratio_decrypt", "metric": "ratio ours / server-decrypts", "value": round(ratio_d, 2)},
        {"key": "floor", "metric": "physical floor: verify+open+receipt+insert, no HTTP (reports/s)",
         "value": round(med["floor"]), **ranged(runs["floor"])},
        {"key": "ingest", "metric": "office ingest path, no HTTP, synchronous=FULL (reports/s)",
         "value": round(med["full"]), **ranged(runs["full"])},
        {"key": "ingest_of_floor", "metric": "office ingest / floor", "value": f"{of_floor:.0%}",
         "target": ">= 60%", "met": of_floor >= 0.6},
        {"key": "ingest_normal", "metric": "office ingest path, synchronous=NORMAL (reports/s)",
         "value": round(med["normal"]), **ranged(runs["normal"])},
        {"key": "full_vs_normal", "metric": "synchronous FULL / NORMAL (one commit per batch)",
         "value": round(med["full"] / med["normal"], 2)},
        {"key": "derive_e2e", "metric": "derived, pushed end to end: reports / s until the queue is empty",
         "value": round(med["derive"]), **ranged(runs["derive"])},
        {"key": "derive_keeps_up", "metric": "derive (to empty queue) / end-to-end push rate",
         "value": round(med["derive"] / med["ours"], 2), "target": ">= 0.9", "met": med["derive"] >= 0.9 * med["ours"]},
        {"key": "derive_tail", "metric": "last receipt to empty derive queue (s, the last report's lag)",
         "value": round(med["tail"], 2), "spread": f"{min(runs['tail']):.2f}–{max(runs['tail']):.2f}",
         "target": "<= 5", "met": med["tail"] <= 5},
        {"key": "e2e_of_floor", "metric": "end-to-end / floor", "value": f"{med['ours'] / med['floor']:.0%}"},
        {"key": "wire", "metric": "bytes on the wire per report, batched (ours)", "value": round(wire)},
        {"key": "wire_central", "metric": "bytes on the wire per report (Central-like)", "value": round(wire_b)},
        {"key": "wire_ratio", "metric": "wire ratio ours / Central-like", "value": round(wire / wire_b, 2),
         "target": "<= 0.35", "met": wire / wire_b <= 0.35},
        {"key": "wire_single", "metric": "bytes on the wire, one report alone (ours, incl. probe+inbox)",
         "value": single},
        {"key": "gzip", "metric": "gzip of plaintext answers (bytes)", "value": round(gz)},
        {"key": "seal", "metric": "device: file + seal rate (reports/s)", "value": round(med["seal"]),
         **ranged(runs["seal"])},
    ])


if __name__ == "__main__":
    main()
