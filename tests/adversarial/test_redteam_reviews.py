"""Red team: verdicts on reports, attacked by other enrolled people (THREAT_MODEL.md,
adversaries 2 and 5: "cannot ... read a rahasia report ... forge a report or a verdict as
someone else"). Real office on loopback; each attacker is enrolled with their own phone and
keys and signs with them — the only thing they cannot do is sign as someone else.
"""
from __future__ import annotations

import sqlite3

import pytest

from core.errors import ApiError
from sync import envelope as env
from tests.support import enroll, village


def _refused(client, sealed) -> tuple[str, int]:
    with pytest.raises(ApiError) as err:
        client.post_review(sealed.envelope)
    return err.value.code, err.value.http_status


def test_only_the_addressed_head_of_the_village_may_give_a_verdict(office_server):
    a, b = village(office_server, "Entikong"), village(office_server, "Sebatik Tengah")
    head, head_c = enroll(office_server, a, "head", "Pak Kades")
    vol, vol_c = enroll(office_server, a, "volunteer", "Siti")            # her head list: Pak Kades
    other_vol, other_vol_c = enroll(office_server, a, "volunteer", "Rina")
    far_head, far_c = enroll(office_server, b, "head", "Kades Sebatik")
    shared, secret = vol.report(), vol.report(rahasia=True)
    assert [r["status"] for r in vol_c.push([shared.envelope, secret.envelope])] == ["accepted"] * 2

    # A head of another village, a volunteer, and the village's own head on a rahasia report
    # (its id is in the plaintext file and the header): each signs their own verdict.
    assert _refused(far_c, far_head.review(shared.envelope_id))[1] == 403
    assert _refused(other_vol_c, other_vol.review(shared.envelope_id))[1] == 403
    assert _refused(head_c, head.review(secret.envelope_id))[1] == 403

    # Signing as the real head with another key: refused, nothing stored.
    forged = env.seal({"envelope_id": shared.envelope_id, "verdict": "disputed", "note": "palsu"},
                      form_id="_review", form_version=1, author_id=head.id, device_id=far_head.device_id,
                      signing_key=far_head.ed, recipients=[far_head.office_x()])
    assert _refused(far_c, forged)[1] in (400, 403)

    # The real verdict lands once; replayed (from the head's phone or another) it is the same
    # verdict with its original receipt, never a second one.
    real = head.review(shared.envelope_id, "verified")
    first = head_c.post_review(real.envelope)
    assert first["status"] == "accepted"
    for c in (head_c, far_c):
        again = c.post_review(real.envelope)
        assert again["status"] == "duplicate" and again["receipt"] == first["receipt"]
    with sqlite3.connect(office_server.data_dir / "office.db") as conn:
        assert conn.execute("SELECT COUNT(*) FROM reviews").fetchone()[0] == 1
    for c in (head_c, vol_c, other_vol_c, far_c):
        c.close()
