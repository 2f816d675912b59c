"""Generate tests/sync/vectors/envelope_v1.json — deterministic envelope v1 test vectors.

    python -m tests.sync.make_vectors      # rewrite the JSON (only when the format changes!)

Keys come from fixed seeds; content keys, nonces and ephemeral keys from a counter-mode
SHA-256 stream fed to the private `_rng` hook of sync.envelope.seal. The test re-seals
every vector and must get the same bytes: any change to the wire format shows up here.
"""
from __future__ import annotations

import hashlib
import json
import struct
from pathlib import Path

from core.crypto import Ed25519PrivateKey, X25519PrivateKey

from sync import envelope as env

OUT = Path(__file__).with_name("vectors") / "envelope_v1.json"
SEEDS = {"author": "author-ed25519", "office": "office-x25519", "head": "head-x25519",
         "stranger": "stranger-x25519", "impostor": "impostor-ed25519"}


def seed_bytes(label: str) -> bytes:
    return hashlib.sha256(b"jaga-desa test vector seed/" + label.encode()).digest()


def keys() -> dict:
    out = {}
    for name, label in SEEDS.items():
        cls = Ed25519PrivateKey if label.endswith("ed25519") else X25519PrivateKey
        out[name] = cls.from_private_bytes(seed_bytes(label))
    return out


class Stream:
    """Deterministic byte stream: SHA-256(seed | counter) blocks."""

    def __init__(self, seed: str) -> None:
        self.seed, self.counter = seed.encode(), 0

    def __call__(self, n: int) -> bytes:
        out = b""
        while len(out) < n:
            out += hashlib.sha256(self.seed + struct.pack(">Q", self.counter)).digest()
            self.counter += 1
        return out[:n]


VALID = [
    {"name": "text_report_office_and_head", "seed": "v1", "recipients": ["office", "head"],
     "envelope_id": "0f8fad5b-d9cb-469f-a165-70867728950e", "created_ms": 1767225600000,
     "author_id": "7c9e6679-7425-40de-944b-e07fc1f90ae7",
     "device_id": "3f333df6-90a4-4fda-8dd3-9485d27cee36",
     "form_id": "laporan_kecurigaan", "form_version": 2,
     "payload": {"answers": {"ringkasan": "Tiga perempuan dijemput mobil tanpa plat", "jumlah": 3},
                 "flags": {"category": "tppo", "urgent": True}, "rahasia": False, "lang": "id"},
     "attachments": {}},
    {"name": "rahasia_with_photo_office_only", "seed": "v2", "recipients": ["office"],
     "envelope_id": "1b4e28ba-2fa1-41d2-883f-0016d3cca427", "created_ms": 1767312000123,
     "author_id": "7c9e6679-7425-40de-944b-e07fc1f90ae7",
     "device_id": "3f333df6-90a4-4fda-8dd3-9485d27cee36",
     "form_id": "keberangkatan_pmi", "form_version": 1,
     "payload": {"answers": {"catatan": "rahasia — hanya untuk Imigrasi"}, "rahasia": True},
     "attachments": {"6ba7b8109dad11d180b400c04fd430c8": "ffd8ffe000104a464946" + "00" * 40}},
]


def seal_vector(v: dict, k: dict) -> env.Sealed:
    return env.seal(v["payload"], form_id=v["form_id"], form_version=v["form_version"],
                    author_id=v["author_id"], device_id=v["device_id"], signing_key=k["author"],
                    recipients=[k[r].public_key() for r in v["recipients"]],
                    attachments={a: bytes.fromhex(p) for a, p in v["attachments"].items()},
                    envelope_id=v["envelope_id"], created_ms=v["created_ms"], _rng=Stream(v["seed"]))


def regions(data: bytes) -> dict[str, tuple[int, int]]:
    """Byte ranges of every field, for targeted tampering."""
    pos, out = 0, {}

    def take(name, n):
        nonlocal pos
        out[name] = (pos, pos + n)
        pos += n

    take("magic", 2); take("version", 1); take("envelope_id", 16); take("created_ms", 8)
    take("author_id", 16); take("device_id", 16)
    flen = data[pos]
    take("form_id_len", 1); take("form_id", flen); take("form_version", 2)
    n_att = data[pos]
    take("n_att", 1)
    for i in range(n_att):
        take(f"att{i}_id", 16); take(f"att{i}_size", 4); take(f"att{i}_sha256", 32)
    n_rcpt = data[pos]
    take("n_rcpt", 1)
    for i in range(n_rcpt):
        take(f"rcpt{i}_key_id", 16); take(f"rcpt{i}_eph_pub", 32); take(f"rcpt{i}_wrapped", 48)
    take("nonce", 12)
    ct_len = struct.unpack(">I", data[pos:pos + 4])[0]
    take("ct_len", 4); take("ciphertext", ct_len); take("signature", 64)
    assert pos == len(data)
    return out


def flip(data: bytes, at: int, bit: int = 0) -> bytes:
    out = bytearray(data)
    out[at] ^= 1 << bit
    return bytes(out)


def strip_recipient(data: bytes, index: int) -> bytes:
    r = regions(data)
    start, end = r[f"rcpt{index}_key_id"][0], r[f"rcpt{index}_wrapped"][1]
    out = bytearray(data[:start] + data[end:])
    out[r["n_rcpt"][0]] -= 1
    return bytes(out)


def invalid_cases(v: dict, sealed: env.Sealed, k: dict, other: env.Sealed) -> list[dict]:
    data, r = sealed.envelope, regions(sealed.envelope)
    cases = []
    for name, (start, end) in r.items():
        if end > start:
            cases.append({"name": f"{v['name']}/flip_{name}", "envelope": flip(data, (start + end - 1) // 2, 3).hex(),
                          "open_as": v["recipients"][0]})
    cases += [
        {"name": f"{v['name']}/truncated_1", "envelope": data[:-1].hex(), "open_as": "office"},
        {"name": f"{v['name']}/truncated_half", "envelope": data[:len(data) // 2].hex(), "open_as": "office"},
        {"name": f"{v['name']}/trailing_byte", "envelope": (data + b"\x00").hex(), "open_as": "office"},
        {"name": f"{v['name']}/wrong_key", "envelope": data.hex(), "open_as": "stranger"},
        {"name": f"{v['name']}/wrong_author_key", "envelope": data.hex(), "open_as": "office",
         "author": "impostor"},
    ]
    # every envelope carries PAD_TO wraps (decoys included): stripping any one breaks the signature
    cases.append({"name": f"{v['name']}/stripped_recipient", "envelope": strip_recipient(data, 1).hex(),
                  "open_as": "office"})
    for att_id in sealed.blobs:
        swapped = other.blobs.get(att_id) or next(iter(other.blobs.values()), b"\x00" * 40)
        cases.append({"name": f"{v['name']}/swapped_attachment", "envelope": data.hex(), "open_as": "office",
                      "attachment": {"att_id": att_id, "blob": swapped.hex()}})
        cases.append({"name": f"{v['name']}/flipped_attachment", "envelope": data.hex(), "open_as": "office",
                      "attachment": {"att_id": att_id, "blob": flip(sealed.blobs[att_id], 20).hex()}})
    return cases


def build() -> dict:
    k = keys()
    public = {n: env.raw_public(key.public_key()).hex() for n, key in k.items()}
    doc = {"description": "Jaga Desa envelope v1 vectors; see sync/ENVELOPE.md. Private keys are "
                          "SHA-256('jaga-desa test vector seed/' + seed label); rng stream = "
                          "SHA-256(seed | u64 counter) blocks.",
           "seeds": SEEDS, "public_keys": public, "valid": [], "invalid": []}
    sealed_all = [seal_vector(v, k) for v in VALID]
    # A second, different-seed sealing of the photo vector supplies a blob to swap in.
    alt = {**VALID[1], "seed": "v2-alt", "envelope_id": "9a3b6e2c-1d4f-4a8b-9c7d-2e5f6a7b8c9d"}
    other = seal_vector(alt, k)
    for v, sealed in zip(VALID, sealed_all):
        doc["valid"].append({**v, "envelope": sealed.envelope.hex(),
                             "blobs": {a: b.hex() for a, b in sealed.blobs.items()}})
        doc["invalid"] += invalid_cases(v, sealed, k, other)
    return doc


if __name__ == "__main__":
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps(build(), indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {OUT}")
