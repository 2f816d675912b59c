"""sync/statement.py refusals on their own: what the signature binds, and what it refuses.

(The end-to-end attacks — a forged or replayed refusal through a hostile network against
the real office and the real Device — are tests/adversarial/test_redteam_refusals.py.)
"""
from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from core.errors import TrustError
from sync import statement

OFFICE = Ed25519PrivateKey.generate()
PUB = OFFICE.public_key()
A, B = b"JD\x01 report A bytes", b"JD\x01 report B bytes"
WHEN = "2026-11-26T08:00:00.000Z"
NONCE, OTHER_NONCE = statement.new_nonce(), statement.new_nonce()
ASKED = {"purpose": "push", "nonce": NONCE}          # the request the phone sent
DEVICE = {"purpose": "device", "nonce": NONCE}


def _item(**kw) -> dict:
    args = {"code": "revoked", "device_id": "dev-1", "refused_at": WHEN, "envelope": A, "envelope_id": "eid-a",
            **ASKED}
    return statement.sign_refusal(kw.pop("key", OFFICE), **{**args, **kw})


def test_an_item_refusal_verifies_for_its_bytes_code_device_and_request():
    got = statement.check_refusal(_item(), PUB, code="revoked", device_id="dev-1", envelope=A, envelope_id="eid-a",
                                  **ASKED)
    assert got["refused_at"] == WHEN and got["envelope_id"] == "eid-a" and len(got["envelope_sha256"]) == 64
    assert got["purpose"] == "push" and got["nonce"] == NONCE


@pytest.mark.parametrize("change", [
    {"envelope": B},                        # replayed onto another item's bytes
    {"envelope_id": "eid-b"},               # ... or another id
    {"device_id": "dev-2"},                 # ... or another phone
    {"code": "not_found"},                  # ... or as another answer
    {"envelope": None},                     # an item's refusal is not the device's
    {"purpose": "review"},                  # ... minted at the other door (issue 22, item 2)
    {"nonce": OTHER_NONCE},                 # ... or for another request of this phone
    {"nonce": None},                        # a phone that sent no nonce believes none
])
def test_a_refusal_does_not_verify_for_anything_else(change):
    expect = {"code": "revoked", "device_id": "dev-1", "envelope": A, "envelope_id": "eid-a", **ASKED, **change}
    with pytest.raises(TrustError):
        statement.check_refusal(_item(), PUB, **expect)


@pytest.mark.parametrize("bad", [{"purpose": "anything"}, {"nonce": ""}, {"nonce": "short"}, {"nonce": None},
                                 {"nonce": "x" * 200}, {"nonce": "a b c d e f g h i j k l m n o p"}])
def test_the_office_signs_only_for_a_known_door_and_a_real_nonce(bad):
    with pytest.raises(ValueError):
        _item(**bad)


def test_a_device_refusal_is_not_an_items_and_fields_cannot_be_edited():
    device = statement.sign_refusal(OFFICE, code="revoked", device_id="dev-1", refused_at=WHEN, **DEVICE)
    assert statement.check_refusal(device, PUB, code="revoked", device_id="dev-1",
                                   **DEVICE)["envelope_sha256"] is None
    with pytest.raises(TrustError):
        statement.check_refusal(device, PUB, code="revoked", device_id="dev-1", envelope=A, envelope_id="eid-a",
                                **DEVICE)
    with pytest.raises(TrustError):
        statement.check_refusal({**device, "device_id": "dev-2"}, PUB, code="revoked", device_id="dev-2", **DEVICE)
    with pytest.raises(TrustError):
        statement.check_refusal({**device, "refused_at": "2030-01-01T00:00:00.000Z"}, PUB, code="revoked",
                                device_id="dev-1", **DEVICE)
    with pytest.raises(TrustError):
        statement.check_refusal({**device, "nonce": OTHER_NONCE}, PUB, code="revoked", device_id="dev-1",
                                purpose="device", nonce=OTHER_NONCE)


@pytest.mark.parametrize("wire", [None, {}, "revoked", {"code": "revoked"},
                                  {**_item(), "signature": "not base64!"},
                                  _item(key=Ed25519PrivateKey.generate())])
def test_missing_malformed_or_foreign_signed_refusals_are_refused(wire):
    with pytest.raises(TrustError):
        statement.check_refusal(wire, PUB, code="revoked", device_id="dev-1", envelope=A, envelope_id="eid-a",
                                **ASKED)


def test_an_office_that_could_not_read_the_id_still_binds_the_bytes():
    unread = _item(envelope_id=None)
    assert statement.check_refusal(unread, PUB, code="revoked", device_id="dev-1", envelope=A, envelope_id="eid-a",
                                   **ASKED)
    with pytest.raises(TrustError):
        statement.check_refusal(unread, PUB, code="revoked", device_id="dev-1", envelope=B, envelope_id="eid-b",
                                **ASKED)


def test_no_device_id_on_the_phone_believes_nothing():
    with pytest.raises(TrustError):
        statement.check_refusal(_item(device_id=""), PUB, code="revoked", device_id="", envelope=A, envelope_id="eid-a",
                                **ASKED)


def test_a_courier_refusal_names_its_door_and_is_never_a_pushs_answer():
    """The courier door answers a file, not a request of the author's phone: no nonce. Such a
    refusal verifies only as a courier answer; a push's refusal is never a courier answer."""
    carried = _item(purpose="courier", nonce=None)
    assert statement.check_refusal(carried, PUB, code="revoked", device_id="dev-1", envelope=A,
                                   envelope_id="eid-a", purpose="courier", nonce=None)["purpose"] == "courier"
    for asked in (ASKED, {"purpose": "courier", "nonce": NONCE}, {"purpose": "review", "nonce": NONCE}):
        with pytest.raises(TrustError):
            statement.check_refusal(carried, PUB, code="revoked", device_id="dev-1", envelope=A,
                                    envelope_id="eid-a", **asked)
    with pytest.raises(TrustError):
        statement.check_refusal(_item(), PUB, code="revoked", device_id="dev-1", envelope=A, envelope_id="eid-a",
                                purpose="courier", nonce=None)
    with pytest.raises(ValueError):
        _item(purpose="courier", nonce=NONCE)            # the office never signs a courier nonce
