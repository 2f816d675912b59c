"""An office upgraded to batch receipts still settles reports it accepted before: a
receipt stored in the old form (one signature over the body, no Merkle proof) is re-signed
as a batch of one with the same body when a phone replays the envelope or asks for it,
so the phone's verification passes and received_at is the original."""
from __future__ import annotations

import base64
import hashlib
import json

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from sqlalchemy import select, update

import forms
from sync import envelope as env, receipt as rc
from office import db, enrollment, keys as office_keys
from office.ingest import ingest_batch, receipt_for
from office.schema import envelopes


def _legacy(wire: dict, key: Ed25519PrivateKey) -> str:
    """The pre-batch wire form: the body and one signature over its canonical JSON."""
    body = {k: wire[k] for k in ("ctx", "envelope_id", "envelope_sha256", "received_at", "attachments",
                                 "complete")}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    return json.dumps({**body, "signature": base64.b64encode(key.sign(canonical)).decode()}, sort_keys=True)


def test_receipt_stored_before_batch_receipts_is_reissued_as_a_proof(tmp_path):
    keys = office_keys.load_or_create(tmp_path, "legacy-test")
    engine = db.open_store(tmp_path)
    x, ed = X25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    with engine.begin() as conn:
        enrollment.add_village(conn, "Entikong", "Sanggau")
        code = enrollment.create_code(conn, village="Entikong", role="volunteer", name="Sari")["code"]
        who = enrollment.enroll(conn, code=code, name="Sari",
                                x25519_public=base64.b64encode(env.raw_public(x.public_key())).decode(),
                                ed25519_public=base64.b64encode(env.raw_public(ed.public_key())).decode())
    form = forms.load("laporan_kecurigaan")
    sealed = [env.seal({"answers": form.example()}, form_id=form.id, form_version=form.version,
                       author_id=who["person_id"], device_id=who["device_id"], signing_key=ed,
                       recipients=[keys.x25519.public_key()]) for i in range(3)]
    with engine.begin() as conn:
        first = ingest_batch(conn, [s.envelope for s in sealed], device_id=who["device_id"], keys=keys)
    assert [r["status"] for r in first] == ["accepted"] * 3, first
    old = sealed[1]
    with engine.begin() as conn:      # as an office before the upgrade would have stored it
        conn.execute(update(envelopes).where(envelopes.c.id == old.envelope_id)
                     .values(receipt=_legacy(first[1]["receipt"], keys.ed25519)))
        assert "leaf_index" not in json.loads(conn.execute(
            select(envelopes.c.receipt).where(envelopes.c.id == old.envelope_id)).scalar_one())
    office_pub = keys.ed25519.public_key()
    with engine.begin() as conn:
        again = ingest_batch(conn, [old.envelope], device_id=who["device_id"], keys=keys)[0]
        fetched = receipt_for(conn, old.envelope_id, who["device_id"], keys)
    assert again["status"] == "duplicate"
    for wire in (again["receipt"], fetched):
        got = rc.verify(wire, office_pub, old.envelope)
        assert got.received_at == first[1]["receipt"]["received_at"] and got.complete
        assert got.envelope_sha256 == hashlib.sha256(old.envelope).hexdigest()
    # a receipt already in the new form is returned exactly as stored
    with engine.begin() as conn:
        assert receipt_for(conn, sealed[0].envelope_id, who["device_id"], keys) == first[0]["receipt"]
