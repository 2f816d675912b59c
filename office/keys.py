"""The office's own keys: X25519 (reports are sealed to it) and Ed25519 (receipts, feedback).

Generated on first start into DATA/office_keys.json. The private halves are encrypted at
rest with AES-256-GCM under a key derived by Scrypt from a passphrase (env
JAGA_OFFICE_KEY, else a prompt when a terminal is attached): a copied data dir or
database backup alone does not let anyone read reports or forge receipts.
"""
from __future__ import annotations

import base64
import json
import os
import uuid
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from cryptography.hazmat.primitives import hashes, serialization

from core.errors import OfficeKeyError
from core.prompt import secret
from sync.envelope import key_id, raw_public
from sync.identity import fingerprint

KEY_FILE = "office_keys.json"
ENV = "JAGA_OFFICE_KEY"
# The office is the author of feedback envelopes: a fixed, well-known author id.
OFFICE_AUTHOR_ID = str(uuid.uuid5(uuid.NAMESPACE_URL, "https://jaga-desa/office"))
_AAD = b"jaga-desa/v1/office-keys"
_SCRYPT = {"n": 2 ** 15, "r": 8, "p": 1}


@dataclass(frozen=True)
class OfficeKeys:
    x25519: X25519PrivateKey
    ed25519: Ed25519PrivateKey

    @property
    def x25519_public(self) -> bytes:
        return raw_public(self.x25519.public_key())

    @property
    def ed25519_public(self) -> bytes:
        return raw_public(self.ed25519.public_key())

    @cached_property
    def key_id(self) -> str:        # asked once per ingested envelope: derive it once
        return self.key_id_raw.hex()

    @cached_property
    def key_id_raw(self) -> bytes:  # what envelope.open matches the wraps against
        return key_id(self.x25519.public_key())

    @property
    def fingerprint(self) -> str:
        """What enrollment codes carry and phones pin (sync/identity.py)."""
        return fingerprint(self.x25519_public, self.ed25519_public)


def public_fingerprint(data_dir: Path) -> str:
    """The office fingerprint from the public halves in DATA/office_keys.json — no
    passphrase needed, so `office-admin enroll-code` can print it beside every code."""
    path = Path(data_dir) / KEY_FILE
    if not path.exists():         # codes issued before the first start: create the keys now
        return load_or_create(data_dir).fingerprint
    try:
        doc = json.loads(path.read_text())
        return fingerprint(bytes.fromhex(doc["x25519_public"]), bytes.fromhex(doc["ed25519_public"]))
    except (OSError, ValueError, KeyError) as exc:
        raise OfficeKeyError(f"{path} is damaged: {exc}") from exc


def _raw_private(key) -> bytes:
    return key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                             serialization.NoEncryption())


@lru_cache(maxsize=32)
def purpose_key(keys: OfficeKeys, purpose: bytes) -> bytes:
    """THE derivation of every office key that is never stored (search index, sealed notes
    and GPS, early-warning links and names, hand-over pseudonyms): HKDF-SHA256 of the
    office's private X25519 key, info "jaga-desa/v1/" + purpose. A copy of office.db without
    the passphrase-protected key file can then neither confirm a guess nor open a note."""
    return HKDF(hashes.SHA256(), 32, salt=None, info=b"jaga-desa/v1/" + purpose).derive(_raw_private(keys.x25519))


def _kek(passphrase: str, salt: bytes, params: dict) -> bytes:
    return Scrypt(salt=salt, length=32, **params).derive(passphrase.encode())


def passphrase_from_env_or_prompt() -> str:
    return secret(ENV, "Office key passphrase: ", what="office key passphrase (it protects the office keys)",
                  error=OfficeKeyError)


def load_or_create(data_dir: Path, passphrase: str | None = None) -> OfficeKeys:
    """Decrypt the office keys, generating and storing them on first start."""
    path = Path(data_dir) / KEY_FILE
    passphrase = passphrase or passphrase_from_env_or_prompt()
    if not path.exists():
        keys = OfficeKeys(X25519PrivateKey.generate(), Ed25519PrivateKey.generate())
        salt, nonce = os.urandom(16), os.urandom(12)
        ct = AESGCM(_kek(passphrase, salt, _SCRYPT)).encrypt(
            nonce, _raw_private(keys.x25519) + _raw_private(keys.ed25519), _AAD)
        doc = {"version": 1, "kdf": "scrypt", "params": _SCRYPT,
               "salt": salt.hex(), "nonce": nonce.hex(), "ciphertext": ct.hex(),
               "x25519_public": keys.x25519_public.hex(), "ed25519_public": keys.ed25519_public.hex()}
        Path(data_dir).mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(doc, indent=1))
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
        return keys
    try:
        doc = json.loads(path.read_text())
        kek = _kek(passphrase, bytes.fromhex(doc["salt"]), doc["params"])
        raw = AESGCM(kek).decrypt(bytes.fromhex(doc["nonce"]), bytes.fromhex(doc["ciphertext"]), _AAD)
    except InvalidTag as exc:
        raise OfficeKeyError(f"wrong office key passphrase ({ENV})") from exc
    except (OSError, ValueError, KeyError) as exc:
        raise OfficeKeyError(f"{path} is damaged: {exc}") from exc
    return OfficeKeys(X25519PrivateKey.from_private_bytes(raw[:32]),
                      Ed25519PrivateKey.from_private_bytes(raw[32:]))


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


_current: OfficeKeys | None = None


def set_current(keys: OfficeKeys) -> None:
    """Remember the keys of the running office, for callers like feedback.send_feedback."""
    global _current
    _current = keys


def current() -> OfficeKeys:
    if _current is None:
        raise OfficeKeyError("the office keys are not loaded (create_app not called)")
    return _current
