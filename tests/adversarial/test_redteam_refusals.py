"""Red team on the office's refusals: the network answers in the office's place.

The phone closes a report as `refused` (never re-sent), closes a verdict or a reply, and
marks itself revoked only on the office's refusal signed for exactly that item's bytes (or
that device) under the office key the item's author attested (sync/statement.py). On plain
HTTP (`--insecure`, where no TLS pin protects) the attacker here forges refusals — unsigned,
signed by its own key — and replays REAL refusals the office signed for another report,
another reply and another phone. None is believed: nothing closes, no flag is set, the round
fails as `refusal_untrusted`, and the next round the real office answers settles it.

Every party is real: the office under uvicorn on loopback, the real `Device` on a real
folder, real keys, real HTTP (jaga_desa.testing.rogue.Mitm is the hostile network).
"""
from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from core.errors import ApiError
from fieldapp import i18n
from fieldapp.device import Device
from jaga_desa.testing.rogue import ROGUE_TIME, Mitm
from sync import statement
from sync.client import OfficeClient
from sync.runner import sync_round
from tests.adversarial.test_redteam_conversation import reply
from tests.support import enroll, village
from tests.sync.test_sync_conversation import _file
from tests.sync.test_sync_device import HEAD_PIN, PIN, client_for, file_reports, phone  # noqa: F401 — fixture


def _envelope(dev: Device, report_id: str) -> tuple[str, bytes]:
    eid, data = dev.db.conn.execute("SELECT envelope_id, envelope FROM reports WHERE id=?",
                                    (report_id,)).fetchone()
    return eid, bytes(data)


def _state(dev: Device, report_id: str) -> dict:
    return next(r for r in dev.outbox() if r["id"] == report_id)


def _through(dev: Device, mitm: Mitm):
    try:
        return sync_round(dev, OfficeClient(mitm.url, token=dev.sync_token))
    finally:
        mitm.close()


def _stranger(office_server) -> tuple:
    """Another enrolled person on another phone of the same office (its refusals are real)."""
    return enroll(office_server, village(office_server, "Sajingan"), "volunteer", "Budi")


@pytest.mark.parametrize("forgery", ["unsigned", "attacker_key"])
def test_a_forged_refusal_of_a_report_is_not_believed(phone, office_server, forgery):  # noqa: F811
    """The network answers her push with "rejected: revoked" — without a signature, or signed
    by the attacker's own key over exactly her bytes and this phone. The report is not
    refused: it stays waiting, the round fails (`refusal_untrusted`), and the real office
    takes it next round."""
    dev, _data, _people = phone
    [rid] = file_reports(dev, 1)
    eid, data = _envelope(dev, rid)
    refusal = None if forgery == "unsigned" else statement.sign_refusal(
        Ed25519PrivateKey.generate(), code="revoked", device_id=dev.device_id, refused_at=ROGUE_TIME,
        envelope=data, envelope_id=eid)

    def rewrite(method, path, body):
        if method == "POST" and path.endswith("/envelopes"):
            return {"results": [{"envelope_id": eid, "status": "rejected", "code": "revoked",
                                 "reason": "the author has been revoked", "refusal": refusal}]}
        return body

    rnd = _through(dev, Mitm(office_server.url, rewrite))
    assert not rnd.ok and rnd.error == "refusal_untrusted" and rnd.failed == {eid: "refusal_untrusted"}, rnd
    row = _state(dev, rid)
    assert row["state"] == "waiting" and row["last_error"].startswith("refusal_untrusted"), row
    assert [i.envelope_id for i in dev.pending()] == [eid] and dev.status()["last_sync"] is None
    assert i18n.code_text(row["last_error"].split(":")[0], "en") == "a refusal the office did not sign: ignored, sent again later"

    rnd = sync_round(dev, client_for(dev))                  # the real office, reached again
    assert rnd.ok and rnd.received == 1 and _state(dev, rid)["state"] == "received", rnd


def test_a_real_refusal_replayed_onto_another_report_is_not_believed(phone, office_server):  # noqa: F811
    """The office really refuses Sari's report (she was revoked) and signs that refusal. The
    network copies it onto the head's report of the same push. Hers is refused; his is not —
    the signature binds her bytes — and the real office takes his next round."""
    dev, _data, people = phone
    [hers] = file_reports(dev, 1)
    [his] = file_reports(dev, 1, user="Kades", pin=HEAD_PIN)
    her_eid, _ = _envelope(dev, hers)
    his_eid, _ = _envelope(dev, his)
    office_server.admin(["revoke", "--person", people["Sari"]])
    seen = []

    def rewrite(method, path, body):
        if method == "POST" and path.endswith("/envelopes"):
            results = {r["envelope_id"]: r for r in body["results"]}
            real = results[her_eid]
            seen.append(real)
            results[his_eid] = {**real, "envelope_id": his_eid}           # her refusal, on his report
            return {"results": [results[her_eid], results[his_eid]]}
        return body

    rnd = _through(dev, Mitm(office_server.url, rewrite))
    assert seen and seen[0]["status"] == "rejected" and seen[0]["refusal"]["envelope_id"] == her_eid
    assert not rnd.ok and rnd.error == "refusal_untrusted", rnd
    assert rnd.failed == {her_eid: "revoked", his_eid: "refusal_untrusted"}, rnd
    assert _state(dev, hers)["state"] == "refused"                         # the real refusal holds
    assert _state(dev, his)["state"] == "waiting"
    rnd = sync_round(dev, client_for(dev))
    assert rnd.ok and rnd.received == 1 and _state(dev, his)["state"] == "received", rnd


def test_a_real_revocation_of_another_phone_replayed_onto_this_one_is_not_believed(phone, office_server):  # noqa: F811
    """Budi's phone is really revoked; the office's signed refusal names his device. Replayed
    as the answer to this phone's sync it is not believed: no flag, reports can be started,
    nothing closed. Then the office revokes THIS phone: its signed refusal sets the flag."""
    dev, _data, _people = phone
    budi, budi_c = _stranger(office_server)
    office_server.admin(["revoke", "--device", budi.device_id])
    with pytest.raises(ApiError) as err:
        budi_c.inbox()
    budi_c.close()
    captured = err.value.refusal
    assert err.value.code == "revoked" and captured["device_id"] == budi.device_id
    assert captured["envelope_id"] is None and captured["signature"]
    [rid] = file_reports(dev, 1)

    for answer in ({"code": "revoked", "message": "dicabut"},                  # unsigned
                   {"code": "revoked", "message": "dicabut", "refusal": captured}):   # another phone's
        rnd = _through(dev, Mitm(office_server.url, lambda method, path, body, a=answer: (
            body if path.endswith("/health") else (403, a))))
        assert not rnd.ok and rnd.error == "refusal_untrusted", rnd
        assert dev.device_revoked() is None and not dev.secrets.read_value(dev._record_name("device-revoked"))
        s = dev.unlock("Sari", PIN)
        assert dev.revocation(s) is None
        dev.delete_draft(s, dev.new_draft(s, "laporan_kecurigaan"))           # she can still start one
        assert _state(dev, rid)["state"] == "waiting"

    office_server.admin(["revoke", "--device", dev.device_id])            # the real thing
    rnd = sync_round(dev, client_for(dev))
    assert not rnd.ok and rnd.error == "revoked" and dev.device_revoked() is not None, rnd
    assert _state(dev, rid)["state"] == "waiting"                         # never lost


def test_a_real_refusal_of_another_reply_does_not_close_hers(phone, office_server):  # noqa: F811
    """The office really refuses a stranger's reply (404: no such report) and signs it. The
    network answers Sari's reply with that very refusal, and with an unsigned copy of it: her
    reply stays waiting (not refused, never sent), and the real office takes it next round."""
    dev, _data, _people = phone
    s = dev.unlock("Sari", PIN)
    rid = _file(dev, s)
    assert sync_round(dev, client_for(dev)).ok
    budi, budi_c = _stranger(office_server)
    with pytest.raises(ApiError) as err:
        budi_c.post_review(reply(budi, "tidak-ada-laporan-ini", "halo").envelope)
    budi_c.close()
    captured = err.value.refusal
    assert err.value.code == "not_found" and captured["device_id"] == budi.device_id

    dev.reply(s, rid, "Calonya datang lagi malam ini")
    for answer in ({"code": "not_found", "message": "no such report"},
                   {"code": "not_found", "message": "no such report", "refusal": captured}):
        rnd = _through(dev, Mitm(office_server.url, lambda method, path, body, a=answer: (
            (404, a) if method == "POST" and path.endswith("/reviews") else body)))
        assert not rnd.ok and rnd.error == "refusal_untrusted" and "refusal_untrusted" in rnd.failed.values(), rnd
        [mine] = [m for m in dev.thread(dev.unlock("Sari", PIN), rid) if m["side"] == "me"]
        assert mine["state"] == "waiting" and mine["message"] == "Calonya datang lagi malam ini", mine
    rnd = sync_round(dev, client_for(dev))
    assert rnd.ok and rnd.reviews == 1, rnd
    [mine] = [m for m in dev.thread(dev.unlock("Sari", PIN), rid) if m["side"] == "me"]
    assert mine["state"] == "sent", mine
