"""The courier file format on its own (sync/courier.py): what goes in comes out byte for byte,
photos in chunks; padding to the bucket; a damaged record costs only itself; one file holds
at most what the office reads, the rest waits for the next."""
from __future__ import annotations

import os
import uuid

from sync import courier as wire
from sync.ports import OutboxItem

KEY = "ab" * 16


def item(photo: int = 0) -> OutboxItem:
    blobs = {uuid.uuid4().hex: os.urandom(photo)} if photo else {}
    return OutboxItem(str(uuid.uuid4()), os.urandom(1200), blobs)


def test_round_trip_with_photos_in_chunks_and_padding():
    items = [item(), item(photo=3 * wire.CHUNK_SIZE + 17), item()]
    raw = wire.pack(items, KEY)
    assert len(raw) == wire.bucket(len(raw)) and len(raw) >= wire.MIN_BUCKET
    got = wire.unpack(raw)
    assert got.office_key_id == KEY and got.envelopes == [i.envelope for i in items]
    assert got.damaged == 0 and not got.truncated
    for i in items:
        for att, blob in i.blobs.items():
            assert got.blob(i.envelope_id, att) == blob
            assert len(got.chunks[(i.envelope_id, att)]) == 4


def test_a_flipped_byte_costs_one_record_and_reading_goes_on():
    items = [item(), item(), item()]
    raw = bytearray(wire.pack(items, KEY))
    raw[raw.find(items[1].envelope) + 600] ^= 0x40
    got = wire.unpack(bytes(raw))
    assert got.envelopes == [items[0].envelope, items[2].envelope] and got.damaged == 1 and not got.truncated
    cut = wire.unpack(bytes(raw[:raw.find(items[2].envelope) + 10]))
    assert cut.truncated and cut.envelopes == [items[0].envelope]


def test_one_file_holds_at_most_what_the_office_reads():
    items = [item(photo=300_000) for _ in range(6)]
    taken = wire.fitting(items, limit=1024 * 1024)
    assert 1 <= len(taken) < 6 and len(wire.pack(taken, KEY)) == 1024 * 1024
    assert len(wire.pack(wire.fitting(items), KEY)) <= wire.MAX_FILE
    assert wire.fitting([item(photo=2_000_000)], limit=1000) != []          # one is always taken
