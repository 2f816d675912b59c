"""A volunteer's reply in her report's conversation (form_id "_reply"), ingested through the
reviews door of a real office. Written as the attacker too: another enrolled volunteer
answering someone else's report, a replayed reply, a reply with a forged signature, a
head who never reviewed the report. Each refusal is a typed 4xx and stores nothing."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from core.errors import ApiError
from sync import envelope as env
from office import conversation, db, feedback
from office import keys as office_keys
from office.schema import replies
from tests.support import Person, enroll, office_count, village


def reply(person: Person, report_id: str, message: str, **kw) -> env.Sealed:
    return env.seal({"envelope_id": report_id, "message": message}, form_id="_reply", form_version=1,
                    author_id=person.id, device_id=person.device_id, signing_key=kw.get("signing_key", person.ed),
                    recipients=[person.office_x()])


def stored(server) -> int:
    return office_count(server, replies)


@pytest.fixture
def people(office_server):
    v = village(office_server)
    head, hclient = enroll(office_server, v, "head", "Pak Kades")
    siti, sclient = enroll(office_server, v, "volunteer", "Siti")
    budi, bclient = enroll(office_server, v, "volunteer", "Budi")
    report = siti.report()
    assert sclient.push([report.envelope])[0]["status"] == "accepted"
    return {"head": (head, hclient), "siti": (siti, sclient), "budi": (budi, bclient), "report": report}


def test_the_author_replies_and_a_replay_is_not_duplicated(office_server, people):
    siti, sclient = people["siti"]
    r = reply(siti, people["report"].envelope_id, "Calonya bernama Pak Udin, datang hari Selasa")
    first = sclient.post_review(r.envelope)
    assert first["status"] == "accepted" and first["envelope_id"] == r.envelope_id
    again = sclient.post_review(r.envelope)                       # replayed (a lost answer, or an attacker)
    assert again["status"] == "duplicate" and again["receipt"] == first["receipt"]
    assert stored(office_server) == 1


def test_the_thread_is_opened_with_the_office_key_in_order(office_server, people):
    """Office message, then her answer: the dashboard's view, each opened and checked here;
    the stored reply row holds only ciphertext."""
    siti, sclient = people["siti"]
    rid = people["report"].envelope_id
    keys = office_keys.load_or_create(office_server.data_dir)
    eng = db.make_engine(db.sqlite_url(office_server.data_dir))
    try:
        with eng.begin() as c:
            feedback.send_feedback(c, rid, "Siapa nama calonya?", keys=keys, kind="needs_info")
        sclient.post_review(reply(siti, rid, "Namanya Pak Udin").envelope)
        with eng.connect() as c:
            got = conversation.thread(c, keys, rid)
            raw = c.execute(select(replies.c.data)).scalar()
            waiting = conversation.awaiting_office(c, [rid, "someone-else"])
    finally:
        eng.dispose()
    assert [(m["side"], m["message"], m["ok"]) for m in got] == [
        ("office", "Siapa nama calonya?", True), ("author", "Namanya Pak Udin", True)]
    assert got[0]["kind"] == "needs_info" and got[1]["who"] == "Siti"
    assert b"Pak Udin" not in raw
    assert waiting == {rid}                  # she wrote last: the inbox marks the report for staff


def test_another_volunteer_cannot_reply_on_someone_elses_report(office_server, people):
    budi, bclient = people["budi"]
    with pytest.raises(ApiError) as exc:
        bclient.post_review(reply(budi, people["report"].envelope_id, "laporan ini palsu").envelope)
    assert exc.value.code == "forbidden" and exc.value.http_status == 403
    assert stored(office_server) == 0


def test_a_reply_with_a_forged_signature_is_refused(office_server, people):
    """Budi seals a reply naming Siti as its author (her id, her device) but can only sign it
    with his own key: the office checks it under Siti's enrolled key and refuses it."""
    siti, sclient = people["siti"]
    budi, _ = people["budi"]
    forged = reply(siti, people["report"].envelope_id, "tarik laporan saya", signing_key=budi.ed)
    with pytest.raises(ApiError) as exc:
        sclient.post_review(forged.envelope)          # even from Siti's own device and token
    assert exc.value.code == "bad_request" and exc.value.http_status == 422
    assert stored(office_server) == 0


def test_a_reply_sent_from_another_device_is_refused(office_server, people):
    siti, _ = people["siti"]
    _, bclient = people["budi"]
    with pytest.raises(ApiError) as exc:
        bclient.post_review(reply(siti, people["report"].envelope_id, "dari HP lain").envelope)
    assert exc.value.code == "forbidden"
    assert stored(office_server) == 0


def test_only_a_head_who_reviewed_the_report_may_reply(office_server, people):
    head, hclient = people["head"]
    rid = people["report"].envelope_id
    with pytest.raises(ApiError) as exc:
        hclient.post_review(reply(head, rid, "saya kenal orangnya").envelope)
    assert exc.value.code == "forbidden"
    hclient.post_review(head.review(rid, "needs_more_info", "kurang jelas").envelope)
    assert hclient.post_review(reply(head, rid, "saya kenal orangnya").envelope)["status"] == "accepted"
    assert stored(office_server) == 1


def test_an_empty_reply_or_an_unknown_report_is_refused_typed(office_server, people):
    siti, sclient = people["siti"]
    with pytest.raises(ApiError) as exc:
        sclient.post_review(reply(siti, people["report"].envelope_id, "   ").envelope)
    assert exc.value.code == "bad_request"
    with pytest.raises(ApiError) as exc:
        sclient.post_review(reply(siti, "00000000-0000-4000-8000-000000000000", "halo").envelope)
    assert exc.value.code == "not_found"
    assert stored(office_server) == 0
