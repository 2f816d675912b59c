"""Courier files: the sealed outbox carried by hand, and the office's receipts carried back.

Both sides read and write the same bytes (the phone packs, the office unpacks; the office
packs receipts, the phone unpacks), so the format lives here with the envelope it carries.

A courier file holds the waiting envelopes and their sealed photo blobs exactly as the
phone holds them — nothing is re-encrypted, nothing readable is added: the only field of
its own is the office's recipient key id, which every envelope in it already names. Its
size is padded up to a bucket (`bucket`), so the file's size hides how many reports it
carries to anyone who only sees the file go by (a chat app, a Bluetooth transfer).

Layout (big-endian):

    "JDKURIR" 0x01      magic + version
    office_key_id 16    the office's X25519 key id (sync/envelope.key_id)
    records, each:      "JDr1" | kind u8 | length u32 | sha256(kind | payload)[:16] | payload
        ENVELOPE        an envelope, exactly as sealed and signed
        CHUNK           envelope_id 16 | att_id 16 | offset u32 | a piece of the sealed blob
        END             u32: how many ENVELOPE + CHUNK records came before (a cut file has none)
        PAD             random bytes up to the bucket (after END)

The per-record hash is for damage, not for attackers (the author's signature and the
signed attachment manifest are what the office trusts): a record whose hash does not
match is skipped, and reading resumes at the next record mark, so one flipped byte or a
cut costs only the records it touches (`Unpacked.damaged`, `Unpacked.truncated`).

A receipts file is JSON (`pack_receipts`): the office's signed batch receipts and signed
refusals, one per envelope, padded the same way. Each receipt is a self-contained proof
(sync/receipt.py): the phone verifies it as if the push had returned it.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import struct
import uuid
from dataclasses import dataclass, field

from core.errors import CourierError, EnvelopeError
from sync import envelope as env
from sync.ports import OutboxItem

MAGIC = b"JDKURIR\x01"
MARK = b"JDr1"
ENVELOPE, CHUNK, END, PAD = 1, 2, 3, 4
_REC = struct.Struct(">4sBI16s")           # mark, kind, length, hash
_CHUNK = struct.Struct(">16s16sI")         # envelope id, att id, offset
CHUNK_SIZE = 64 * 1024                     # as the push uploads photos (sync/client.CHUNK)
MIN_BUCKET = 64 * 1024
MAX_FILE = 64 * 1024 * 1024                # the office reads at most this much (office/app.py)
RECEIPTS_FORMAT = "jaga-desa/courier-receipts"
MIN_RECEIPTS_BUCKET = 16 * 1024


def bucket(size: int, minimum: int = MIN_BUCKET) -> int:
    """The padded size of a file of `size` bytes: the next power of two, at least `minimum`.
    One text report and forty look alike; a file never grows past twice its content."""
    out = minimum
    while out < size:
        out *= 2
    return out


def _record(kind: int, payload: bytes) -> bytes:
    digest = hashlib.sha256(bytes([kind]) + payload).digest()[:16]
    return _REC.pack(MARK, kind, len(payload), digest) + payload


def _pad_record(used: int, _rng) -> bytes:
    target = bucket(used + _REC.size)
    return _record(PAD, _rng(target - used - _REC.size))


def packed_size(item: OutboxItem) -> int:
    """The bytes `item` takes in a courier file (before padding)."""
    pieces = sum(-(-len(b) // CHUNK_SIZE) for b in item.blobs.values())
    return _REC.size + len(item.envelope) + pieces * (_REC.size + _CHUNK.size) + sum(map(len, item.blobs.values()))


def fitting(items: list[OutboxItem], limit: int = MAX_FILE) -> list[OutboxItem]:
    """The first items (oldest first) whose file, padded, stays within `limit`: the rest wait
    for the next file. One item is always taken, however large (the office then says so)."""
    used, out = len(MAGIC) + 16 + 2 * _REC.size + 4, []
    for item in items:
        size = packed_size(item)
        if out and used + size > limit:
            break
        out.append(item)
        used += size
    return out


def pack(items: list[OutboxItem], office_key_id: str, *, pad: bool = True, _rng=os.urandom) -> bytes:
    """One courier file for `items` (envelopes and their sealed blobs, as they are)."""
    out = bytearray(MAGIC + bytes.fromhex(office_key_id))
    count = 0
    for item in items:
        out += _record(ENVELOPE, item.envelope)
        count += 1
        eid = uuid.UUID(item.envelope_id).bytes
        for att_id, blob in sorted(item.blobs.items()):
            for off in range(0, len(blob), CHUNK_SIZE):
                out += _record(CHUNK, _CHUNK.pack(eid, bytes.fromhex(att_id), off) + blob[off:off + CHUNK_SIZE])
                count += 1
    out += _record(END, struct.pack(">I", count))
    if pad:
        out += _pad_record(len(out), _rng)
    return bytes(out)


@dataclass
class Unpacked:
    """What a courier file holds, as far as it is whole."""
    office_key_id: str
    envelopes: list[bytes] = field(default_factory=list)
    chunks: dict[tuple[str, str], dict[int, bytes]] = field(default_factory=dict)  # (eid, att) -> offset -> piece
    damaged: int = 0                  # records skipped: a hash that did not match, or a bad length
    truncated: bool = False           # the file ends before its END record

    def blob(self, envelope_id: str, att_id: str, start: int = 0, limit: int | None = None) -> bytes:
        """The contiguous bytes of one sealed blob from `start`, as far as its chunks reach
        (and no further than `limit` bytes from 0, when given: the signed size)."""
        pieces, out, at = self.chunks.get((envelope_id, att_id), {}), bytearray(), start
        while at in pieces and (limit is None or at < limit):
            out += pieces[at]
            at += len(pieces[at])
        return bytes(out)

    def blobs_for(self, envelope: bytes) -> dict[str, bytes]:
        """att_id -> sealed blob, for the attachments whose bytes match the signed manifest."""
        header = env.peek(envelope)
        out = {}
        for a in header.attachments:
            blob = self.blob(header.envelope_id, a.att_id, limit=a.size)
            if len(blob) == a.size and hashlib.sha256(blob).hexdigest() == a.sha256:
                out[a.att_id] = blob
        return out


def unpack(data: bytes) -> Unpacked:
    """Read a courier file, keeping every record that is whole. Raises CourierError only
    when the file is not a courier file at all (wrong magic or version, too large)."""
    if len(data) > MAX_FILE:
        raise CourierError(f"a courier file is at most {MAX_FILE // (1024 * 1024)} MiB")
    if len(data) < len(MAGIC) + 16 or not data.startswith(MAGIC):
        raise CourierError("this is not a Jaga Desa courier file (or a newer version of one)")
    out = Unpacked(data[len(MAGIC):len(MAGIC) + 16].hex())
    view = memoryview(data)
    pos, count, ended = len(MAGIC) + 16, 0, False
    budget = 2 * len(data)                   # bytes hashed in records that fail (see below)
    while pos < len(data):
        if len(data) - pos < _REC.size:
            out.damaged += 1
            break
        mark, kind, length, digest = _REC.unpack_from(data, pos)
        start = pos + _REC.size
        fits = mark == MARK and length <= len(data) - start
        payload = view[start:start + length] if fits else b""
        if not fits or hashlib.sha256(bytes([kind]) + payload).digest()[:16] != digest:
            # Resuming at the next mark keeps a damaged file's other records; the budget keeps a
            # hostile one (a mark every few bytes, each claiming the rest) from costing
            # quadratic work: past it, what is left counts as cut off.
            budget -= len(payload)
            out.damaged += 1
            nxt = data.find(MARK, pos + 1) if budget > 0 else -1
            if nxt < 0:
                break
            pos = nxt
            continue
        payload = bytes(payload)
        pos = start + length
        if kind == END:
            ended = True
            if len(payload) == 4:      # records lost without a trace (a damaged mark skipped whole)
                out.damaged = max(out.damaged, struct.unpack(">I", payload)[0] - count)
            break
        count += 1
        if kind == ENVELOPE:
            out.envelopes.append(payload)
        elif kind == CHUNK and len(payload) > _CHUNK.size:
            eid, att, off = _CHUNK.unpack_from(payload)
            out.chunks.setdefault((str(uuid.UUID(bytes=eid)), att.hex()), {})[off] = payload[_CHUNK.size:]
    out.truncated = not ended
    return out


def office_key_id(office_x25519_public: bytes) -> str:
    """The key id a courier file names, from the office's raw X25519 public key."""
    return env.key_id(env.load_public_x25519(office_x25519_public)).hex()


# --- receipts, carried back ------------------------------------------------------------
def pack_receipts(results: list[dict], office_key_id: str, *, _rng=os.urandom) -> bytes:
    """The office's answer to a courier file: one result per envelope (status, the signed
    receipt, or the code, reason and signed refusal), padded to a bucket."""
    keep = ("envelope_id", "status", "receipt", "code", "reason", "refusal")
    body = {"format": RECEIPTS_FORMAT, "v": 1, "office": office_key_id,
            "results": [{k: r[k] for k in keep if r.get(k) is not None} for r in results if r.get("envelope_id")]}
    raw = json.dumps(body, sort_keys=True, separators=(",", ":"))
    room = bucket(len(raw) + 12, MIN_RECEIPTS_BUCKET) - len(raw) - 12
    body["pad"] = base64.b64encode(_rng(room * 3 // 4)).decode()[:room]
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def unpack_receipts(data: bytes | dict) -> tuple[str, list[dict]]:
    """(office key id, results) of a receipts file (its bytes, or as the office's JSON answer
    parsed); CourierError when it is not one. Each result is still to be verified (a receipt
    or refusal that does not verify closes nothing)."""
    try:
        body = data if isinstance(data, dict) else json.loads(data)
        if body.get("format") != RECEIPTS_FORMAT or body.get("v") != 1:
            raise ValueError
        results = [r for r in body["results"] if isinstance(r, dict) and isinstance(r.get("envelope_id"), str)]
        return str(body["office"]), results
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError):
        raise CourierError("this is not a Jaga Desa receipts file") from None


def header_or_none(data: bytes) -> env.Header | None:
    try:
        return env.peek(data)
    except EnvelopeError:
        return None
