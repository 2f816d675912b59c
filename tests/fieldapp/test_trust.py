"""The phone believes only what it can verify — tested as the attacker would try it.

Every test runs the real office (uvicorn on a free loopback port) and the real `Device`
on a real data folder. The attackers are real too: someone with write access to the
phone's file (sqlite3 on the folder, no PIN), a man in the middle on loopback
(jaga_desa/testing/rogue.py) and a rogue "office" handing out receipts signed by its own key.
Each ends with: nothing the attacker can read, nothing purged the office lacks, and a
state the user can see.
"""
from __future__ import annotations

import base64
import json
import sqlite3

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

import forms
from core.errors import EnvelopeError, IdentityMismatch, TrustError
from fieldapp import trust
from fieldapp.device import Device
from jaga_desa.testing.rogue import Mitm, RogueOffice
from sync import envelope as env
from sync import statement
from sync.client import OfficeClient
from tests.fieldapp.conftest import HEAD_PIN, PIN
from tests.support import enroll_on_device, sync_device

VILLAGE = "Entikong"


def _village(server) -> None:
    server.admin(["add-village", "--name", VILLAGE, "--region", "Sanggau"])


def _enroll(dev: Device, server, label: str, role: str, pin: str, *, via: str | None = None):
    return enroll_on_device(dev, server, VILLAGE, label, role, pin, via=via)


_sync = sync_device


def _answers() -> dict:
    return forms.load("laporan_kecurigaan").example()


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _pub(key) -> bytes:
    return key.public_key().public_bytes_raw()


# ── attack 1: the plaintext file is rewritten (no PIN) ──────────────────────

def test_swapped_office_in_the_file_reads_nothing_purges_nothing_and_shows_at_unlock(office_server, tmp_path):
    _village(office_server)
    folder = tmp_path / "phone"
    dev = Device.init(folder)
    vol = _enroll(dev, office_server, "Siti", "volunteer", PIN)
    for _ in range(2):
        dev.file(vol, "laporan_kecurigaan", _answers())
    real_author = vol.ed25519.public_key()
    person_id = vol.person_id
    dev.close()

    # The attacker, holding the folder for a minute: their office's URL and keys everywhere a
    # plaintext row names the office — including a self-consistent forged attestation under
    # a key of their own put in place of the user's public key.
    rogue = RogueOffice()
    fake_user = Ed25519PrivateKey.generate()
    fields = {"ctx": trust.ATTEST, "person_id": person_id, "office_url": rogue.url,
              "office_x25519": _pub(rogue.x).hex(), "office_ed25519": _pub(rogue.e).hex(),
              "tls_sha256": None, "insecure": False}
    forged = {**fields, "signature": _b64(fake_user.sign(statement.canonical(fields)))}
    with sqlite3.connect(folder / "jaga.db") as db:
        db.execute("UPDATE meta SET value=? WHERE key='office_url'", (rogue.url,))
        db.execute("INSERT INTO meta(key,value) VALUES('office_x25519_public',?),('office_ed25519_public',?)",
                   (_pub(rogue.x).hex(), _pub(rogue.e).hex()))
        db.execute("UPDATE users SET ed25519_public=?, office_attest=?", (_pub(fake_user), json.dumps(forged)))
    try:
        dev = Device(folder)
        assert dev.office_url == rogue.url           # the PIN-less sync is redirected...
        result = _sync(dev)
        # ...but the rogue office got only envelopes it cannot open,
        assert len(rogue.received) == 2
        for data in rogue.received:
            with pytest.raises(EnvelopeError):
                env.open(data, recipient_key=rogue.x, author_public=real_author)
        # and its receipts (valid under its own key) purged nothing: visible, not "received".
        assert result.received == 0 and set(result.failed.values()) == {"receipt_untrusted"}
        rows = dev.outbox()
        assert [r["state"] for r in rows] == ["waiting", "waiting"]
        assert all(r["last_error"].startswith("receipt_untrusted") for r in rows)

        # The next unlock finds the rewrite, says so, and restores the pinned office.
        vol = dev.unlock("Siti", PIN)
        assert {"public_keys", "office_attestation", "office_url", "office_x25519_public",
                "office_ed25519_public"} <= set(vol.trust_alert)
        assert set(vol.trust_alert) <= set(dev.status()["trust_alert"]["changed"])
        assert dev.office_url == office_server.url
        # A report sealed now is for the real office; the real office's receipts purge all three.
        dev.file(vol, "laporan_kecurigaan", _answers())
        result = _sync(dev)
        assert result.ok and result.received == 3 and dev.pending_count() == 0
        assert len(rogue.received) == 2
    finally:
        rogue.close()
        dev.close()


def test_plaintext_office_rows_are_never_used(office_server, tmp_path):
    """Only the meta rows swapped (the simplest edit): sync still goes to the pinned office."""
    _village(office_server)
    folder = tmp_path / "phone"
    dev = Device.init(folder)
    vol = _enroll(dev, office_server, "Siti", "volunteer", PIN)
    eid = dev.file(vol, "laporan_kecurigaan", _answers())
    dev.close()
    rogue = RogueOffice()
    with sqlite3.connect(folder / "jaga.db") as db:
        db.execute("UPDATE meta SET value=? WHERE key='office_url'", (rogue.url,))
        db.execute("INSERT INTO meta(key,value) VALUES('recipients',?)",
                   (json.dumps([{"person_id": "x", "x25519_public": _pub(rogue.x).hex()}]),))
    try:
        dev = Device(folder)
        assert dev.office_url == office_server.url
        result = _sync(dev)
        assert result.received == 1 and rogue.received == []
        vol = dev.unlock("Siti", PIN)
        assert set(vol.trust_alert) == {"office_url", "recipients"}
        second = dev.file(vol, "laporan_kecurigaan", _answers())
        data = next(i.envelope for i in dev.pending() if i.envelope_id == second)
        assert env.key_id(rogue.x.public_key()).hex() not in env.peek(data).recipients
        assert eid != second
    finally:
        rogue.close()
        dev.close()


def test_a_tampered_bundle_is_not_believed(office_server, tmp_path):
    _village(office_server)
    dev = Device.init(tmp_path / "phone")
    try:
        vol = _enroll(dev, office_server, "Siti", "volunteer", PIN)
        blob = dev.db.conn.execute("SELECT trust FROM users").fetchone()[0]
        dev.db.conn.execute("UPDATE users SET trust=?", (blob[:-1] + bytes([blob[-1] ^ 1]),))
        vol = dev.unlock("Siti", PIN)
        assert vol.trust_alert == ["bundle"]
        with pytest.raises(Exception, match="not enrolled"):
            dev.file(vol, "laporan_kecurigaan", _answers())
    finally:
        dev.close()


# ── attack 2: a man in the middle at enrollment and on the inbox ───────────

def _swap_office_keys(attacker_x, attacker_e):
    def rewrite(method, path, body):
        if path.endswith("/enroll") and "office_x25519_public" in body:
            body = {**body, "office_x25519_public": _b64(_pub(attacker_x)),
                    "office_ed25519_public": _b64(_pub(attacker_e))}
            body["signature"] = statement.sign_answer({k: v for k, v in body.items() if k != "signature"},
                                                      attacker_e)
        return body
    return rewrite


def _add_recipient(attacker_x):
    def rewrite(method, path, body):
        if path.endswith("/enroll") and "recipients" in body:
            body = {**body, "recipients": body["recipients"] + [
                {"person_id": "evil", "key_id": env.key_id(attacker_x.public_key()).hex(),
                 "x25519_public": _b64(_pub(attacker_x))}]}
        return body
    return rewrite


@pytest.mark.parametrize("attack", ["swap_office_keys", "add_recipient"])
def test_mitm_at_enrollment_is_refused_and_nothing_is_stored(office_server, tmp_path, attack):
    _village(office_server)
    ax, ae = X25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    mitm = Mitm(office_server.url, _swap_office_keys(ax, ae) if attack == "swap_office_keys" else _add_recipient(ax))
    dev = Device.init(tmp_path / "phone")
    try:
        dev.add_user("Siti", "volunteer", PIN)
        s = dev.unlock("Siti", PIN)
        ticket = dev.ticket(office_server.admin_json(["enroll-code", "--village", VILLAGE, "--role", "volunteer",
                                                      "--name", "Siti", "--office-url", mitm.url])["enroll"])
        resp = OfficeClient(mitm.url).enroll(**dev.enrollment_request(s, ticket))
        expected = IdentityMismatch if attack == "swap_office_keys" else TrustError
        with pytest.raises(expected) as err:
            dev.apply_enrollment(s, ticket, resp)
        assert err.value.code == ("office_identity_mismatch" if attack == "swap_office_keys" else "office_untrusted")
        assert dev.office_url is None and not dev.status()["enrolled"]
        assert dev.db.conn.execute("SELECT trust, office_attest, person_id FROM users").fetchone() == (None, None, None)
        with pytest.raises(Exception, match="not enrolled"):
            dev.file(s, "laporan_kecurigaan", _answers())
    finally:
        mitm.close()
        dev.close()


def test_a_wrong_office_is_refused_before_the_code_is_spent(office_server, tmp_path):
    """A MITM (or a mistyped address) presents other keys when asked who the office is: the
    phone refuses before redeeming, so the code still works on the real office."""
    _village(office_server)
    ax, ae = X25519PrivateKey.generate(), Ed25519PrivateKey.generate()

    def rewrite(method, path, body):
        if path.endswith("/office-identity"):
            body = {**body, "office_x25519_public": _b64(_pub(ax)), "office_ed25519_public": _b64(_pub(ae))}
        return body

    mitm = Mitm(office_server.url, rewrite)
    dev = Device.init(tmp_path / "phone")
    try:
        dev.add_user("Siti", "volunteer", PIN)
        s = dev.unlock("Siti", PIN)
        text = office_server.admin_json(["enroll-code", "--village", VILLAGE, "--role", "volunteer",
                                         "--name", "Siti", "--office-url", mitm.url])["enroll"]
        ticket = dev.ticket(text)
        with pytest.raises(IdentityMismatch):
            OfficeClient(mitm.url).enroll(**dev.enrollment_request(s, ticket))
        assert ("POST", "/api/v1/enroll") not in mitm.seen
        real = dev.ticket(text, office_url=None)
        real = type(real)(real.code, real.fingerprint, office_server.url)
        dev.apply_enrollment(s, real, OfficeClient(real.office_url).enroll(**dev.enrollment_request(s, real)))
        assert dev.office_url == office_server.url
    finally:
        mitm.close()
        dev.close()


def _forged_items(ax, ae, people: dict, village_id):
    """Items an attacker adds to an inbox page: a newer head list naming their key, and a
    review request for a report they sealed themselves, both 'signed' with their own key."""
    evil_report = env.seal({"answers": {"ringkasan": "palsu"}}, form_id="laporan_kecurigaan", form_version=1,
                           author_id=people["vol"], device_id=people["vol"], signing_key=ae,
                           recipients=[ax.public_key()])
    items = [
        {"item_id": "900001", "kind": "recipient_keys", "person_id": people["vol"],
         "issued_at": "2099-01-01T00:00:00.000Z",
         "body": {"village_id": village_id, "recipients": [
             {"person_id": "evil", "key_id": env.key_id(ax.public_key()).hex(), "x25519_public": _b64(_pub(ax))}]}},
        {"item_id": "900002", "kind": "review_request", "person_id": people["head"],
         "issued_at": "2099-01-01T00:00:00.000Z",
         "body": {"envelope": _b64(evil_report.envelope), "envelope_id": evil_report.envelope_id,
                  "author_ed25519_public": _b64(_pub(ae))}},
    ]
    return [statement.sign_item(i, ae) for i in items]


@pytest.mark.parametrize("mode", ["inject", "rewrite"])
def test_mitm_on_the_inbox_never_adds_a_recipient(office_server, tmp_path, mode):
    _village(office_server)
    ax, ae = X25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    people: dict = {}

    def rewrite(method, path, body):
        if not path.endswith("/inbox") or not body.get("items"):
            return body
        items = body["items"]
        if mode == "inject":
            items = items + _forged_items(ax, ae, people, people["village"])
        else:                       # keep the office's signature, change what it covers
            for it in items:
                if it["kind"] == "recipient_keys":
                    it["body"]["recipients"].append({"person_id": "evil", "key_id": "00" * 16,
                                                     "x25519_public": _b64(_pub(ax))})
        return {**body, "items": items}

    mitm = Mitm(office_server.url, rewrite)
    dev = Device.init(tmp_path / "phone")             # one phone shared by a volunteer and the head
    try:
        vol = _enroll(dev, office_server, "Siti", "volunteer", PIN, via=mitm.url)
        head = _enroll(dev, office_server, "Pak Kades", "head", HEAD_PIN, via=mitm.url)
        people.update(vol=vol.person_id, head=head.person_id,
                      village=trust.load(dev.db, vol)["village_id"])
        result = _sync(dev)                           # PIN-less: pulls the head-list update
        assert result.ok, result
        vol = dev.unlock("Siti", PIN)
        eid = dev.file(vol, "laporan_kecurigaan", _answers())
        data = next(i.envelope for i in dev.pending() if i.envelope_id == eid)
        recipients = env.peek(data).recipients
        assert env.key_id(ax.public_key()).hex() not in recipients
        with pytest.raises(EnvelopeError):
            env.open(data, recipient_key=ax, author_public=vol.ed25519.public_key())
        assert dev.status()["inbox_dropped"] >= (2 if mode == "inject" else 1)
        head_kid = env.key_id(head.x25519.public_key()).hex()
        if mode == "inject":          # the office's genuine head list still applies
            assert head_kid in recipients
        head = dev.unlock("Pak Kades", HEAD_PIN)
        assert all(r.get("envelope_id") != "palsu" and r.get("ok", True) for r in dev.review_items(head))
        assert not any("900002" == r["item_id"] for r in dev.review_items(head))
    finally:
        mitm.close()
        dev.close()


# ── attack 3: another enrolled person pre-empts a victim's envelope id ─────

def test_another_person_cannot_occupy_a_victims_pending_id(office_server, tmp_path):
    from tests.support import enroll as enroll_raw
    _village(office_server)
    victim_dev = Device.init(tmp_path / "victim")
    try:
        victim = _enroll(victim_dev, office_server, "Siti", "volunteer", PIN)
        eid = victim_dev.file(victim, "laporan_kecurigaan", _answers())
        victim_bytes = victim_dev.pending()[0].envelope
        # The attacker is enrolled too (own phone, own keys), and read the id from the
        # victim's plaintext file or header.
        mallory, client = enroll_raw(office_server, VILLAGE, "volunteer", "Mallory")
        squat = env.seal({"answers": {"x": 1}}, form_id="laporan_kecurigaan", form_version=1,
                         author_id=mallory.id, device_id=mallory.device_id, signing_key=mallory.ed,
                         recipients=[mallory.office_x()], envelope_id=eid)
        replay = victim_bytes                 # or push the victim's own bytes from the copied file
        results = client.push([squat.envelope, replay])
        assert [(r["status"], r["code"]) for r in results] == [("rejected", "id_not_bound"),
                                                                ("rejected", "wrong_device")]
        result = _sync(victim_dev)
        assert result.ok and result.received == 1 and result.failed == {}
        assert victim_dev.outbox()[0]["state"] == "received"
        client.close()
    finally:
        victim_dev.close()


# ── attack 4: a review request the office no longer knows ──────────────────

def _shared_phone_with_review(office_server, tmp_path):
    _village(office_server)
    dev = Device.init(tmp_path / "phone")
    vol = _enroll(dev, office_server, "Siti", "volunteer", PIN)
    head = _enroll(dev, office_server, "Pak Kades", "head", HEAD_PIN)
    assert _sync(dev).ok                                # the office's new head list...
    vol = dev.unlock("Siti", PIN)                      # ...verified and applied at unlock
    dev.file(vol, "laporan_kecurigaan", _answers())
    assert _sync(dev).received == 1                    # pushes, then pulls the head's review request
    head = dev.unlock("Pak Kades", HEAD_PIN)
    items = dev.review_items(head)
    assert len(items) == 1 and items[0]["ok"]
    return dev, head, items[0]


def test_a_verdict_the_office_refuses_with_404_closes_locally_and_sync_goes_on(office_server, tmp_path):
    """The office no longer knows the report (its row is gone: an operator's hand here) and
    refuses the verdict with a real, signed 404; the Mitm only watches. (A 404 the network
    forges is not believed: tests/adversarial/test_redteam_refusals.py.)"""
    dev, head, item = _shared_phone_with_review(office_server, tmp_path)
    office = sqlite3.connect(office_server.data_dir / "office.db")     # foreign keys off: the row alone
    with office:
        assert office.execute("DELETE FROM envelopes WHERE id=?", (item["envelope_id"],)).rowcount == 1
    office.close()
    mitm = Mitm(office_server.url)
    try:
        review_id = dev.review(head, item["item_id"], "verified", "benar")
        result = _sync(dev, mitm.url)
        assert result.failed == {review_id: "not_found"}
        assert ("GET", "/api/v1/inbox") in [(m, p.split("?")[0]) for m, p in mitm.seen]   # not wedged
        assert dev.pending_reviews() == []
        assert [i["state"] for i in dev.review_items(head)] == ["closed"]
        posted = len([p for m, p in mitm.seen if m == "POST" and p.endswith("/reviews")])
        _sync(dev, mitm.url)
        assert len([p for m, p in mitm.seen if m == "POST" and p.endswith("/reviews")]) == posted
    finally:
        mitm.close()
        dev.close()


def test_an_acknowledged_verdict_purges_the_heads_copy(office_server, tmp_path):
    dev, head, item = _shared_phone_with_review(office_server, tmp_path)
    try:
        dev.review(head, item["item_id"], "disputed", "tidak benar")
        assert _sync(dev).reviews == 1
        assert dev.pending_reviews() == []
        assert dev.review_items(head) == []
        assert dev.db.conn.execute("SELECT COUNT(*) FROM inbox WHERE kind='review_request'").fetchone()[0] == 0
    finally:
        dev.close()


# ── the same through the CLIs people use ──────────────────────────────────

def test_cli_enrollment_needs_the_fingerprint_and_refuses_another(office_server, tmp_path):
    from tests.fieldapp.test_cli import run
    from sync import identity
    _village(office_server)
    printed = office_server.admin(["enroll-code", "--village", VILLAGE, "--role", "volunteer", "--name", "Siti"])
    code = printed.split()[0]
    fp_line = next(line for line in printed.splitlines() if line.startswith("office fingerprint:"))
    fingerprint = fp_line.split()[2]
    assert identity.normalize_fp(fingerprint)          # printed beside the code, in full
    d = str(tmp_path / "phone")
    run("device", "--data", d, "init")
    run("device", "--data", d, "add-user", "--name", "Siti", pin=PIN)
    base = ("device", "--data", d, "enroll", "--office", office_server.url, "--user", "Siti")
    p = run(*base, "--code", code, pin=PIN, check=False)
    assert p.returncode != 0 and p.stderr.startswith("error [enroll_ticket_invalid]")
    wrong = identity.grouped("A" * 32)
    p = run(*base, "--code", code, "--fingerprint", wrong, pin=PIN, check=False)
    assert p.returncode != 0 and p.stderr.startswith("error [office_identity_mismatch]")
    assert json.loads(run("device", "--data", d, "--json", "status").stdout)["enrolled"] is False
    # refused before the code was spent: the same code, with the right fingerprint typed by hand
    p = run(*base, "--code", code, "--fingerprint", fingerprint.lower(), pin=PIN)
    short = identity.short(identity.normalize_fp(fingerprint))
    assert short in p.stdout
    status = json.loads(run("device", "--data", d, "--json", "status").stdout)
    assert status["enrolled"] and status["office_fingerprint"] == short
