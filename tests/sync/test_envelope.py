"""sync.envelope: JSON test vectors (stable bytes, open, every tamper case), round trips
for every recipient, and exhaustive bit-flip / truncation sweeps."""
from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from core.errors import EnvelopeError
from sync import envelope as env
from tests.sync.make_vectors import Stream, keys, seal_vector

VECTORS = json.loads((Path(__file__).with_name("vectors") / "envelope_v1.json").read_text())
KEYS = keys()


def _author(case):
    return KEYS[case.get("author", "author")].public_key()


@pytest.mark.parametrize("v", VECTORS["valid"], ids=lambda v: v["name"])
def test_valid_vector(v):
    data = bytes.fromhex(v["envelope"])
    # Stable: re-sealing with the same seed gives the same bytes (the wire format did not drift).
    assert seal_vector(v, KEYS).envelope == data
    assert {n: env.raw_public(k.public_key()).hex() for n, k in KEYS.items()} == VECTORS["public_keys"]
    header = env.peek(data)
    assert (header.envelope_id, header.created_ms, header.author_id, header.device_id,
            header.form_id, header.form_version) == (v["envelope_id"], v["created_ms"], v["author_id"],
                                                     v["device_id"], v["form_id"], v["form_version"])
    # padded with decoys to PAD_TO and shuffled: the real recipients are among them
    assert len(header.recipients) == env.PAD_TO
    assert {env.key_id(KEYS[r].public_key()).hex() for r in v["recipients"]} <= set(header.recipients)
    for r in v["recipients"]:
        opened = env.open(data, recipient_key=KEYS[r], author_public=_author({}))
        assert opened.payload == v["payload"]
        for att_id, plain in v["attachments"].items():
            assert opened.attachment(att_id, bytes.fromhex(v["blobs"][att_id])) == bytes.fromhex(plain)


@pytest.mark.parametrize("case", VECTORS["invalid"], ids=lambda c: c["name"])
def test_invalid_vector(case):
    data = bytes.fromhex(case["envelope"])
    with pytest.raises(EnvelopeError):
        opened = env.open(data, recipient_key=KEYS[case["open_as"]], author_public=_author(case))
        att = case.get("attachment")
        if att is None:
            pytest.fail("tampered envelope opened")
        opened.attachment(att["att_id"], bytes.fromhex(att["blob"]))


def test_rng_hook_is_private_default_is_random():
    k = KEYS
    a, b = (env.seal({"x": 1}, form_id="f", form_version=1, author_id=str(uuid.uuid4()),
                     device_id=str(uuid.uuid4()), signing_key=k["author"],
                     recipients=[k["office"].public_key()]) for _ in range(2))
    assert a.envelope[-200:] != b.envelope[-200:]
    s1, s2 = Stream("x"), Stream("x")
    assert s1(50) == s2(50) and s1(10) != Stream("y")(10)


def _fresh(n_heads=2, attachments=None):
    author = Ed25519PrivateKey.generate()
    rcpts = [X25519PrivateKey.generate() for _ in range(1 + n_heads)]
    sealed = env.seal({"answers": {"q": "isi"}, "rahasia": False}, form_id="laporan_kecurigaan",
                      form_version=1, author_id=str(uuid.uuid4()), device_id=str(uuid.uuid4()),
                      signing_key=author, recipients=[r.public_key() for r in rcpts],
                      attachments=attachments)
    return author, rcpts, sealed


def test_round_trip_for_every_recipient_with_attachments():
    photo = os.urandom(5000)
    att = uuid.uuid4().hex
    author, rcpts, sealed = _fresh(3, {att: photo})
    for r in rcpts:
        opened = env.open(sealed.envelope, recipient_key=r, author_public=author.public_key())
        assert opened.payload == {"answers": {"q": "isi"}, "rahasia": False}
        assert opened.attachment(att, sealed.blobs[att]) == photo
    with pytest.raises(EnvelopeError):
        env.open(sealed.envelope, recipient_key=X25519PrivateKey.generate(),
                 author_public=author.public_key())


def test_a_given_recipient_id_opens_only_with_its_own_key():
    """The office passes its key's id (derived once) instead of having open derive it per
    report: the right id opens as before; another recipient's id, or a made-up one, opens
    nothing, for its wrap is not this key's (the id is bound into the wrap's KDF)."""
    author, rcpts, sealed = _fresh(1, {})
    own, other = rcpts
    opened = env.open(sealed.envelope, recipient_key=own, author_public=author.public_key(),
                      recipient_id=env.key_id(own.public_key()))
    assert opened.payload == env.open(sealed.envelope, recipient_key=own, author_public=author.public_key()).payload
    for wrong in (env.key_id(other.public_key()), os.urandom(16)):
        with pytest.raises(EnvelopeError):
            env.open(sealed.envelope, recipient_key=own, author_public=author.public_key(), recipient_id=wrong)


def test_every_byte_flipped_and_every_truncation_fails():
    author, rcpts, sealed = _fresh(1, {uuid.uuid4().hex: b"jpeg" * 10})
    data = sealed.envelope
    for i in range(len(data)):
        bad = bytearray(data)
        bad[i] ^= 1 << (i % 8)
        with pytest.raises(EnvelopeError):
            env.open(bytes(bad), recipient_key=rcpts[0], author_public=author.public_key())
    for n in range(len(data)):
        with pytest.raises(EnvelopeError):
            env.open(data[:n], recipient_key=rcpts[0], author_public=author.public_key())


def test_peek_rejects_garbage_and_oversize():
    for junk in (b"", b"JD", b"XX\x01" + b"\x00" * 200, os.urandom(500), b"\x00" * (env.MAX_ENVELOPE + 1)):
        with pytest.raises(EnvelopeError):
            env.peek(junk)


def test_rahasia_and_shared_reports_carry_the_same_number_of_wraps():
    """Seen from outside, an office-only report is not told apart by its recipient count."""
    k = KEYS
    sizes = set()
    for rcpts in ([k["office"]], [k["office"], k["head"]], [k["office"], k["head"], k["stranger"]]):
        sealed = env.seal({"x": 1}, form_id="f", form_version=1, author_id=str(uuid.uuid4()),
                          device_id=str(uuid.uuid4()), signing_key=k["author"],
                          recipients=[r.public_key() for r in rcpts])
        sizes.add((len(env.peek(sealed.envelope).recipients), len(sealed.envelope)))
    assert sizes == {(env.PAD_TO, next(iter(sizes))[1])}


def test_fresh_ids_are_bound_to_their_author():
    author, other = str(uuid.uuid4()), str(uuid.uuid4())
    sealed = env.seal({"x": 1}, form_id="f", form_version=1, author_id=author,
                      device_id=str(uuid.uuid4()), signing_key=KEYS["author"],
                      recipients=[KEYS["office"].public_key()])
    assert uuid.UUID(sealed.envelope_id).version == 4
    assert env.id_bound_to(sealed.envelope_id, author)
    assert not env.id_bound_to(sealed.envelope_id, other)


# --- peek reads by offsets: it must answer what a field-by-field reader answers --------------
def _plain_peek(data: bytes) -> env.Header:
    """The straightforward reading of the header layout (sync/ENVELOPE.md): each field taken
    in order, any shortfall "truncated" where it is met. `env.peek` computes the same from
    offsets, in one pass without a reader object or UUID objects."""
    import struct
    if not isinstance(data, (bytes, bytearray)) or len(data) > env.MAX_ENVELOPE:
        raise EnvelopeError("envelope is missing or too large")
    data, pos = bytes(data), [0]

    def take(n):
        if n < 0 or pos[0] + n > len(data):
            raise EnvelopeError("envelope is truncated")
        pos[0] += n
        return data[pos[0] - n:pos[0]]

    def u(fmt):
        return struct.unpack(fmt, take(struct.calcsize(fmt)))[0]

    if take(3) != env.MAGIC + bytes([env.VERSION]):
        raise EnvelopeError("not a version 1 envelope")
    eid, created = uuid.UUID(bytes=take(16)), u(">Q")
    author, device = uuid.UUID(bytes=take(16)), uuid.UUID(bytes=take(16))
    try:
        form_id = take(u(">B")).decode()
    except UnicodeDecodeError:
        raise EnvelopeError("form id is not text") from None
    form_version = u(">H")
    atts = tuple(env.Attachment(uuid.UUID(bytes=take(16)).hex, u(">I"), take(32).hex()) for _ in range(u(">B")))
    wraps = tuple((take(16), take(32), take(48)) for _ in range(u(">B")))
    nonce = take(12)
    ct = take(u(">I"))
    signed = data[:pos[0]]
    signature = take(64)
    if pos[0] != len(data):
        raise EnvelopeError("trailing bytes after the signature")
    if not form_id or not wraps:
        raise EnvelopeError("envelope has no form or no recipients")
    return env.Header(str(eid), created, str(author), str(device), form_id, form_version, atts,
                      tuple(w[0].hex() for w in wraps), signed, signature, wraps, nonce, ct)


def _outcome(fn, data):
    try:
        return fn(data)
    except EnvelopeError as exc:
        return ("error", exc.message)


def test_peek_answers_what_a_field_by_field_reader_answers():
    """Every truncation, every byte flipped, bytes added, lengths overstated and a form id
    that is not UTF-8 (alone and cut short): the same header, or the same error message."""
    import random
    rng = random.Random(20)
    cases = []
    for atts in ({}, {uuid.uuid4().hex: b"jpeg" * 10, uuid.uuid4().hex: b"m4a"}):
        data = _fresh(1, atts)[2].envelope
        cases += [data, data + b"\x00", bytearray(data), b"", b"JD", b"JD\x01"]
        cases += [data[:n] for n in range(len(data))]
        for i in range(len(data)):
            bad = bytearray(data)
            bad[i] ^= 1 << rng.randrange(8)
            cases.append(bytes(bad))
            bad[i] = 0xFF
            cases.append(bytes(bad))
        bad = bytearray(data)
        bad[60] = 0xFF                            # the form id's first byte: not UTF-8
        cases += [bytes(bad), bytes(bad[:61]), bytes(bad[:200])]
        cases.append(data[:59] + b"\x00" + data[60:])   # an empty form id
    cases += [os.urandom(rng.randrange(300)) for _ in range(200)] + ["not bytes", None]
    good = 0
    for data in cases:
        ours, plain = _outcome(env.peek, data), _outcome(_plain_peek, data)
        assert ours == plain, (data, ours, plain)
        good += isinstance(ours, env.Header)
    assert good >= 4, "valid envelopes were not among the cases"
