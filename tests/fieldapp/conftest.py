"""Device fixtures: real SQLite files in tmp_path, real crypto.

`enroll_offline` stands in for the office's enrollment *response* only (the real HTTP
enrollment is tested in tests/sync and tests/e2e): it generates a real office key pair
and applies it exactly as `device enroll` would.
"""
from __future__ import annotations

import base64
import uuid

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from fieldapp.device import Device

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

    def response(self, session, heads=()) -> dict:
        b64 = lambda raw: base64.b64encode(raw).decode()  # noqa: E731
        return {"person_id": str(uuid.uuid4()), "device_id": str(uuid.uuid4()), "sync_token": "tok-" + uuid.uuid4().hex,
                "village_id": self.village, "village_name": "Desa Sebatik", "role": session.role,
                "office_x25519_public": b64(self.x.public_key().public_bytes_raw()),
                "office_ed25519_public": b64(self.e.public_key().public_bytes_raw()),
                "recipients": [{"person_id": pid, "x25519_public": b64(pub)} for pid, pub in heads]}


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
    device.apply_enrollment(s, "http://127.0.0.1:9", office.response(s))
    return s
