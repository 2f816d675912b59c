"""Attachments under attack (issue 12): the declared size is enforced before the body is
read, uploads are stored piece by piece (never joined in memory), unfinished uploads
expire; and every office-admin command lands in the audit log."""
from __future__ import annotations

import json
import os
import socket
import sqlite3

import pytest

from office.ingest.attachments import PIECE
from tests.support import enroll, village


def db(server) -> sqlite3.Connection:
    return sqlite3.connect(server.data_dir / "office.db", timeout=30)


def raw_put(server, token: str, path: str, declared: int, body: bytes = b"") -> bytes:
    """A PUT that declares `declared` bytes but sends only `body`: the answer must come
    without the office waiting for the rest."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=20) as s:
        s.sendall((f"PUT {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
                   f"Content-Type: application/octet-stream\r\nContent-Length: {declared}\r\n\r\n").encode() + body)
        return s.recv(4096)


@pytest.fixture
def pushed(office_server):
    village(office_server)
    vol, client = enroll(office_server, "Entikong", "volunteer", "Sari")
    att = "c" * 32
    sealed = vol.report(attachments={att: os.urandom(1_200_000)})
    assert client.push([sealed.envelope])[0]["status"] == "accepted"
    return office_server, client, sealed, att


def test_declared_length_over_the_signed_size_is_refused_before_the_body(pushed):
    """Before: the route read the whole body into memory first, then compared sizes."""
    server, client, sealed, att = pushed
    size = len(sealed.blobs[att])
    head = raw_put(server, client.token, f"/api/v1/attachments/{sealed.envelope_id}/{att}?offset=0",
                   declared=size + 1, body=b"x" * 10)
    assert head.startswith(b"HTTP/1.1 413"), head[:200]
    assert client.attachment_status(sealed.envelope_id, att)["received"] == 0


def test_upload_is_stored_in_pieces_without_a_joined_copy(pushed):
    server, client, sealed, att = pushed
    blob = sealed.blobs[att]
    done = client.put_attachment(sealed.envelope_id, att, blob, chunk_size=len(blob))   # one big PUT
    assert done["complete"]
    with db(server) as con:
        sizes = [n for (n,) in con.execute(
            "SELECT length(data) FROM attachment_chunks WHERE envelope_id=? ORDER BY offset", (sealed.envelope_id,))]
        joined = con.execute("SELECT data FROM attachments WHERE envelope_id=?", (sealed.envelope_id,)).fetchone()[0]
    assert joined is None and len(sizes) >= 4 and max(sizes) <= PIECE and sum(sizes) == len(blob)


def test_unfinished_upload_expires(pushed):
    server, client, sealed, att = pushed
    client.put_chunk(sealed.envelope_id, att, 0, sealed.blobs[att][:100_000])
    assert server.admin(["expire-uploads", "--older-than-hours", "1"]).startswith("0 ")  # fresh: kept
    with db(server) as con:    # the phone went quiet two days ago
        con.execute("UPDATE attachments SET updated_at='2001-01-01T00:00:00.000Z' WHERE envelope_id=?",
                    (sealed.envelope_id,))
    assert server.admin(["expire-uploads", "--older-than-hours", "1"]).startswith("1 ")
    assert client.attachment_status(sealed.envelope_id, att)["received"] == 0
    with db(server) as con:
        assert con.execute("SELECT count(*) FROM attachment_chunks WHERE envelope_id=?",
                           (sealed.envelope_id,)).fetchone()[0] == 0
    # the phone comes back: it starts over from 0 and completes
    assert client.put_attachment(sealed.envelope_id, att, sealed.blobs[att])["complete"]


def test_every_admin_cli_command_is_audited(office_server):
    """Before: revocations, enrollment codes and new staff from the CLI left no audit entry."""
    office_server.admin(["add-village", "--name", "Entikong", "--region", "Sanggau"])
    os.environ["JAGA_PASSWORD"] = "kata-sandi-panjang"
    office_server.admin(["add-staff", "--username", "mitra", "--role", "intel", "--region", "Sanggau"])
    office_server.admin(["enroll-code", "--village", "Entikong", "--role", "volunteer", "--name", "Ani"])
    vol, _ = enroll(office_server, "Entikong", "volunteer", "Budi")
    office_server.admin(["revoke", "--person", vol.id])
    token = office_server.admin(["api-token", "issue", "--username", "mitra", "--days", "7"]).strip()
    tokens = json.loads(office_server.admin(["api-token", "list"]))
    assert token.startswith("jdp_") and tokens[0]["username"] == "mitra" and tokens[0]["expires_at"]
    office_server.admin(["api-token", "revoke", "--id", tokens[0]["id"]])
    with db(office_server) as con:
        rows = con.execute("SELECT action, username, target FROM dash_audit ORDER BY id").fetchall()
    actions = [a for a, _, _ in rows]
    for action in ("add_village", "add_staff", "enroll_code", "revoke_person", "api_token", "revoke_api_token"):
        assert action in actions, (action, actions)
    assert all(u.startswith("cli:") for _, u, _ in rows)
    assert ("revoke_person", vol.id) in {(a, t) for a, _, t in rows}
    assert token not in json.dumps(rows)                  # the token itself is never logged


def test_every_byte_stored_but_never_finished_completes_on_the_next_try(pushed):
    """A request killed between storing its last piece and verifying (or a retry arriving
    while the first request is still finishing) leaves every byte held and the attachment
    incomplete. The phone's next try sends nothing more at offset == size: the office then
    verifies and completes it, where it used to refuse "empty chunk" forever."""
    server, client, sealed, att = pushed
    blob = sealed.blobs[att]
    assert client.put_attachment(sealed.envelope_id, att, blob)["complete"]
    with db(server) as con:        # back to the state between the last append and finish
        con.execute("UPDATE attachments SET complete = 0 WHERE envelope_id = ?", (sealed.envelope_id,))
    status = client.attachment_status(sealed.envelope_id, att)
    assert status == {"received": len(blob), "size": len(blob), "complete": False}
    assert client.put_attachment(sealed.envelope_id, att, blob)["complete"]
    assert client.attachment_status(sealed.envelope_id, att)["complete"]
