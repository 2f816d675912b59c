"""Red team on the merged security round 3 (issue 22): attacks on the fixes themselves.

Search is an oracle on free text. A partner token without the free-text grant reads no text
field of a report (test_redteam_partner.py), but `GET /api/v1/partner/reports?q=WORD` filters
on the office's search index, which holds every word of every text answer — names, phone
numbers, boats, at every depth. Asking `q=<a name>` and watching which reports come back told
the attacker, report by report, whether that name (or phone number) was written in it: the
text the grant withholds, read one guess at a time. A token without the grant may not search.
"""
from __future__ import annotations

import requests

from tests.adversarial.test_redteam_partner import _token, partner_office  # noqa: F401  (module fixture)


def test_a_partner_token_without_free_text_cannot_search_the_text_it_may_not_read(partner_office):  # noqa: F811
    server, reports = partner_office
    server.derived()                                   # the search terms are derived after the push
    rid, (_rahasia, marks, _answers) = next((r, v) for r, v in reports.items() if not v[0])
    name = sorted(m for m in marks if m.startswith("Kq"))[0]             # a name canary, in this report only
    url = f"{server.url}/api/v1/partner/reports"
    granted = {"Authorization": f"Bearer {_token(server, rahasia=False, free_text=True)}"}
    got = requests.get(url, params={"q": name}, headers=granted, timeout=60)
    assert got.status_code == 200 and [i["envelope_id"] for i in got.json()["items"]] == [rid], got.text
    bare = {"Authorization": f"Bearer {_token(server, rahasia=False, free_text=False)}"}
    for word in (name, "zzqq"):                                        # a word written in a report, one not
        got = requests.get(url, params={"q": word}, headers=bare, timeout=60)
        assert got.status_code == 403, (word, got.status_code, got.text)
        assert rid not in got.text
