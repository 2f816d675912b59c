"""A head's "needs more information" reaches the reporter: the office queues a signed
feedback item of kind needs_info for the report's author, carrying his question verbatim
(issue 24 item 2: a generic line left her guessing; his phone tells him it is sent as written)."""
from __future__ import annotations

import base64
import json

from sync import envelope as env
from tests.support import enroll, village


def _feedback(client, person) -> list[dict]:
    out = []
    for item in client.inbox()["items"]:
        if item["kind"] != "feedback" or item.get("person_id", person.id) != person.id:
            continue
        body = item["body"] if isinstance(item["body"], dict) else json.loads(item["body"])
        opened = env.open(base64.b64decode(body["envelope"]), recipient_key=person.x,
                          author_public=person.office_ed())
        out.append(opened.payload)
    return out


def test_needs_more_info_reaches_the_volunteer(office_server):
    v = village(office_server)
    head, hclient = enroll(office_server, v, "head", "Pak Kades")
    vol, vclient = enroll(office_server, v, "volunteer", "Siti")
    asked, fine = vol.report(), vol.report()
    assert [r["status"] for r in vclient.push([asked.envelope, fine.envelope])] == ["accepted", "accepted"]
    assert _feedback(vclient, vol) == []
    hclient.post_review(head.review(fine.envelope_id, "verified", "benar").envelope)
    question = "Siapa nama calonya, dan kapan perahunya berangkat?"
    hclient.post_review(head.review(asked.envelope_id, "needs_more_info", f"  {question} ").envelope)
    got = _feedback(vclient, vol)
    assert len(got) == 1 and got[0]["envelope_id"] == asked.envelope_id and got[0]["kind"] == "needs_info"
    assert got[0]["message"] == f"Kepala desa meminta info tambahan: \u201c{question}\u201d Balas di sini."
    # without a question the line still says what to do, and no longer sends her to a new report
    other = vol.report()
    vclient.push([other.envelope])
    hclient.post_review(head.review(other.envelope_id, "needs_more_info", "").envelope)
    generic = [g for g in _feedback(vclient, vol) if g["envelope_id"] == other.envelope_id][0]["message"]
    assert "Balas di sini" in generic and "laporan baru" not in generic


def _stored_reviews(server) -> int:
    from sqlalchemy import func, select

    from office import db
    from office.schema import reviews
    eng = db.make_engine(db.sqlite_url(server.data_dir))
    try:
        with eng.connect() as c:
            return c.execute(select(func.count()).select_from(reviews)).scalar()
    finally:
        eng.dispose()


def test_a_verdict_note_is_capped_like_a_reply_and_nothing_is_stored(office_server):
    """The head, as an attacker with his own key: a note past 2000 characters, or a verdict
    padded with bulk toward the 256 KB envelope bound, is refused typed (422 / 413) and
    stores nothing; the longest honest note is accepted."""
    import os

    import pytest

    from core.errors import ApiError
    from office.ingest.reviews import MAX_NOTE, MAX_REVIEW_BYTES

    v = village(office_server)
    head, hclient = enroll(office_server, v, "head", "Pak Kades")
    vol, vclient = enroll(office_server, v, "volunteer", "Siti")
    report = vol.report()
    vclient.push([report.envelope])

    def refused(sealed: env.Sealed) -> tuple[str, int]:
        with pytest.raises(ApiError) as err:
            hclient.post_review(sealed.envelope)
        return err.value.code, err.value.http_status

    assert refused(head.review(report.envelope_id, "disputed", "x" * (MAX_NOTE + 1))) == ("bad_request", 422)
    padded = env.seal({"envelope_id": report.envelope_id, "verdict": "disputed", "note": "singkat",
                       "pad": base64.b64encode(os.urandom(200_000)).decode()},
                      form_id="_review", form_version=1, author_id=head.id, device_id=head.device_id,
                      signing_key=head.ed, recipients=[head.office_x()])
    assert len(padded.envelope) > MAX_REVIEW_BYTES
    assert refused(padded) == ("too_large", 413)
    assert _stored_reviews(office_server) == 0
    # the longest honest note, in four-byte characters, still fits
    hclient.post_review(head.review(report.envelope_id, "disputed", "\U0001F600" * MAX_NOTE).envelope)
    assert _stored_reviews(office_server) == 1
