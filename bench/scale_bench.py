"""Scale: the office on PostgreSQL with several uvicorn workers, many phones syncing at once.

    python bench/scale_bench.py [--phones 100] [--reports-per-phone 10] [--stored 100000] [--workers 2]

The script starts its own PostgreSQL cluster (jaga_desa.testing.postgres: Debian's binaries,
as the `postgres` user when run as root, on a free loopback port, fsync on), fills the office with `--stored`
reports (synthetic rows through the real schema: envelopes + the dashboard projection),
starts the office with `--workers` worker processes on it, enrolls the phones (real keys,
real codes), seals every report up front (real envelopes, text and — every
`--photo-every`th — a photo attachment), then lets every phone sync at once: one push of its
batch, the photo uploads, the final receipts; every fourth phone sends its batch twice at
the same time (an answer lost on the way, resent). Meanwhile a staff member reloads the
dashboard report list. Afterwards: every receipt verified on the "phone", and the store
checked — each report stored exactly once, none missing.

The issue asks for 500 phones over 1M stored reports; the defaults are smaller so a run
finishes in minutes on a shared 2-core machine (the figures say what was run).
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import os
import random
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import requests  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey  # noqa: E402
from sqlalchemy import func, insert, select, text  # noqa: E402

import forms  # noqa: E402
from bench import harness  # noqa: E402
from bench.common import percentile, report  # noqa: E402
from jaga_desa.testing.postgres import PostgresCluster, PostgresUnavailable  # noqa: E402
from sync import envelope as env, receipt as rc  # noqa: E402
from core.errors import ApiError  # noqa: E402
from sync.client import OfficeClient  # noqa: E402

PASSWORD = "scale-bench-password-1"
ANSWERS = forms.load("laporan_kecurigaan", 1).example()   # sealed as version 1 below


def populate(engine, n: int) -> None:
    """n stored reports: envelope rows (random sealed-size bytes) + their dashboard rows."""
    from office.dashboard.schema import dash_reports
    from office.schema import devices, envelopes, persons, villages
    rng = random.Random(3)
    now = datetime(2026, 11, 25, tzinfo=timezone.utc)
    with engine.begin() as conn:
        conn.execute(insert(villages), [{"name": f"Desa {i}", "region": f"Region {i % 5}"} for i in range(50)])
        conn.execute(insert(devices).values(id="00000000-0000-4000-8000-000000000000", token_hash="0" * 64,
                                            created_at="2026-01-01T00:00:00.000Z"))
        conn.execute(insert(persons).values(
            id="00000000-0000-4000-8000-000000000001", name="arsip", village_id=1, role="volunteer",
            device_id="00000000-0000-4000-8000-000000000000", x25519_public=b"\0" * 32,
            ed25519_public=b"\0" * 32, key_id="0" * 32, created_at="2026-01-01T00:00:00.000Z"))
    blob = os.urandom(700)
    for start in range(0, n, 5000):
        rows, dash = [], []
        for i in range(start, min(n, start + 5000)):
            eid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            at = now - timedelta(seconds=rng.randint(0, 365 * 86400))
            stamp = at.strftime("%Y-%m-%dT%H:%M:%S.000Z")
            village = rng.randint(1, 50)
            rows.append({"id": eid, "author_id": "00000000-0000-4000-8000-000000000001",
                         "device_id": "00000000-0000-4000-8000-000000000000", "village_id": village,
                         "form_id": "laporan_kecurigaan", "form_version": 1, "category": "rekrutmen",
                         "urgent": False, "has_photo": False, "rahasia": False,
                         "created_ms": int(at.timestamp() * 1000), "received_at": stamp, "skew_ms": 0,
                         "sha256": hashlib.sha256(eid.encode()).hexdigest(), "size": 700, "data": blob,
                         "complete": True, "receipt": "{}", "triage": "new"})
            dash.append({"envelope_id": eid, "village_id": village, "form_id": "laporan_kecurigaan",
                         "received_at": stamp, "created_ms": int(at.timestamp() * 1000), "has_photo": False,
                         "opened": False, "category": "rekrutmen", "urgency": None, "urgent": False,
                         "children": False, "route": None, "geo": None, "week": at.strftime("%G-W%V"),
                         "triage": "new", "assignee_id": None, "indexed_at": stamp})
        with engine.begin() as conn:
            conn.execute(insert(envelopes), rows)
            conn.execute(insert(dash_reports), dash)
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))


class Phone:
    """A phone with one enrolled volunteer: real keys, real envelopes, the real client."""

    def __init__(self, url: str, code: str, name: str) -> None:
        self.x, self.ed = X25519PrivateKey.generate(), Ed25519PrivateKey.generate()
        self.client = OfficeClient(url)
        self.enrolled = self.client.enroll(code, name, env.raw_public(self.x.public_key()),
                                           env.raw_public(self.ed.public_key()))
        self.office_ed = env.load_public_ed25519(base64.b64decode(self.enrolled["office_ed25519_public"]))
        self.office_x = env.load_public_x25519(base64.b64decode(self.enrolled["office_x25519_public"]))
        self.reports: list[env.Sealed] = []
        self.conflicts = 0

    def seal(self, i: int, photo: bytes | None) -> None:
        answers = {k: v for k, v in ANSWERS.items() if k != "foto"}
        answers["tempat"] = f"Dermaga desa nomor {i}"
        atts = {uuid.uuid4().hex: photo} if photo else None
        if atts:
            answers["foto"] = list(atts)         # the office checks answers and manifest agree
        payload = {"answers": answers,
                   "flags": {"category": "tppo", "urgent": i % 3 == 0}, "rahasia": False, "lang": "id"}
        self.reports.append(env.seal(payload, form_id="laporan_kecurigaan", form_version=1,
                                     author_id=self.enrolled["person_id"], device_id=self.enrolled["device_id"],
                                     signing_key=self.ed, recipients=[self.office_x], attachments=atts))

    def upload(self, client: OfficeClient, envelope_id: str, att_id: str, blob: bytes) -> None:
        """The resent batch uploads the same photo at the same moment: the office answers one
        of them 409 conflict, and that phone tries again, as its next sync round would."""
        for attempt in range(5):
            try:
                client.put_attachment(envelope_id, att_id, blob)
                return
            except ApiError as exc:
                if exc.code != "conflict" or attempt == 4:
                    raise
                self.conflicts += 1

    def sync(self, latencies: list[float], lock: threading.Lock) -> dict:
        """Push the batch, upload photos, verify every receipt; returns {envelope_id: status}."""
        client = OfficeClient(self.client.base_url, token=self.client.token)
        t = time.perf_counter()
        results = client.push([r.envelope for r in self.reports])
        with lock:
            latencies.append(time.perf_counter() - t)
        out = {}
        for sealed, res in zip(self.reports, results):
            if res["status"] == "rejected":
                raise RuntimeError(f"the office refused a report: {res['code']}: {res['reason']}")
            receipt = rc.verify(res["receipt"], self.office_ed, sealed.envelope)
            if sealed.blobs and not receipt.complete:
                for att_id, blob in sealed.blobs.items():
                    self.upload(client, sealed.envelope_id, att_id, blob)
                expected = {a: hashlib.sha256(b).hexdigest() for a, b in sealed.blobs.items()}
                receipt = rc.verify(client.receipt(sealed.envelope_id), self.office_ed, sealed.envelope, expected)
            if not receipt.complete:
                raise RuntimeError("an incomplete receipt after the photo upload")
            out[sealed.envelope_id] = res["status"]
        client.close()
        return out


def dashboard_loads(url: str, cookie: str, n: int, stop: threading.Event) -> tuple[list[float], int]:
    s = requests.Session()
    s.cookies.set("jd_session", cookie)
    times, bad = [], 0
    for _ in range(n):
        t = time.perf_counter()
        r = s.get(url + "/dashboard/", timeout=120)
        times.append(time.perf_counter() - t)
        bad += r.status_code != 200
        if stop.is_set() and len(times) >= n // 2:
            break
    return times, bad


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--phones", type=int, default=100)
    ap.add_argument("--reports-per-phone", type=int, default=10)
    ap.add_argument("--photo-every", type=int, default=5)
    ap.add_argument("--photo-kb", type=int, default=60)
    ap.add_argument("--stored", type=int, default=100000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--concurrency", type=int, default=50, help="phones syncing at the same moment")
    ap.add_argument("--dashboard-loads", type=int, default=40)
    args = ap.parse_args()
    try:
        cluster = PostgresCluster(fsync=True).start()       # durable, as an office would run it
    except (PostgresUnavailable, RuntimeError) as exc:
        raise SystemExit(f"error [no_postgres]: {exc}") from None
    try:
        out = scale(args, cluster.url())
    finally:
        cluster.stop()
    report("scale", out)


def scale(args, url: str) -> list[dict]:
    from office import db, enrollment, staff
    from office.dashboard import auth
    from office.schema import envelopes
    with tempfile.TemporaryDirectory() as tmp:
        engine = db.make_engine(url)
        db.migrate(engine)
        t0 = time.perf_counter()
        populate(engine, args.stored)
        fill_s = time.perf_counter() - t0
        with engine.begin() as conn:
            vid = enrollment.add_village(conn, "Entikong", "Sanggau")
            codes = [enrollment.create_code(conn, village=vid, role="volunteer", name=f"Relawan {i}",
                                            ttl_hours=2)["code"] for i in range(args.phones)]
            staff.create_staff(conn, "analis", PASSWORD, "admin")
        _, cookie = auth.login(engine, "analis", PASSWORD)
        office = harness.office(Path(tmp) / "office", workers=args.workers, db_url=url)
        try:
            phones = [Phone(office.url, code, f"Relawan {i}") for i, code in enumerate(codes)]
            photo = os.urandom(args.photo_kb * 1024)
            k = 0
            for p in phones:
                for _ in range(args.reports_per_phone):
                    p.seal(k, photo if args.photo_every and k % args.photo_every == 0 else None)
                    k += 1
            jobs = phones + phones[::4]              # every fourth phone resends its batch at once
            random.Random(5).shuffle(jobs)
            latencies, lock, stop = [], threading.Lock(), threading.Event()
            with ThreadPoolExecutor(1) as dash_pool:
                dash = dash_pool.submit(dashboard_loads, office.url, cookie, args.dashboard_loads, stop)
                t = time.perf_counter()
                with ThreadPoolExecutor(args.concurrency) as pool:
                    outcomes = list(pool.map(lambda p: p.sync(latencies, lock), jobs))
                sync_s = time.perf_counter() - t
                stop.set()
                dash_times, dash_bad = dash.result()
            # the same page once the phones are done (the new reports are indexed by now)
            rest_times, rest_bad = dashboard_loads(office.url, cookie, max(3, args.dashboard_loads // 2),
                                                   threading.Event())
        finally:
            office.stop()
        sent = {r.envelope_id for p in phones for r in p.reports}
        accepted: dict[str, int] = {}
        for o in outcomes:
            for eid, status in o.items():
                accepted[eid] = accepted.get(eid, 0) + (status == "accepted")
        with engine.connect() as conn:
            stored = {r[0] for r in conn.execute(select(envelopes.c.id).where(envelopes.c.id.in_(sent)))}
            rows = conn.execute(select(func.count()).select_from(envelopes).where(envelopes.c.id.in_(sent))).scalar()
            total = conn.execute(select(func.count()).select_from(envelopes)).scalar()
        engine.dispose()
    lost = len(sent - stored)
    duplicated = (rows - len(stored)) + sum(1 for v in accepted.values() if v != 1)
    n = len(sent)
    p50, p99 = percentile(latencies, 50) * 1000, percentile(latencies, 99) * 1000
    d95 = percentile(dash_times, 95) * 1000
    return [
        {"key": "phones", "metric": "phones syncing (one batch each; every 4th resends it at once)",
         "value": args.phones},
        {"key": "workers", "metric": "office worker processes on PostgreSQL", "value": args.workers},
        {"key": "stored", "metric": "reports stored before the run (synthetic rows)", "value": total - n},
        {"key": "reports", "metric": f"reports pushed ({args.reports_per_phone}/phone, a photo every "
                                     f"{args.photo_every}th, {args.photo_kb} KB)", "value": n},
        {"key": "push_p50", "metric": f"push latency p50, {min(args.concurrency, len(jobs))} at once (ms)", "value": round(p50)},
        {"key": "push_p99", "metric": "push latency p99 (ms)", "value": round(p99)},
        {"key": "throughput", "metric": "reports/s across all phones (incl. photos, receipts)",
         "value": round(n / sync_s)},
        {"key": "dash_p95", "metric": f"dashboard list p95 during the run, {len(dash_times)} loads (ms)",
         "value": round(d95)},
        {"key": "dash_rest_p95", "metric": f"dashboard list p95 after the run, {len(rest_times)} loads (ms)",
         "value": round(percentile(rest_times, 95) * 1000)},
        {"key": "conflicts", "metric": "photo chunks answered 409 conflict (same photo at once), retried",
         "value": sum(p.conflicts for p in phones)},
        {"key": "dash_bad", "metric": "dashboard loads not answered 200", "value": dash_bad + rest_bad},
        {"key": "lost", "metric": "lost reports (sent, receipt verified, not stored)", "value": lost,
         "target": "0 lost, 0 duplicated", "met": lost == 0 and duplicated == 0},
        {"key": "duplicated", "metric": "duplicated (stored twice or accepted ≠ once)", "value": duplicated},
        {"key": "fill_s", "metric": "time to fill the stored reports (s)", "value": round(fill_s, 1)},
    ]


if __name__ == "__main__":
    main()
