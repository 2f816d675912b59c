"""Sealed report envelopes, version 1 — the one wire format both sides share.

A recipe on the primitives of `core.crypto` (pyca/cryptography; noble in the browser), read
like Fernet: `seal`, `open`, one opaque `EnvelopeError` for every way opening can fail (a
caller, or an attacker, learns nothing from which check failed), a version byte first, key ids so keys can rotate.

Byte layout (big-endian), documented with test vectors in sync/ENVELOPE.md:

    "JD" 0x01                     magic + version
    envelope_id   16              uuid4 bytes
    created_ms    u64             phone clock, ms since epoch (may be wrong; the office keeps its own)
    author_id     16              person uuid
    device_id     16              device uuid
    form_id       u8 len + utf-8
    form_version  u16
    n_att u8, then per attachment: att_id 16 | size u32 | sha256(sealed blob) 32
    n_rcpt u8, then per recipient: key_id 16 | ephemeral X25519 pub 32 | wrapped key 48
    nonce         12
    ct_len u32, ciphertext        AES-256-GCM(zlib(JSON payload)), AAD = every byte above
    signature     64              Ed25519 by the author over every byte above

The content key is wrapped per recipient: KEK = HKDF-SHA256(X25519(eph, rcpt),
info = "jaga-desa/v1/wrap" | envelope_id | key_id | eph_pub), then AES-GCM with a zero
nonce (each KEK is used exactly once, because the ephemeral key is fresh).
The signature covers the recipient list and the attachment manifest too, so nobody in
between can strip a recipient, add one, or swap a photo.

Two sealing rules (the layout is unchanged, so every reader stays the same):
- Padding: the recipient list is padded to PAD_TO wraps with decoys (a content-key wrap
  for a throwaway key nobody holds) and shuffled, so a rahasia report (office only)
  has as many wraps as one the village heads can read.
- Bound ids: a fresh envelope id ends with 6 bytes of SHA-256 of its author id, so the
  office can refuse an id that is not the signing author's — nobody can occupy a
  victim's pending id (`id_bound_to`).
"""
from __future__ import annotations

import hashlib
import json
import os
import struct
import time
import uuid
import zlib
from dataclasses import dataclass, field
from functools import lru_cache

from core.crypto import (AESGCM, Ed25519PrivateKey, Ed25519PublicKey, InvalidSignature, InvalidTag,
                         X25519PrivateKey, X25519PublicKey, hkdf_sha256)
from core.errors import EnvelopeError

MAGIC = b"JD"
VERSION = 1
MAX_ENVELOPE = 256 * 1024          # text reports are ~1 KB; photos travel as attachments
MAX_PAYLOAD = 1024 * 1024          # decompressed payload bound (zip-bomb guard)
_ZERO_NONCE = b"\x00" * 12
_WRAP_INFO = b"jaga-desa/v1/wrap"
_ATT_AAD = b"jaga-desa/v1/attachment"
_ID_CTX = b"jaga-desa/v1/envelope-id"
ID_BOUND = 6                       # trailing bytes of the id bound to the author
PAD_TO = 4                         # office + up to three village heads look alike


@lru_cache(maxsize=4096)
def _author_tag(author_id: str) -> bytes:
    """Kept per author: the office checks every pushed id against its author's tag (an id
    that is not a uuid raises every time, uncached)."""
    return hashlib.sha256(_ID_CTX + uuid.UUID(author_id).bytes).digest()[:ID_BOUND]


def new_envelope_id(author_id: str, *, _rng=os.urandom) -> str:
    """A fresh id bound to its author: 74 random bits and the uuid4 bits first (short ids
    people read stay distinct), then 6 bytes from the author id."""
    raw = bytearray(_rng(16 - ID_BOUND) + _author_tag(author_id))
    raw[6] = (raw[6] & 0x0F) | 0x40
    raw[8] = (raw[8] & 0x3F) | 0x80
    return str(uuid.UUID(bytes=bytes(raw)))


def id_bound_to(envelope_id: str, author_id: str) -> bool:
    """True when `envelope_id` was minted for `author_id` (see new_envelope_id)."""
    return uuid.UUID(envelope_id).bytes[16 - ID_BOUND:] == _author_tag(author_id)


def key_id(public: X25519PublicKey) -> bytes:
    """A recipient key's 16-byte id: stable, public, and changes when the key rotates."""
    return hashlib.sha256(raw_public(public)).digest()[:16]


def raw_public(key: X25519PublicKey | Ed25519PublicKey) -> bytes:
    return key.public_bytes_raw()


@dataclass(frozen=True)
class Attachment:
    att_id: str          # uuid hex
    size: int            # bytes of the sealed blob
    sha256: str          # hex of the sealed blob: checked by the office and named in receipts


@dataclass(frozen=True)
class Header:
    """What anyone may read without a key: enough to route, verify and deduplicate."""
    envelope_id: str
    created_ms: int
    author_id: str
    device_id: str
    form_id: str
    form_version: int
    attachments: tuple[Attachment, ...]
    recipients: tuple[str, ...]          # key ids, hex
    signed: bytes = field(repr=False, default=b"")
    signature: bytes = field(repr=False, default=b"")
    _wraps: tuple = field(repr=False, default=())
    _nonce: bytes = field(repr=False, default=b"")
    _ciphertext: bytes = field(repr=False, default=b"")


@dataclass(frozen=True)
class Sealed:
    envelope: bytes
    envelope_id: str
    blobs: dict[str, bytes]              # att_id -> sealed attachment blob


@dataclass(frozen=True)
class Opened:
    header: Header
    payload: dict
    content_key: bytes = field(repr=False)

    def attachment(self, att_id: str, blob: bytes) -> bytes:
        """Decrypt one attachment blob after checking it is the one the author signed."""
        want = {a.att_id: a for a in self.header.attachments}.get(att_id)
        if want is None or hashlib.sha256(blob).hexdigest() != want.sha256:
            raise EnvelopeError("attachment does not match the signed manifest")
        return open_attachment(self.content_key, self.header.envelope_id, att_id, blob)


def _kek(shared: bytes, envelope_id: bytes, kid: bytes, eph_pub: bytes) -> bytes:
    return hkdf_sha256(shared, salt=None, info=_WRAP_INFO + envelope_id + kid + eph_pub)


def _att_aad(envelope_id: str, att_id: str) -> bytes:
    return _ATT_AAD + uuid.UUID(envelope_id).bytes + uuid.UUID(att_id).bytes


def seal_attachment(content_key: bytes, envelope_id: str, att_id: str, data: bytes,
                    *, _rng=os.urandom) -> bytes:
    nonce = _rng(12)
    return nonce + AESGCM(content_key).encrypt(nonce, data, _att_aad(envelope_id, att_id))


def open_attachment(content_key: bytes, envelope_id: str, att_id: str, blob: bytes) -> bytes:
    try:
        return AESGCM(content_key).decrypt(blob[:12], blob[12:], _att_aad(envelope_id, att_id))
    except (InvalidTag, ValueError) as exc:
        raise EnvelopeError("attachment cannot be opened") from exc


def seal(payload: dict, *, form_id: str, form_version: int, author_id: str, device_id: str,
         signing_key: Ed25519PrivateKey, recipients: list[X25519PublicKey],
         attachments: dict[str, bytes] | None = None,
         envelope_id: str | None = None, created_ms: int | None = None,
         pad_to: int = PAD_TO, _rng=os.urandom) -> Sealed:
    """Encrypt `payload` for every recipient and sign it as the author.

    `attachments` maps att_id (uuid hex) -> plaintext bytes (already re-encoded photos);
    they are sealed under the same content key and listed, by checksum, in the signed header.
    Without `envelope_id` a fresh id bound to `author_id` is minted. The wraps are padded
    to `pad_to` with decoys and shuffled.
    `_rng` is a private hook for test vectors only (fixed content key, nonces, ephemeral
    keys, decoys, order); production code never passes it.
    """
    if not recipients:
        raise EnvelopeError("an envelope needs at least one recipient")
    eid = uuid.UUID(envelope_id or new_envelope_id(author_id, _rng=_rng))
    created = int(time.time() * 1000) if created_ms is None else int(created_ms)
    ckey = _rng(32)
    blobs = {a: seal_attachment(ckey, str(eid), a, data, _rng=_rng)
             for a, data in (attachments or {}).items()}
    fid = form_id.encode()
    if not 0 < len(fid) < 256 or max(len(recipients), pad_to) > 255 or len(blobs) > 255:
        raise EnvelopeError("form id, recipients or attachments out of range")
    out = bytearray(MAGIC + bytes([VERSION]) + eid.bytes + struct.pack(">Q", created))
    out += uuid.UUID(author_id).bytes + uuid.UUID(device_id).bytes
    out += bytes([len(fid)]) + fid + struct.pack(">H", form_version)
    out += bytes([len(blobs)])
    for att_id, blob in blobs.items():
        out += uuid.UUID(att_id).bytes + struct.pack(">I", len(blob)) + hashlib.sha256(blob).digest()
    wraps = [_wrap(ckey, eid.bytes, rcpt, _rng) for rcpt in recipients]
    # Decoys: a real wrap for a key nobody keeps, indistinguishable from a head's.
    wraps += [_wrap(ckey, eid.bytes, X25519PrivateKey.from_private_bytes(_rng(32)).public_key(), _rng)
              for _ in range(max(0, pad_to - len(recipients)))]
    for i in range(len(wraps) - 1, 0, -1):          # Fisher-Yates: the office is not always first
        j = int.from_bytes(_rng(4), "big") % (i + 1)
        wraps[i], wraps[j] = wraps[j], wraps[i]
    out += bytes([len(wraps)]) + b"".join(wraps)
    nonce = _rng(12)
    plain = zlib.compress(json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode(), 9)
    ct = AESGCM(ckey).encrypt(nonce, plain, bytes(out) + nonce)
    out += nonce + struct.pack(">I", len(ct)) + ct
    out += signing_key.sign(bytes(out))
    return Sealed(bytes(out), str(eid), blobs)


def _wrap(ckey: bytes, eid: bytes, rcpt: X25519PublicKey, _rng) -> bytes:
    eph = X25519PrivateKey.from_private_bytes(_rng(32))
    eph_pub, kid = raw_public(eph.public_key()), key_id(rcpt)
    kek = _kek(eph.exchange(rcpt), eid, kid, eph_pub)
    return kid + eph_pub + AESGCM(kek).encrypt(_ZERO_NONCE, ckey, eid)


_HEAD = struct.Struct(">16sQ16s16sB")     # after magic+version: id, created_ms, author, device, len(form id)
_HEAD_END = 3 + _HEAD.size
_FORM_TAIL = struct.Struct(">HB")          # form version, number of attachments
_ATT, _WRAP = 16 + 4 + 32, 16 + 32 + 48    # one manifest entry, one key wrap


def _uuid_str(raw: bytes) -> str:
    """str(uuid.UUID(bytes=raw)), without building the UUID (the office parses three per report)."""
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _truncated() -> EnvelopeError:
    return EnvelopeError("envelope is truncated")


def peek(data: bytes) -> Header:
    """Parse the public header without any key. Not a verification: call `verify` next.

    Read front to back, each length checked against what is left before it is used: a
    shortfall anywhere is "truncated", a bad form id is reported where it is met, as a
    field-by-field reader would (tests/sync/test_envelope.py pins that against one)."""
    if not isinstance(data, (bytes, bytearray)) or len(data) > MAX_ENVELOPE:
        raise EnvelopeError("envelope is missing or too large")
    data = bytes(data)
    end = len(data)
    if end < 3:
        raise _truncated()
    if data[:3] != MAGIC + bytes([VERSION]):
        raise EnvelopeError("not a version 1 envelope")
    if end < _HEAD_END:
        raise _truncated()
    eid, created, author, device, n = _HEAD.unpack_from(data, 3)
    pos = _HEAD_END + n
    if pos > end:
        raise _truncated()
    try:
        form_id = data[_HEAD_END:pos].decode()
    except UnicodeDecodeError as exc:
        raise EnvelopeError("form id is not text") from exc
    if pos + _FORM_TAIL.size > end:
        raise _truncated()
    form_version, natt = _FORM_TAIL.unpack_from(data, pos)
    pos += _FORM_TAIL.size
    stop = pos + natt * _ATT
    if stop + 1 > end:                           # the manifest and the number of wraps
        raise _truncated()
    atts = tuple(Attachment(data[p:p + 16].hex(), int.from_bytes(data[p + 16:p + 20], "big"),
                            data[p + 20:p + 52].hex()) for p in range(pos, stop, _ATT))
    nwraps = data[stop]
    pos = stop + 1
    stop = pos + nwraps * _WRAP
    if stop + 16 > end:                          # the wraps, the nonce and the ciphertext's length
        raise _truncated()
    wraps = tuple((data[p:p + 16], data[p + 16:p + 48], data[p + 48:p + 96]) for p in range(pos, stop, _WRAP))
    nonce = data[stop:stop + 12]
    pos = stop + 16 + int.from_bytes(data[stop + 12:stop + 16], "big")
    if pos + 64 > end:                           # the ciphertext and the signature
        raise _truncated()
    ct = data[stop + 16:pos]
    if pos + 64 != end:
        raise EnvelopeError("trailing bytes after the signature")
    if not form_id or not wraps:
        raise EnvelopeError("envelope has no form or no recipients")
    return Header(_uuid_str(eid), created, _uuid_str(author), _uuid_str(device), form_id, form_version, atts,
                  tuple(w[0].hex() for w in wraps), data[:pos], data[pos:], wraps, nonce, ct)


def verify(data: bytes, author_public: Ed25519PublicKey) -> Header:
    """Check the author's signature; returns the header only if it holds."""
    header = peek(data)
    try:
        author_public.verify(header.signature, header.signed)
    except InvalidSignature as exc:
        raise EnvelopeError("signature does not verify") from exc
    return header


def open(data: bytes, *, recipient_key: X25519PrivateKey,   # noqa: A001 - mirrors Fernet
         author_public: Ed25519PublicKey, header: Header | None = None,
         recipient_id: bytes | None = None) -> Opened:
    """Verify, unwrap the content key for this recipient, decrypt. One error for every failure.

    `header`: what `peek(data)` already returned (the office peeks first to find the
    author), so the bytes are parsed once; everything below reads only the header, and
    its signature is checked here either way. `recipient_id`: key_id of `recipient_key`'s
    public half when the caller holds it (the office opens every pushed report with one
    key: deriving its id again cost a public-key export and a SHA-256 per report). A wrong
    one opens nothing: the id is bound into the key wrap's KDF."""
    if header is None:
        header = verify(data, author_public)
    else:
        try:
            author_public.verify(header.signature, header.signed)
        except InvalidSignature as exc:
            raise EnvelopeError("signature does not verify") from exc
    kid = recipient_id if recipient_id is not None else key_id(recipient_key.public_key())
    eid = uuid.UUID(header.envelope_id).bytes
    for wkid, eph_pub, wrapped in header._wraps:
        if wkid != kid:
            continue
        try:
            shared = recipient_key.exchange(X25519PublicKey.from_public_bytes(eph_pub))
            ckey = AESGCM(_kek(shared, eid, kid, eph_pub)).decrypt(_ZERO_NONCE, wrapped, eid)
            plain = AESGCM(ckey).decrypt(header._nonce, header._ciphertext,
                                         header.signed[:-(len(header._ciphertext) + 4 + 12)] + header._nonce)
            payload = _inflate(plain)
        except (InvalidTag, ValueError) as exc:
            raise EnvelopeError("envelope cannot be opened with this key") from exc
        return Opened(header, payload, ckey)
    raise EnvelopeError("envelope is not addressed to this key")


def _inflate(plain: bytes) -> dict:
    d = zlib.decompressobj()
    try:
        raw = d.decompress(plain, MAX_PAYLOAD)
    except zlib.error as exc:          # signed by a valid author, but not a zlib stream
        raise EnvelopeError("payload is not compressed") from exc
    if d.unconsumed_tail:
        raise EnvelopeError("payload too large")
    try:
        payload = json.loads(raw)
    except (ValueError, RecursionError) as exc:    # RecursionError: absurdly deep nesting
        raise EnvelopeError("payload is not JSON") from exc
    if not isinstance(payload, dict):
        raise EnvelopeError("payload is not an object")
    return payload


def load_public_x25519(raw: bytes) -> X25519PublicKey:
    try:
        return X25519PublicKey.from_public_bytes(raw)
    except ValueError as exc:
        raise EnvelopeError("bad X25519 public key") from exc


def load_public_ed25519(raw: bytes) -> Ed25519PublicKey:
    try:
        return Ed25519PublicKey.from_public_bytes(raw)
    except ValueError as exc:
        raise EnvelopeError("bad Ed25519 public key") from exc
