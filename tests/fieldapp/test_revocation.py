"""What a revoked person or phone may still do, and what the home screen says happens to
their waiting reports — checked against a real office (uvicorn subprocess) and a real
phone store (two people on one phone, enrolled through the CLI):

- a revoked person cannot start, seal or file a report, nor review or reply (RevokedHere;
  the draft is kept); her report already waiting is refused by the office at the next
  round and marked refused, never re-sent; the other person on the phone keeps reporting;
- a revoked phone's waiting report stays waiting on the phone (every round is refused);
- written as the attacker who holds the file: putting back the bundle from before the
  revocation and deleting the signed notice, or deleting the phone's revoked flag, does
  not take the revocation back; a record forged for another person is not believed.
"""
from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import forms
from fieldapp.device import RevokedHere
from sync import statement
from sync.runner import sync_round
from tests.sync.test_sync_device import HEAD_PIN, PIN, client_for, file_reports, make_phone


@pytest.fixture
def phone(office_server, tmp_path, monkeypatch):
    monkeypatch.setenv("JAGA_KDF_SECONDS", "0.02")
    dev, data, people = make_phone(office_server, tmp_path / "phone")
    yield dev, people
    dev.close()


def _state(dev, report_id: str) -> dict:
    return next(r for r in dev.outbox() if r["id"] == report_id)


def _bundle_columns(dev, name: str) -> tuple:
    return dev.db.conn.execute("SELECT trust, office_attest FROM users WHERE label=?", (name,)).fetchone()


def test_revoked_person_starts_nothing_and_her_waiting_report_is_refused(phone, office_server):
    dev, people = phone
    [waiting] = file_reports(dev, 1)                         # sealed before the revocation, not yet sent
    s = dev.unlock("Sari", PIN)
    form = forms.load("laporan_kecurigaan")
    draft = dev.new_draft(s, form.id, form.example())
    office_server.admin(["revoke", "--person", people["Sari"]])

    rnd = sync_round(dev, client_for(dev))
    assert rnd.ok and rnd.failed == {_state(dev, waiting)["envelope_id"]: "revoked"}, rnd
    assert _state(dev, waiting)["state"] == "refused"            # what the revoked home says
    assert _state(dev, waiting)["last_error"].startswith("revoked")
    assert dev.pending() == []                                  # never re-sent

    s = dev.unlock("Sari", PIN)
    rev = dev.revocation(s)
    assert rev["scope"] == "person" and rev["at"]
    with pytest.raises(RevokedHere) as exc:
        dev.new_draft(s, form.id, form.example())
    assert exc.value.code == "revoked"
    with pytest.raises(RevokedHere):
        dev.finalize(s, draft)
    assert _state(dev, draft)["state"] == "draft"               # kept, encrypted, deletable
    with pytest.raises(RevokedHere):
        dev.file(s, form.id, form.example())
    dev.delete_draft(s, draft)

    head = dev.unlock("Kades", HEAD_PIN)                         # the other person on the phone
    assert dev.revocation(head) is None
    dev.finalize(head, dev.new_draft(head, form.id, form.example()))


def revoked_with_work_in_hand(dev, people, office_server) -> tuple[str, dict]:
    """Sari filed a report, the head holds its review request, then the office revoked both
    and the phone synced: (her report id, his review item) — what each would still act on."""
    [rid] = file_reports(dev, 1)
    assert sync_round(dev, client_for(dev)).received == 1
    head = dev.unlock("Kades", HEAD_PIN)
    [item] = [i for i in dev.review_items(head) if i.get("ok")]
    office_server.admin(["revoke", "--person", people["Kades"]])
    office_server.admin(["revoke", "--person", people["Sari"]])
    assert sync_round(dev, client_for(dev)).ok
    return rid, item


def test_a_revoked_head_cannot_review_nor_a_revoked_volunteer_reply(phone, office_server):
    """Each would be refused by the office; the phone says so at once and queues nothing."""
    dev, people = phone
    rid, item = revoked_with_work_in_hand(dev, people, office_server)
    head = dev.unlock("Kades", HEAD_PIN)
    with pytest.raises(RevokedHere):
        dev.review(head, item["item_id"], "verified", "benar")
    sari = dev.unlock("Sari", PIN)
    with pytest.raises(RevokedHere):
        dev.reply(sari, rid, "Ada info tambahan")
    assert dev.pending_reviews() == []


def test_an_edited_file_does_not_unrevoke_a_person(phone, office_server):
    dev, people = phone
    before = _bundle_columns(dev, "Sari")                        # the attacker's old copy
    office_server.admin(["revoke", "--person", people["Sari"]])
    assert sync_round(dev, client_for(dev)).ok
    s = dev.unlock("Sari", PIN)                                  # verifies the signed notice
    rev = dev.revocation(s)
    assert rev["scope"] == "person"

    # The attacker puts back the bundle from before the revocation and removes the notice.
    with dev.db.conn:
        dev.db.conn.execute("UPDATE users SET trust=?, office_attest=? WHERE label='Sari'", before)
        dev.db.conn.execute("DELETE FROM inbox WHERE kind='revoked'")
    s = dev.unlock("Sari", PIN)
    assert dev.trust_bundle(s).get("revoked") is False           # the old bundle opens...
    assert dev.revocation(s) == rev                              # ...but the kept signed notice counts
    with pytest.raises(RevokedHere):
        dev.new_draft(s, "laporan_kecurigaan")


def test_a_forged_revocation_record_is_not_believed(phone):
    """A record for the head, signed by a key that is not his pinned office: ignored."""
    dev, people = phone
    head = dev.unlock("Kades", HEAD_PIN)
    forger = Ed25519PrivateKey.generate()
    body = {"person_id": people["Kades"], "revoked_at": "2026-11-26T07:00:00.000Z"}
    item = statement.sign_item({"item_id": "9", "kind": "revoked", "person_id": people["Kades"],
                                "issued_at": body["revoked_at"], "body": body}, forger)
    dev.secrets.write_value(dev._person_record(people["Kades"]), json.dumps(item).encode())
    assert dev.revocation(head) is None
    dev.new_draft(head, "laporan_kecurigaan")                    # still allowed
    dev.secrets.write_value(dev._person_record(people["Kades"]), base64.b64encode(b"not json"))
    assert dev.revocation(head) is None


def test_a_revoked_phone_keeps_its_waiting_report_and_the_file_cannot_forget(phone, office_server):
    dev, _ = phone
    [waiting] = file_reports(dev, 1)
    office_server.admin(["revoke", "--device", dev.device_id])
    rnd = sync_round(dev, client_for(dev))
    assert not rnd.ok and rnd.error == "revoked"
    assert _state(dev, waiting)["state"] == "waiting"            # stays on the phone, never arrives
    seen = dev.device_revoked()
    assert seen and seen["scope"] == "device"

    with dev.db.conn:                                           # the attacker clears the plaintext flag
        dev.db.conn.execute("DELETE FROM meta WHERE key='device_revoked_at'")
    assert dev.device_revoked() == seen
    s = dev.unlock("Sari", PIN)
    assert dev.revocation(s)
    with pytest.raises(RevokedHere):
        dev.new_draft(s, "laporan_kecurigaan")
    assert not sync_round(dev, client_for(dev)).ok               # and the office refuses anyway
    assert _state(dev, waiting)["state"] == "waiting"


def test_wipe_forgets_the_records_outside_the_folder(phone, office_server):
    dev, people = phone
    office_server.admin(["revoke", "--person", people["Sari"]])
    assert sync_round(dev, client_for(dev)).ok
    dev.revocation(dev.unlock("Sari", PIN))
    name = dev._person_record(people["Sari"])
    assert dev.secrets.read_value(name)
    secrets = dev.secrets
    dev.wipe()
    assert secrets.read_value(name) is None
