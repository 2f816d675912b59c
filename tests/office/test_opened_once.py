"""A report the push opened is not opened again by the derive worker of the same process
(office/opening.py remember/stored_payload) — and what the worker gets is exactly what
opening the stored bytes would give: other bytes or another author key open as before."""
from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from office import db, keys as office_keys, opening
from office.derive import worker
from office.schema import envelopes, persons
from sync import envelope as env
from tests.conftest import TEST_OFFICE_KEY
from tests.office.test_derive import push, snapshot


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setattr(opening, "_recent", type(opening._recent)())
    opening.keep_for_derive(True)           # as Worker.start does in the office process
    keys = office_keys.load_or_create(tmp_path, TEST_OFFICE_KEY)
    engine = db.open_store(tmp_path)
    yield engine, keys
    opening.keep_for_derive(False)
    engine.dispose()


def test_the_worker_derives_what_the_push_opened_without_opening_it_again(store, monkeypatch):
    engine, keys = store
    push(engine, keys, 6, batch=6)
    opened = []
    real = opening.open_stored
    monkeypatch.setattr(opening, "open_stored", lambda *a: opened.append(1) or real(*a))
    worker.exhaust(engine, keys)
    assert opened == []
    assert len(opening._recent) == 0                # taken once, then forgotten
    derived = snapshot(engine)
    assert derived["terms"] and derived["links"]     # the consumers had the payloads


def test_without_a_worker_in_this_process_the_push_keeps_nothing(store):
    engine, keys = store
    opening.keep_for_derive(False)
    push(engine, keys, 2, batch=2)
    assert len(opening._recent) == 0


def test_other_bytes_or_another_author_key_are_opened_as_before(store):
    engine, keys = store
    push(engine, keys, 2, batch=2)
    with db.reading(engine) as conn:
        rows = conn.execute(select(envelopes.c.data, persons.c.ed25519_public)
                            .join(persons, persons.c.id == envelopes.c.author_id)).all()
    (data, author), (other_data, other_author) = rows
    stranger = env.raw_public(Ed25519PrivateKey.generate().public_key())
    assert opening.stored_payload(keys, data, stranger) is None          # not verified by that key
    forged = {"answers": {"not": "what the bytes say"}}
    opening.remember(keys, hashlib.sha256(other_data).hexdigest(), stranger, forged)
    assert opening.stored_payload(keys, other_data, other_author) != forged
    assert opening.stored_payload(keys, data, author) == opening.payload_of(opening.open_stored(keys, data, author))
