"""Red team: a report's conversation (issue 15), attacked as the people who could attack it.

Office side: other enrolled people (another volunteer, a head of another village, the
village head on a rahasia report, a revoked author or head) try to speak in a report's
thread; a captured reply is replayed (same office, after the report is closed, from
another device, at another office); a reply is padded to smuggle megabytes; the dashboard
shows a reply written as markup to staff of the right and of the wrong region.
Phone side: a man in the middle forges, reorders and strips messages; someone holding the
phone's files without a PIN greps them for the conversation, edits the stored thread, and
looks for summaries the retention setting removed.

Every party is real: a uvicorn office on loopback, the real `Device` on a real folder, real
keys, real HTTP (tests/fieldapp/mitm.py is the hostile network). Each attacker signs only
with keys they hold.
"""
from __future__ import annotations

import base64
import datetime as dt
import json
import os
import re
import sqlite3

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from core.errors import ApiError, NotFound
from fieldapp import history, reports, trust
from fieldapp.conversation import ReportUnreadable
from sync import envelope as env
from sync import statement
from sync.client import OfficeClient
from office import db, feedback
from office import keys as office_keys
from office.keys import OFFICE_AUTHOR_ID
from office.schema import replies
from sync.runner import sync_round
from jaga_desa.testing.rogue import Mitm
from tests.support import Person, enroll, office_count, village
from tests.sync.test_sync_conversation import _asked, _file, _office_send, _office_thread
from tests.sync.test_sync_device import HEAD_PIN, PIN, client_for, phone  # noqa: F401 — fixture

CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')
STAFF_PASSWORD = "kata-sandi-merah-1"


def reply(person: Person, report_id: str, message: str, *, extra: dict | None = None,
          recipients=None) -> env.Sealed:
    """A reply sealed by `person` with their own key, exactly as a phone would (or padded)."""
    return env.seal({"envelope_id": report_id, "message": message, **(extra or {})}, form_id="_reply",
                    form_version=1, author_id=person.id, device_id=person.device_id, signing_key=person.ed,
                    recipients=recipients or [person.office_x()])


def refused(client: OfficeClient, sealed: env.Sealed) -> tuple[str, int]:
    with pytest.raises(ApiError) as err:
        client.post_review(sealed.envelope)
    assert err.value.http_status < 500
    return err.value.code, err.value.http_status


def stored_replies(server) -> int:
    return office_count(server, replies)


# ── the office: who may speak in a thread ────────────────────────────────────

def test_nobody_but_the_author_or_her_reviewing_head_speaks_in_a_thread(office_server):
    a, b = village(office_server, "Entikong"), "Sebatik Tengah"
    office_server.admin(["add-village", "--name", b, "--region", "Nunukan"])
    head, head_c = enroll(office_server, a, "head", "Pak Kades")
    siti, siti_c = enroll(office_server, a, "volunteer", "Siti")
    budi, budi_c = enroll(office_server, a, "volunteer", "Budi")
    far_head, far_c = enroll(office_server, b, "head", "Kades Sebatik")
    shared, secret = siti.report(), siti.report(rahasia=True)
    assert [r["status"] for r in siti_c.push([shared.envelope, secret.envelope])] == ["accepted"] * 2

    # Another volunteer of the same village (the ids sit in the phone's plaintext file), a head
    # of another village, and the village's own head on her rahasia report — each refused.
    assert refused(budi_c, reply(budi, shared.envelope_id, "laporan ini bohong")) == ("forbidden", 403)
    assert refused(far_c, reply(far_head, shared.envelope_id, "tutup saja")) == ("forbidden", 403)
    assert refused(head_c, head.review(secret.envelope_id, "disputed"))[1] == 403   # cannot review it...
    assert refused(head_c, reply(head, secret.envelope_id, "siapa pelapornya?")) == ("forbidden", 403)  # ...nor reply
    # A head who reviewed the shared report may reply on it — but not on the rahasia one.
    assert head_c.post_review(head.review(shared.envelope_id, "verified").envelope)["status"] == "accepted"
    assert head_c.post_review(reply(head, shared.envelope_id, "saya kenal orangnya").envelope)["status"] == "accepted"
    assert refused(head_c, reply(head, secret.envelope_id, "dan yang ini?")) == ("forbidden", 403)
    assert stored_replies(office_server) == 1

    # Revoked: the author herself, and the head who had reviewed — neither speaks any more.
    office_server.admin(["revoke", "--person", siti.id])
    office_server.admin(["revoke", "--person", head.id])
    for person, client in ((siti, siti_c), (head, head_c)):
        with pytest.raises(ApiError) as err:
            client.post_review(reply(person, shared.envelope_id, "masih bisa?").envelope)
        assert err.value.code in ("revoked", "unauthorized") and err.value.http_status in (401, 403)
    assert stored_replies(office_server) == 1
    for c in (head_c, siti_c, budi_c, far_c):
        c.close()


def test_a_captured_reply_replayed_anywhere_is_one_reply_at_one_office(office_server, office_factory):
    v = village(office_server)
    siti, siti_c = enroll(office_server, v, "volunteer", "Siti")
    budi, budi_c = enroll(office_server, v, "volunteer", "Budi")
    report = siti.report()
    assert siti_c.push([report.envelope])[0]["status"] == "accepted"
    captured = reply(siti, report.envelope_id, "Calonya datang lagi Selasa")
    first = siti_c.post_review(captured.envelope)
    assert first["status"] == "accepted"

    # The office closes the report; the captured bytes come back from her phone and from
    # another enrolled device: the same reply with its original receipt, never a second row.
    eng = db.make_engine(db.sqlite_url(office_server.data_dir))
    try:
        with eng.begin() as c:
            feedback.send_feedback(c, report.envelope_id, "Kasus ditutup, terima kasih",
                                   keys=office_keys.load_or_create(office_server.data_dir), kind="closed")
    finally:
        eng.dispose()
    for client in (siti_c, budi_c):
        again = client.post_review(captured.envelope)
        assert again["status"] == "duplicate" and again["receipt"] == first["receipt"]
    # Same id, other words (the replayer re-seals under the captured id): a conflict.
    forged = env.seal({"envelope_id": report.envelope_id, "message": "tarik laporan"}, form_id="_reply",
                      form_version=1, author_id=siti.id, device_id=siti.device_id, signing_key=budi.ed,
                      recipients=[siti.office_x()], envelope_id=captured.envelope_id)
    assert refused(budi_c, forged)[0] == "conflict"
    assert stored_replies(office_server) == 1
    assert [m["message"] for m in _office_thread(office_server, report.envelope_id)] == [
        "Calonya datang lagi Selasa", "Kasus ditutup, terima kasih"]      # the replay did not move it

    # Another office: the reply is not sealed to it and its author is not enrolled there.
    other = office_factory("other")
    other_c = OfficeClient(other.url, token=siti_c.token)
    try:
        with pytest.raises(ApiError) as err:
            other_c.post_review(captured.envelope)
        assert 400 <= err.value.http_status < 500
    finally:
        other_c.close()
    assert stored_replies(other) == 0
    for c in (siti_c, budi_c):
        c.close()


def test_a_padded_reply_cannot_smuggle_bulk_and_every_refusal_is_typed(office_server):
    """The office caps the message at 2000 characters (~8 KB); a payload padded with another
    field must not carry hundreds of kilobytes past that cap into the store (and into every
    render of the report page, which opens each reply)."""
    v = village(office_server)
    siti, siti_c = enroll(office_server, v, "volunteer", "Siti")
    report = siti.report()
    assert siti_c.push([report.envelope])[0]["status"] == "accepted"
    rid = report.envelope_id

    noise = base64.b64encode(os.urandom(180_000)).decode()   # incompressible, under every envelope bound
    padded = reply(siti, rid, "ok", extra={"pad": noise})
    assert refused(siti_c, padded) == ("too_large", 413)
    assert refused(siti_c, reply(siti, rid, "ok", extra={"kind": "closed"})) == ("bad_request", 422)
    assert refused(siti_c, reply(siti, rid, "x" * 2001)) == ("bad_request", 422)
    assert refused(siti_c, reply(siti, "00000000-0000-4000-8000-000000000000", "halo")) == ("not_found", 404)
    assert refused(siti_c, reply(siti, rid, "halo", recipients=[Person("x").x.public_key()]))[1] == 422
    # The bare HTTP door: not base64, not an envelope, a 9 MB body — typed, never 5xx.
    url, auth = office_server.url + "/api/v1/reviews", {"Authorization": f"Bearer {siti_c.token}"}
    for body in ({"envelope": "@@@@"}, {"envelope": base64.b64encode(b"JAGA" * 10).decode()},
                 {"envelope": "QUFB" * 2_400_000}):
        r = requests.post(url, json=body, headers=auth, timeout=60)
        assert 400 <= r.status_code < 500 and r.json()["code"] in ("bad_request", "too_large"), r.text[:200]
    assert stored_replies(office_server) == 0
    # The longest honest reply (2000 four-byte characters) still goes through.
    assert siti_c.post_review(reply(siti, rid, "\U0001F600" * 2000).envelope)["status"] == "accepted"
    siti_c.close()


# ── the dashboard: the thread's region, and markup in a reply ──────────────────

def _login(url: str, username: str) -> requests.Session:
    s = requests.Session()
    r = s.get(url + "/dashboard/login")
    r = s.post(url + "/dashboard/login", allow_redirects=False,
               data={"csrf": CSRF_RE.search(r.text).group(1), "username": username,
                     "password": STAFF_PASSWORD, "next": "/dashboard/"})
    assert r.status_code == 303, r.text[:300]
    return s


MARKUP = ('</q><script>alert("jd")</script><img src=x onerror=alert(1)>'
          '<a href="javascript:alert(2)">klik</a>{{ 7*7 }}')


def test_the_dashboard_thread_stays_in_its_region_and_markup_stays_text(office_server, monkeypatch):
    office_server.admin(["add-village", "--name", "Entikong", "--region", "Sanggau"])
    office_server.admin(["add-village", "--name", "Badau", "--region", "Kapuas Hulu"])
    monkeypatch.setenv("JAGA_PASSWORD", STAFF_PASSWORD)
    for name, region in (("intel_sgu", "Sanggau"), ("intel_kh", "Kapuas Hulu"), ("intel_none", None)):
        office_server.admin(["add-staff", "--username", name, "--role", "intel"]
                            + (["--region", region] if region else []))
    siti, siti_c = enroll(office_server, "Entikong", "volunteer", "Siti")
    report = siti.report()
    assert siti_c.push([report.envelope])[0]["status"] == "accepted"
    assert siti_c.post_review(reply(siti, report.envelope_id, MARKUP).envelope)["status"] == "accepted"
    page = f"{office_server.url}/dashboard/reports/{report.envelope_id}"

    ok = _login(office_server.url, "intel_sgu").get(page)
    assert ok.status_code == 200
    assert "<script>" not in ok.text and "<img src=x" not in ok.text and 'href="javascript:' not in ok.text
    assert "&lt;script&gt;alert(" in ok.text and "{{ 7*7 }}" in ok.text       # shown, as text
    assert "script-src 'none'" in ok.headers["Content-Security-Policy"]

    for who in ("intel_kh", "intel_none"):          # another region; no region at all
        s = _login(office_server.url, who)
        denied = s.get(page)
        assert denied.status_code in (403, 404) and "alert(" not in denied.text and "Siti" not in denied.text
        inbox = s.get(office_server.url + "/dashboard/")
        assert report.envelope_id not in inbox.text
    # A partner's head-less login (API token, no free-text grant, then with it): the API never
    # carries the conversation, and the token does not open the HTML page that does.
    for grant in ([], ["--free-text"]):
        token = office_server.admin(["api-token", "issue", "--username", "intel_sgu", "--label", "mitra"]
                                    + grant).strip().splitlines()[-1]
        bearer = {"Authorization": f"Bearer {token}"}
        api = requests.get(f"{office_server.url}/api/v1/partner/reports/{report.envelope_id}",
                           headers=bearer, timeout=30)
        assert api.status_code == 200 and "alert(" not in api.text and "thread" not in api.json()
        html = requests.get(page, headers=bearer, allow_redirects=False, timeout=30)
        assert html.status_code in (303, 401, 403) and "alert(" not in html.text
    missing = _login(office_server.url, "intel_sgu").get(
        f"{office_server.url}/dashboard/reports/00000000-0000-4000-8000-000000000000")
    assert missing.status_code == 404
    siti_c.close()


# ── the network between phone and office ─────────────────────────────────────

def test_a_network_in_the_middle_cannot_forge_reorder_or_strip_the_conversation(office_server, phone):  # noqa: F811
    dev, data, _ = phone
    s = dev.unlock("Sari", PIN)
    rid = _file(dev, s)
    assert sync_round(dev, client_for(dev)).ok
    eid = dev.db.conn.execute("SELECT envelope_id FROM reports WHERE id=?", (rid,)).fetchone()[0]
    person_id = s.person_id
    _office_send(office_server, eid, "Pesan pertama dari kantor", "info")
    _office_send(office_server, eid, "Pesan kedua: perlu info", "needs_info")
    evil = Ed25519PrivateKey.generate()
    evil_fb = env.seal({"envelope_id": eid, "message": "Laporan Anda palsu, hapus aplikasi", "kind": "closed"},
                       form_id="_feedback", form_version=1, author_id=OFFICE_AUTHOR_ID, device_id=OFFICE_AUTHOR_ID,
                       signing_key=evil, recipients=[s.x25519.public_key()])
    mode = {"reviews": "strip"}

    def rewrite(method, path, body):
        if path.endswith("/inbox") and body.get("items"):
            forged = statement.sign_item({"item_id": "990001", "kind": "feedback", "person_id": person_id,
                                          "issued_at": "2099-01-01T00:00:00.000Z",
                                          "body": {"envelope": base64.b64encode(evil_fb.envelope).decode(),
                                                   "envelope_id": eid}}, evil)
            return {**body, "items": [forged] + list(reversed(body["items"]))}        # forged, then reordered
        if path.endswith("/reviews") and method == "POST" and mode["reviews"] == "strip":
            return 503, {"code": "unavailable", "message": "try later"}      # her phone never hears back
        return body

    mitm = Mitm(office_server.url, rewrite)
    try:
        via = OfficeClient(mitm.url, token=dev.sync_token)
        sync_round(dev, via)
        s = dev.unlock("Sari", PIN)
        thread = dev.thread(s, rid)
        assert [m["message"] for m in thread] == ["Pesan pertama dari kantor", "Pesan kedua: perlu info"]
        assert dev.status()["inbox_dropped"] >= 1 and "990001" not in {m.get("item_id") for m in thread}
        dev.reply(s, rid, "Namanya Pak Udin")
        sync_round(dev, via)                                     # the office's answer is stripped
        assert [m.get("state") for m in dev.thread(s, rid) if m["side"] == "me"] == ["waiting"]
        assert len(dev.pending_reviews()) == 1                   # not believed sent, not dropped
        mode["reviews"] = "pass"
        assert sync_round(dev, via).reviews == 1                  # the next round settles it
        assert stored_replies(office_server) == 1                 # once, however often it was sent
    finally:
        mitm.close()
    assert [m["message"] for m in _office_thread(office_server, eid)][-1] == "Namanya Pak Udin"
    assert [m.get("state") for m in dev.thread(dev.unlock("Sari", PIN), rid) if m["side"] == "me"] == ["sent"]


# ── someone holding the phone's files, without a PIN ─────────────────────────

def _files_with(folder, needle: bytes) -> list[str]:
    return [p.name for p in folder.rglob("*") if p.is_file() and needle in p.read_bytes()]


def test_the_phone_files_hold_no_word_of_the_conversation(office_server, phone):  # noqa: F811
    dev, data, _ = phone
    s, rid, _eid = _asked(office_server, dev, "Apakah ada anak di bawah umur di kapal itu?")
    assert dev.thread(s, rid)[0]["message"].startswith("Apakah ada anak")
    dev.reply(s, rid, "Ada tiga anak perempuan dari Dusun Sungai Kelik")
    # Sealed to the office only: the village head's key (on this very phone) is not a recipient.
    [queued] = dev.pending_reviews()
    head_kid = env.key_id(dev.unlock("Kades", HEAD_PIN).x25519.public_key()).hex()
    office_kid = env.key_id(env.load_public_x25519(bytes.fromhex(dev.trust_bundle(s)["office_x25519"]))).hex()
    to = env.peek(queued.envelope).recipients
    assert office_kid in to and head_kid not in to
    s = dev.unlock("Sari", PIN)
    for needle in ("anak di bawah umur", "Sungai Kelik", "Dusun"):       # waiting: store, -wal, -shm
        assert not _files_with(data, needle.encode()), needle
    assert sync_round(dev, client_for(dev)).reviews == 1
    dev.set_setting("retention", "keep")                                   # she keeps copies: still sealed
    dev.reply(dev.unlock("Sari", PIN), rid, "Kapalnya bernama KM Harapan Jaya")
    assert sync_round(dev, client_for(dev)).reviews == 1
    for needle in ("anak di bawah umur", "Sungai Kelik", "Harapan Jaya"):
        assert not _files_with(data, needle.encode()), needle
    # The village head shares the phone and knows her report id (the plaintext file): her
    # thread is not his to read or to answer in.
    head = dev.unlock("Kades", HEAD_PIN)
    with pytest.raises(NotFound):
        dev.thread(head, rid)
    with pytest.raises(NotFound):
        dev.reply(head, rid, "Saya kepala desa, ceritakan ke saya")


def test_editing_the_phone_file_cannot_put_words_in_anyones_mouth(office_server, phone):  # noqa: F811
    dev, data, _ = phone
    s = dev.unlock("Sari", PIN)
    first, second = _file(dev, s), _file(dev, s)
    assert sync_round(dev, client_for(dev)).ok
    eid = dev.db.conn.execute("SELECT envelope_id FROM reports WHERE id=?", (first,)).fetchone()[0]
    _office_send(office_server, eid, "Terima kasih, sudah kami teruskan ke polisi", "forwarded")
    assert sync_round(dev, client_for(dev)).ok
    s = dev.unlock("Sari", PIN)
    dev.reply(s, first, "Saya takut, tolong rahasiakan nama saya")
    evil = Ed25519PrivateKey.generate()
    forged = env.seal({"envelope_id": eid, "message": "Laporan Anda palsu, jangan lapor lagi", "kind": "closed"},
                      form_id="_feedback", form_version=1, author_id=OFFICE_AUTHOR_ID, device_id=OFFICE_AUTHOR_ID,
                      signing_key=evil, recipients=[s.x25519.public_key()])

    with sqlite3.connect(data / "jaga.db") as f:          # the attacker: sqlite3 on the file, no PIN
        # 1. a new office message, already marked verified and unread
        f.execute("INSERT INTO inbox(item_id,kind,person_id,body,received_day,state,issued_at) "
                  "VALUES('777777','feedback',?,?,'2026-11-26','new','2099-01-01')",
                  (s.person_id, json.dumps({"body": {"envelope": base64.b64encode(forged.envelope).decode(),
                                                     "envelope_id": eid}})))
        # 2. the office's real message, its sealed words altered
        item_id, body = f.execute("SELECT item_id, body FROM inbox WHERE kind='feedback' AND item_id!='777777'").fetchone()
        raw = json.loads(body)
        sealed = bytearray(base64.b64decode(raw["body"]["envelope"]))
        sealed[-40] ^= 0x01
        raw["body"]["envelope"] = base64.b64encode(bytes(sealed)).decode()
        f.execute("UPDATE inbox SET body=? WHERE item_id=?", (json.dumps(raw), item_id))
        # 3. her own reply moved onto her other report
        f.execute("UPDATE replies SET report_id=?", (second,))
    s = dev.unlock("Sari", PIN)
    said = [m for m in dev.thread(s, first) + dev.thread(s, second) if m.get("message")]
    assert not any("palsu" in m["message"] for m in said)                     # nothing forged is shown
    assert not any("Terima kasih" in (m.get("message") or "") for m in dev.thread(s, first))  # altered: never shown
    moved = [m for m in dev.thread(s, second) if m["side"] == "me"]
    assert moved and all(m.get("error") and "message" not in m for m in moved), moved  # never as her words there


def _swap_envelope_ids(data, first: str, second: str, *, bindings_too: bool = False) -> None:
    """The attacker: sqlite3 on the file, no PIN — swap the plaintext report → envelope id
    column (and, if asked, the encrypted bindings) between two of her reports."""
    with sqlite3.connect(data / "jaga.db") as f:
        cols = "envelope_id, envelope_binding" if bindings_too else "envelope_id"
        a = f.execute(f"SELECT {cols} FROM reports WHERE id=?", (first,)).fetchone()
        b = f.execute(f"SELECT {cols} FROM reports WHERE id=?", (second,)).fetchone()
        sets = ", ".join(f"{c.strip()}=?" for c in cols.split(","))
        f.execute("UPDATE reports SET envelope_id=NULL WHERE id IN (?,?)", (first, second))   # unique index
        f.execute(f"UPDATE reports SET {sets} WHERE id=?", (*b, first))
        f.execute(f"UPDATE reports SET {sets} WHERE id=?", (*a, second))


def test_swapping_report_ids_on_the_phone_moves_no_words_and_no_reply(office_server, phone):  # noqa: F811
    """Someone with the phone's files swaps which envelope two of her own reports point to:
    the office's message about one must not show under the other, and no reply may be
    written there (it would reach the office under the wrong report). Swapping the
    encrypted bindings too, or deleting them to earn fresh ones at the next unlock, does
    no better; putting the rows back restores both threads."""
    dev, data, _ = phone
    s = dev.unlock("Sari", PIN)
    first, second = _file(dev, s), _file(dev, s)
    assert sync_round(dev, client_for(dev)).ok
    eid = dev.db.conn.execute("SELECT envelope_id FROM reports WHERE id=?", (first,)).fetchone()[0]
    _office_send(office_server, eid, "Ada anak di kapal? Mohon jawab", "needs_info")
    assert sync_round(dev, client_for(dev)).ok
    s = dev.unlock("Sari", PIN)
    assert dev.thread(s, first)[0]["message"].startswith("Ada anak")       # the honest state
    assert dev.thread(s, second) == []

    for attack in ("columns", "bindings too", "bindings deleted"):
        _swap_envelope_ids(data, first, second, bindings_too=attack == "bindings too")
        if attack == "bindings deleted":
            with sqlite3.connect(data / "jaga.db") as f:
                f.execute("UPDATE reports SET envelope_binding=NULL")
        s = dev.unlock("Sari", PIN)          # an unlock never re-binds what was edited
        for rid in (first, second):
            shown = dev.thread(s, rid)
            assert shown and all(m.get("error") and "message" not in m for m in shown), (attack, shown)
            with pytest.raises(ReportUnreadable):
                dev.reply(s, rid, "Ya, tiga anak")
        assert dev.db.conn.execute("SELECT COUNT(*) FROM replies").fetchone()[0] == 0, attack
        assert sync_round(dev, client_for(dev)).reviews == 0
        assert stored_replies(office_server) == 0, attack
        if attack != "bindings deleted":
            _swap_envelope_ids(data, first, second, bindings_too=attack == "bindings too")   # put back
            s = dev.unlock("Sari", PIN)
            assert dev.thread(s, first)[0]["message"].startswith("Ada anak") and dev.thread(s, second) == []


def test_reports_sealed_before_the_binding_are_bound_at_the_next_unlock(office_server, phone):  # noqa: F811
    """A phone upgraded with sent reports (no binding, no mark in her bundle): her next
    unlock binds them as they are, once; the thread and the reply then work as before."""
    dev, data, _ = phone
    s = dev.unlock("Sari", PIN)
    rid = _file(dev, s)
    assert sync_round(dev, client_for(dev)).ok
    bundle = dev.trust_bundle(s)
    bundle.pop(reports.BINDINGS_DONE, None)                 # the state an m007 phone is in
    with dev.db.conn:
        dev.db.conn.execute("UPDATE reports SET envelope_binding=NULL")
        trust.save(dev.db.conn, s, bundle)
    assert reports.bound_envelope_ids(dev.db, s) == {}
    s = dev.unlock("Sari", PIN)
    eid = dev.db.conn.execute("SELECT envelope_id FROM reports WHERE id=?", (rid,)).fetchone()[0]
    assert reports.bound_envelope_ids(dev.db, s) == {rid: eid}
    assert dev.trust_bundle(s)[reports.BINDINGS_DONE] is True
    dev.reply(s, rid, "Saya lihat lagi kemarin")
    assert sync_round(dev, client_for(dev)).reviews == 1
    assert [m["message"] for m in _office_thread(office_server, eid)] == ["Saya lihat lagi kemarin"]


# ── the summary-retention setting: gone from the files, not only from the rows ──

def test_retention_leaves_no_ciphertext_of_forgotten_summaries_or_replies_in_the_files(office_server, phone):  # noqa: F811
    """Summaries and replies are ciphertext under her key: a person who later obtains her PIN
    (coerced) could still open any copy left in a free page or the -wal file. Once the
    setting forgets them, no copy of those bytes may remain anywhere in the folder."""
    dev, data, _ = phone
    s, rid, _eid = _asked(office_server, dev, "Siapa nama calonya dan kapan dia datang?")
    [asked] = dev.thread(s, rid)
    dev.mark_read(asked["item_id"])
    office_said = json.loads(dev.db.conn.execute("SELECT body FROM inbox WHERE kind='feedback'").fetchone()[0])
    office_said = office_said["body"]["envelope"][200:240].encode()      # sealed to her, base64 in the row
    assert _files_with(data, office_said)
    dev.reply(s, rid, "Calonya bernama Pak Udin, datang tiap Selasa dengan mobil hitam ke dermaga desa")
    full = bytes(dev.db.conn.execute("SELECT text FROM replies").fetchone()[0])
    assert _files_with(data, full[16:48])               # on disk now (the probe can find it)
    assert sync_round(dev, client_for(dev)).reviews == 1
    # On the receipt only her first words stay: the full text's ciphertext leaves the folder.
    assert not _files_with(data, full[16:48]), "the cut reply's full ciphertext is still in the folder"
    summary = bytes(dev.db.conn.execute("SELECT summary FROM reports WHERE id=?", (rid,)).fetchone()[0])
    rsummary = bytes(dev.db.conn.execute("SELECT summary FROM replies").fetchone()[0])
    assert history.summaries(dev.db, s)[rid]
    assert _files_with(data, summary[16:48])

    back = (dt.date.today() - dt.timedelta(days=31)).isoformat()
    with dev.db.conn:
        dev.db.conn.execute("UPDATE reports SET received_day=? WHERE id=?", (back, rid))
        dev.db.conn.execute("UPDATE replies SET created_day=?", (back,))
        dev.db.conn.execute("UPDATE inbox SET received_day=? WHERE kind='feedback'", (back,))
    assert dev.purge_old_summaries() == 1
    assert history.summaries(dev.db, s) == {} and dev.thread(s, rid) == []
    for blob in (summary, rsummary):
        assert not _files_with(data, blob[16:48]), "a forgotten summary's ciphertext is still in the folder"
    assert not _files_with(data, office_said), "a forgotten office message is still in the folder"


def test_a_forged_refusal_on_the_network_never_loses_her_words(office_server, phone):  # noqa: F811
    """A man in the middle answers her reply with an unsigned 404 (as if the office had
    erased the report). The phone closes a reply only on the office's signed refusal of those
    bytes (sync/statement.py): hers stays waiting, whole, never called sent or refused, the
    round fails (`refusal_untrusted`), and the real office takes it next round."""
    dev, data, _ = phone
    s = dev.unlock("Sari", PIN)
    rid = _file(dev, s)
    assert sync_round(dev, client_for(dev)).ok

    def rewrite(method, path, body):
        if path.endswith("/reviews") and method == "POST":
            return 404, {"code": "not_found", "message": "no such report"}
        return body

    mitm = Mitm(office_server.url, rewrite)
    try:
        dev.reply(s, rid, "Calonya datang lagi malam ini")
        rnd = sync_round(dev, OfficeClient(mitm.url, token=dev.sync_token))
    finally:
        mitm.close()
    assert not rnd.ok and rnd.error == "refusal_untrusted", rnd
    [mine] = [m for m in dev.thread(dev.unlock("Sari", PIN), rid) if m["side"] == "me"]
    assert mine["state"] == "waiting"                         # neither refused nor sent
    assert mine["message"] == "Calonya datang lagi malam ini" and not mine.get("cut")    # whole
    assert sync_round(dev, client_for(dev)).reviews == 1       # the real office takes it
    [mine] = [m for m in dev.thread(dev.unlock("Sari", PIN), rid) if m["side"] == "me"]
    assert mine["state"] == "sent"
