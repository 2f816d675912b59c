"""Red team against the trust anchors (issue 10), end to end: the real office on loopback,
the real `Device` on a real data folder, and attackers who only do what they could do —
read or rewrite the phone's plaintext SQLite file (sqlite3, no PIN), run their own proxy.
"""
from __future__ import annotations

import base64
import json
import sqlite3

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import forms
from core.errors import EnvelopeError
from fieldapp import trust
from fieldapp.device import Device
from jaga_desa.testing.rogue import RogueOffice
from sync import envelope as env
from sync import statement
from sync.client import OfficeClient
from tests.support import enroll_on_device, sync_device

PIN, HEAD_PIN = "246810", "135790"
VILLAGE = "Entikong"


def _enroll(dev: Device, server, label: str, role: str, pin: str):
    return enroll_on_device(dev, server, VILLAGE, label, role, pin)


_sync = sync_device


def _shared_phone(office_server, tmp_path):
    """A volunteer and the village head on one phone, the head list applied."""
    office_server.admin(["add-village", "--name", VILLAGE, "--region", "Sanggau"])
    dev = Device.init(tmp_path / "phone")
    _enroll(dev, office_server, "Siti", "volunteer", PIN)
    _enroll(dev, office_server, "Pak Kades", "head", HEAD_PIN)
    assert _sync(dev).ok                    # the office's new head list for Siti...
    dev.unlock("Siti", PIN)                 # ...verified and applied at her unlock
    return dev


def _sealed_in_the_file(path) -> dict[str, bytes]:
    with sqlite3.connect(path) as conn:
        return dict(conn.execute("SELECT envelope_id, envelope FROM reports WHERE envelope IS NOT NULL"))


# ── a rewritten file sends the PIN-less sync to the attacker's own server ──

def _signed_receipt(rogue, data):
    return 200, rogue.accept(data)


def _not_found(rogue, data):
    return 404, {"code": "not_found", "message": "no such report"}


def _redirect_to(folder, rogue) -> None:
    """The file edit: every user's attestation re-signed by a key of the attacker's, naming
    the attacker's server (the same forgery as test_trust.py's attack 1)."""
    fake = Ed25519PrivateKey.generate()
    with sqlite3.connect(folder / "jaga.db") as db:
        for uid, person in db.execute("SELECT id, person_id FROM users").fetchall():
            fields = {"ctx": trust.ATTEST, "person_id": person, "office_url": rogue.url,
                      "office_x25519": rogue.x.public_key().public_bytes_raw().hex(),
                      "office_ed25519": rogue.e.public_key().public_bytes_raw().hex(),
                      "tls_sha256": None, "insecure": False}
            forged = {**fields, "signature": base64.b64encode(fake.sign(statement.canonical(fields))).decode()}
            db.execute("UPDATE users SET ed25519_public=?, office_attest=? WHERE id=?",
                       (fake.public_key().public_bytes_raw(), json.dumps(forged), uid))


@pytest.mark.parametrize("answer", [_signed_receipt, _not_found], ids=["rogue_receipt", "rogue_404"])
def test_a_heads_verdict_is_not_dropped_by_a_server_the_file_was_rewritten_to(office_server, tmp_path, answer):
    dev = _shared_phone(office_server, tmp_path)
    rogue = RogueOffice(answer)
    try:
        vol = dev.unlock("Siti", PIN)
        dev.file(vol, "laporan_kecurigaan", forms.load("laporan_kecurigaan").example())
        assert _sync(dev).received == 1                 # the real office: report in, review request out
        head = dev.unlock("Pak Kades", HEAD_PIN)
        [item] = dev.review_items(head)
        verdict = dev.review(head, item["item_id"], "disputed", "laporan ini tidak benar")
        dev.close()
        _redirect_to(tmp_path / "phone", rogue)         # the attacker, with the folder, no PIN
        dev = Device(tmp_path / "phone")
        assert dev.office_url == rogue.url
        _sync(dev)                                      # the PIN-less background sync
        assert len(rogue.reviews) == 1
        # The real office never got the verdict: the phone must still hold it.
        assert [r.envelope_id for r in dev.pending_reviews()] == [verdict]
        dev.unlock("Siti", PIN)                         # the unlocks restore the pinned office...
        dev.unlock("Pak Kades", HEAD_PIN)
        assert dev.office_url == office_server.url
        assert _sync(dev).reviews == 1                  # ...and the verdict reaches it
    finally:
        rogue.close()
        dev.close()


def test_a_round_against_the_server_the_file_was_rewritten_to_is_not_a_successful_sync(office_server, tmp_path):
    """`device sync` after the rewrite: the attacker's server "accepts" every report with
    receipts under its own key. Nothing reached the office, nothing was purged: the CLI must
    not say "sync done" (exit 0), and "last synced" must not move."""
    from tests.adversarial.conftest import main_py
    dev = _shared_phone(office_server, tmp_path)
    rogue = RogueOffice(_signed_receipt)
    try:
        vol = dev.unlock("Siti", PIN)
        dev.file(vol, "laporan_kecurigaan", forms.load("laporan_kecurigaan").example())
        before = dev.status()["last_sync"]
        dev.close()
        _redirect_to(tmp_path / "phone", rogue)
        proc = main_py("device", "--data", tmp_path / "phone", "sync", check=False)
        dev = Device(tmp_path / "phone")
        assert dev.pending_count() == 1                 # held: nothing purged...
        assert proc.returncode != 0, proc.stdout        # ...but was the round called a success?
        assert "error [" in proc.stderr
        assert dev.status()["last_sync"] == before
    finally:
        rogue.close()
        dev.close()


def test_one_edited_cursor_does_not_silence_the_office_for_good(office_server, tmp_path):
    """The file-writer moves `inbox_cursor` far past anything the office has numbered. Every
    later review request, feedback, head list and revocation would be skipped forever, while
    each sync says ok. What the office queues after the edit must still reach the phone."""
    dev = _shared_phone(office_server, tmp_path)
    try:
        with sqlite3.connect(tmp_path / "phone" / "jaga.db") as conn:        # the attacker's edit
            conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES('inbox_cursor', '999999999')")
        vol = dev.unlock("Siti", PIN)
        dev.file(vol, "laporan_kecurigaan", forms.load("laporan_kecurigaan").example())
        assert _sync(dev).received == 1         # the office queues a review request for the head
        assert _sync(dev).ok
        head = dev.unlock("Pak Kades", HEAD_PIN)
        assert [i["ok"] for i in dev.review_items(head)] == [True]
    finally:
        dev.close()


def test_a_server_that_never_ends_the_inbox_cannot_wedge_the_sync_or_fill_the_phone(office_server, tmp_path):
    """The attacker's server (a rewritten file, or a man in the middle on plain HTTP) answers
    every inbox page with new items and a cursor that never moves. The round must end, with
    a failure, and the phone must not store without bound."""
    import itertools
    import threading

    from jaga_desa.testing.waits import wait_until
    ids = itertools.count(1)

    def endless(rogue):
        person = endless.person
        items = [statement.sign_item({"item_id": str(next(ids)), "kind": "feedback", "person_id": person,
                                      "issued_at": "2026-01-01T00:00:00.000Z", "body": {"pad": "x" * 200}},
                                     rogue.e) for _ in range(100)]
        return {"items": items, "next_cursor": None}

    dev = _shared_phone(office_server, tmp_path)
    endless.person = dev.unlock("Siti", PIN).person_id
    rogue = RogueOffice(_signed_receipt, endless)
    dev.close()
    _redirect_to(tmp_path / "phone", rogue)
    done: dict = {}

    def run() -> None:
        d = Device(tmp_path / "phone")
        try:
            done["result"] = _sync(d)
        finally:
            d.close()

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    try:
        wait_until(lambda: "result" in done, timeout=60, what="the sync round to end")
        assert not done["result"].ok
        with sqlite3.connect(tmp_path / "phone" / "jaga.db") as conn:
            assert conn.execute("SELECT COUNT(*) FROM inbox").fetchone()[0] <= 10_000
    finally:
        rogue.close()                   # ends a wedged round too (connection refused)
        worker.join(30)


# ── a revoked head keeps reading while the file hides the revocation ──

DAY_MS = 24 * 3600 * 1000


def _head_can_open(data: bytes, head, vol) -> bool:
    try:
        env.open(data, recipient_key=head.x25519, author_public=vol.ed25519.public_key())
        return True
    except EnvelopeError:
        return False


def test_a_revoked_head_hiding_the_revocation_reads_no_report_after_the_head_list_expires(office_server, tmp_path):
    """The office revokes the village head (found complicit). The head shares the phone and
    can write its file: the sync token is in it, so they ask the office for the phone's inbox
    themselves and move the plaintext cursor past the revocation and the new head list. The
    phone keeps the old signed list — but only until its signed `valid_until`: a report sealed
    after that goes to the office alone. Within the validity the head still reads: that window
    (at most JAGA_HEAD_LIST_DAYS, default 14 days) is what THREAT_MODEL.md says remains."""
    import time

    dev = _shared_phone(office_server, tmp_path)
    try:
        head = dev.unlock("Pak Kades", HEAD_PIN)
        office_server.admin(["revoke", "--person", head.person_id])
        with sqlite3.connect(tmp_path / "phone" / "jaga.db") as conn:
            token = conn.execute("SELECT value FROM meta WHERE key='sync_token'").fetchone()[0]
            cursor = conn.execute("SELECT value FROM meta WHERE key='inbox_cursor'").fetchone()[0]
            client = OfficeClient(office_server.url, token=token)
            try:
                last = client.inbox(cursor)["items"][-1]["item_id"]
            finally:
                client.close()
            conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES('inbox_cursor', ?)", (last,))
        assert _sync(dev).ok
        vol = dev.unlock("Siti", PIN)
        bundle = trust.load(dev.db, vol)
        assert [r["person_id"] for r in bundle["recipients"]] == [head.person_id]   # the hidden revocation
        until_ms = trust.heads_valid_until(bundle).timestamp() * 1000
        assert until_ms <= time.time() * 1000 + 14 * DAY_MS + 60_000                 # the default 14 days
        answers = forms.load("laporan_kecurigaan").example()
        now_ms = int(time.time() * 1000)
        inside = dev.file(vol, "laporan_kecurigaan", answers, created_ms=now_ms)
        after = dev.file(vol, "laporan_kecurigaan", answers, created_ms=int(until_ms) + 1)
        sealed = _sealed_in_the_file(tmp_path / "phone" / "jaga.db")
        assert _head_can_open(sealed[inside], head, vol)          # the documented window
        assert not _head_can_open(sealed[after], head, vol), "a revoked head read a report after expiry"
        office_kid = env.key_id(env.load_public_x25519(bytes.fromhex(bundle["office_x25519"])))
        assert office_kid.hex() in env.peek(sealed[after]).recipients   # still sealed for the office
        assert _sync(dev).ok                                      # and the office takes it
        assert {r["envelope_id"]: r["state"] for r in dev.outbox()}[after] == "received"
    finally:
        dev.close()


def test_an_expired_head_list_means_office_only_sealing_and_status_says_so(tmp_path):
    """An office whose head lists last two seconds (JAGA_HEAD_LIST_DAYS), real clocks on both
    sides: once the list has expired the phone seals for the office only, and `device status`
    names the expiry; the next sync brings a fresh list and the heads are back."""
    import time

    from jaga_desa.testing.servers import OfficeServer
    from jaga_desa.testing.waits import wait_until
    server = OfficeServer(tmp_path / "office", env={"JAGA_HEAD_LIST_DAYS": str(2 / 86400)}).start()
    try:
        dev = _shared_phone(server, tmp_path)
        try:
            head = dev.unlock("Pak Kades", HEAD_PIN)
            wait_until(lambda: str(dev.status()["head_list"]).startswith("expired"), timeout=30,
                       what="the two-second head list to expire")
            vol = dev.unlock("Siti", PIN)
            assert not dev.heads_current(vol)                     # what home shows as a warning
            answers = forms.load("laporan_kecurigaan").example()
            eid = dev.file(vol, "laporan_kecurigaan", answers)
            assert not _head_can_open(_sealed_in_the_file(tmp_path / "phone" / "jaga.db")[eid], head, vol)
            before = trust.load(dev.db, vol)["recipients_issued_at"]
            assert _sync(dev).ok                                  # stale: the office re-issues
            vol = dev.unlock("Siti", PIN)
            bundle = trust.load(dev.db, vol)
            assert bundle["recipients_issued_at"] > before
            assert [r["person_id"] for r in bundle["recipients"]] == [head.person_id]
            fresh = dev.file(vol, "laporan_kecurigaan", answers,
                             created_ms=int(trust.heads_valid_until(bundle).timestamp() * 1000) - 1)
            assert _head_can_open(_sealed_in_the_file(tmp_path / "phone" / "jaga.db")[fresh], head, vol)
        finally:
            dev.close()
    finally:
        server.stop()


def test_known_limit_key_ids_tell_a_rahasia_report_from_a_shared_one(office_server, tmp_path):
    """A LIMIT, pinned so the day it is fixed this test fails and THREAT_MODEL.md is updated.
    Padding hides how many recipients an envelope has, but key ids are stable hashes of
    public keys: whoever reads the file (no key, no head list) sees the head's id in every
    shared waiting report and the office's in all; an envelope whose only id seen elsewhere
    is the office's is rahasia. (The fix: per-envelope key ids only the key holder can
    compute, with the office routing review requests from the opened payload.)"""
    from collections import Counter

    dev = _shared_phone(office_server, tmp_path)
    try:
        vol = dev.unlock("Siti", PIN)
        answers = forms.load("laporan_kecurigaan").example()
        shared = [dev.file(vol, "laporan_kecurigaan", answers) for _ in range(2)]
        secret = dev.file(vol, "laporan_kecurigaan", answers, rahasia=True)
        sealed = _sealed_in_the_file(tmp_path / "phone" / "jaga.db")
        assert set(sealed) == {*shared, secret}
        assert len({len(env.peek(d).recipients) for d in sealed.values()}) == 1   # padding: same count
        kids = {eid: set(env.peek(data).recipients) for eid, data in sealed.items()}
        seen = Counter(k for ks in kids.values() for k in ks)
        guess = {eid for eid, ks in kids.items() if sum(seen[k] > 1 for k in ks) == 1}
        assert guess == {secret}, "rahasia is no longer recognisable: update THREAT_MODEL.md (Padding)"
    finally:
        dev.close()
