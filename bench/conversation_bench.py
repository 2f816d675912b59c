"""A report's conversation (office/conversation.thread) for an author with many
feedback items, on a real migrated SQLite office store.

    python bench/conversation_bench.py [--items 1000] [--per-report 2] [--runs 20]

One volunteer with `--items` feedback items, `--per-report` on each of her reports, all
really sealed by feedback.send_feedback. Baseline in the same run, same data: the same
thread() with the report id taken out of its query — the author-wide read it did before
(every feedback item of the author fetched and its JSON parsed in Python, the report's own
kept) — so the ratio is what filtering on the report id in the query saves.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import median, report  # noqa: E402

PASS = "bench"


def populate(data: Path, items: int, per_report: int):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
    from sqlalchemy import insert

    from sync import envelope as env
    from office import clock, db, feedback, keys as office_keys
    from office.schema import devices, envelopes, persons, villages

    keys = office_keys.load_or_create(data, PASS)
    engine = db.open_store(data)
    ed, x = Ed25519PrivateKey.generate(), X25519PrivateKey.generate()
    pid, dev = str(uuid.uuid4()), str(uuid.uuid4())
    reports = []
    with engine.begin() as conn:
        conn.execute(insert(villages).values(name="Sungai Pancang"))
        conn.execute(insert(devices).values(id=dev, token_hash=uuid.uuid4().hex * 2, created_at=clock.iso(clock.now())))
        conn.execute(insert(persons).values(
            id=pid, name="Siti", village_id=1, role="volunteer", device_id=dev,
            x25519_public=env.raw_public(x.public_key()), ed25519_public=env.raw_public(ed.public_key()),
            key_id=uuid.uuid4().hex, created_at=clock.iso(clock.now())))
        for _ in range(max(1, items // per_report)):
            sealed = env.seal({"answers": {}, "flags": {}, "rahasia": False, "lang": "id"},
                              form_id="laporan_kecurigaan", form_version=1, author_id=pid, device_id=dev,
                              signing_key=ed, recipients=[keys.x25519.public_key()])
            conn.execute(insert(envelopes).values(
                id=sealed.envelope_id, author_id=pid, device_id=dev, village_id=1, form_id="laporan_kecurigaan",
                form_version=1, urgent=False, has_photo=False, rahasia=False, created_ms=0,
                received_at=clock.iso(clock.now()), skew_ms=0, sha256="0" * 64, size=len(sealed.envelope),
                data=sealed.envelope, complete=True, receipt="{}", triage="new"))
            reports.append(sealed.envelope_id)
        for i in range(items):          # round robin: a report's items are spread over her history
            feedback.send_feedback(conn, reports[i % len(reports)], f"Pesan {i}: terima kasih, kami tindak lanjuti",
                                   keys=keys, kind="info")
    return engine, keys, pid, reports


def author_wide(conn, keys, report_id: str) -> list[dict]:
    """The baseline: the same thread() with the report filter taken out of its query, as it
    was before — every feedback item of the author fetched, parsed and sorted out in Python."""
    from sqlalchemy import literal

    from office import conversation
    keyed = conversation._mentions
    conversation._mentions = lambda body, rid: literal(True)         # always true: no report filter
    try:
        return conversation.thread(conn, keys, report_id)
    finally:
        conversation._mentions = keyed


def interleaved(fns: list, runs: int) -> list[tuple[list[float], object]]:
    """Each function once per round, side by side, so the shared machine's noise hits all alike."""
    results = [fn() for fn in fns]          # one unmeasured call each: statement caches warm
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(runs):
        for i, fn in enumerate(fns):
            t = time.perf_counter()
            fn()
            times[i].append(time.perf_counter() - t)
    return list(zip(times, results))


def spread(ts: list[float]) -> str:
    return f"{min(ts) * 1000:.2f}–{max(ts) * 1000:.2f}"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, default=1000)
    ap.add_argument("--per-report", type=int, default=2)
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args()
    from office import conversation
    with tempfile.TemporaryDirectory() as tmp:
        engine, keys, author, reports = populate(Path(tmp) / "office", args.items, args.per_report)
        rid = reports[len(reports) // 2]
        try:
            with engine.connect() as conn:
                (bt, before), (at, after) = interleaved(
                    [lambda: author_wide(conn, keys, rid), lambda: conversation.thread(conn, keys, rid)], args.runs)
        finally:
            engine.dispose()
    if after != before:
        raise SystemExit("thread() and the baseline disagree on the conversation")
    before_s, after_s = median(bt), median(at)
    report("conversation", [
        {"metric": f"author-wide read, {args.items} items (ms, median)", "value": round(before_s * 1000, 2),
         "spread": spread(bt)},
        {"metric": "thread() keyed by report (ms, median)", "value": round(after_s * 1000, 2),
         "spread": spread(at)},
        {"metric": "ratio author-wide / keyed", "value": round(before_s / after_s, 1),
         "target": ">= 1 (never slower than reading all of the author's items)", "met": before_s / after_s >= 1},
        {"metric": "messages in the thread", "value": len(after)},
    ])
    return 0


if __name__ == "__main__":
    sys.exit(main())
