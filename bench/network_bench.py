"""Bad network: a loopback shaping proxy (≈50 kbit/s, 500 ms RTT, random dropped connections:
cuts at exponentially distributed byte counts, on average every --drop-every bytes).

    python bench/network_bench.py [--trials 15] [--photo-mb 2] [--photo-kbit 256]

1. Median time from "phone has signal" to a *verified* receipt for one text report
   (`sync_once`: probe, push, receipt check, purge), over --trials reports.
2. A sealed 2 MB photo attachment uploaded in resumable chunks while connections drop:
   total bytes sent upstream / photo size. The photo leg runs at --photo-kbit (default
   256 kbit/s, a weak 3G link) so the bench finishes in minutes; at 50 kbit/s a 2 MB
   upload alone takes > 5 minutes with the same ratio (drops cost the same bytes).
Baseline in the same run: the same single report on a clean loopback link.
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
from bench import harness  # noqa: E402
from bench.common import median, report  # noqa: E402
from jaga_desa.testing.proxy import FaultProxy  # noqa: E402
from sync import envelope  # noqa: E402
from sync.client import OfficeClient  # noqa: E402
from sync.runner import sync_once  # noqa: E402


def time_to_receipt(dev, session, url: str) -> float:
    dev.file(session, "laporan_kecurigaan", forms.load("laporan_kecurigaan").example())
    t = time.perf_counter()
    res = sync_once(dev, OfficeClient(url, token=dev.sync_token))
    while res.received == 0:                      # a drop stopped this round: the loop retries
        res = sync_once(dev, OfficeClient(url, token=dev.sync_token))
    return time.perf_counter() - t


def photo_report(dev, session, size: int) -> None:
    """A sealed report carrying `size` bytes of photo (random: incompressible, like JPEG)."""
    answers = forms.load("laporan_kecurigaan").example()
    rid = dev.new_draft(session, "laporan_kecurigaan", answers)
    att = os.urandom(16).hex()
    with dev.db.conn:                                    # bypass re-encoding: we want exactly `size`
        dev.db.conn.execute("INSERT INTO attachments(id,report_id,owner,data,size) VALUES(?,?,?,?,?)",
                            (att, rid, session.user_id, session.cipher.encrypt("attachments", att, "data",
                                                                                 os.urandom(size)), size))
    dev.save_draft(session, rid, {**answers, "foto": [att]})
    dev.finalize(session, rid)          # recipients from the user's verified trust bundle


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=15)
    ap.add_argument("--kbit", type=float, default=50)
    ap.add_argument("--rtt", type=float, default=0.5)
    ap.add_argument("--drop-every", type=float, default=20000, help="mean bytes between cuts (text leg)")
    ap.add_argument("--photo-drop-every", type=float, default=400000, help="mean bytes between cuts (photo leg)")
    ap.add_argument("--photo-mb", type=float, default=2)
    ap.add_argument("--photo-kbit", type=float, default=256)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        office = harness.office(tmp / "office")
        try:
            dev, session = harness.enrolled_device(tmp / "office", office.url, tmp / "dev")
            clean = median([time_to_receipt(dev, session, office.url) for _ in range(3)])
            bad = FaultProxy(office.port, kbit=args.kbit, delay=args.rtt / 2, cut_after=args.drop_every,
                             cut_where="both_sides", seed=7)
            times = [time_to_receipt(dev, session, f"http://127.0.0.1:{bad.port}") for _ in range(args.trials)]
            cuts, conns = bad.cuts, bad.connections
            bad.close()
            size = int(args.photo_mb * 1024 * 1024)
            photo_report(dev, session, size)
            sealed = sum(len(b) for i in dev.pending() for b in i.blobs.values())
            slow = FaultProxy(office.port, kbit=args.photo_kbit, delay=args.rtt / 2,
                              cut_after=args.photo_drop_every, cut_where="both_sides", seed=7)
            t = time.perf_counter()
            res = sync_once(dev, OfficeClient(f"http://127.0.0.1:{slow.port}", token=dev.sync_token))
            while dev.pending_count():
                res = sync_once(dev, OfficeClient(f"http://127.0.0.1:{slow.port}", token=dev.sync_token))
            photo_s = time.perf_counter() - t
            ratio = slow.up / sealed
            pcuts = slow.cuts
            slow.close()
            dev.close()
        finally:
            office.stop()
    med = median(times)
    report("network", [
        {"metric": f"text report → verified receipt, median of {args.trials} (s)", "value": round(med, 2),
         "target": "<= 3", "met": med <= 3},
        {"metric": "  worst of those (s)", "value": round(max(times), 2)},
        {"metric": f"  link: {args.kbit:g} kbit/s, RTT {args.rtt * 1000:g} ms, cut {cuts}/{conns} conns",
         "value": ""},
        {"metric": "baseline: same on clean loopback (s)", "value": round(clean, 3)},
        {"metric": f"{args.photo_mb:g} MB photo: bytes sent / sealed size", "value": round(ratio, 3),
         "target": "<= 1.15", "met": ratio <= 1.15},
        {"metric": f"  photo upload at {args.photo_kbit:g} kbit/s, {pcuts} cuts (s)", "value": round(photo_s, 1)},
    ])


if __name__ == "__main__":
    main()
