"""An office store with many stored reports and many early-warning signals, for the signals
page's bench and its screenshots: real rows of the real schema (archive envelopes, signals
with their reports, matched values sealed under the office's keys, ranked by rank.score),
written straight into the store because no test can push 100,000 reports through phones.
"""
from __future__ import annotations

import json
import random
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import insert

from jaga_desa.testing import archive
from office import clock, db, keys as office_keys
from office.dashboard.schema import dash_reports
from office.schema import envelopes, villages
from office.warning import rank
from office.warning.linkkeys import seal_values
from office.warning.schema import warn_signal_reports, warn_signals

REGIONS = ["Nunukan", "Sebatik", "Entikong", "Sanggau", "Kapuas Hulu", "Sambas"]
FORMS = ["laporan_kecurigaan", "keberangkatan_pmi", "laporan_darurat"]
NAMES = ["Saparudin", "Pak Udin", "Hamzah Sinaga", "Siti Rahmawati", "Abdul Halim bin Yusuf", "Kamaruddin"]


def seed(data_dir: Path, passphrase: str, n_reports: int, n_signals: int, n_villages: int = 30,
         end: datetime = datetime(2026, 11, 20, 12, tzinfo=timezone.utc), seed_: int = 7) -> dict:
    """Fill `data_dir`'s office store (created and migrated here); returns counts."""
    rng = random.Random(seed_)
    keys = office_keys.load_or_create(data_dir, passphrase)
    engine = db.open_store(data_dir)
    try:
        with engine.begin() as conn:
            conn.execute(insert(villages), [{"id": i, "name": f"Desa {i}", "region": REGIONS[i % len(REGIONS)]}
                                            for i in range(1, n_villages + 1)])
            archive.ensure_author(conn, 1)
        envs: list[tuple[str, int, str]] = []
        for start in range(0, n_reports, 5000):
            rows, dash = [], []
            for _ in range(start, min(n_reports, start + 5000)):
                eid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
                at = clock.iso(end - timedelta(seconds=rng.randint(0, 180 * 86400)))
                v, form = rng.randint(1, n_villages), rng.choice(FORMS)
                rows.append(archive.envelope_row(eid, v, form, at, rahasia=rng.random() < 0.05))
                dash.append(archive.dash_row(eid, v, form, at))
                envs.append((eid, v, at))
            with engine.begin() as conn:
                conn.execute(insert(envelopes), rows)
                conn.execute(insert(dash_reports), dash)
        with engine.begin() as conn:
            for i in range(n_signals):
                _signal(conn, keys, rng, envs, i)
    finally:
        engine.dispose()
    return {"reports": n_reports, "signals": n_signals}


def _signal(conn, keys, rng: random.Random, envs, i: int) -> None:
    rule = rng.choices(["same_identifier", "same_place", "weekly_spike", "planned_minors"], [70, 20, 5, 5])[0]
    members = rng.sample(envs, 1 if rule == "planned_minors" else rng.randint(2, 9))
    vills = sorted({v for _, v, _ in members})
    newest = max(at for _, _, at in members)
    key = f"bench:{rule}:{i}"
    values = []
    if rule == "same_identifier":
        kinds = {"phone": 1} if rng.random() < 0.6 else {"phone": 1, "name": 1}
        if rng.random() < 0.2:
            kinds = {"boat": 1, "handle": 1}
        detail = {"kind": next(iter(kinds)), "kinds": kinds, "villages": len(vills), "village_ids": vills,
                  "reports": len(members), "days": 90, "spelling": rng.random() < 0.3}
        pool = {"phone": f"+62812{rng.randrange(10**7):07d}", "name": rng.choice(NAMES).lower(),
                "boat": "sinar jaya 2", "handle": "lokersabahresmi"}
        values = [[k, pool[k]] for k in kinds]
    elif rule == "same_place":
        detail = {"kind": "place", "reports": len(members), "days": 7, "min": 3, "village_ids": vills}
    elif rule == "weekly_spike":
        detail = {"reports": len(members), "form": "laporan_kecurigaan", "week": "2026-W46", "region": REGIONS[0],
                  "mean": 1.2, "c2": round(rng.uniform(3.1, 9), 1), "threshold": 3.0, "counts": [1] * 9 + [len(members)]}
    else:
        detail = {"hours": 48, "minors": rng.randint(1, 4), "village_ids": vills}
    sid = conn.execute(insert(warn_signals).values(
        rule=rule, key=key, created_at=newest, updated_at=newest, status=rng.choice(["new"] * 6 + ["confirmed", "dismissed"]),
        reason="nomor kantor desa" if rng.random() < 0.1 else None, region=None, delivered=True,
        detail=json.dumps(detail, sort_keys=True), score=rank.score(rule, detail, newest),
        sealed=seal_values(keys, key, values) if values else None)).inserted_primary_key[0]
    conn.execute(insert(warn_signal_reports), [{"signal_id": sid, "envelope_id": e, "village_id": v} for e, v, _ in members])
