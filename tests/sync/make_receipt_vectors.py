"""Generate tests/sync/vectors/receipt_v1.json — deterministic batch-receipt test vectors.

    python -m tests.sync.make_receipt_vectors     # rewrite the JSON (only when the format changes!)

The office key comes from a fixed seed (as in make_vectors); Ed25519 signatures are
deterministic, so every wire receipt is reproducible byte for byte. The leaf and node
hashes are computed HERE, independently of sync.receipt, straight from RFC 6962's
definitions, so the vectors check the module rather than echo it.
"""
from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path

from core.crypto import Ed25519PrivateKey

from sync import receipt as rc
from tests.sync.make_vectors import seed_bytes

OUT = Path(__file__).with_name("vectors") / "receipt_v1.json"
OFFICE = Ed25519PrivateKey.from_private_bytes(seed_bytes("office-ed25519"))
OTHER = Ed25519PrivateKey.from_private_bytes(seed_bytes("impostor-ed25519"))


def envelope_bytes(batch: str, i: int) -> bytes:
    """Stand-in envelope bytes: a receipt only ever sees their SHA-256."""
    return f"envelope {batch}/{i}".encode()


def receipts(batch: str, size: int) -> list[rc.Receipt]:
    out = []
    for i in range(size):
        atts = {f"{i:032x}": hashlib.sha256(f"blob {batch}/{i}".encode()).hexdigest()} if i % 3 == 2 else {}
        out.append(rc.Receipt(f"00000000-0000-4000-8000-{i:012x}", hashlib.sha256(envelope_bytes(batch, i)).hexdigest(),
                              "2026-01-01T00:00:00.000Z", atts, True))
    return out


def _h(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def mth(leaves: list[bytes]) -> bytes:
    """RFC 6962 §2.1 Merkle Tree Hash over already-hashed leaves."""
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return _h(b"\x01" + mth(leaves[:k]) + mth(leaves[k:]))


BATCHES = {"one": 1, "two": 2, "three": 3, "five": 5, "eight": 8, "thirteen": 13}


def build() -> dict:
    valid, invalid = [], []
    for name, size in BATCHES.items():
        rs = receipts(name, size)
        leaves = [_h(b"\x00" + json.dumps(r.body(), sort_keys=True, separators=(",", ":")).encode()) for r in rs]
        wires = rc.sign_batch(rs, OFFICE)
        assert all(w["root"] == mth(leaves).hex() for w in wires)
        valid.append({"name": f"batch_{name}", "receipts": [r.body() for r in rs],
                      "envelopes": [envelope_bytes(name, i).hex() for i in range(size)],
                      "leaf_hashes": [x.hex() for x in leaves], "root": mth(leaves).hex(), "wires": wires})
    five = valid[3]
    base, env2 = five["wires"][2], five["envelopes"][2]

    def bad(label: str, wire: dict, envelope: str = env2, key: str = "office", attachments=None) -> None:
        invalid.append({"name": label, "wire": wire, "envelope": envelope, "key": key,
                        "attachments": attachments})

    def changed(**kv) -> dict:
        w = copy.deepcopy(base)
        w.update(kv)
        return w

    path = base["audit_path"]
    bad("wrong_office_key", base, key="impostor")
    bad("other_envelope", base, envelope=five["envelopes"][3])
    bad("leaf_index_of_a_sibling", changed(leaf_index=3))
    bad("leaf_index_out_of_range", changed(leaf_index=5))
    bad("tree_size_changed", changed(tree_size=6))
    bad("tree_size_zero", changed(tree_size=0))
    bad("audit_path_node_flipped", changed(audit_path=[path[0][:-1] + ("0" if path[0][-1] != "0" else "1")] + path[1:]))
    bad("audit_path_reordered", changed(audit_path=path[::-1]))
    bad("audit_path_truncated", changed(audit_path=path[:-1]))
    bad("audit_path_extended", changed(audit_path=path + [path[0]]))
    bad("root_of_another_batch", changed(root=valid[4]["root"], signature=valid[4]["wires"][0]["signature"]))
    bad("received_at_changed", changed(received_at="2026-01-02T00:00:00.000Z"))
    bad("complete_flipped", changed(complete=False))
    bad("attachment_missing", base, attachments={"0" * 32: "00" * 32})
    bad("ctx_changed", changed(ctx="jaga-desa/v1/feedback"))
    bad("path_of_a_smaller_tree", changed(leaf_index=1, tree_size=3, audit_path=path[1:]))
    bad("signature_over_other_tree_size", changed(tree_size=8, root=valid[4]["root"]))
    bad("signature_missing", {k: v for k, v in base.items() if k != "signature"})
    single = valid[0]["wires"][0]
    bad("single_with_nonempty_path", {**single, "audit_path": [single["root"]]}, envelope=valid[0]["envelopes"][0])
    return {"office_ed25519_public": OFFICE.public_key().public_bytes_raw().hex(),
            "impostor_ed25519_public": OTHER.public_key().public_bytes_raw().hex(),
            "valid": valid, "invalid": invalid}


if __name__ == "__main__":
    OUT.write_text(json.dumps(build(), indent=1, sort_keys=True) + "\n")
    print(f"wrote {OUT}")
