"""The office's core flow on a real PostgreSQL (same code, a URL change): enroll, push,
duplicate with the original receipt, attachment, head review, inbox, revocation."""
from __future__ import annotations

import base64
import hashlib
import os

import pytest
from sqlalchemy import create_engine, func, select

from core.errors import ApiError
from sync import receipt as rc
from office.schema import envelopes, reviews
from sync.runner import sync_once
from tests.support import enroll, outbox_for, village


def test_core_flow_on_postgres(postgres_server, office_factory, tmp_path):
    url = postgres_server("office_core_flow")
    server = office_factory("pg-office", db_url=url)
    village(server)
    head, client = enroll(server, "Entikong", "head", "Kades")
    vol, _ = enroll(server, "Entikong", "volunteer", "Sari", client=client, device=head)
    report = vol.report(attachments={"d" * 32: os.urandom(70_000)})
    first = client.push([report.envelope])[0]
    assert first["status"] == "accepted"
    assert client.push([report.envelope])[0]["receipt"] == first["receipt"]
    client.put_attachment(report.envelope_id, "d" * 32, report.blobs["d" * 32], chunk_size=30_000)
    done = rc.verify(client.receipt(report.envelope_id), vol.office_ed(), report.envelope,
                     {"d" * 32: hashlib.sha256(report.blobs["d" * 32]).hexdigest()})
    assert done.complete and done.received_at == first["receipt"]["received_at"]
    # Sync loop bits through the Outbox, then the head reviews what arrived in the inbox.
    outbox = outbox_for(tmp_path / "device.db", vol, client, server.url)
    for _ in range(20):
        outbox.add(vol.report())
    assert sync_once(outbox, client).ok and outbox.statuses() == {"received": 20}
    reqs = [i for i in client.inbox(limit=200)["items"] if i["kind"] == "review_request"]
    assert len(reqs) == 21
    out = client.post_review(head.review(report.envelope_id, "verified").envelope)
    assert out["status"] == "accepted"
    engine = create_engine(url)
    with engine.begin() as conn:
        assert conn.execute(select(func.count()).select_from(envelopes)).scalar() == 21
        assert conn.execute(select(reviews.c.verdict)).scalar() == "verified"
    engine.dispose()
    server.admin(["revoke", "--device", head.device_id])
    with pytest.raises(ApiError) as exc:
        client.inbox()
    assert exc.value.code == "revoked"
