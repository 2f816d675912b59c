"""Device fixtures: real SQLite files in tmp_path, real crypto.

`Office` stands in for the office's enrollment *response* only (the real HTTP enrollment
is tested in tests/sync and tests/e2e): a real office key pair, a real signed answer and
the ticket (code + fingerprint) the phone pins, applied exactly as `device enroll` would.
"""
from __future__ import annotations

import base64
import uuid

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from fieldapp.device import Device
from sync import identity, statement

PIN, HEAD_PIN = "246810", "135790"


@pytest.fixture(autouse=True)
def fast_kdf(monkeypatch):
    # Real scrypt, calibrated to ~20 ms instead of ~0.4 s so the suite stays fast.
    monkeypatch.setenv("JAGA_KDF_SECONDS", "0.02")


class Office:
    def __init__(self) -> None:
        self.x = X25519PrivateKey.generate()
        self.e = Ed25519PrivateKey.generate()
        self.village = str(uuid.uuid4())
        self.device_id = str(uuid.uuid4())

    def ticket(self, url: str = "http://127.0.0.1:9") -> identity.Ticket:
        fp = identity.fingerprint(self.x.public_key().public_bytes_raw(), self.e.public_key().public_bytes_raw())
        return identity.Ticket("ABCD-EFGH-JKLM", fp, url)

    def response(self, session, heads=(), issued_at: str = "2026-01-01T00:00:00.000Z") -> dict:
        b64 = lambda raw: base64.b64encode(raw).decode()  # noqa: E731
        answer = {"person_id": session.person_id or str(uuid.uuid4()), "device_id": self.device_id,
                  "sync_token": "tok-" + uuid.uuid4().hex,
                  "village_id": self.village, "village_name": "Desa Sebatik", "role": session.role,
                  "x25519_public": b64(session.x25519.public_key().public_bytes_raw()),
                  "ed25519_public": b64(session.ed25519.public_key().public_bytes_raw()),
                  "office_x25519_public": b64(self.x.public_key().public_bytes_raw()),
                  "office_ed25519_public": b64(self.e.public_key().public_bytes_raw()),
                  "issued_at": issued_at,
                  "recipients": [{"person_id": pid, "x25519_public": b64(pub)} for pid, pub in heads]}
        return {**answer, "signature": statement.sign_answer(answer, self.e)}


@pytest.fixture
def office() -> Office:
    return Office()


@pytest.fixture
def device(tmp_path) -> Device:
    dev = Device.init(tmp_path / "dev")
    yield dev
    try:
        dev.close()
    except Exception:
        pass


@pytest.fixture
def volunteer(device, office):
    """An enrolled volunteer session on `device`."""
    device.add_user("Siti", "volunteer", PIN)
    s = device.unlock("Siti", PIN)
    device.apply_enrollment(s, office.ticket(), office.response(s))
    return s
