"""Courier mode (issue 26): what a courier file costs in bytes against the push, and how fast
the office imports one against the push's own ingest — both measured in this one run.

    python bench/courier_bench.py [--sizes 3 30 300] [--photos 10] [--import-reports 1000] [--repeats 3]

- bytes per report: N reports filed and sealed on a real Device; the courier file of them
  (`fieldapp.courier.export`, padded to its bucket) against the same reports pushed by
  `sync_once` to the real office (uvicorn) through a loopback proxy that counts every byte
  both ways (headers, probe, receipts and the inbox pull included). Once with text reports
  at several N (the padding bucket costs most at small N), once with a photo in each report.
- import rate: the same envelopes (text reports) on fresh copies of the same enrolled office
  store, no HTTP: `office.courier.import_file` on one courier file, against
  `office.ingest.store_batch` in batches of 200 as the push stores them. Medians over the
  repeats, interleaved, with their spread.
"""
from __future__ import annotations

import argparse
import io
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import forms  # noqa: E402
from bench import harness  # noqa: E402
from bench.common import report  # noqa: E402
from jaga_desa.testing.proxy import FaultProxy  # noqa: E402
from sync.client import OfficeClient  # noqa: E402
from sync.runner import sync_once  # noqa: E402

FORM = "laporan_kecurigaan"
BATCH = 200


def photo_bytes(i: int) -> bytes:
    """A photo as a phone takes it (noise does not compress away): the app re-encodes it."""
    import os
    from PIL import Image
    img = Image.frombytes("RGB", (800, 600), os.urandom(800 * 600 * 3))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=85)
    return buf.getvalue()


def file_reports(dev, session, n: int, photos: bool = False) -> None:
    form = forms.load(FORM)
    field = next(f.name for f in form.fields if f.type == "photo")
    for i in range(n):
        answers = form.example()
        answers["tempat"] = f"Dermaga desa nomor {i}"
        rid = dev.new_draft(session, FORM, answers)
        if photos:
            att, _ = dev.add_photo(session, rid, photo_bytes(i))
            answers[field] = [att]
            dev.save_draft(session, rid, answers)
        dev.finalize(session, rid)


def bytes_per_report(office, dev, session, n: int, photos: bool) -> tuple[float, float]:
    """(courier file bytes / report, push bytes on the wire / report) for the same n reports."""
    from fieldapp import courier
    file_reports(dev, session, n, photos)
    data, count = courier.export(dev)
    assert count == n, count
    proxy = FaultProxy(office.port)
    try:
        res = sync_once(dev, OfficeClient(f"http://127.0.0.1:{proxy.port}", token=dev.sync_token), batch_size=BATCH)
        assert res.ok and res.received == n, res
        return len(data) / n, (proxy.up + proxy.down) / n
    finally:
        proxy.close()


def fresh(snapshot: Path, work: Path):
    from office import db, keys as office_keys
    shutil.copytree(snapshot, work)
    return db.make_engine(db.sqlite_url(work)), office_keys.load_or_create(work, "bench-office-key")


def import_rate(snapshot: Path, work: Path, data: bytes, n: int) -> float:
    from office import courier
    engine, keys = fresh(snapshot, work)
    t = time.perf_counter()
    done = courier.import_file(engine, keys, data, username="bench")
    rate = n / (time.perf_counter() - t)
    assert done.counts()["accepted"] == n, done.counts()
    engine.dispose()
    return rate


def ingest_rate(snapshot: Path, work: Path, envelopes: list[bytes], device_id: str) -> float:
    from office.ingest import store_batch
    engine, keys = fresh(snapshot, work)
    t = time.perf_counter()
    for k in range(0, len(envelopes), BATCH):
        out = store_batch(engine, keys, envelopes[k:k + BATCH], device_id)
        assert all(o["status"] == "accepted" for o in out), out[:2]
    rate = len(envelopes) / (time.perf_counter() - t)
    engine.dispose()
    return rate


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[3, 30, 300], help="text reports per courier file")
    ap.add_argument("--photos", type=int, default=10, help="reports with one photo each")
    ap.add_argument("--import-reports", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    sizes: dict[int, tuple[float, float]] = {}
    runs: dict[str, list[float]] = {"import": [], "ingest": []}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        office = harness.office(tmp / "office")
        try:
            dev, session = harness.enrolled_device(tmp / "office", office.url, tmp / "dev")
            office.stop()                   # a quiet copy of the enrolled office for the import runs
            snapshot = tmp / "snapshot"
            shutil.copytree(tmp / "office", snapshot)
            office = harness.office(tmp / "office")
            for n in args.sizes:
                sizes[n] = bytes_per_report(office, dev, session, n, photos=False)
            photo = bytes_per_report(office, dev, session, args.photos, photos=True) if args.photos else None
            from fieldapp import courier
            for r in range(args.repeats):
                file_reports(dev, session, args.import_reports)
                envs = [i.envelope for i in dev.pending(args.import_reports)]
                data, n = courier.export(dev)
                runs["import"].append(import_rate(snapshot, tmp / f"import-{r}", data, n))
                runs["ingest"].append(ingest_rate(snapshot, tmp / f"ingest-{r}", envs, dev.device_id))
                assert sync_once(dev, OfficeClient(office.url, token=dev.sync_token), batch_size=BATCH).ok
            dev.close()
        finally:
            office.stop()
    med = {k: statistics.median(v) for k, v in runs.items()}
    ratios = [i / g for i, g in zip(runs["import"], runs["ingest"])]
    rows = []
    for n, (c, p) in sizes.items():
        rows += [{"key": f"courier_{n}", "metric": f"courier file, {n} text reports (bytes/report)", "value": round(c)},
                 {"key": f"push_{n}", "metric": f"push on the wire, {n} text reports (bytes/report)", "value": round(p)},
                 {"key": f"ratio_{n}", "metric": f"bytes ratio courier / push, {n} reports", "value": round(c / p, 2),
                  **({"target": "<= 2", "met": c / p <= 2} if n == max(sizes) else {})}]
    if photo:
        c, p = photo
        rows += [{"key": "courier_photo", "metric": f"courier file, {args.photos} reports with a photo (bytes/report)",
                  "value": round(c)},
                 {"key": "push_photo", "metric": f"push on the wire, {args.photos} reports with a photo (bytes/report)",
                  "value": round(p)},
                 {"key": "ratio_photo", "metric": "bytes ratio courier / push, with photos", "value": round(c / p, 2)}]
    rows += [
        {"key": "import", "metric": f"office courier import, {args.import_reports} reports (reports/s, median)",
         "value": round(med["import"]), "spread": f"{min(runs['import']):.0f}–{max(runs['import']):.0f}"},
        {"key": "ingest", "metric": "push's ingest (store_batch, batches of 200), same envelopes (reports/s)",
         "value": round(med["ingest"]), "spread": f"{min(runs['ingest']):.0f}–{max(runs['ingest']):.0f}"},
        {"key": "import_ratio", "metric": "ratio courier import / push ingest", "value": round(statistics.median(ratios), 2),
         "spread": f"{min(ratios):.2f}–{max(ratios):.2f}", "target": ">= 0.8",
         "met": statistics.median(ratios) >= 0.8},
    ]
    report("courier", rows)


if __name__ == "__main__":
    main()
