"""Sync thousands of reports through a proxy that drops connections at random points,
then through a kill -9 of the office: every report is held by the office exactly once,
and the outbox (`tests.support.SqliteOutbox`, a real SQLite file standing in for the
device store) ends empty with every receipt verified."""
from __future__ import annotations

import hashlib
import os
import threading
import time

import pytest
from sqlalchemy import func, select

from sync import receipt as rc
from sync.client import OfficeClient
from office import db
from office.schema import attachments, envelopes
from sync.runner import sync_once
from jaga_desa.testing.waits import wait_until
from tests.support import enroll, outbox_for, village
from jaga_desa.testing.proxy import FaultProxy

pytestmark = pytest.mark.slow
N = 2000


def _fill(outbox, vol, n, photo_every=100):
    sealed = []
    for i in range(n):
        atts = {os.urandom(16).hex(): os.urandom(20_000)} if i % photo_every == 0 else None
        s = vol.report(attachments=atts)
        outbox.add(s)
        sealed.append(s)
    return sealed


def _sync_until_empty(outbox, client, deadline_s=240.0, on_round=None):
    # a liveness bound, not a speed claim: generous so a loaded 2-core CI machine still finishes
    deadline = time.monotonic() + deadline_s
    rounds = 0
    while outbox.pending(1) and time.monotonic() < deadline:
        sync_once(outbox, client, batch_size=25)
        rounds += 1
        if on_round:
            on_round(rounds)
    return rounds


def _check(server, outbox, vol, sealed):
    assert outbox.statuses() == {"received": len(sealed)}
    receipts = outbox.receipts()
    for s in sealed:
        expected = {a: hashlib.sha256(b).hexdigest() for a, b in s.blobs.items()}
        assert rc.verify(receipts[s.envelope_id], vol.office_ed(), s.envelope, expected).complete
    engine = db.make_engine(db.sqlite_url(server.data_dir))
    with engine.begin() as conn:
        ids = conn.execute(select(envelopes.c.id, envelopes.c.sha256)).all()
        incomplete = conn.execute(select(func.count()).select_from(attachments)
                                  .where(attachments.c.complete.is_(False))).scalar()
    assert len(ids) == len({i for i, _ in ids}) == len(sealed)
    assert {i: h for i, h in ids} == {s.envelope_id: hashlib.sha256(s.envelope).hexdigest() for s in sealed}
    assert incomplete == 0
    engine.dispose()


def _client(url, token):
    # Short timeouts: a cut connection must not stall the test.
    return OfficeClient(url, token, timeout=(2.0, 10.0))


def test_sync_through_dropping_proxy(office_server, tmp_path):
    village(office_server)
    vol, client = enroll(office_server, "Entikong", "volunteer", "Sari")
    outbox = outbox_for(tmp_path / "device.db", vol, client, office_server.url)
    sealed = _fill(outbox, vol, N)
    proxy = FaultProxy(office_server.port, refuse_rate=0.05, cut_after=100_000, seed=7)
    try:
        rounds = _sync_until_empty(outbox, _client(proxy.url, client.token))
    finally:
        proxy.close()
    assert proxy.stats["cut_request"] + proxy.stats["cut_response"] > 5, proxy.stats
    _check(office_server, outbox, vol, sealed)
    print(f"rounds={rounds} proxy={proxy.stats}")


def test_kill_9_mid_sync_then_finish(office_server, tmp_path):
    village(office_server)
    vol, client = enroll(office_server, "Entikong", "volunteer", "Sari")
    outbox = outbox_for(tmp_path / "device.db", vol, client, office_server.url)
    sealed = _fill(outbox, vol, N)
    proxy = FaultProxy(office_server.port, refuse_rate=0.05, cut_after=400_000, seed=11)
    killed = threading.Event()

    def killer():
        # Kill once the office has taken part of the outbox, then bring it back.
        wait_until(lambda: outbox.pending_count() <= N * 0.6, 180, "the office to take part of the outbox",
                   every=0.02)
        office_server.kill()
        killed.set()
        tried = proxy.connections
        wait_until(lambda: proxy.connections > tried + 1, 30, "the phone to hit the dead office")
        office_server.start()

    t = threading.Thread(target=killer, daemon=True)
    t.start()
    try:
        _sync_until_empty(outbox, _client(proxy.url, client.token))
    finally:
        proxy.close()
        t.join(30)
    assert killed.is_set()
    _check(office_server, outbox, vol, sealed)
