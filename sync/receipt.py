"""Office-signed receipts: the phone's proof of what the office accepted.

A receipt body names the envelope, the SHA-256 of the exact envelope bytes, every
attachment with its checksum, and the office's own receive time. The phone purges its
copy only after verifying the proof AND that every attachment it sealed is named
(other tools have lost attachments silently while reporting success).

Batch receipts (sync/ENVELOPE.md, "Receipts"): the office signs ONE statement per batch,
the root of an RFC 6962 Merkle tree whose leaves are the hashes of the batch's receipt
bodies; each report's receipt carries its body, its leaf index, its audit path and the
signed root, so it stays a self-contained proof for that one report. Leaf and node
hashes are domain-separated (0x00 / 0x01 prefixes) so a node can never pass for a leaf.
A receipt on its own (a replay, an attachment completed later, a review) is a batch of one.
Encoding: canonical JSON (sorted keys, no spaces) + detached Ed25519 signature, base64.
"""
from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache

from core.crypto import Ed25519PrivateKey, Ed25519PublicKey, InvalidSignature
from core.errors import EnvelopeError
from sync.envelope import raw_public

_CONTEXT = "jaga-desa/v1/receipt"
_ROOT_CONTEXT = "jaga-desa/v1/receipt-root"
_BODY_FIELDS = ("ctx", "envelope_id", "envelope_sha256", "received_at", "attachments", "complete")
_PROOF_FIELDS = ("tree_size", "leaf_index", "audit_path", "root", "signature")
MAX_TREE = 1 << 16          # far above any batch (the office takes at most 500 per push)


@dataclass(frozen=True)
class Receipt:
    envelope_id: str
    envelope_sha256: str
    received_at: str                    # office clock, ISO 8601 UTC
    attachments: dict[str, str]         # att_id -> sha256 the office holds
    complete: bool                      # True only when every attachment is stored

    def body(self) -> dict:
        return {"ctx": _CONTEXT, "envelope_id": self.envelope_id,
                "envelope_sha256": self.envelope_sha256, "received_at": self.received_at,
                "attachments": dict(sorted(self.attachments.items())), "complete": self.complete}


# json.dumps(body, sort_keys=True, separators=(",", ":")), its encoder built once (dumps builds
# one per call when any option is set): the office encodes a leaf for every report it takes
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":")).encode


def _canonical(body: dict) -> bytes:
    return _CANONICAL(body).encode()


def leaf_hash(body: dict) -> bytes:
    """RFC 6962 leaf: SHA-256(0x00 | canonical receipt body)."""
    return hashlib.sha256(b"\x00" + _canonical(body)).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 6962 interior node: SHA-256(0x01 | left | right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _tree(leaves: list[bytes]) -> tuple[bytes, list[list[bytes]]]:
    """RFC 6962 MTH and PATH for every leaf: split at the largest power of two below n."""
    n = len(leaves)
    if n == 1:
        return leaves[0], [[]]
    k = 1 << ((n - 1).bit_length() - 1)
    left, lpaths = _tree(leaves[:k])
    right, rpaths = _tree(leaves[k:])
    return node_hash(left, right), [p + [right] for p in lpaths] + [p + [left] for p in rpaths]


def root_statement(tree_size: int, root: bytes) -> bytes:
    """The bytes the office signs once per batch."""
    return _canonical({"ctx": _ROOT_CONTEXT, "root": root.hex(), "tree_size": tree_size})


def sign_batch(receipts: list[Receipt], office_key: Ed25519PrivateKey) -> list[dict]:
    """Wire receipts for a whole batch, in order: one signature over the Merkle root."""
    if not receipts:
        return []
    bodies = [r.body() for r in receipts]
    root, paths = _tree([leaf_hash(b) for b in bodies])
    signature = base64.b64encode(office_key.sign(root_statement(len(bodies), root))).decode()
    return [{**body, "tree_size": len(bodies), "leaf_index": i, "audit_path": [p.hex() for p in path],
             "root": root.hex(), "signature": signature} for i, (body, path) in enumerate(zip(bodies, paths))]


def sign(receipt: Receipt, office_key: Ed25519PrivateKey) -> dict:
    """The wire form of a receipt on its own: a batch of one (the root is its leaf hash)."""
    return sign_batch([receipt], office_key)[0]


def root_from_path(leaf: bytes, leaf_index: int, tree_size: int, path: list[bytes]) -> bytes:
    """RFC 9162 §2.1.3.2: recompute the root from a leaf and its audit path, or raise."""
    if not 0 <= leaf_index < tree_size:
        raise EnvelopeError("receipt leaf index out of range")
    fn, sn, r = leaf_index, tree_size - 1, leaf
    for p in path:
        if sn == 0:
            raise EnvelopeError("receipt audit path too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise EnvelopeError("receipt audit path too short")
    return r


@lru_cache(maxsize=256)
def _root_signed(office_public_raw: bytes, statement: bytes, signature: bytes) -> bool:
    """One Ed25519 check per batch: every receipt of a batch carries the same signed root.
    Only successes are cached, keyed by the exact key, statement and signature bytes."""
    try:
        Ed25519PublicKey.from_public_bytes(office_public_raw).verify(signature, statement)
    except InvalidSignature:
        raise EnvelopeError("receipt signature does not verify") from None
    return True


def _unhex32(value) -> bytes:
    if not isinstance(value, str) or len(value) != 64:
        raise ValueError("not a 32-byte hex hash")
    return bytes.fromhex(value)


def verify(wire: dict, office_public: Ed25519PublicKey, envelope: bytes,
           attachments: dict[str, str] | None = None) -> Receipt:
    """Check a receipt against the envelope bytes we sent and the attachments we sealed:
    its body hashes to a leaf, the audit path leads to the root, the office signed that root."""
    try:
        body = {k: wire[k] for k in _BODY_FIELDS}
        size, index, path = wire["tree_size"], wire["leaf_index"], wire["audit_path"]
        if (type(size) is not int or type(index) is not int or not 0 < size <= MAX_TREE
                or not isinstance(path, list) or len(path) > 17):
            raise ValueError("malformed proof")
        root = _unhex32(wire["root"])
        signature = base64.b64decode(wire["signature"], validate=True)
        computed = root_from_path(leaf_hash(body), index, size, [_unhex32(p) for p in path])
        if computed != root:
            raise EnvelopeError("receipt is not in the signed batch")
        _root_signed(raw_public(office_public), root_statement(size, root), signature)
    except (KeyError, TypeError, ValueError, RecursionError, InvalidSignature) as exc:
        raise EnvelopeError("receipt signature does not verify") from exc
    if (body["ctx"] != _CONTEXT or not isinstance(body["attachments"], dict)
            or body["envelope_sha256"] != hashlib.sha256(envelope).hexdigest()):
        raise EnvelopeError("receipt is for a different envelope")
    if attachments and any(body["attachments"].get(a) != s for a, s in attachments.items()):
        raise EnvelopeError("receipt does not name every attachment")
    return Receipt(body["envelope_id"], body["envelope_sha256"], body["received_at"],
                   dict(body["attachments"]), bool(body["complete"]))


# --- on the wire: a batch's proofs travel once ------------------------------------------
# The phone holds every receipt body of its own batch, so it can rebuild the tree itself:
# the office's answer carries the root and its signature once (`batch`) and each receipt
# only its body and leaf index. The phone rebuilds the audit paths (expand_batch) and then
# verifies and keeps every receipt as a self-contained proof, as if the office had sent it.
_SHARED = ("tree_size", "root", "signature")


def compact_batch(results: list[dict]) -> tuple[list[dict], dict | None]:
    """Office side: strip the batch-wide parts and the audit paths from the receipts of the
    tree signed for this push (the first accepted item's); other receipts stay whole."""
    first = next((r["receipt"] for r in results if r.get("status") == "accepted" and r.get("receipt")), None)
    if first is None or first["tree_size"] < 2:
        return results, None
    batch = {k: first[k] for k in _SHARED}
    out = []
    for r in results:
        wire = r.get("receipt")
        if wire and wire.get("root") == batch["root"] and wire.get("signature") == batch["signature"]:
            r = {**r, "receipt": {k: v for k, v in wire.items() if k not in _SHARED and k != "audit_path"}}
        out.append(r)
    return out, batch


def expand_batch(results: list, batch) -> list:
    """Phone side: rebuild each compact receipt's audit path from every body of the batch.
    Never raises: anything that does not add up is left as it came and fails `verify`."""
    try:
        size = batch["tree_size"]
        if type(size) is not int or not 1 < size <= MAX_TREE:
            return results
        bodies: dict[int, dict] = {}
        for r in results:
            wire = r.get("receipt") if isinstance(r, dict) else None
            if isinstance(wire, dict) and wire.get("audit_path") is None and type(wire.get("leaf_index")) is int:
                bodies.setdefault(wire["leaf_index"], {k: wire[k] for k in _BODY_FIELDS})
        if sorted(bodies) != list(range(size)):
            return results
        _, paths = _tree([leaf_hash(bodies[i]) for i in range(size)])
        shared = {k: batch[k] for k in _SHARED}
    except (KeyError, TypeError, ValueError, RecursionError):
        return results
    out = []
    for r in results:
        wire = r.get("receipt") if isinstance(r, dict) else None
        if isinstance(wire, dict) and wire.get("audit_path") is None and wire.get("leaf_index") in bodies:
            r = {**r, "receipt": {**wire, **shared, "audit_path": [p.hex() for p in paths[wire["leaf_index"]]]}}
        out.append(r)
    return out
