"""The wire's test vectors as plain checks, run by both backends of core.crypto.

No pytest here on purpose: tests/sync/test_vectors_pyodide.py runs `run_all()` inside
Pyodide (Node + the same Pyodide the offline app ships, noble backend), and
tests/sync/test_vector_checks.py runs it on CPython (pyca backend). Every check compares
bytes: a re-sealed envelope, a re-signed receipt batch or statement must equal the JSON.
"""
from __future__ import annotations

import copy
import json
from pathlib import Path

from core import crypto
from core.errors import EnvelopeError, TrustError
from sync import envelope as env
from sync import receipt as rc
from sync import statement
from tests.sync.make_receipt_vectors import OFFICE as RECEIPT_OFFICE
from tests.sync.make_vectors import keys, seal_vector

HERE = Path(__file__).with_name("vectors")


def _load(name: str) -> dict:
    return json.loads((HERE / name).read_text())


def _fails(exc_type, fn, *args, **kw) -> bool:
    try:
        fn(*args, **kw)
    except exc_type:
        return True
    return False


def check_primitives() -> int:
    """Published vectors of the primitives themselves (RFC 5869, RFC 7914, RFC 7748, RFC 8032)."""
    okm = crypto.hkdf_sha256(bytes.fromhex("0b" * 22), salt=bytes.fromhex("000102030405060708090a0b0c"),
                             info=bytes.fromhex("f0f1f2f3f4f5f6f7f8f9"), length=42)
    assert okm.hex() == ("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
                         "34007208d5b887185865"), "HKDF RFC 5869 case 1"
    assert crypto.scrypt(b"password", salt=b"NaCl", n=1024, r=8, p=16, length=64).hex() == (
        "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162"
        "2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640"), "scrypt RFC 7914"
    alice = crypto.X25519PrivateKey.from_private_bytes(bytes.fromhex(
        "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"))
    bob_pub = crypto.X25519PublicKey.from_public_bytes(bytes.fromhex(
        "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"))
    assert alice.public_key().public_bytes_raw().hex() == (
        "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"), "X25519 RFC 7748"
    assert alice.exchange(bob_pub).hex() == (
        "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"), "X25519 RFC 7748"
    assert _fails(ValueError, alice.exchange, crypto.X25519PublicKey.from_public_bytes(bytes(32))), \
        "X25519 with a low-order point must fail"
    sk = crypto.Ed25519PrivateKey.from_private_bytes(bytes.fromhex(
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"))
    sig = sk.sign(b"")
    assert sig.hex() == ("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
                         "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"), "Ed25519 RFC 8032"
    pub = sk.public_key()
    pub.verify(sig, b"")
    assert _fails(crypto.InvalidSignature, pub.verify, sig, b"x")
    # S + L (the group order) is the same point equation but not canonical: strict verifiers refuse it.
    order = 2 ** 252 + 27742317777372353535851937790883648493
    s = int.from_bytes(sig[32:], "little") + order
    assert _fails(crypto.InvalidSignature, pub.verify, sig[:32] + s.to_bytes(32, "little"), b""), \
        "Ed25519 must refuse a non-canonical S (malleability)"
    aead = crypto.AESGCM(bytes(32))
    ct = aead.encrypt(bytes(12), b"", None)
    assert ct.hex() == "530f8afbc74536b9a963b4f1c4cb738b", "AES-256-GCM, zero key/nonce/empty"
    assert _fails(crypto.InvalidTag, aead.decrypt, bytes(12), ct[:-1] + bytes([ct[-1] ^ 1]), None)
    return 11


def check_envelopes() -> int:
    vectors, k = _load("envelope_v1.json"), keys()
    assert {n: env.raw_public(key.public_key()).hex() for n, key in k.items()} == vectors["public_keys"]
    n = 0
    for v in vectors["valid"]:
        data = bytes.fromhex(v["envelope"])
        assert seal_vector(v, k).envelope == data, f"envelope {v['name']} re-seals to other bytes"
        for r in v["recipients"]:
            opened = env.open(data, recipient_key=k[r], author_public=k["author"].public_key())
            assert opened.payload == v["payload"]
            for att_id, plain in v["attachments"].items():
                assert opened.attachment(att_id, bytes.fromhex(v["blobs"][att_id])) == bytes.fromhex(plain)
        n += 1
    for case in vectors["invalid"]:
        data = bytes.fromhex(case["envelope"])
        try:
            opened = env.open(data, recipient_key=k[case["open_as"]],
                              author_public=k[case.get("author", "author")].public_key())
            att = case.get("attachment")
            assert att is not None, f"tampered envelope {case['name']} opened"
            opened.attachment(att["att_id"], bytes.fromhex(att["blob"]))
            raise AssertionError(f"tampered envelope {case['name']} opened")
        except EnvelopeError:
            n += 1
    return n


def _receipt(body: dict) -> rc.Receipt:
    return rc.Receipt(body["envelope_id"], body["envelope_sha256"], body["received_at"],
                      body["attachments"], body["complete"])


def check_receipts() -> int:
    vectors = _load("receipt_v1.json")
    pubs = {"office": crypto.Ed25519PublicKey.from_public_bytes(bytes.fromhex(vectors["office_ed25519_public"])),
            "impostor": crypto.Ed25519PublicKey.from_public_bytes(bytes.fromhex(vectors["impostor_ed25519_public"]))}
    n = 0
    for v in vectors["valid"]:
        receipts = [_receipt(b) for b in v["receipts"]]
        assert rc.sign_batch(receipts, RECEIPT_OFFICE) == v["wires"], f"receipts {v['name']} re-sign differently"
        for body, wire, envelope in zip(v["receipts"], v["wires"], v["envelopes"]):
            assert rc.verify(wire, pubs["office"], bytes.fromhex(envelope), body["attachments"]) == _receipt(body)
        n += 1
    for case in vectors["invalid"]:
        assert _fails(EnvelopeError, rc.verify, case["wire"], pubs[case["key"]], bytes.fromhex(case["envelope"]),
                      case["attachments"]), f"receipt {case['name']} verified"
        n += 1
    return n


def check_statements() -> int:
    from tests.sync.make_statement_vectors import OFFICE
    v = _load("statement_v1.json")
    pub = crypto.Ed25519PublicKey.from_public_bytes(bytes.fromhex(v["office_ed25519_public"]))
    envelope = bytes.fromhex(v["envelope"])
    assert statement.sign_item(v["item"], OFFICE) == v["item_wire"]
    assert statement.sign_answer(v["answer"], OFFICE) == v["answer_signature"]
    assert statement.sign_refusal(OFFICE, **v["refusal"], envelope=envelope,
                                  envelope_id=v["envelope_id"]) == v["item_refusal"]
    assert statement.sign_refusal(OFFICE, **v["refusal"]) == v["device_refusal"]
    assert statement.check_item(v["item_wire"], pub) == v["item"]
    assert statement.check_answer({**v["answer"], "signature": v["answer_signature"]}, pub) == \
        {**v["answer"], "ctx": statement.ENROLLMENT}
    statement.check_refusal(v["item_refusal"], pub, code="revoked", device_id=v["refusal"]["device_id"],
                            purpose=v["refusal"]["purpose"], nonce=v["refusal"]["nonce"],
                            envelope=envelope, envelope_id=v["envelope_id"])
    forged = copy.deepcopy(v["item_wire"])
    forged["body"]["message"] = "Laporan ditolak"
    assert _fails(TrustError, statement.check_item, forged, pub)
    assert _fails(TrustError, statement.check_refusal, v["device_refusal"], pub, code="revoked",
                  device_id="another-device", purpose=v["refusal"]["purpose"], nonce=v["refusal"]["nonce"])
    assert _fails(TrustError, statement.check_refusal, v["item_refusal"], pub, code="revoked",
                  device_id=v["refusal"]["device_id"], purpose="review", nonce=v["refusal"]["nonce"],
                  envelope=envelope, envelope_id=v["envelope_id"])    # the refusal of another door
    return 10


def run_all() -> dict[str, int]:
    """Every check; returns how many cases each ran (a count of 0 would be a defect)."""
    return {"backend": crypto.BACKEND, "primitives": check_primitives(), "envelopes": check_envelopes(),
            "receipts": check_receipts(), "statements": check_statements()}


if __name__ == "__main__":
    print(json.dumps(run_all()))
