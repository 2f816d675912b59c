"""The derived dashboard keys: the search HMAC is keyed once and copied per word, and must
give the very bytes the per-word `hmac.new` gave (indexes already stored must still match)."""
from __future__ import annotations

import hashlib
import hmac

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from office.dashboard import derived
from office.keys import OfficeKeys


def reference(keys: OfficeKeys, word: str) -> str:
    """The term hash as the office computed it before (fresh HKDF + hmac.new per word)."""
    raw = keys.x25519.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                    serialization.NoEncryption())
    key = HKDF(hashes.SHA256(), 32, salt=None, info=b"jaga-desa/v1/dashboard/search").derive(raw)
    return hmac.new(key, word.encode(), hashlib.sha256).hexdigest()[:32]


def test_term_hashes_are_the_bytes_of_the_per_word_hmac():
    keys = OfficeKeys(X25519PrivateKey.generate(), Ed25519PrivateKey.generate())
    words = ["sawit", "malaysia", "tikus", "dermaga", "kerja", "sawit"]
    want = {reference(keys, w) for w in words}
    assert derived.term_hashes(keys, words) == want
    assert {derived.term_hash(keys, w) for w in words} == want
    assert derived.term_hashes(keys, ["sawit"]) == {reference(keys, "sawit")}   # base never updated
    other = OfficeKeys(X25519PrivateKey.generate(), Ed25519PrivateKey.generate())
    assert derived.term_hash(other, "sawit") != derived.term_hash(keys, "sawit")


def test_geo_sealed_with_a_cached_key_still_opens_and_binds_its_report():
    keys = OfficeKeys(X25519PrivateKey.generate(), Ed25519PrivateKey.generate())
    blob = derived.seal_geo(keys, "env-1", 4.13681, 117.66642)
    assert blob != derived.seal_geo(keys, "env-1", 4.13681, 117.66642)      # fresh nonce each time
    assert derived.open_geo(keys, "env-1", blob) == (4.13681, 117.66642)
    assert derived.open_geo(keys, "env-2", blob) == (None, None)            # bound to its envelope
