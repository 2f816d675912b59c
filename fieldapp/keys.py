"""Keys at rest on the phone: PIN-wrapped data keys and column encryption.

Keys belong to people, not phones: each local user has a random 256-bit data key,
wrapped under Scrypt(PIN). Another user of the same phone — even with the whole data
dir and their own valid PIN — holds a different key and cannot read it.
Scrypt is calibrated once per phone to ~0.4 s per guess (bench/pin_bench.py prints what
all 6-digit PINs then cost offline). That alone falls to a copy of the folder, so the key
that wraps the data key also mixes in the phone's pepper — a random secret held outside
the folder (secret_store.py): kek = HKDF(salt=pepper, Scrypt(PIN)). Without the pepper a
guess cannot even be checked. On the phone itself the persistent, slowing try counter
(users.py) protects short PINs.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass

from core.crypto import AESGCM, InvalidTag, X25519PrivateKey, X25519PublicKey, hkdf_sha256, scrypt
from core.errors import DecryptError

TARGET_SECONDS = 0.4
MIN_LOG2_N, MAX_LOG2_N = 12, 20


@dataclass(frozen=True)
class KdfParams:
    """Scrypt cost, and whether the phone's pepper is mixed in (users created before the
    pepper existed unwrap without it once, and are re-wrapped with it at that unlock)."""
    log2_n: int
    r: int = 8
    p: int = 1
    peppered: bool = False

    def to_json(self) -> str:
        d = {"alg": "scrypt", "log2_n": self.log2_n, "r": self.r, "p": self.p}
        if self.peppered:
            d["pepper"] = True
        return json.dumps(d)

    @classmethod
    def from_json(cls, text: str) -> "KdfParams":
        d = json.loads(text)
        return cls(int(d["log2_n"]), int(d["r"]), int(d["p"]), bool(d.get("pepper", False)))


def _scrypt(params: KdfParams, salt: bytes, pin: str) -> bytes:
    return scrypt(pin.encode(), salt=salt, n=1 << params.log2_n, r=params.r, p=params.p)


def calibrate(target_seconds: float = TARGET_SECONDS) -> KdfParams:
    """Pick the Scrypt cost that takes about `target_seconds` on this phone.

    Scrypt's time is linear in N, so one timed run at 2^14 predicts the rest.
    """
    probe = KdfParams(14)
    start = time.perf_counter()
    _scrypt(probe, os.urandom(16), "000000")
    per_unit = (time.perf_counter() - start) / (1 << 14)
    log2_n = MIN_LOG2_N
    while log2_n < MAX_LOG2_N and per_unit * (1 << (log2_n + 1)) <= target_seconds * 1.25:
        log2_n += 1
    return KdfParams(log2_n)


def _kek(params: KdfParams, salt: bytes, pin: str, pepper: bytes | None) -> bytes:
    stretched = _scrypt(params, salt, pin)
    if not params.peppered:
        return stretched
    if not pepper:
        raise ValueError("this key is wrapped with the phone's pepper; none was given")
    return hkdf_sha256(stretched, salt=pepper, info=b"jaga-desa/v2/kek")


def wrap_key(data_key: bytes, pin: str, params: KdfParams, pepper: bytes | None = None) -> bytes:
    """salt(16) | nonce(12) | AES-GCM(kek, data_key); kek mixes in `pepper` when params.peppered."""
    salt, nonce = os.urandom(16), os.urandom(12)
    kek = _kek(params, salt, pin, pepper)
    return salt + nonce + AESGCM(kek).encrypt(nonce, data_key, b"jaga-desa/v1/data-key")


def unwrap_key(wrapped: bytes, pin: str, params: KdfParams, pepper: bytes | None = None) -> bytes | None:
    """The data key, or None when the PIN is wrong (the caller counts the failure)."""
    salt, nonce, ct = wrapped[:16], wrapped[16:28], wrapped[28:]
    try:
        return AESGCM(_kek(params, salt, pin, pepper)).decrypt(nonce, ct, b"jaga-desa/v1/data-key")
    except InvalidTag:
        return None


class ColumnCipher:
    """AES-256-GCM for one user's columns and blobs: fresh nonce per write, (table,row,column) as AAD.

    Binding the row and column means a ciphertext copied into another row or column
    (say, a volunteer's draft pasted under the head's report) fails to decrypt.
    """

    def __init__(self, data_key: bytes) -> None:
        self._aead = AESGCM(data_key)

    @staticmethod
    def _aad(table: str, row_id: str, column: str) -> bytes:
        return f"jaga-desa/v1/{table}/{row_id}/{column}".encode()

    def encrypt(self, table: str, row_id: str, column: str, plain: bytes) -> bytes:
        nonce = os.urandom(12)
        return nonce + self._aead.encrypt(nonce, plain, self._aad(table, row_id, column))

    def decrypt(self, table: str, row_id: str, column: str, blob: bytes) -> bytes:
        if not blob or len(blob) < 28:
            raise DecryptError("ciphertext is missing or truncated")
        try:
            return self._aead.decrypt(blob[:12], blob[12:], self._aad(table, row_id, column))
        except InvalidTag as exc:
            raise DecryptError("cannot decrypt: wrong key or tampered data") from exc

    def encrypt_json(self, table: str, row_id: str, column: str, value: object) -> bytes:
        return self.encrypt(table, row_id, column, json.dumps(value, ensure_ascii=False).encode())

    def decrypt_json(self, table: str, row_id: str, column: str, blob: bytes) -> object:
        return json.loads(self.decrypt(table, row_id, column, blob))


class OwnerSealer:
    """For what arrives while nobody is unlocked (a receipt during sync) yet must be readable
    only by its owner: X25519 with a fresh ephemeral key, HKDF-SHA256, AES-256-GCM — the
    envelope's own construction, without a signature. eph_pub(32) | nonce(12) | ciphertext,
    opened by `open_from_owner`.

    One sealer per batch of values (a push batch's receipts, fieldapp Device.batch): one
    ephemeral key and derived key per owner for the batch, a fresh random nonce and the
    value's own `aad` per value. Per receipt the key agreement cost as much as the rest of the
    phone's purge; AES-GCM under one key with random nonces is sound far beyond a batch (2^32
    values). Drop it after the batch: its ephemeral secrets go with it."""

    def __init__(self) -> None:
        self._to: dict[bytes, tuple[bytes, AESGCM]] = {}

    def seal(self, public_raw: bytes, plain: bytes, aad: bytes) -> bytes:
        if public_raw not in self._to:
            eph = X25519PrivateKey.generate()
            eph_pub = eph.public_key().public_bytes_raw()
            shared = eph.exchange(X25519PublicKey.from_public_bytes(public_raw))
            key = hkdf_sha256(shared, salt=eph_pub + public_raw, info=b"jaga-desa/v1/sealed-to-owner")
            self._to[public_raw] = (eph_pub, AESGCM(key))
        eph_pub, aead = self._to[public_raw]
        nonce = os.urandom(12)
        return eph_pub + nonce + aead.encrypt(nonce, plain, aad)


def open_from_owner(private: X25519PrivateKey, blob: bytes, aad: bytes) -> bytes:
    if not blob or len(blob) < 44 + 16:
        raise DecryptError("sealed value is missing or truncated")
    eph_pub, nonce, ct = blob[:32], blob[32:44], blob[44:]
    own = private.public_key().public_bytes_raw()
    try:
        shared = private.exchange(X25519PublicKey.from_public_bytes(eph_pub))
        key = hkdf_sha256(shared, salt=eph_pub + own, info=b"jaga-desa/v1/sealed-to-owner")
        return AESGCM(key).decrypt(nonce, ct, aad)
    except (InvalidTag, ValueError) as exc:
        raise DecryptError("cannot open: not this user's, or tampered") from exc
