"""Hypothesis against the wire format: whatever bytes arrive, `envelope.peek/verify/open`
raise EnvelopeError (and nothing else), and every tampering is detected.
Same for office receipts (`receipt.verify`).
"""
from __future__ import annotations

import base64
import copy
import hashlib
import json
import struct
import uuid
import zlib
from types import SimpleNamespace
from unittest import mock

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from core.errors import EnvelopeError
from sync import envelope as env
from sync import receipt as rc

SETTINGS = settings(max_examples=200, derandomize=True, deadline=None, database=None,
                    suppress_health_check=list(HealthCheck))

AUTHOR = Ed25519PrivateKey.generate()
OFFICE = X25519PrivateKey.generate()
HEAD = X25519PrivateKey.generate()
STRANGER = X25519PrivateKey.generate()
OFFICE_SIGN = Ed25519PrivateKey.generate()
AUTHOR_ID, DEVICE_ID = str(uuid.uuid4()), str(uuid.uuid4())
ATT = uuid.uuid4().hex
PAYLOAD = {"answers": {"apa_dilihat": "perekrut datang malam hari", "jumlah_orang": 6},
           "flags": {"urgent": True}, "rahasia": False}


def _seal(payload=PAYLOAD, recipients=(OFFICE, HEAD), attachments=None, signing_key=AUTHOR):
    return env.seal(payload, form_id="laporan_kecurigaan", form_version=1, author_id=AUTHOR_ID,
                    device_id=DEVICE_ID, signing_key=signing_key,
                    recipients=[r.public_key() for r in recipients],
                    attachments={ATT: b"\xff\xd8 jpeg bytes"} if attachments is None else attachments)


SEALED = _seal()
GOOD = SEALED.envelope


def open_(data, key=OFFICE, author=AUTHOR):
    return env.open(data, recipient_key=key, author_public=author.public_key())


def only_envelope_error(data, **kw):
    """open() must raise EnvelopeError — any other exception type fails the test."""
    with pytest.raises(EnvelopeError):
        open_(data, **kw)


# --- layout helpers: parse GOOD into its sections so tests can re-encode them -------------

def sections(data: bytes) -> dict:
    h = env.peek(data)
    pos = 3 + 16 + 8 + 16 + 16
    fid_len = data[pos]
    pos += 1 + fid_len + 2
    n_att = data[pos]
    att_start = pos + 1
    att_end = att_start + n_att * (16 + 4 + 32)
    n_rcpt = data[att_end]
    rcpt_start = att_end + 1
    rcpt_end = rcpt_start + n_rcpt * (16 + 32 + 48)
    return {"head": data[:att_start - 1], "atts": [data[att_start + i * 52: att_start + (i + 1) * 52]
                                                    for i in range(n_att)],
            "rcpts": [data[rcpt_start + i * 96: rcpt_start + (i + 1) * 96] for i in range(n_rcpt)],
            "tail": data[rcpt_end:len(data) - 64], "signature": data[-64:], "header": h}


def encode(head: bytes, atts: list[bytes], rcpts: list[bytes], tail: bytes,
           sign_with: Ed25519PrivateKey | None = AUTHOR, signature: bytes | None = None) -> bytes:
    body = head + bytes([len(atts) % 256]) + b"".join(atts) + bytes([len(rcpts) % 256]) + b"".join(rcpts) + tail
    return body + (sign_with.sign(body) if sign_with else signature)


def test_layout_helpers_round_trip():
    s = sections(GOOD)
    assert encode(s["head"], s["atts"], s["rcpts"], s["tail"]) == GOOD
    assert open_(GOOD).payload == PAYLOAD and open_(GOOD, key=HEAD).payload == PAYLOAD


# --- random damage ----------------------------------------------------------------------

@SETTINGS
@given(flips=st.lists(st.tuples(st.integers(0, len(GOOD) - 1), st.integers(0, 7)), min_size=1, max_size=8))
@example(flips=[(0, 0)]).via("magic")
@example(flips=[(2, 1)]).via("version")
@example(flips=[(len(GOOD) - 1, 7)]).via("last signature bit")
def test_bit_flips_anywhere_are_rejected(flips):
    data = bytearray(GOOD)
    for pos, bit in flips:
        data[pos] ^= 1 << bit
    assume(bytes(data) != GOOD)
    only_envelope_error(bytes(data))
    with pytest.raises(EnvelopeError):
        env.verify(bytes(data), AUTHOR.public_key())


@SETTINGS
@given(n=st.integers(0, len(GOOD) - 1))
def test_truncation_at_any_length(n):
    only_envelope_error(GOOD[:n])
    with pytest.raises(EnvelopeError):
        env.peek(GOOD[:n])


@SETTINGS
@given(extra=st.binary(min_size=1, max_size=300))
def test_appended_bytes(extra):
    only_envelope_error(GOOD + extra)


@SETTINGS
@given(data=st.binary(max_size=2000))
@example(data=b"JD\x01" + b"\x00" * 200)
@example(data=b"")
def test_random_bytes(data):
    only_envelope_error(data)
    try:
        env.peek(data)
    except EnvelopeError:
        pass


@SETTINGS
@given(data=st.one_of(st.none(), st.integers(), st.text(), st.lists(st.integers(0, 255)),
                      st.builds(memoryview, st.binary())))
def test_not_bytes(data):
    only_envelope_error(data)


@SETTINGS
@given(start=st.integers(0, len(GOOD) - 1), length=st.integers(1, 64), junk=st.binary(min_size=1, max_size=64))
def test_spliced_junk(start, length, junk):
    data = GOOD[:start] + junk + GOOD[start + length:]
    assume(data != GOOD)
    only_envelope_error(data)


# --- wrong keys ---------------------------------------------------------------------------

def test_wrong_recipient_and_wrong_author():
    only_envelope_error(GOOD, key=STRANGER)
    only_envelope_error(GOOD, author=Ed25519PrivateKey.generate())
    only_envelope_error(GOOD, key=STRANGER, author=Ed25519PrivateKey.generate())
    with pytest.raises(EnvelopeError):
        env.verify(GOOD, Ed25519PrivateKey.generate().public_key())
    rahasia = _seal(recipients=(OFFICE,))
    only_envelope_error(rahasia.envelope, key=HEAD)     # the head is not a recipient


def test_resigned_by_another_author_is_rejected():
    """Someone strips the signature and signs with their own key: the real author's key fails."""
    s = sections(GOOD)
    forged = encode(s["head"], s["atts"], s["rcpts"], s["tail"], sign_with=Ed25519PrivateKey.generate())
    only_envelope_error(forged)


# --- re-encoded sections (the author's own key re-signs, so only the AAD binding can catch it)

@pytest.mark.parametrize("sign", [True, False], ids=["resigned", "original-signature"])
@pytest.mark.parametrize("mutation", ["swap_recipients", "duplicate_recipient", "drop_recipient",
                                      "add_stranger", "duplicate_attachment", "drop_attachment",
                                      "swap_wrapped_keys", "header_id"])
def test_reordered_or_duplicated_sections(mutation, sign):
    s = sections(GOOD)
    head, atts, rcpts, tail = s["head"], list(s["atts"]), list(s["rcpts"]), s["tail"]
    if mutation == "swap_recipients":
        rcpts.reverse()
    elif mutation == "duplicate_recipient":
        rcpts = rcpts + rcpts[:1]
    elif mutation == "drop_recipient":
        rcpts = [r for r in rcpts if r[:16] == env.key_id(OFFICE.public_key())]
    elif mutation == "add_stranger":
        rcpts = rcpts + [env.key_id(STRANGER.public_key()) + rcpts[0][16:]]
    elif mutation == "duplicate_attachment":
        atts = atts + atts
    elif mutation == "drop_attachment":
        atts = []
    elif mutation == "swap_wrapped_keys":      # office's key id with the head's wrapped key
        rcpts = [rcpts[0][:16] + rcpts[1][16:], rcpts[1][:16] + rcpts[0][16:]]
    elif mutation == "header_id":
        head = head[:3] + uuid.uuid4().bytes + head[19:]
    data = encode(head, atts, rcpts, tail, sign_with=AUTHOR if sign else None, signature=s["signature"])
    assert data != GOOD
    only_envelope_error(data)
    if mutation not in ("drop_recipient", "swap_wrapped_keys"):
        only_envelope_error(data, key=HEAD)


@pytest.mark.parametrize("where", ["form_len", "n_att", "n_rcpt", "ct_len"])
@pytest.mark.parametrize("value", [0, 3, 0x7F, 0xFF, 0xFFFF, 0xFFFFFFFF])
def test_huge_or_wrong_length_fields(where, value):
    s = sections(GOOD)
    data = bytearray(GOOD)
    fid_pos = 3 + 16 + 8 + 16 + 16
    if where == "form_len":
        data[fid_pos] = value & 0xFF
    elif where == "n_att":
        data[len(s["head"])] = value & 0xFF
    elif where == "n_rcpt":
        data[len(s["head"]) + 1 + 52 * len(s["atts"])] = value & 0xFF
    else:
        pos = len(GOOD) - 64 - len(s["header"]._ciphertext) - 4
        data[pos:pos + 4] = struct.pack(">I", value)
    assert bytes(data) != GOOD
    for resign in (False, True):
        body = bytes(data[:-64])
        candidate = body + AUTHOR.sign(body) if resign else bytes(data)
        only_envelope_error(candidate)


def test_oversized_envelope():
    only_envelope_error(GOOD + b"\x00" * env.MAX_ENVELOPE)
    only_envelope_error(b"JD\x01" + b"\xff" * (env.MAX_ENVELOPE + 1))


# --- a malicious but enrolled author: valid signature, hostile sealed content -------------

def seal_plain(plain: bytes) -> bytes:
    """Seal exactly `plain` as the compressed payload (bypassing zlib/json in seal())."""
    fake = SimpleNamespace(compress=lambda *_a, **_k: plain, decompressobj=zlib.decompressobj)
    with mock.patch.object(env, "zlib", fake):
        return _seal(attachments={}).envelope


def deep(n: int) -> bytes:
    return b"[" * n + b"]" * n


@SETTINGS
@given(plain=st.one_of(
    st.binary(max_size=300),
    st.binary(max_size=300).map(zlib.compress),
    st.recursive(st.none() | st.booleans() | st.floats() | st.integers() | st.text(),
                 lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=5), c, max_size=4),
                 max_leaves=20).map(lambda v: zlib.compress(json.dumps(v).encode())),
))
@example(plain=b"not zlib at all")
@example(plain=zlib.compress(b"\xff\xfe not utf-8"))
@example(plain=zlib.compress(b"[1, 2, 3]"))
@example(plain=zlib.compress(b'{"a": NaN, "b": Infinity}'))
@example(plain=zlib.compress(b"9" * 5000))
@example(plain=zlib.compress(b'{"a": ' + b"9" * 5000 + b"}"))
@example(plain=zlib.compress(deep(100_000)))
@example(plain=zlib.compress(b'{"a":' * 50_000 + b"1" + b"}" * 50_000))
@example(plain=zlib.compress(b" " * (env.MAX_PAYLOAD + 10)))
@example(plain=zlib.compress(b"{}")[:-3])
def test_hostile_payload_from_a_valid_author(plain):
    data = seal_plain(plain)
    try:
        opened = open_(data)
    except EnvelopeError:
        return
    assert isinstance(opened.payload, dict)


# --- attachments --------------------------------------------------------------------------

@SETTINGS
@given(blob=st.binary(max_size=100), att_id=st.sampled_from([ATT, uuid.uuid4().hex]))
def test_attachment_blobs(blob, att_id):
    opened = open_(GOOD)
    if blob == SEALED.blobs[ATT]:
        return
    with pytest.raises(EnvelopeError):
        opened.attachment(att_id, blob)


def test_attachment_round_trip_and_flip():
    opened = open_(GOOD)
    assert opened.attachment(ATT, SEALED.blobs[ATT]) == b"\xff\xd8 jpeg bytes"
    with pytest.raises(EnvelopeError):
        env.open_attachment(opened.content_key, opened.header.envelope_id, ATT,
                            bytes([SEALED.blobs[ATT][0] ^ 1]) + SEALED.blobs[ATT][1:])


@SETTINGS
@given(raw=st.binary(max_size=64))
def test_public_key_loaders(raw):
    for loader in (env.load_public_x25519, env.load_public_ed25519):
        try:
            loader(raw)
        except EnvelopeError:
            assert len(raw) != 32 or loader is env.load_public_ed25519


# --- receipts -----------------------------------------------------------------------------

RECEIPT = rc.sign(rc.Receipt(SEALED.envelope_id, hashlib.sha256(GOOD).hexdigest(),
                             "2025-01-15T12:00:00Z", {ATT: hashlib.sha256(SEALED.blobs[ATT]).hexdigest()},
                             True), OFFICE_SIGN)
ATTS = {ATT: hashlib.sha256(SEALED.blobs[ATT]).hexdigest()}


def verify_receipt(wire, envelope=GOOD, attachments=ATTS):
    return rc.verify(wire, OFFICE_SIGN.public_key(), envelope, attachments)


def test_receipt_round_trip():
    got = verify_receipt(RECEIPT)
    assert got.complete and got.envelope_id == SEALED.envelope_id


json_values = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=20),
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=10), c, max_size=3),
    max_leaves=10)


@SETTINGS
@given(wire=st.one_of(json_values, st.dictionaries(st.sampled_from(sorted(RECEIPT)), json_values)))
def test_receipt_arbitrary_wire(wire):
    with pytest.raises(EnvelopeError):
        verify_receipt(wire)


@SETTINGS
@given(key=st.sampled_from(sorted(RECEIPT)), value=json_values, drop=st.booleans())
def test_receipt_any_field_changed(key, value, drop):
    wire = copy.deepcopy(RECEIPT)
    if drop:
        del wire[key]
    else:
        assume(value != wire[key] or type(value) is not type(wire[key]))
        wire[key] = value
    with pytest.raises(EnvelopeError):
        verify_receipt(wire)


@SETTINGS
@given(pos=st.integers(0, 63), bit=st.integers(0, 7))
def test_receipt_signature_bit_flip(pos, bit):
    sig = bytearray(base64.b64decode(RECEIPT["signature"]))
    sig[pos] ^= 1 << bit
    with pytest.raises(EnvelopeError):
        verify_receipt({**RECEIPT, "signature": base64.b64encode(bytes(sig)).decode()})


def test_receipt_wrong_envelope_key_or_missing_attachment():
    with pytest.raises(EnvelopeError):
        verify_receipt(RECEIPT, envelope=GOOD + b"x")
    with pytest.raises(EnvelopeError):
        rc.verify(RECEIPT, Ed25519PrivateKey.generate().public_key(), GOOD, ATTS)
    with pytest.raises(EnvelopeError):
        verify_receipt(RECEIPT, attachments={**ATTS, uuid.uuid4().hex: "00" * 32})
    incomplete = rc.sign(rc.Receipt(SEALED.envelope_id, hashlib.sha256(GOOD).hexdigest(),
                                    "2025-01-15T12:00:00Z", {}, False), OFFICE_SIGN)
    with pytest.raises(EnvelopeError):
        verify_receipt(incomplete)


def test_receipt_deeply_nested_field():
    """A hostile network can put anything in a receipt's JSON: still only EnvelopeError."""
    nested: list = []
    for _ in range(5000):
        nested = [nested]
    for key in ("ctx", "attachments", "received_at"):
        with pytest.raises(EnvelopeError):
            verify_receipt({**RECEIPT, key: nested})
