"""core.crypto in the browser: the same surface over @noble/curves, @noble/ciphers and
@noble/hashes, called through Pyodide's FFI.

The bundle (`jaga_desa/offline/noble/entry.mjs`, built from npm by `jaga-desa build-app`,
its SHA-384 recorded in the build's `integrity.json`) sets `globalThis.jagaCrypto` in the
worker before Python starts. Every call is synchronous, like pyca's. WebCrypto is not used:
its every method returns a Promise, and the seam is called from synchronous code (sealing a
report, unwrapping a key) that a Promise cannot return into without JSPI. Nor would it pay:
bench/offline_bench.py times both in Chromium — WebCrypto's primitives are 2–4× faster, but
they are ~1.3 ms of a seal that takes 11–71 ms in Pyodide (THREAT_MODEL.md has the figures).

Where noble and pyca could differ, this module makes noble behave like pyca:
- Ed25519 verification is strict RFC 8032 (`zip215: false`), not ZIP-215's looser rules, so
  a signature pyca refuses is refused here too;
- an X25519 exchange that yields the all-zero secret (a low-order point) raises ValueError;
- wrong key or nonce lengths raise ValueError; a failed AEAD check raises InvalidTag.
"""
from __future__ import annotations

import os

import js  # type: ignore[import-not-found]  # Pyodide's view of the worker's globalThis
from pyodide.ffi import to_js  # type: ignore[import-not-found]


class InvalidSignature(Exception):
    """A signature that does not verify (pyca's cryptography.exceptions.InvalidSignature)."""


class InvalidTag(Exception):
    """An AEAD tag that does not verify (pyca's cryptography.exceptions.InvalidTag)."""


def _lib():
    lib = getattr(js, "jagaCrypto", None)
    if lib is None:
        raise RuntimeError("the noble crypto bundle is not loaded in this worker")
    return lib


def _u8(data: bytes):
    return to_js(bytes(data))


def _bytes(arr) -> bytes:
    return bytes(arr.to_py())


def _raw32(data: bytes, what: str) -> bytes:
    data = bytes(data)
    if len(data) != 32:
        raise ValueError(f"{what} must be 32 bytes")
    return data


class X25519PublicKey:
    def __init__(self, raw: bytes) -> None:
        self._raw = _raw32(raw, "an X25519 public key")

    @classmethod
    def from_public_bytes(cls, data: bytes) -> "X25519PublicKey":
        return cls(data)

    def public_bytes_raw(self) -> bytes:
        return self._raw

    def __eq__(self, other: object) -> bool:
        return isinstance(other, X25519PublicKey) and other._raw == self._raw

    def __hash__(self) -> int:
        return hash(self._raw)


class X25519PrivateKey:
    def __init__(self, raw: bytes) -> None:
        self._raw = _raw32(raw, "an X25519 private key")

    @classmethod
    def generate(cls) -> "X25519PrivateKey":
        return cls(os.urandom(32))

    @classmethod
    def from_private_bytes(cls, data: bytes) -> "X25519PrivateKey":
        return cls(data)

    def private_bytes_raw(self) -> bytes:
        return self._raw

    def public_key(self) -> X25519PublicKey:
        return X25519PublicKey(_bytes(_lib().x25519_public(_u8(self._raw))))

    def exchange(self, peer: X25519PublicKey) -> bytes:
        try:
            shared = _bytes(_lib().x25519_shared(_u8(self._raw), _u8(peer.public_bytes_raw())))
        except Exception as exc:        # noqa: BLE001 - noble throws a JS Error on a bad point
            raise ValueError("X25519 exchange failed") from exc
        if shared == bytes(32):
            raise ValueError("X25519 exchange produced the all-zero secret")
        return shared


class Ed25519PublicKey:
    def __init__(self, raw: bytes) -> None:
        self._raw = _raw32(raw, "an Ed25519 public key")

    @classmethod
    def from_public_bytes(cls, data: bytes) -> "Ed25519PublicKey":
        return cls(data)

    def public_bytes_raw(self) -> bytes:
        return self._raw

    def verify(self, signature: bytes, data: bytes) -> None:
        signature = bytes(signature)
        try:
            ok = len(signature) == 64 and bool(_lib().ed25519_verify(_u8(signature), _u8(data),
                                                                      _u8(self._raw)))
        except Exception:               # noqa: BLE001 - a malformed point or scalar
            ok = False
        if not ok:
            raise InvalidSignature()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Ed25519PublicKey) and other._raw == self._raw

    def __hash__(self) -> int:
        return hash(self._raw)


class Ed25519PrivateKey:
    def __init__(self, raw: bytes) -> None:
        self._raw = _raw32(raw, "an Ed25519 private key")

    @classmethod
    def generate(cls) -> "Ed25519PrivateKey":
        return cls(os.urandom(32))

    @classmethod
    def from_private_bytes(cls, data: bytes) -> "Ed25519PrivateKey":
        return cls(data)

    def private_bytes_raw(self) -> bytes:
        return self._raw

    def public_key(self) -> Ed25519PublicKey:
        return Ed25519PublicKey(_bytes(_lib().ed25519_public(_u8(self._raw))))

    def sign(self, data: bytes) -> bytes:
        return _bytes(_lib().ed25519_sign(_u8(self._raw), _u8(data)))


class AESGCM:
    def __init__(self, key: bytes) -> None:
        key = bytes(key)
        if len(key) not in (16, 24, 32):
            raise ValueError("AESGCM key must be 128, 192, or 256 bits.")
        self._key = key

    @staticmethod
    def _check(nonce: bytes) -> bytes:
        nonce = bytes(nonce)
        if not 8 <= len(nonce) <= 128:
            raise ValueError("Nonce must be between 8 and 128 bytes")
        return nonce

    def encrypt(self, nonce: bytes, data: bytes, associated_data: bytes | None) -> bytes:
        return _bytes(_lib().aesgcm_encrypt(_u8(self._key), _u8(self._check(nonce)), _u8(data),
                                            _u8(associated_data or b"")))

    def decrypt(self, nonce: bytes, data: bytes, associated_data: bytes | None) -> bytes:
        nonce = self._check(nonce)
        try:
            return _bytes(_lib().aesgcm_decrypt(_u8(self._key), _u8(nonce), _u8(data),
                                                _u8(associated_data or b"")))
        except Exception as exc:        # noqa: BLE001 - noble throws a JS Error on a bad tag
            raise InvalidTag() from exc


def hkdf_sha256(ikm: bytes, *, salt: bytes | None, info: bytes, length: int = 32) -> bytes:
    """HKDF-SHA256 (RFC 5869); salt None means the RFC's zero salt, as in pyca."""
    return _bytes(_lib().hkdf_sha256(_u8(ikm), _u8(salt if salt is not None else bytes(32)),
                                     _u8(info), length))


def scrypt(password: bytes, *, salt: bytes, n: int, r: int, p: int, length: int = 32) -> bytes:
    """Scrypt (RFC 7914)."""
    return _bytes(_lib().scrypt(_u8(password), _u8(salt), n, r, p, length))
