"""A head's "needs more information" reaches the reporter: the office queues a signed
feedback item of kind needs_info for the report's author (not the head's note, which was
written for Immigration)."""
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
    hclient.post_review(head.review(asked.envelope_id, "needs_more_info", "siapa calonya? (untuk Imigrasi)").envelope)
    got = _feedback(vclient, vol)
    assert len(got) == 1 and got[0]["envelope_id"] == asked.envelope_id and got[0]["kind"] == "needs_info"
    assert "Kepala desa meminta info tambahan" in got[0]["message"]
    assert "siapa calonya" not in got[0]["message"]            # the head's note stays at the office
