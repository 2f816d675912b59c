"""core.crypto on CPython: pyca/cryptography, re-exported, plus the two KDF calls as functions."""
from __future__ import annotations

from cryptography.exceptions import InvalidSignature, InvalidTag  # noqa: F401
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import (Ed25519PrivateKey,  # noqa: F401
                                                               Ed25519PublicKey)
from cryptography.hazmat.primitives.asymmetric.x25519 import (X25519PrivateKey,  # noqa: F401
                                                              X25519PublicKey)
from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: F401
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt


def hkdf_sha256(ikm: bytes, *, salt: bytes | None, info: bytes, length: int = 32) -> bytes:
    """HKDF-SHA256 (RFC 5869); salt None means the RFC's zero salt."""
    return HKDF(hashes.SHA256(), length, salt=salt, info=info).derive(ikm)


def scrypt(password: bytes, *, salt: bytes, n: int, r: int, p: int, length: int = 32) -> bytes:
    """Scrypt (RFC 7914)."""
    return Scrypt(salt=salt, length=length, n=n, r=r, p=p).derive(password)
