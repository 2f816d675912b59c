"""The office API over real HTTP against a real uvicorn office (tests/conftest.py office_server)."""
from __future__ import annotations

import base64
import hashlib
import json
import os
import time
from datetime import timedelta

import pytest
import requests
from sqlalchemy import select

from core.errors import ApiError, EnvelopeError
from jaga_desa.testing.waits import wait_until
from sync import envelope as env
from sync import receipt as rc
from sync.client import OfficeClient
from office import clock, db, enrollment
from office.schema import envelopes, reviews
from tests.support import Person, enroll, new_code, valid_answers, village

API = "/api/v1"


def store(server):
    return db.make_engine(db.sqlite_url(server.data_dir))


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def post(server, path, token=None, **kw):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.post(server.url + API + path, headers=headers, timeout=10, **kw)


# --- health, errors ---------------------------------------------------------------------

def test_health_and_json_errors(office_server):
    r = requests.get(office_server.url + API + "/health", timeout=5)
    assert r.status_code == 200 and r.json()["status"] == "ok" and r.json()["server_time"].endswith("Z")
    for method, path, kw, status, code in [
        ("get", "/nowhere", {}, 404, "not_found"),
        ("post", "/envelopes", {"json": {"envelopes": []}}, 401, "unauthorized"),
        ("post", "/enroll", {"data": b"not json", "headers": {"Content-Type": "application/json"}}, 422, "bad_request"),
        ("post", "/enroll", {"json": {"code": 1}}, 422, "bad_request"),
        ("delete", "/health", {}, 405, "method_not_allowed"),
    ]:
        r = getattr(requests, method)(office_server.url + API + path, timeout=5, **kw)
        assert (r.status_code, r.json()["code"]) == (status, code), (path, r.text)
        assert set(r.json()) == {"code", "message"}
    big = b"x" * (9 * 1024 * 1024)
    r = requests.post(office_server.url + API + "/envelopes", data=big, timeout=10,
                      headers={"Content-Type": "application/json"})
    assert (r.status_code, r.json()["code"]) == (413, "too_large")
    spec = requests.get(office_server.url + API + "/openapi.json", timeout=5).json()
    assert {"/api/v1/enroll", "/api/v1/envelopes", "/api/v1/inbox", "/api/v1/reviews",
            "/api/v1/attachments/{envelope_id}/{att_id}", "/api/v1/health"} <= set(spec["paths"])


# --- enrollment -------------------------------------------------------------------------

def test_enrollment_single_use_and_shared_phone(office_server):
    village(office_server)
    head, client = enroll(office_server, "Entikong", "head", "Pak Kades")
    assert head.enrolled["sync_token"] and head.enrolled["role"] == "head"
    assert head.enrolled["recipients"][0]["key_id"] == head.key_id
    # A volunteer on the same phone: no new token, same device, sees the head as recipient.
    vol, _ = enroll(office_server, "Entikong", "volunteer", "Bu Sari", client=client, device=head)
    assert vol.enrolled["sync_token"] is None and vol.device_id == head.device_id
    assert [r["person_id"] for r in vol.enrolled["recipients"]] == [head.id]
    # Reuse of a code -> 409 enroll_code_used.
    code = new_code(office_server, "Entikong", "volunteer", "Ani")
    p = Person("Ani")
    OfficeClient(office_server.url).enroll(code, "Ani", env.raw_public(p.x.public_key()),
                                           env.raw_public(p.ed.public_key()))
    q = Person("Ani")
    with pytest.raises(ApiError) as exc:
        OfficeClient(office_server.url).enroll(code, "Ani", env.raw_public(q.x.public_key()),
                                               env.raw_public(q.ed.public_key()))
    assert (exc.value.code, exc.value.http_status) == ("enroll_code_used", 409)
    with pytest.raises(ApiError) as exc:
        OfficeClient(office_server.url).enroll("NOPE-NOPE-NOPE", "x", env.raw_public(q.x.public_key()),
                                               env.raw_public(q.ed.public_key()))
    assert exc.value.code == "enroll_code_invalid"
    # A wrong device token for a second person -> 401.
    with pytest.raises(ApiError) as exc:
        OfficeClient(office_server.url).enroll(new_code(office_server, "Entikong", "volunteer", "B"), "B",
                                               env.raw_public(q.x.public_key()), env.raw_public(q.ed.public_key()),
                                               device_id=head.device_id, device_token="forged")
    assert exc.value.code == "unauthorized"


def test_enrollment_code_expiry_with_injected_time(office_server):
    village(office_server)
    engine = store(office_server)
    issued = clock.now() - timedelta(hours=5)
    with engine.begin() as conn:
        code = enrollment.create_code(conn, village="Entikong", role="volunteer", name="Late",
                                      ttl_hours=4, now=issued)["code"]
        fresh = enrollment.create_code(conn, village="Entikong", role="volunteer", name="Early",
                                       ttl_hours=4, now=issued)["code"]
    p = Person("Late")
    with pytest.raises(ApiError) as exc:
        OfficeClient(office_server.url).enroll(code, "Late", env.raw_public(p.x.public_key()),
                                               env.raw_public(p.ed.public_key()))
    assert (exc.value.code, exc.value.http_status) == ("enroll_code_expired", 410)
    # The same rule with time injected at the store: valid one second before expiry.
    with engine.begin() as conn:
        out = enrollment.enroll(conn, code=fresh, name="Early",
                                x25519_public=b64(env.raw_public(p.x.public_key())),
                                ed25519_public=b64(env.raw_public(p.ed.public_key())),
                                now=issued + timedelta(hours=4) - timedelta(seconds=1))
    assert out["sync_token"]


def test_revocation_person_and_device(office_server):
    village(office_server)
    head, client = enroll(office_server, "Entikong", "head", "Kades")
    vol, _ = enroll(office_server, "Entikong", "volunteer", "Sari", client=client, device=head)
    office_server.admin(["revoke", "--person", vol.id])
    res = client.push([vol.report().envelope])
    assert res[0]["status"] == "rejected" and res[0]["code"] == "revoked"
    assert client.push([head.report().envelope])[0]["status"] == "accepted"
    office_server.admin(["revoke", "--device", head.device_id])
    with pytest.raises(ApiError) as exc:
        client.push([head.report().envelope])
    assert (exc.value.code, exc.value.http_status) == ("revoked", 403)
    with pytest.raises(ApiError) as exc:
        client.inbox()
    assert exc.value.code == "revoked"


# --- envelopes --------------------------------------------------------------------------

def test_envelopes_accept_duplicate_reject(office_server):
    village(office_server)
    vol, client = enroll(office_server, "Entikong", "volunteer", "Sari")
    stranger, sclient = enroll(office_server, "Entikong", "volunteer", "Other")
    office_pub = vol.office_ed()
    week_ago = int(time.time() * 1000) - 7 * 86400 * 1000
    good = vol.report(created_ms=week_ago)
    res = client.push([good.envelope])[0]
    assert res["status"] == "accepted"
    first = rc.verify(res["receipt"], office_pub, good.envelope)
    assert first.complete and first.envelope_id == good.envelope_id
    # a receipt made anew would now carry a later received_at: the clock must have moved on
    wait_until(lambda: clock.iso(clock.now()) > first.received_at, timeout=5, what="the office clock to tick")
    dup = client.push([good.envelope])[0]
    assert dup["status"] == "duplicate" and dup["receipt"] == res["receipt"]   # ORIGINAL receipt

    bad_sig = bytearray(vol.report().envelope)
    bad_sig[-1] ^= 1
    ghost = Person("ghost")
    ghost.enrolled = {**vol.enrolled, "person_id": "6f1c8f5e-0000-4000-8000-000000000001"}
    not_office = env.seal({"a": 1}, form_id="laporan_kecurigaan", form_version=1, author_id=vol.id,
                          device_id=vol.device_id, signing_key=vol.ed,
                          recipients=[Person("x").x.public_key()])
    other_device = stranger.report()
    truncated = vol.report().envelope[:-10]
    results = client.push([bytes(bad_sig), ghost.report().envelope, not_office.envelope,
                           other_device.envelope, truncated])
    assert [(r["status"], r["code"]) for r in results] == [
        ("rejected", "envelope_invalid"), ("rejected", "unknown_person"),
        ("rejected", "wrong_recipient"), ("rejected", "wrong_device"), ("rejected", "envelope_invalid")]
    assert all(r["reason"] for r in results)
    r = post(office_server, "/envelopes", client.token, json={"envelopes": ["!!notbase64"]})
    assert r.json()["results"][0]["code"] == "bad_base64"
    r = post(office_server, "/envelopes", client.token, json={"envelopes": ["AA=="] * 501})
    assert (r.status_code, r.json()["code"]) == (413, "too_large")
    # Clock skew: phone time and office time both stored; answers never in a plain column.
    with store(office_server).begin() as conn:
        rows = conn.execute(select(envelopes)).mappings().all()
    assert len(rows) == 1
    row = rows[0]
    assert row["created_ms"] == week_ago and row["skew_ms"] >= 7 * 86400 * 1000 - 60_000
    assert row["category"] == "rekrutmen" and row["urgent"] and not row["rahasia"] and not row["has_photo"]
    assert bytes(row["data"]) == good.envelope
    assert b"rahasia sekali" not in (office_server.data_dir / "office.db").read_bytes()
    assert "rahasia sekali" not in office_server.log_path.read_text()


# --- review round trip, rahasia, feedback -----------------------------------------------

def test_head_review_round_trip_and_rahasia(office_server):
    village(office_server)
    village(office_server, "Sajingan")
    head, hclient = enroll(office_server, "Entikong", "head", "Kades")
    other_head, oclient = enroll(office_server, "Sajingan", "head", "Kades2")
    vol, vclient = enroll(office_server, "Entikong", "volunteer", "Sari")   # own phone
    normal, secret = vol.report(), vol.report(rahasia=True)
    assert [r["status"] for r in vclient.push([normal.envelope, secret.envelope])] == ["accepted"] * 2

    page = hclient.inbox()
    reqs = [i for i in page["items"] if i["kind"] == "review_request"]
    assert [i["body"]["envelope_id"] for i in reqs] == [normal.envelope_id]   # rahasia never shown
    data = base64.b64decode(reqs[0]["body"]["envelope"])
    opened = env.open(data, recipient_key=head.x, author_public=vol.ed.public_key())
    assert opened.payload["answers"] == valid_answers()
    with pytest.raises(EnvelopeError):
        env.open(secret.envelope, recipient_key=head.x, author_public=vol.ed.public_key())
    assert all(i["kind"] != "review_request" for i in oclient.inbox()["items"])
    # Paging is monotonic and the cursor moves on.
    again = hclient.inbox(page["next_cursor"])
    assert again["items"] == [] and again["next_cursor"] == page["next_cursor"]

    review = head.review(normal.envelope_id, "disputed", "saya kenal orangnya")
    out = hclient.post_review(review.envelope)
    assert out["status"] == "accepted"
    rc.verify(out["receipt"], head.office_ed(), review.envelope)
    assert hclient.post_review(review.envelope)["receipt"] == out["receipt"]   # replay-safe
    with pytest.raises(ApiError) as exc:    # a head of another village
        oclient.post_review(other_head.review(normal.envelope_id).envelope)
    assert exc.value.code == "forbidden"
    with pytest.raises(ApiError) as exc:    # nobody reviews a rahasia report
        hclient.post_review(head.review(secret.envelope_id).envelope)
    assert exc.value.code == "forbidden"
    with pytest.raises(ApiError) as exc:    # a volunteer is not a head
        vclient.post_review(vol.review(normal.envelope_id).envelope)
    assert exc.value.code == "forbidden"
    with store(office_server).begin() as conn:
        rows = conn.execute(select(reviews.c.verdict, reviews.c.report_id)).all()
    assert rows == [("disputed", normal.envelope_id)]

    # Feedback from the office reaches the volunteer, signed by the office.
    from office import feedback, keys
    office_keys = keys.load_or_create(office_server.data_dir)
    with store(office_server).begin() as conn:
        feedback.send_feedback(conn, normal.envelope_id, "Terima kasih, kami tindak lanjuti",
                               keys=office_keys)
    items = vclient.inbox()["items"]
    fb = [i for i in items if i["kind"] == "feedback"]
    assert len(fb) == 1 and fb[0]["person_id"] == vol.id
    fopen = env.open(base64.b64decode(fb[0]["body"]["envelope"]), recipient_key=vol.x,
                     author_public=vol.office_ed())
    assert fopen.header.form_id == "_feedback"
    assert fopen.payload == {"envelope_id": normal.envelope_id, "message": "Terima kasih, kami tindak lanjuti"}
    # A new head triggers recipient_keys for the village.
    enroll(office_server, "Entikong", "head", "Wakil")
    keys_items = [i for i in vclient.inbox()["items"] if i["kind"] == "recipient_keys"]
    assert len(keys_items[-1]["body"]["recipients"]) == 2


# --- attachments ------------------------------------------------------------------------

def test_resumable_attachment_and_checksum(office_server):
    village(office_server)
    vol, client = enroll(office_server, "Entikong", "volunteer", "Sari")
    photo = os.urandom(300_000)
    att = "a" * 32
    sealed = vol.report(attachments={att: photo})
    blob = sealed.blobs[att]
    res = client.push([sealed.envelope])[0]
    first = rc.verify(res["receipt"], vol.office_ed(), sealed.envelope)
    assert not first.complete and first.attachments == {}
    # Upload part, "drop", then the office reports where to resume; never complete half-way.
    client.put_chunk(sealed.envelope_id, att, 0, blob[:100_000])
    with pytest.raises(ApiError) as exc:
        client.put_chunk(sealed.envelope_id, att, 50_000, blob[50_000:150_000])
    assert exc.value.code == "offset_mismatch"
    st = client.attachment_status(sealed.envelope_id, att)
    assert st == {"received": 100_000, "size": len(blob), "complete": False}
    half = client.receipt(sealed.envelope_id)
    assert not rc.verify(half, vol.office_ed(), sealed.envelope).complete
    assert client.push([sealed.envelope])[0]["receipt"]["complete"] is False
    done = client.put_attachment(sealed.envelope_id, att, blob, chunk_size=64 * 1024)
    assert done["complete"] and done["received"] == len(blob)
    final = rc.verify(client.receipt(sealed.envelope_id), vol.office_ed(), sealed.envelope,
                      {att: hashlib.sha256(blob).hexdigest()})
    assert final.complete and final.received_at == first.received_at
    # A corrupted upload is discarded and refused with 422.
    other = vol.report(attachments={att: b"photo-bytes" * 1000})
    client.push([other.envelope])
    bad = bytearray(other.blobs[att])
    bad[5] ^= 0xFF
    with pytest.raises(ApiError) as exc:
        client.put_chunk(other.envelope_id, att, 0, bytes(bad))
    assert (exc.value.code, exc.value.http_status) == ("attachment_checksum", 422)
    assert client.attachment_status(other.envelope_id, att) == {
        "received": 0, "size": len(bad), "complete": False}
    with pytest.raises(ApiError) as exc:    # not in the manifest
        client.put_chunk(other.envelope_id, "b" * 32, 0, b"x")
    assert exc.value.code == "not_found"



def test_inbox_pull_records_the_devices_last_sync(office_server):
    """Every sync round ends with an inbox pull: the dashboard shows it as the device's last sync."""
    import sqlite3
    from pathlib import Path
    village(office_server)
    vol, vclient = enroll(office_server, "Entikong", "volunteer", "Rina")
    con = sqlite3.connect(Path(office_server.data_dir) / "office.db")
    device_id = con.execute("SELECT device_id FROM persons WHERE id=?", (vol.id,)).fetchone()[0]
    last = lambda: con.execute("SELECT last_sync_at FROM devices WHERE id=?", (device_id,)).fetchone()[0]  # noqa: E731
    assert last() is None                      # enrolled, never synced
    vclient.inbox()
    assert last() is not None and last().startswith("20")
    con.close()
