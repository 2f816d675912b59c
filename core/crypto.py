"""The one door to cryptography for the phone and the wire (fieldapp, sync).

Two backends with one surface, chosen by where Python runs:

- CPython (the office, web mode, the CLI, tests): pyca/cryptography itself
  (`core/crypto_pyca.py`) — the key classes *are* pyca's, so the office, which uses pyca
  directly for TLS and its own key files, passes the same objects through.
- The browser (Pyodide, the installable offline app): the audited @noble/curves,
  @noble/ciphers and @noble/hashes, bundled from npm at build time (`core/crypto_web.py`,
  `jaga_desa/offline/`). No primitive is written by hand on either side.

The surface is exactly what sync/envelope, sync/receipt, sync/statement, fieldapp/keys and
fieldapp/users use: X25519 and Ed25519 keys (raw bytes in and out), AES-256-GCM, HKDF-SHA256,
Scrypt, and the two errors. Anything else a module needs is a new entry here, in both
backends, checked by the same test vectors in both (tests/sync/test_vectors_pyodide.py).
"""
from __future__ import annotations

import sys

IN_BROWSER = sys.platform == "emscripten"

if IN_BROWSER:
    from core.crypto_web import (AESGCM, Ed25519PrivateKey, Ed25519PublicKey,  # noqa: F401
                                 InvalidSignature, InvalidTag, X25519PrivateKey, X25519PublicKey,
                                 hkdf_sha256, scrypt)
    BACKEND = "noble"
else:
    from core.crypto_pyca import (AESGCM, Ed25519PrivateKey, Ed25519PublicKey,  # noqa: F401
                                  InvalidSignature, InvalidTag, X25519PrivateKey, X25519PublicKey,
                                  hkdf_sha256, scrypt)
    BACKEND = "pyca"

__all__ = ["AESGCM", "Ed25519PrivateKey", "Ed25519PublicKey", "InvalidSignature", "InvalidTag",
           "X25519PrivateKey", "X25519PublicKey", "hkdf_sha256", "scrypt", "BACKEND", "IN_BROWSER"]
