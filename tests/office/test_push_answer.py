"""The push's answer (office/routes/envelopes.py) is written straight from ingest's results
instead of being built as the documented `BatchResult` model and dumped again by FastAPI: it
must be that model's dump field for field — every kind of result, no field more, none less."""
from __future__ import annotations

import json

import forms
from office import db, ingest, keys as office_keys
from office.models import BatchResult
from office.routes.envelopes import answer
from sync import envelope as env
from sync import receipt as rc
from sync import statement
from tests.conftest import TEST_OFFICE_KEY
from tests.office.test_derive import _volunteers


def test_the_push_answer_is_the_documented_batch_result_for_every_kind_of_result(tmp_path):
    keys = office_keys.load_or_create(tmp_path, TEST_OFFICE_KEY)
    engine = db.open_store(tmp_path)
    try:
        siti, budi = _volunteers(engine)
        form = forms.load("laporan_kecurigaan")

        def seal(who, answers: dict | None = None) -> bytes:
            return env.seal({"answers": form.example() if answers is None else answers}, form_id=form.id,
                            form_version=form.version, author_id=who.person_id, device_id=who.device_id, signing_key=who.signing,
                            recipients=[keys.x25519.public_key()]).envelope
        stored = seal(siti)
        ingest.store_batch(engine, keys, [stored], siti.device_id)
        fresh = [seal(siti) for _ in range(3)]
        # new (a tree of 3), the same again in this batch, one stored before, answers the form
        # refuses (a signed refusal), another's report from this phone (refused, not signed)
        results = ingest.store_batch(engine, keys, fresh + [fresh[0], stored, seal(siti, {}), seal(budi)],
                                     siti.device_id, nonce=statement.new_nonce(), quota=10**9)
        results += ingest.store_batch(engine, keys, [seal(siti)], siti.device_id, quota=1)     # deferred
        results.append({"envelope_id": None, "status": "rejected", "code": "bad_base64",
                        "reason": "item is not base64"})
        assert [r["status"] for r in results] == ["accepted"] * 3 + ["duplicate", "duplicate", "rejected",
                                                                     "rejected", "deferred", "rejected"]
        assert results[5].get("refusal") and results[7].get("retry_after")
        compact, shared = rc.compact_batch(results)
        assert shared is not None
        got = json.loads(json.dumps(answer(compact, shared)))
        documented = BatchResult(results=compact, batch=shared).model_dump(mode="json", exclude_unset=True)
        assert got == documented
        nothing_new = results[7:]                   # no receipt signed in this push: no shared root
        assert rc.compact_batch(nothing_new) == (nothing_new, None)
        assert json.loads(json.dumps(answer(nothing_new, None))) == \
            BatchResult(results=nothing_new, batch=None).model_dump(mode="json", exclude_unset=True)
    finally:
        engine.dispose()
