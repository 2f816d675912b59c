"""Red team, round 5: the push handing what it opened to the derive worker (office/opening.py
remember, office/writer_gate.py) and the search index keeping each report's tokens (derive3).

Each attack is written as an enrolled phone would run it: reports sealed with the phone's
own signing key and pushed through the office's real ingest into a real SQLite store.
"""
from __future__ import annotations

import hashlib
import json

import pytest
from sqlalchemy import select

import forms
from office import db, keys as office_keys, opening
from office.dashboard import search_index
from office.derive import worker
from office.ingest import ingest_batch
from office.schema import envelopes, persons
from sync import envelope as env
from tests.conftest import TEST_OFFICE_KEY
from tests.office.test_derive import _volunteers, found, push


@pytest.fixture
def store(tmp_path, monkeypatch):
    """An office store with a derive worker in this process (the push keeps what it opened)."""
    opening.keep_for_derive(False)            # forgets what another test's push kept
    opening.keep_for_derive(True)
    keys = office_keys.load_or_create(tmp_path, TEST_OFFICE_KEY)
    engine = db.open_store(tmp_path)
    yield engine, keys
    opening.keep_for_derive(False)
    engine.dispose()


def _seal(keys, who, answers: dict, **extra) -> env.Sealed:
    form = forms.load("laporan_kecurigaan")
    return env.seal({"answers": answers, **extra}, form_id=form.id, form_version=form.version,
                    author_id=who.person_id, device_id=who.device_id, signing_key=who.signing,
                    recipients=[keys.x25519.public_key()])


def _push(engine, keys, who, sealed: list) -> list[dict]:
    with engine.begin() as conn:
        return ingest_batch(conn, [s.envelope for s in sealed], device_id=who.device_id, keys=keys)


def _kept_bytes() -> int:
    return sum(len(json.dumps(p)) for p in opening._recent.values())


# ---------------------------------------------------------------- 1. what the push remembers


def test_a_flood_of_big_reports_keeps_the_pushs_memory_bounded_in_bytes(store):
    """An enrolled phone pads each report's payload outside `answers` (only the answers are
    capped at the door) with a megabyte that compresses to a ~2 KB envelope (so neither the
    envelope cap nor the phone's byte quota sees it), while the derive worker is behind or
    runs in another process: what the push keeps for the worker must stay bounded in bytes,
    not only in count (4096 such payloads were 4 GB of this process's memory)."""
    engine, keys = store
    who = _volunteers(engine)[0]
    form = forms.load("laporan_kecurigaan")
    pad = "x" * (1000 * 1000)
    sealed = [_seal(keys, who, form.example(), pad=pad) for _ in range(12)]
    assert max(len(s.envelope) for s in sealed) < 16 * 1024      # small on the wire
    out = _push(engine, keys, who, sealed)
    assert {o["status"] for o in out} == {"accepted"}            # the door takes them
    assert _kept_bytes() <= 4 * 1024 * 1024 < 12 * len(pad)
    # honest reports are still kept: a flood of them stays within the bound too
    assert {o["status"] for o in _push(engine, keys, who, [_seal(keys, who, form.example()) for _ in range(40)])
            } == {"accepted"}
    assert 40 <= len(opening._recent) and _kept_bytes() <= 4 * 1024 * 1024
    worker.exhaust(engine, keys)               # what was not kept is opened from the stored bytes
    with db.reading(engine) as conn:
        assert search_index.indexed(conn) == set(conn.execute(select(envelopes.c.id)).scalars())


def test_what_the_worker_takes_is_what_the_stored_bytes_open_to(store):
    """Nothing the push does after opening (admission, the filter row, receipts) may change
    the payload it hands the worker: each kept payload equals opening the stored row."""
    engine, keys = store
    push(engine, keys, 8, batch=8)
    with db.reading(engine) as conn:
        rows = conn.execute(select(envelopes.c.data, envelopes.c.sha256, persons.c.ed25519_public)
                            .join(persons, persons.c.id == envelopes.c.author_id)).all()
    assert len(rows) == 8
    for data, sha, author in rows:
        kept = opening._recent[(keys.key_id, sha, bytes(author))]
        assert kept == opening.payload_of(opening.open_stored(keys, data, author))


def test_a_refused_or_conflicting_envelope_is_not_kept_nor_derived(store):
    """Reports the door refuses after opening them (answers invalid), the same bytes pushed
    again from another enrolled phone (id_conflict), and a batch whose transaction rolls back
    after the push opened it: nothing of them is derived, and what the worker later takes for
    the stored copy is still exactly what its bytes open to."""
    engine, keys = store
    alice, bob = _volunteers(engine)[:2]
    form = forms.load("laporan_kecurigaan")
    bad = form.example()
    bad["apa_dilihat"] = "x" * 5000                              # over the door's text cap
    refused = _seal(keys, alice, bad)
    assert _push(engine, keys, alice, [refused])[0]["status"] == "rejected"
    assert not opening._recent
    # a batch opened and then rolled back (the push's transaction failed after opening it)
    answers = form.example()
    answers["apa_dilihat"] = "laporan yang tidak pernah tersimpan"
    lost = _seal(keys, alice, answers)
    with pytest.raises(RuntimeError):
        with engine.begin() as conn:
            ingest_batch(conn, [lost.envelope], device_id=alice.device_id, keys=keys)
            raise RuntimeError("the push's commit fails")
    worker.exhaust(engine, keys)
    assert found(engine, keys, "tersimpan") == set()             # never stored: never derived
    # the same bytes, pushed again by the phone (its retry) and then replayed by bob
    assert _push(engine, keys, alice, [lost])[0]["status"] == "accepted"
    assert _push(engine, keys, bob, [lost])[0]["code"] == "id_conflict"
    worker.exhaust(engine, keys)
    assert found(engine, keys, "tersimpan") == {lost.envelope_id}
    with db.reading(engine) as conn:
        assert conn.execute(select(envelopes.c.device_id).where(envelopes.c.id == lost.envelope_id)
                            ).scalar_one() == alice.device_id
