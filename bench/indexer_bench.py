"""The indexer's cost per report, now that it runs once, at ingest (issue 12).

    python -m bench.indexer_bench [--reports N]

In-process, on a fresh SQLite office store (real keys, real envelopes, real enrollment):
- ingest: `ingest_batch` per report (open + check against the form + store + project),
  batches of 100 as the API commits them;
- projection: `indexer.project` alone per report (derive columns, hash words, insert), the
  part the dashboard used to pay inside GETs; and the same reports through
  `indexer.project_batch` 100 at a time (one insert per table), as ingest calls it;
- legacy: `indexer.index_one` per report (what a dashboard GET did per report before:
  a SECOND decryption plus the same projection) — the baseline, measured in this run;
- worst case: the largest report the door lets through (every text field at its
  form's max length, all distinct words): indexed words stay at MAX_WORDS.
Prints one JSON object per line; figures are per report.
"""
from __future__ import annotations

import argparse
import base64
import json
import random
import string
import tempfile
import time
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from sqlalchemy import delete, select

import forms
from sync import envelope as env
from office import db, enrollment, keys as office_keys
from office.dashboard import indexer, search_index
from office.dashboard.schema import dash_reports
from office.ingest import ingest_batch
from office.schema import envelopes


def word(rng: random.Random) -> str:
    return "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(3, 9)))


def answers(rng: random.Random, worst: bool = False) -> dict:
    form = forms.load("laporan_kecurigaan", 1)     # the version sealed below (v2 has more questions)
    a = form.example()
    for f in form.fields:
        if f.type == "text" and f.name in a:
            cap = f.constraint.get("max_length", 200)
            text = ""
            while True:
                nxt = (text + " " + word(rng)).strip()
                if len(nxt) > (cap if worst else min(cap, 180)):
                    break
                text = nxt
            a[f.name] = text
    return a


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--reports", type=int, default=600)
    args = p.parse_args(argv)
    rng = random.Random(12)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        keys = office_keys.load_or_create(data, "bench-office-key")
        engine = db.open_store(data)
        x, ed = X25519PrivateKey.generate(), Ed25519PrivateKey.generate()
        with engine.begin() as conn:
            enrollment.add_village(conn, "Entikong", "Sanggau")
            code = enrollment.create_code(conn, village="Entikong", role="volunteer", name="Bench")["code"]
            me = enrollment.enroll(conn, code=code, name="Bench",
                                   x25519_public=base64.b64encode(env.raw_public(x.public_key())).decode(),
                                   ed25519_public=base64.b64encode(env.raw_public(ed.public_key())).decode())

        def seal(a: dict) -> bytes:
            return env.seal({"answers": a, "flags": {}, "rahasia": False, "lang": "id"},
                            form_id="laporan_kecurigaan", form_version=1, author_id=me["person_id"],
                            device_id=me["device_id"], signing_key=ed, recipients=[keys.x25519.public_key()]).envelope

        n = args.reports
        plain = [answers(rng) for _ in range(n)]
        items = [seal(a) for a in plain]
        form = forms.load("laporan_kecurigaan", 1)
        terms = sum(len(indexer.search_words(form, a)) for a in plain) / n      # what the search consumer keys
        t = time.perf_counter()
        for k in range(0, n, 100):
            with engine.begin() as conn:
                out = ingest_batch(conn, items[k:k + 100], device_id=me["device_id"], keys=keys)
                assert all(o["status"] == "accepted" for o in out), out[:2]
        ingest_ms = (time.perf_counter() - t) * 1000 / n
        with engine.begin() as conn:
            rows = conn.execute(select(envelopes)).all()
            search_index.clear(conn)
            conn.execute(delete(dash_reports))
        # legacy path: what a dashboard GET paid per report (second opening + projection)
        t = time.perf_counter()
        with engine.begin() as conn:
            for row in rows:
                indexer.index_one(conn, keys, row)
        legacy_ms = (time.perf_counter() - t) * 1000 / n
        # projection alone, from payloads already opened (as ingest hands them over)
        opened = []
        with engine.begin() as conn:
            for row in rows:
                opened.append((dict(row._mapping), indexer.open_report(conn, keys, row).payload))
            search_index.clear(conn)
            conn.execute(delete(dash_reports))
        t = time.perf_counter()
        with engine.begin() as conn:
            for row, payload in opened:
                indexer.project(conn, keys, row, payload, form)
        project_ms = (time.perf_counter() - t) * 1000 / n
        # the same projection as ingest calls it: one project_batch (one insert per table) per 100
        with engine.begin() as conn:
            search_index.clear(conn)
            conn.execute(delete(dash_reports))
        t = time.perf_counter()
        with engine.begin() as conn:
            for k in range(0, n, 100):
                indexer.project_batch(conn, keys, [(row, payload, form) for row, payload in opened[k:k + 100]])
        batch_ms = (time.perf_counter() - t) * 1000 / n
        # the worst report the door accepts
        worst_answers = answers(rng, worst=True)
        with engine.begin() as conn:
            res = ingest_batch(conn, [seal(worst_answers)], device_id=me["device_id"], keys=keys)[0]
            assert res["status"] == "accepted", res
        worst_terms = len(indexer.search_words(form, worst_answers))
        engine.dispose()
    print(json.dumps({"metric": "ingest per report (open + form check + store + index)", "ms": round(ingest_ms, 3)}))
    print(json.dumps({"metric": "index projection per report (at ingest, payload already open)",
                      "ms": round(project_ms, 3), "share_of_ingest": f"{project_ms / ingest_ms:.0%}"}))
    print(json.dumps({"metric": "index projection per report, batches of 100 (project_batch, as ingest calls it)",
                      "ms": round(batch_ms, 3), "ratio_vs_one_by_one": f"{batch_ms / project_ms:.2f}x"}))
    print(json.dumps({"metric": "baseline: old per-report index in a GET (second open + projection)",
                      "ms": round(legacy_ms, 3), "ratio_new_vs_old": f"{project_ms / legacy_ms:.2f}x"}))
    print(json.dumps({"metric": "indexed words per report", "mean": round(terms, 1),
                      "largest accepted report": worst_terms, "cap": indexer.MAX_WORDS,
                      "status": res["status"]}))


if __name__ == "__main__":
    main()
