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

import forms
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from core.errors import ApiError
from fieldapp import i18n
from fieldapp.device import Device
from jaga_desa.testing.rogue import ROGUE_TIME, Mitm
from sync import envelope as env
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
        envelope=data, envelope_id=eid, purpose="push", nonce=statement.new_nonce())

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


# ── issue 22, item 2: a real refusal minted at the other door ────────────────

def _mint_at_the_other_door(mitm: Mitm, office_url: str):
    """The attacker of issue 22: on plain HTTP it reads the phone's token (and whatever else
    the request carries, its nonce too) and sends the phone's own pending bytes to the *other*
    door — a report to /reviews, a verdict to /envelopes — collecting the office's genuine,
    signed refusal of exactly those bytes for exactly this phone, and hands that back as the
    answer to the phone's own request."""
    import base64
    import gzip
    import json

    import requests

    def rewrite(method, path, body):
        _method, _path, headers, raw = mitm.requests[-1]
        auth = {k: v for k, v in headers.items() if k.lower() in ("authorization", "x-jaga-nonce")}
        if method == "POST" and path.endswith("/envelopes"):
            sent = json.loads(gzip.decompress(raw))["envelopes"]
            results = []
            for b64 in sent:
                got = requests.post(f"{office_url}/api/v1/reviews", json={"envelope": b64}, headers=auth, timeout=30)
                refused = got.json()
                eid = env.peek(base64.b64decode(b64)).envelope_id
                results.append({"envelope_id": eid, "status": "rejected", "code": refused["code"],
                                "reason": refused.get("message", ""), "refusal": refused.get("refusal")})
            return {"results": results}
        if method == "POST" and path.endswith("/reviews"):
            b64 = json.loads(raw)["envelope"]
            got = requests.post(f"{office_url}/api/v1/envelopes", json={"envelopes": [b64]}, headers=auth, timeout=30)
            [res] = got.json()["results"]
            return 403, {"code": res["code"], "message": res.get("reason", ""), "refusal": res.get("refusal")}
        return body
    return rewrite


def test_a_real_refusal_minted_at_the_other_door_closes_nothing(phone, office_server):  # noqa: F811
    """Two of Sari's reports (one rahasia) and the head's verdict wait on the shared phone. The
    network answers her push with the office's real signed refusals of those very bytes — got
    by posting them to /reviews with her token — and the verdict with the office's real refusal
    of it at /envelopes. Before refusals named their door and the phone's nonce, the phone
    closed both reports and the verdict for good and called the round a success. Now nothing
    closes, the round fails `refusal_untrusted`, and the real office takes all three."""
    dev, _data, _people = phone
    sari = dev.unlock("Sari", PIN)
    form = forms.load("laporan_kecurigaan")
    dev.file(sari, form.id, form.example())
    assert sync_round(dev, client_for(dev)).ok                       # the head gets a review request
    head = dev.unlock("Kades", HEAD_PIN)
    [item] = dev.review_items(head)
    verdict = dev.review(head, item["item_id"], "disputed", "tidak benar")
    waiting = {dev.file(sari, form.id, form.example()),
               dev.file(sari, form.id, {**form.example(), "rahasia": "ya"}, rahasia=True)}

    mitm = Mitm(office_server.url)
    mitm.rewrite = _mint_at_the_other_door(mitm, office_server.url)
    rnd = _through(dev, mitm)
    assert not rnd.ok and rnd.error == "refusal_untrusted", rnd
    assert rnd.failed == {**{e: "refusal_untrusted" for e in waiting}, verdict: "refusal_untrusted"}, rnd
    assert {r["state"] for r in dev.outbox() if r["envelope_id"] in waiting} == {"waiting"}
    assert {i.envelope_id for i in dev.pending()} == waiting
    assert [r.envelope_id for r in dev.pending_reviews()] == [verdict]

    rnd = sync_round(dev, client_for(dev))                          # the real office settles all three
    assert rnd.ok and rnd.received == 2 and rnd.reviews == 1, rnd
    assert dev.pending_reviews() == []


def test_the_office_signs_no_refusal_for_a_request_without_a_nonce(office_server):
    """A phone from before refusals v2 sends no nonce: the office still refuses, typed, but
    signs nothing such a request could be replayed as (the old phone keeps the item waiting)."""
    import base64

    import requests
    village(office_server)
    budi, client = enroll(office_server, "Entikong", "volunteer", "Budi")
    sealed = budi.report()
    auth = {"Authorization": f"Bearer {client.token}"}
    client.close()
    got = requests.post(f"{office_server.url}/api/v1/reviews", json={"envelope": base64.b64encode(
        sealed.envelope).decode()}, headers=auth, timeout=30)
    assert got.status_code == 422 and got.json()["code"] == "bad_request" and "refusal" not in got.json()
    nonce = statement.new_nonce()
    got = requests.post(f"{office_server.url}/api/v1/reviews", json={"envelope": base64.b64encode(
        sealed.envelope).decode()}, headers={**auth, statement.NONCE_HEADER: nonce}, timeout=30)
    refusal = got.json()["refusal"]
    assert refusal["purpose"] == "review" and refusal["nonce"] == nonce


def test_plain_http_to_another_machine_needs_two_flags(tmp_path):
    """`--insecure` alone (one flag copied from a how-to) no longer enrolls over plain HTTP to
    another machine: it is refused before the PIN is read or anything is sent."""
    from tests.adversarial.conftest import main_py
    data = tmp_path / "phone"
    main_py("device", "--data", data, "init")
    main_py("device", "--data", data, "add-user", "--name", "Siti", pin=PIN)
    got = main_py("device", "--data", data, "enroll", "--office", "http://192.0.2.10:8765", "--code",
                  "ABCD-EFGH-JKLM", "--fingerprint", "A" * 32, "--user", "Siti", "--insecure", pin=PIN, check=False,
        timeout=60)
    assert got.returncode != 0 and "error [insecure_transport]" in got.stderr
    assert "--plain-http-leaks-token" in got.stderr
