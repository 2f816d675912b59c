"""sync_once / SyncLoop against a real office, with `tests.support.SqliteOutbox` — a small
Outbox over a real SQLite file (the real device store is integrated by the lead later)."""
from __future__ import annotations

import hashlib
import os
import time

import pytest

from core.errors import SyncError
from sync import receipt as rc
from sync.client import OfficeClient
from sync.runner import SyncLoop, sync_once
from jaga_desa.testing.waits import wait_until
from tests.support import enroll, outbox_for, village


def _setup(server, tmp_path):
    village(server)
    head, client = enroll(server, "Entikong", "head", "Kades")
    vol, _ = enroll(server, "Entikong", "volunteer", "Sari", client=client, device=head)
    return head, vol, client, outbox_for(tmp_path / "device.db", vol, client, server.url)


def test_sync_once_pushes_verifies_uploads_and_pulls(office_server, tmp_path):
    head, vol, client, outbox = _setup(office_server, tmp_path)
    photo = os.urandom(150_000)
    sealed = [vol.report() for _ in range(7)] + [vol.report(attachments={"c" * 32: photo})]
    secret = vol.report(rahasia=True)
    for s in sealed + [secret]:
        outbox.add(s)
    seen = []
    result = sync_once(outbox, client, lambda d, t, s: seen.append((d, t, s)), batch_size=3)
    assert result.ok, result
    assert (result.accepted, result.received, result.attachments) == (9, 9, 1)
    assert outbox.statuses() == {"received": 9} and outbox.pending() == []
    receipts = outbox.receipts()
    for s in sealed + [secret]:
        expected = {a: hashlib.sha256(b).hexdigest() for a, b in s.blobs.items()}
        assert rc.verify(receipts[s.envelope_id], vol.office_ed(), s.envelope, expected).complete
    assert seen[-1][2] == "inbox" and ("push" in {x[2] for x in seen})
    # The head's review requests (8, not the rahasia one) and key updates arrived for this phone.
    kinds = [k for _, k, _, _ in outbox.inbox_items()]
    assert kinds.count("review_request") == 8
    # A head's review goes out on the next round; everything else is idempotent.
    outbox.add_review(head.review(sealed[0].envelope_id))
    again = sync_once(outbox, client)
    assert again.ok and again.reviews == 1 and again.accepted == 0 and again.inbox == 0


def test_rejected_items_are_marked_failed_not_received(office_server, tmp_path):
    head, vol, client, outbox = _setup(office_server, tmp_path)
    office_server.admin(["revoke", "--person", vol.id])
    outbox.add(vol.report())
    outbox.add(head.report())
    result = sync_once(outbox, client)
    assert result.ok and list(result.failed.values()) == ["revoked"]
    assert outbox.statuses() == {"failed": 1, "received": 1}


def test_office_down_keeps_outbox_and_translates_errors(office_server, tmp_path):
    head, vol, client, outbox = _setup(office_server, tmp_path)
    outbox.add(vol.report())
    office_server.stop()
    fast = OfficeClient(office_server.url, client.token, timeout=(0.5, 1.0))
    with pytest.raises(SyncError):
        fast.health(probe=True)
    result = sync_once(outbox, fast)
    assert not result.ok and result.error == "sync_failed"
    assert outbox.statuses() == {"pending": 1}
    # The loop backs off, and syncs once the office is back.
    loop = SyncLoop(outbox, fast, interval=0.2, min_backoff=0.1, max_backoff=0.4).start()
    wait_until(lambda: loop.last is not None, 10, "the loop's first round against the dead office")
    assert outbox.statuses() == {"pending": 1} and not loop.last.ok
    office_server.start()
    loop.trigger()
    wait_until(lambda: outbox.statuses() == {"received": 1}, 20, "the report received once the office is back")
    t0 = time.monotonic()
    loop.stop()
    assert time.monotonic() - t0 < 3
    assert outbox.statuses() == {"received": 1}


def test_inbox_paging_is_monotonic(office_server, tmp_path):
    head, vol, client, outbox = _setup(office_server, tmp_path)
    client.push([vol.report().envelope for _ in range(12)])
    seen, cursor = [], None
    while True:
        page = client.inbox(cursor, limit=5)
        if not page["items"]:
            break
        seen += [int(i["item_id"]) for i in page["items"]]
        cursor = page["next_cursor"]
    assert seen == sorted(set(seen)) and len([s for s in seen]) >= 12


def test_sync_loop_accepts_an_outbox_factory(office_server, tmp_path):
    head, vol, client, outbox = _setup(office_server, tmp_path)
    outbox.add(vol.report())
    made = []
    loop = SyncLoop(lambda: made.append(1) or outbox, client, interval=30).start()
    wait_until(lambda: outbox.statuses() == {"received": 1}, 15, "the loop's first sync")
    loop.stop()
    assert made == [1] and outbox.statuses() == {"received": 1} and loop.last.ok
