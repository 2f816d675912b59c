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
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

import forms
from core.errors import EnvelopeError
from fieldapp import trust
from fieldapp.device import Device
from sync import envelope as env
from sync import statement
from sync.client import OfficeClient
from sync.runner import sync_once

PIN, HEAD_PIN = "246810", "135790"
VILLAGE = "Entikong"


def _enroll(dev: Device, server, label: str, role: str, pin: str):
    dev.add_user(label, role, pin)
    s = dev.unlock(label, pin)
    text = server.admin_json(["enroll-code", "--village", VILLAGE, "--role", role, "--name", label,
                              "--office-url", server.url])["enroll"]
    ticket = dev.ticket(text)
    client = OfficeClient(ticket.office_url)
    try:
        dev.apply_enrollment(s, ticket, client.enroll(**dev.enrollment_request(s, ticket)))
    finally:
        client.close()
    return s


def _sync(dev: Device):
    client = OfficeClient(dev.office_url, token=dev.sync_token, **dev.client_options())
    try:
        return sync_once(dev, client)
    finally:
        client.close()


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

class _Rogue:
    """The attacker's "office" on loopback: takes everything, answers each verdict with
    `review_answer(data) -> (status, body)` (a receipt under its own key, or a refusal)."""

    def __init__(self, review_answer, inbox_answer=None) -> None:
        import gzip
        import hashlib
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        from sync import receipt as rc
        self.x, self.e = X25519PrivateKey.generate(), Ed25519PrivateKey.generate()
        self.reviews: list[bytes] = []
        rogue = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def _answer(self, status: int, body: dict) -> None:
                out = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def do_GET(self) -> None:
                if self.path.startswith("/api/v1/health"):
                    return self._answer(200, {"status": "ok", "server_time": "2026-01-01T00:00:00.000Z"})
                if inbox_answer is not None:
                    return self._answer(200, inbox_answer(rogue))
                return self._answer(200, {"items": [], "next_cursor": None})

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.headers.get("Content-Encoding") == "gzip":
                    raw = gzip.decompress(raw)
                body = json.loads(raw)
                if self.path.startswith("/api/v1/reviews"):
                    data = base64.b64decode(body["envelope"])
                    rogue.reviews.append(data)
                    return self._answer(*review_answer(rogue, data))
                results = []
                for b64 in body.get("envelopes", []):
                    data = base64.b64decode(b64)
                    eid = env.peek(data).envelope_id
                    wire = rc.sign(rc.Receipt(eid, hashlib.sha256(data).hexdigest(),
                                              "2026-01-01T00:00:00.000Z", {}, True), rogue.e)
                    results.append({"envelope_id": eid, "status": "accepted", "receipt": wire})
                return self._answer(200, {"results": results})

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _signed_receipt(rogue, data):
    import hashlib

    from sync import receipt as rc
    eid = env.peek(data).envelope_id
    return 200, {"envelope_id": eid, "status": "accepted", "receipt": rc.sign(
        rc.Receipt(eid, hashlib.sha256(data).hexdigest(), "2026-01-01T00:00:00.000Z", {}, True), rogue.e)}


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
    rogue = _Rogue(answer)
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
    rogue = _Rogue(_signed_receipt)
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
    rogue = _Rogue(_signed_receipt, endless)
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
