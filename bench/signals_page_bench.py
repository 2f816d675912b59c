"""The signals page at scale (issue 25 item 6): 100,000 stored reports, 1,000 signals; the
page is ranked and paged, and must answer in <= 200 ms. Timed over real HTTP against a real
office (uvicorn, SQLite), signed in as an admin (every signal) and as a regional analyst
(the region filter), on the first and a deep page; next to the alerts page of the same
office in the same run (the same layout, menu badge and sign-in, no signal list): the
floor any dashboard page pays; and next to the bare list query (review.visible, in process
on the same store, no HTTP): the floor of the signal list itself.

    python bench/signals_page_bench.py [--reports 100000] [--signals 1000] [--loads 20]
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import median, percentile, report  # noqa: E402
from jaga_desa.testing import signals as seeded  # noqa: E402
from jaga_desa.testing.dashboard import sign_in  # noqa: E402
from jaga_desa.testing.servers import OfficeServer  # noqa: E402
from office import db, keys as office_keys  # noqa: E402
from office.warning import review  # noqa: E402

PASSWORD = "kata-sandi-bench-1"


def timed(session, url: str, loads: int) -> list[float]:
    out = []
    for _ in range(loads):
        t0 = time.perf_counter()
        r = session.get(url, timeout=60)
        out.append((time.perf_counter() - t0) * 1000)
        assert r.status_code == 200, (url, r.status_code, r.text[:300])
    return out


def bare_query(folder: Path, passphrase: str, loads: int) -> list[float]:
    """The first page's list query and its rows, in process: what the page cannot go below."""
    keys = office_keys.load_or_create(folder, passphrase)
    engine = db.open_store(folder)
    out = []
    try:
        with db.reading(engine) as conn:
            for _ in range(loads + 2):
                t0 = time.perf_counter()
                rows, _ = review.visible(conn, None, None, "id", page=1, keys=keys)
                out.append((time.perf_counter() - t0) * 1000)
                assert len(rows) == review.PAGE_SIZE
    finally:
        engine.dispose()
    return out[2:]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reports", type=int, default=100000)
    ap.add_argument("--signals", type=int, default=1000)
    ap.add_argument("--loads", type=int, default=20)
    args = ap.parse_args()
    os.environ.setdefault(office_keys.ENV, "kunci-kantor-bench")
    os.environ["JAGA_PASSWORD"] = PASSWORD
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "office"
        t0 = time.perf_counter()
        seeded.seed(folder, os.environ[office_keys.ENV], args.reports, args.signals)
        seed_s = time.perf_counter() - t0
        bare = bare_query(folder, os.environ[office_keys.ENV], args.loads)
        server = OfficeServer(folder).start()
        try:
            server.admin(["add-staff", "--username", "admin", "--role", "admin"])
            server.admin(["add-staff", "--username", "intel", "--role", "intel", "--region", seeded.REGIONS[0]])
            admin, intel = sign_in(server.url, "admin", PASSWORD), sign_in(server.url, "intel", PASSWORD)
            base = server.url + "/dashboard"
            timed(admin, base + "/signals", 2)                     # warm up
            runs = {"admin, page 1": timed(admin, base + "/signals", args.loads),
                    "admin, page 25": timed(admin, base + "/signals?page=25", args.loads),
                    "analyst of one region, page 1": timed(intel, base + "/signals", args.loads),
                    "alerts page (floor)": timed(admin, base + "/alerts", args.loads),
                    "bare list query, in process (floor)": bare}
            size = len(admin.get(base + "/signals").content)
        finally:
            server.stop()
    floor = median(runs["alerts page (floor)"])
    rows = [{"metric": "stored reports / signals", "value": f"{args.reports} / {args.signals}"},
            {"metric": "seeding the store (s)", "value": round(seed_s, 1)},
            {"metric": "signals page size (kB)", "value": round(size / 1024, 1)}]
    for name, ms in runs.items():
        target = None if "floor" in name else "<= 200"
        rows.append({"metric": f"{name}: p50 / p95 ms", "value": f"{median(ms):.0f} / {percentile(ms, 95):.0f}",
                     "target": target, "met": None if target is None else percentile(ms, 95) <= 200})
    rows.append({"metric": "signals page p50 / alerts page p50", "value": round(median(runs["admin, page 1"]) / floor, 2)})
    rows.append({"metric": "signals page p50 - bare query p50 (ms: HTTP, session, layout, template)",
                 "value": round(median(runs["admin, page 1"]) - median(bare), 1)})
    report("signals_page", rows)


if __name__ == "__main__":
    main()
