"""Red team: today's revocation on the phone, the dashboard map's zoom box and the report
thread's JSON lookup, attacked as the people who could attack them.

Phone (the thief, or the revoked volunteer herself, who can edit the data folder): plant a
decoy notice before the first unlock so the copy kept outside the folder is junk, restore
the whole folder from before the revocation, replay another enrolled person's signed notice
onto the other user of a shared phone, answer "revoked" in the office's place on a plain
HTTP network (and see what clears it), be revoked while a form is open, and skip the
phone's refusal to send a verdict and a reply anyway (the office must refuse them).
Office: hostile `bbox` values (non-numbers, off the globe, the world's corners, tiny boxes,
other scripts' digits, markup, huge strings) are a 400 or a bounded map, never a 5xx, and
every zoom link the office writes opens; the report thread survives feedback rows that are
not JSON and report ids written as SQL, on SQLite and on a real PostgreSQL.

Every party is real: the office under uvicorn on loopback, the real `Device` on a real
folder with its real SecretStore (the file store of web mode), real keys, real HTTP
(jaga_desa.testing.rogue.Mitm is the hostile network), a real PostgreSQL cluster.
"""
from __future__ import annotations

import html
import json
import os
import re
import shutil
from urllib.parse import quote

import pytest
import requests

import forms
from core.errors import JagaError
from fieldapp import conversation as phone_conversation
from fieldapp import inbox as phone_inbox
from fieldapp.device import Device, RevokedHere
from jaga_desa.testing.rogue import Mitm
from jaga_desa.testing.servers import OfficeServer
from sync.client import OfficeClient
from office import conversation, db, feedback
from office import keys as office_keys
from office.dashboard import mapview
from office.schema import inbox_items, replies, reviews
from sync.runner import sync_round
from tests.adversarial.test_redteam_conversation import STAFF_PASSWORD, _login
from tests.dashboard.conftest import seal_report
from tests.support import enroll, office_count, village
from tests.fieldapp.test_revocation import revoked_with_work_in_hand
from tests.sync.test_sync_device import HEAD_PIN, PIN, client_for, file_reports, phone  # noqa: F401 — fixture

FORM = "laporan_kecurigaan"


def _bundle_columns(dev: Device, name: str) -> tuple:
    return dev.db.conn.execute("SELECT trust, office_attest FROM users WHERE label=?", (name,)).fetchone()


def _put_back(dev: Device, name: str, columns: tuple) -> None:
    """The holder's edit: the bundle from before the revocation, and no notice in the file."""
    with dev.db.conn:
        dev.db.conn.execute("UPDATE users SET trust=?, office_attest=? WHERE label=?", (*columns, name))
        dev.db.conn.execute("DELETE FROM inbox WHERE kind='revoked'")


# ── the phone: revocation kept outside the folder ────────────────────────────

def test_a_decoy_notice_planted_before_the_first_unlock_does_not_become_the_kept_copy(phone, office_server):  # noqa: F811
    """The revocation arrives with a PIN-less sync and waits, unverified. Before she unlocks,
    the holder plants a "notice" that sorts first (junk, and another person's genuine signed
    notice under her name). Unlocking verifies the real one; the copy kept outside the folder
    must be the one that verifies, so the old bundle put back afterwards still unlocks revoked."""
    dev, _data, people = phone
    before = _bundle_columns(dev, "Sari")
    office_server.admin(["revoke", "--person", people["Kades"]])
    assert sync_round(dev, client_for(dev)).ok
    dev.revocation(dev.unlock("Kades", HEAD_PIN))            # the head's notice, genuine, in the file
    [kades_notice] = [r[0] for r in dev.db.conn.execute(
        "SELECT body FROM inbox WHERE kind='revoked' AND person_id=?", (people["Kades"],))]

    office_server.admin(["revoke", "--person", people["Sari"]])
    assert sync_round(dev, client_for(dev)).ok               # hers waits, unverified
    with dev.db.conn:
        for rowid, body in ((-2, "{}"), (-1, kades_notice)):
            dev.db.conn.execute(
                "INSERT INTO inbox(rowid,item_id,kind,person_id,body,received_day,state,issued_at) "
                "VALUES(?,?,'revoked',?,?,'2026-11-26','new','')", (rowid, f"decoy{rowid}", people["Sari"], body))
    s = dev.unlock("Sari", PIN)
    rev = dev.revocation(s)
    assert rev["scope"] == "person" and rev["at"]
    record = dev._person_record(people["Sari"])
    kept = dev.secrets.read_value(record)
    assert json.loads(kept)["item_id"] not in ("decoy-1", "decoy-2")
    dev.secrets.write_value(record, b"{}")                     # a junk record is replaced while revoked
    assert dev.revocation(dev.unlock("Sari", PIN)) == rev and dev.secrets.read_value(record) == kept

    _put_back(dev, "Sari", before)
    s = dev.unlock("Sari", PIN)
    assert dev.trust_bundle(s).get("revoked") is False         # the old bundle opens...
    assert dev.revocation(s) == rev                            # ...the kept, verified notice counts
    with pytest.raises(RevokedHere):
        dev.new_draft(s, FORM)


def test_restoring_the_whole_folder_from_before_the_revocation_does_not_unrevoke(phone, office_server, tmp_path):  # noqa: F811
    """The thief keeps a copy of the whole data folder, lets the revocation arrive, then puts
    the old folder back (store, -wal, -shm, everything) and stays offline."""
    dev, data, people = phone
    dev.close()
    saved = tmp_path / "folder-before"
    shutil.copytree(data, saved)
    dev = Device(data)
    try:
        office_server.admin(["revoke", "--person", people["Sari"]])
        assert sync_round(dev, client_for(dev)).ok
        rev = dev.revocation(dev.unlock("Sari", PIN))
        assert rev["scope"] == "person"
    finally:
        dev.close()
    shutil.rmtree(data)
    shutil.copytree(saved, data)
    old = Device(data)
    try:
        s = old.unlock("Sari", PIN)
        assert old.db.conn.execute("SELECT COUNT(*) FROM inbox WHERE kind='revoked'").fetchone()[0] == 0
        assert old.revocation(s) == rev
        with pytest.raises(RevokedHere):
            old.new_draft(s, FORM)
        head = old.unlock("Kades", HEAD_PIN)                   # the other user of the phone is not
        assert old.revocation(head) is None
        old.new_draft(head, FORM)
    finally:
        old.close()


def test_one_persons_signed_notice_does_not_lock_out_the_other_user_of_a_shared_phone(phone, office_server):  # noqa: F811
    """Sari's genuine, office-signed notice replayed onto the head: as his kept record outside
    the folder, and as an inbox row under his name. Neither is believed for him."""
    dev, _data, people = phone
    office_server.admin(["revoke", "--person", people["Sari"]])
    assert sync_round(dev, client_for(dev)).ok
    assert dev.revocation(dev.unlock("Sari", PIN))["scope"] == "person"
    [(item_id, notice)] = dev.db.conn.execute("SELECT item_id, body FROM inbox WHERE kind='revoked'").fetchall()

    dev.secrets.write_value(dev._person_record(people["Kades"]), notice.encode())
    with dev.db.conn:
        dev.db.conn.execute(
            "INSERT INTO inbox(item_id,kind,person_id,body,received_day,state,issued_at) "
            "VALUES(?,'revoked',?,?,'2026-11-26','unverified','')", (item_id + "0", people["Kades"], notice))
    head = dev.unlock("Kades", HEAD_PIN)
    assert dev.revocation(head) is None
    assert dev.trust_bundle(head).get("revoked") is False
    dev.finalize(head, dev.new_draft(head, FORM, forms.load(FORM).example()))
    assert dev.status()["inbox_dropped"] >= 1                  # the replayed row was dropped, counted


def test_deleting_her_sealed_bundle_leaves_nothing_she_can_seal_or_send(phone, office_server):  # noqa: F811
    """The holder deletes the revoked person's sealed bundle (the key to verifying the kept
    notice is in it). The phone then treats her as not enrolled — a known gap of the
    courtesy layer, reported, not claimed — but nothing she writes can be sealed, reviewed
    or replied, and the outbox stays empty: there is no key left to seal for the office."""
    dev, _data, people = phone
    [rid] = file_reports(dev, 1)
    assert sync_round(dev, client_for(dev)).received == 1
    office_server.admin(["revoke", "--person", people["Sari"]])
    assert sync_round(dev, client_for(dev)).ok
    assert dev.revocation(dev.unlock("Sari", PIN))["scope"] == "person"
    with dev.db.conn:
        dev.db.conn.execute("UPDATE users SET trust=NULL WHERE label='Sari'")
    s = dev.unlock("Sari", PIN)
    assert s.trust_alert == ["bundle"]                         # the phone says the bundle is gone
    draft = dev.new_draft(s, FORM, forms.load(FORM).example())
    for attempt in (lambda: dev.finalize(s, draft), lambda: dev.file(s, FORM, forms.load(FORM).example()),
                    lambda: dev.reply(s, rid, "Calonya datang lagi")):
        with pytest.raises(JagaError) as exc:
            attempt()
        assert exc.value.code in ("not_enrolled", "revoked")
    assert dev.pending() == [] and dev.pending_reviews() == []


def test_a_forged_revoked_answer_on_plain_http_is_not_believed(phone, office_server):  # noqa: F811
    """A network that can answer in the office's place (plain HTTP / --insecure) answers every
    request — the unauthenticated health probe too — with an unsigned "revoked". The phone's
    flag needs the office's refusal signed for this device (sync/statement.py): no flag in
    either copy, new drafts still start, the round fails as `refusal_untrusted`, and the next
    round the real office answers takes the waiting report. (It was the documented limit: one
    forged answer locked every user of the phone out of new reports.)"""
    dev, _data, _people = phone
    [waiting] = file_reports(dev, 1)
    forged = Mitm(office_server.url, lambda method, path, body: (
        401, {"code": "revoked", "message": "this phone was revoked"}))
    try:
        rnd = sync_round(dev, OfficeClient(forged.url, token=dev.sync_token))
    finally:
        forged.close()
    assert not rnd.ok and rnd.error == "refusal_untrusted", rnd
    assert dev.device_revoked() is None and not dev.secrets.read_value(dev._record_name("device-revoked"))
    s = dev.unlock("Sari", PIN)
    assert dev.revocation(s) is None
    dev.delete_draft(s, dev.new_draft(s, FORM))
    assert next(r for r in dev.outbox() if r["id"] == waiting)["state"] == "waiting"   # nothing lost

    rnd = sync_round(dev, client_for(dev))                      # the real office, reached again
    assert rnd.ok and rnd.received == 1, rnd


def test_revoked_while_her_form_is_open(phone, office_server):  # noqa: F811
    """The revocation arrives (PIN-less background sync) while her session and form are open:
    saving keeps her words, sealing is refused at once (the open session re-verifies), and the
    draft stays hers to read or delete."""
    dev, _data, people = phone
    s = dev.unlock("Sari", PIN)
    answers = forms.load(FORM).example()
    draft = dev.new_draft(s, FORM, answers)
    office_server.admin(["revoke", "--person", people["Sari"]])
    assert sync_round(dev, client_for(dev)).ok
    dev.save_draft(s, draft, {**answers, "catatan": "ditulis setelah dicabut"})
    with pytest.raises(RevokedHere):
        dev.finalize(s, draft)
    row = next(r for r in dev.outbox() if r["id"] == draft)
    assert row["state"] == "draft" and dev.pending() == []
    dev.delete_draft(s, draft)


def test_a_revoked_person_who_skips_the_phones_refusal_is_refused_by_the_office(phone, office_server):  # noqa: F811
    """The phone's RevokedHere is a courtesy. The holder seals a verdict and a reply with the
    modules underneath it (the keys are still on the phone) and syncs: the office refuses
    both as `revoked` and stores neither."""
    dev, _data, people = phone
    rid, item = revoked_with_work_in_hand(dev, people, office_server)
    verdicts, answers = office_count(office_server, reviews), office_count(office_server, replies)

    head = dev.unlock("Kades", HEAD_PIN)
    with pytest.raises(RevokedHere):
        dev.review(head, item["item_id"], "verified", "benar")
    bundle = dev.trust_bundle(head)
    verdict = phone_inbox.review(dev.db, head, bundle, item["item_id"], "verified", "benar", bundle["device_id"])
    sari = dev.unlock("Sari", PIN)
    answer = phone_conversation.reply(dev.db, sari, dev.trust_bundle(sari), rid, "Calonya datang lagi")
    assert {r.envelope_id for r in dev.pending_reviews()} == {verdict, answer}

    rnd = sync_round(dev, client_for(dev))
    assert rnd.failed.get(verdict) == "revoked" and rnd.failed.get(answer) == "revoked", rnd
    assert office_count(office_server, reviews) == verdicts and office_count(office_server, replies) == answers
    assert dev.pending_reviews() == []                          # closed, never re-sent


# ── the office: the map's zoom box ───────────────────────────────────────────

SEBATIK = {"lat": 4.13681, "lon": 117.66642, "accuracy": 15.0}
NUNUKAN = {"lat": 4.05, "lon": 117.60, "accuracy": 20.0}

DRAWN_BOXES = [                                    # odd but well-formed: a bounded map
    "117.6,4.1,117.60000001,4.10000001",          # far below the closest zoom
    "117.66642,4.13681,117.66643,4.13682",         # around one report, 1 m across
    "179.99999999,84.99999999,180,85",             # the world's corners
    "-180,-85,-179.99999999,-84.99999999",
    "-180,45,-140,85", "140,-85,180,-45",           # as wide as allowed, on the edge
    "-0,-0,0.00000001,0.00000001",
    " 117.6 , 4.1 , 117.7 , 4.2 ",
    "١١٧.٦,٤.١,١١٧.٧,٤.٢",                          # digits of another script
    "１１７.６,４.１,１１７.７,４.２",                   # full-width digits
]
REFUSED_BOXES = [                                  # a 400 naming the parameter
    "117.6,4.1,117.7,4.2,", "117.6,4.1,117.7", ",,,",
    "inf,0,1,1", "-inf,-1,inf,1", "nan,nan,nan,nan", "1e2,0,1e2,1", "0x75,4,0x76,5",
    "117.6,4.1,117.7,4.2\x00", "117.6;4.1;117.7;4.2", "117.6,4.1,117.7,4.2 OR 1=1",
    "117.6,4.1,117.7,4.2\"><script>alert(1)</script>", "'><svg onload=alert(1)>",
    "117.123456789,4.1,117.7,4.2", "-181,0,1,1", "0,-86,1,1", "0,0,0,0", "118,4,117,5",
    "9" * 100_000, "1," * 50_000,
]


@pytest.fixture(scope="module")
def map_office(tmp_path_factory):
    """An office with a tile server named (tiles are the part of the map that grows with the
    zoom), an intel of Nunukan and three reports there."""
    server = OfficeServer(tmp_path_factory.mktemp("red-map") / "office",
                          extra_args=["--tile-url", "http://localhost:9/tiles/{z}/{x}/{y}.png"]).start()
    try:
        server.admin(["add-village", "--name", "Sungai Pancang", "--region", "Nunukan"])
        _add_staff(server)
        vol, client = enroll(server, "Sungai Pancang", "volunteer", "Siti Relawan")
        lap = forms.load(FORM, 1).example()
        sealed = [seal_report(vol, FORM, {**lap, "lokasi": spot}) for spot in (SEBATIK, SEBATIK, NUNUKAN)]
        assert all(r["status"] == "accepted" for r in client.push([x.envelope for x in sealed]))
        client.close()
        yield server
    finally:
        server.stop()


def _add_staff(server) -> None:
    old = os.environ.get("JAGA_PASSWORD")
    os.environ["JAGA_PASSWORD"] = STAFF_PASSWORD
    try:
        server.admin(["add-staff", "--username", "intel_nnk", "--role", "intel", "--region", "Nunukan"])
    finally:
        if old is None:
            os.environ.pop("JAGA_PASSWORD", None)
        else:
            os.environ["JAGA_PASSWORD"] = old


def _links(page: str) -> list[str]:
    """Every overview link on the page that carries a zoom box (controls and clusters)."""
    return sorted({html.unescape(h).split("#")[0] for h in re.findall(r'href="(/dashboard/overview\?[^"]*)"', page)
                   if "bbox=" in html.unescape(h)})


def test_a_hostile_bbox_is_a_400_or_a_bounded_map_never_a_5xx(map_office):
    s = _login(map_office.url, "intel_nnk")
    whole = s.get(map_office.url + "/dashboard/overview")
    assert whole.status_code == 200
    base_len = len(whole.text)
    links: set[str] = set(_links(whole.text))
    for box in REFUSED_BOXES:
        r = s.get(map_office.url + "/dashboard/overview", params={"bbox": box})
        assert r.status_code == 400, (box[:60], r.status_code, r.text[-300:])
        assert "<script>alert" not in r.text and "<svg onload" not in r.text and "Traceback" not in r.text
        # too long a request line is refused by the HTTP server itself, before the dashboard
        assert "bbox: " in r.text or (len(box) > 8000 and r.text == "Invalid HTTP request received."), box[:60]
    for box in DRAWN_BOXES:
        r = s.get(map_office.url + "/dashboard/overview", params={"bbox": box})
        assert r.status_code == 200, (box[:60], r.status_code, r.text[-300:])
        assert 'data-bounds="' in r.text
        # a bounded map: tiles capped, page no bigger than a few whole-area pages
        assert r.text.count("<image href=") <= mapview.MAX_TILES
        assert len(r.text) < 3 * base_len + 20_000, (box[:60], len(r.text), base_len)
        kept = re.search(r'<input type="hidden" name="bbox" value="([^"]*)">', r.text).group(1)
        assert re.fullmatch(r"-?\d+\.\d{4}(,-?\d+\.\d{4}){3}", kept), box    # re-written, never echoed
        links.update(_links(r.text))
    # two bbox parameters, and the box beside filters written as markup
    r = s.get(map_office.url + "/dashboard/overview?bbox=117.6,4.1,117.7,4.2&bbox=nan")
    assert r.status_code in (200, 400)
    r = s.get(map_office.url + "/dashboard/overview", params={
        "bbox": "117.6,4.1,117.7,4.2", "date_from": '"><script>alert(3)</script>', "q": "<b>x</b>"})
    assert r.status_code in (200, 400) and "<script>alert(3)" not in r.text
    # every zoom link the office wrote itself opens (never a 400 for a box it made)
    assert links
    for link in sorted(links):
        got = s.get(map_office.url + link)
        assert got.status_code == 200, (link, got.status_code, got.text[-300:])


# ── the office: the report thread's JSON lookup ──────────────────────────────

@pytest.fixture(params=["sqlite", "postgresql"])
def thread_office(request, office_factory):
    url = (request.getfixturevalue("postgres_server")("red_thread")
           if request.param == "postgresql" else None)
    return office_factory("red-thread-" + request.param, db_url=url)


JUNK_BODIES = ["not json {", "", "[1, 2]", '"text"', "42", "null", '{"envelope_id": 5}',
               '{"envelope_id": {"nested": 1}}', '{"envelope_id": null}', '{"envelope_id": "',
               '{"envelope_id": "x", "envelope_id": "y"}']
HOSTILE_IDS = ["' OR '1'='1", "x' UNION SELECT body FROM inbox_items --", "%", "_", "\\",
               '"); DROP TABLE inbox_items; --', "$.envelope_id", "a" * 5000]


def test_junk_feedback_rows_and_ids_written_as_sql_never_break_the_thread(thread_office, monkeypatch):
    """Feedback rows that are not JSON objects (a bug, an import, a hand edit) sit beside the
    report's real feedback: the thread shows the real message and skips the junk, on SQLite
    and PostgreSQL, directly and on the dashboard's report page (never a 5xx). Report ids
    written as SQL or JSON paths find nothing and change nothing."""
    office = thread_office
    village(office)
    monkeypatch.setenv("JAGA_PASSWORD", STAFF_PASSWORD)
    office.admin(["add-staff", "--username", "intel_sgu", "--role", "intel", "--region", "Sanggau"])
    siti, client = enroll(office, "Entikong", "volunteer", "Siti")
    mine = siti.report()
    assert client.push([mine.envelope])[0]["status"] == "accepted"
    keys = office_keys.load_or_create(office.data_dir)
    eng = db.make_engine(office.db_url or db.sqlite_url(office.data_dir))
    try:
        with eng.begin() as c:
            asked = feedback.send_feedback(c, mine.envelope_id, "Siapa nama calonya?", keys=keys, kind="needs_info")
            c.execute(inbox_items.insert(), [
                {"person_id": siti.id, "kind": "feedback", "ref_id": f"junk-{i}", "body": body,
                 "created_at": "2026-11-26T01:00:00.000Z"} for i, body in enumerate(JUNK_BODIES)])
        with eng.connect() as c:
            got = conversation.thread(c, keys, mine.envelope_id)
            assert [(m["id"], m["message"], m["ok"]) for m in got] == [(asked, "Siapa nama calonya?", True)]
            for hostile in HOSTILE_IDS:
                assert conversation.thread(c, keys, hostile) == []
        with eng.connect() as c:
            assert c.execute(inbox_items.select()).fetchall()            # nothing was dropped
    finally:
        eng.dispose()
    s = _login(office.url, "intel_sgu")
    page = s.get(f"{office.url}/dashboard/reports/{mine.envelope_id}")
    assert page.status_code == 200 and "Siapa nama calonya?" in page.text, page.text[-400:]
    for hostile in HOSTILE_IDS:
        r = s.get(f"{office.url}/dashboard/reports/{quote(hostile, safe='')}")
        assert r.status_code in (400, 404, 422), (hostile[:40], r.status_code, r.text[-300:])
    client.close()
