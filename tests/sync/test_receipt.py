"""sync.receipt: batch receipts against JSON vectors (tests/sync/vectors/receipt_v1.json,
made by tests/sync/make_receipt_vectors.py with RFC 6962 hashes computed independently),
every tamper case, and round trips for every batch size up to a full push batch."""
from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from core.errors import EnvelopeError
from sync import receipt as rc
from tests.sync.make_receipt_vectors import OFFICE, mth

VECTORS = json.loads((Path(__file__).with_name("vectors") / "receipt_v1.json").read_text())
KEYS = {"office": Ed25519PublicKey.from_public_bytes(bytes.fromhex(VECTORS["office_ed25519_public"])),
        "impostor": Ed25519PublicKey.from_public_bytes(bytes.fromhex(VECTORS["impostor_ed25519_public"]))}


def _receipt(body: dict) -> rc.Receipt:
    return rc.Receipt(body["envelope_id"], body["envelope_sha256"], body["received_at"],
                      body["attachments"], body["complete"])


@pytest.mark.parametrize("v", VECTORS["valid"], ids=lambda v: v["name"])
def test_valid_vector(v):
    receipts = [_receipt(b) for b in v["receipts"]]
    assert [rc.leaf_hash(r.body()).hex() for r in receipts] == v["leaf_hashes"]
    # Stable: signing the same batch gives the same wire receipts (Ed25519 is deterministic).
    assert rc.sign_batch(receipts, OFFICE) == v["wires"]
    for body, wire, envelope in zip(v["receipts"], v["wires"], v["envelopes"]):
        assert wire["root"] == v["root"]
        got = rc.verify(wire, KEYS["office"], bytes.fromhex(envelope), body["attachments"])
        assert got == _receipt(body)


@pytest.mark.parametrize("case", VECTORS["invalid"], ids=lambda c: c["name"])
def test_invalid_vector(case):
    with pytest.raises(EnvelopeError):
        rc.verify(case["wire"], KEYS[case["key"]], bytes.fromhex(case["envelope"]), case["attachments"])


@pytest.mark.parametrize("size", [1, 2, 3, 4, 6, 7, 9, 16, 17, 200, 500])
def test_every_leaf_of_every_batch_size_verifies(size):
    receipts = [rc.Receipt(f"id-{i}", hashlib.sha256(b"%d" % i).hexdigest(), "t", {}, True) for i in range(size)]
    wires = rc.sign_batch(receipts, OFFICE)
    leaves = [rc.leaf_hash(r.body()) for r in receipts]
    assert {w["root"] for w in wires} == {mth(leaves).hex()}
    assert {w["signature"] for w in wires} == {wires[0]["signature"]}      # one signature per batch
    for i, w in enumerate(wires):
        assert len(w["audit_path"]) <= max(1, (size - 1).bit_length())
        assert rc.verify(w, OFFICE.public_key(), b"%d" % i).envelope_id == f"id-{i}"
        with pytest.raises(EnvelopeError):          # a proof never fits a neighbour's body
            rc.verify({**w, **receipts[(i + 1) % size].body()}, OFFICE.public_key(), b"%d" % ((i + 1) % size)) \
                if size > 1 else rc.verify(w, OFFICE.public_key(), b"other")


def test_node_cannot_pass_for_a_leaf():
    """Domain separation: the interior node over two leaves is not the leaf hash of anything
    whose canonical JSON equals those two leaves, and the tree of two differs from a
    tree of one whose single 'leaf' is that node (the 0x00/0x01 prefixes)."""
    a, b = (rc.leaf_hash(rc.Receipt(f"id-{i}", "0" * 64, "t", {}, True).body()) for i in range(2))
    node = rc.node_hash(a, b)
    assert node == hashlib.sha256(b"\x01" + a + b).digest() != hashlib.sha256(a + b).digest()
    assert rc.root_from_path(a, 0, 2, [b]) == node
    with pytest.raises(EnvelopeError):
        rc.root_from_path(node, 0, 2, [])           # a node offered as a leaf of a 2-tree


def test_verified_root_is_cached_but_a_forged_one_never_is():
    receipts = [rc.Receipt(f"id-{i}", hashlib.sha256(b"%d" % i).hexdigest(), "t", {}, True) for i in range(4)]
    wires = rc.sign_batch(receipts, OFFICE)
    rc.verify(wires[0], OFFICE.public_key(), b"0")
    forged = copy.deepcopy(wires[1])
    other = rc.sign_batch(receipts, Ed25519PrivateKey.generate())[1]
    forged["signature"] = other["signature"]
    for _ in range(2):                              # a failure is not cached as a success
        with pytest.raises(EnvelopeError):
            rc.verify(forged, OFFICE.public_key(), b"1")
    assert rc.verify(wires[1], OFFICE.public_key(), b"1").envelope_id == "id-1"


def _push_answer(size: int, key=OFFICE, stamp: str = "t"):
    receipts = [rc.Receipt(f"id-{i}", hashlib.sha256(b"%d" % i).hexdigest(), stamp, {}, True) for i in range(size)]
    wires = rc.sign_batch(receipts, key)
    return wires, [{"envelope_id": f"id-{i}", "status": "accepted", "receipt": w} for i, w in enumerate(wires)]


@pytest.mark.parametrize("size", [2, 3, 200])
def test_compact_on_the_wire_then_expanded_on_the_phone_is_the_same_proof(size):
    wires, results = _push_answer(size)
    # a replay of an older envelope in the same push keeps its own whole receipt
    older = rc.sign(rc.Receipt("old", hashlib.sha256(b"old").hexdigest(), "t0", {}, True), OFFICE)
    results.append({"envelope_id": "old", "status": "duplicate", "receipt": older})
    compact, batch = rc.compact_batch(results)
    assert batch == {k: wires[0][k] for k in ("tree_size", "root", "signature")}
    assert all("audit_path" not in r["receipt"] and "signature" not in r["receipt"] for r in compact[:-1])
    assert compact[-1]["receipt"] == older
    expanded = rc.expand_batch(json.loads(json.dumps(compact)), json.loads(json.dumps(batch)))
    assert [r["receipt"] for r in expanded] == wires + [older]
    assert rc.verify(expanded[1]["receipt"], OFFICE.public_key(), b"1").envelope_id == "id-1"


def test_expanded_proof_fails_when_the_office_lies_or_leaves_a_leaf_out():
    wires, results = _push_answer(5)
    compact, batch = rc.compact_batch(results)
    # a root signed by the office but over other bodies: the rebuilt path leads elsewhere
    _, others = _push_answer(5, stamp="another time")
    other_batch = rc.compact_batch(others)[1]
    lied = rc.expand_batch(compact, other_batch)
    with pytest.raises(EnvelopeError):
        rc.verify(lied[0]["receipt"], OFFICE.public_key(), b"0")
    # one body missing: nothing is rebuilt, and a compact receipt never verifies on its own
    partial = rc.expand_batch(compact[:4], batch)
    with pytest.raises(EnvelopeError):
        rc.verify(partial[0]["receipt"], OFFICE.public_key(), b"0")


@pytest.mark.parametrize("batch", [None, "x", [], {"tree_size": "5"}, {"tree_size": 10 ** 9},
                                   {"tree_size": 2, "root": "00", "signature": "x"}, {"tree_size": True}])
@pytest.mark.parametrize("results", [[], ["x"], [{"receipt": "x"}], [{"receipt": {"leaf_index": 0}}],
                                     [{"receipt": {"leaf_index": [0]}}, None]])
def test_expand_never_raises_on_hostile_answers(batch, results):
    assert rc.expand_batch(results, batch) == results
