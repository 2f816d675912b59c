"""Fuzz the staff side with real staff credentials (issue 12: 500s from staff input).

- Hypothesis over query strings of every HTML GET page and over the form posts of every
  HTML POST page, with an admin session and a valid CSRF token, so the input reaches the
  page code instead of stopping at the login redirect or the CSRF check;
- Schemathesis over the partner API with a real partner token (the sync-API suite only
  reaches it unauthenticated).
Whatever is sent: never a 5xx.
"""
from __future__ import annotations

import os
import re
from urllib.parse import quote

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from office.dashboard import access_table
from tests.support import enroll

from .conftest import VILLAGE
from .test_api_schemathesis import fuzz

PASSWORD = "kata-sandi-uji-123"
EXAMPLES = 25
FILTER_KEYS = ["form", "village", "category", "urgency", "triage", "date_from", "date_to", "has_photo",
               "verdict", "children", "q", "cursor", "format", "before", "action", "next", "to", "done", "bbox"]
NASTY = ["²", "9" * 30, "9999-12-31", "0001-01-01", "-1", "1e9", "", " ", "%00", "\x00", "\ud7ff",
         "=HYPERLINK(1)", "../../etc", "<script>", "' OR 1=1 --", "NaN", "Infinity", "٣", "1" * 200]
values = st.one_of(st.sampled_from(NASTY), st.text(max_size=40))


@pytest.fixture(scope="module")
def staffed(office):
    os.environ["JAGA_PASSWORD"] = PASSWORD
    office.admin(["add-staff", "--username", "fuzzadmin", "--role", "admin"])
    victim = office.admin(["add-staff", "--username", "korban", "--role", "intel"]).split()[-1]
    person, client = enroll(office, VILLAGE, "volunteer", "Fuzz Relawan")
    sealed = person.report()
    assert client.push([sealed.envelope])[0]["status"] == "accepted"
    s = requests.Session()
    page = s.get(office.url + "/dashboard/login").text
    r = s.post(office.url + "/dashboard/login", allow_redirects=False,
               data={"csrf": re.search(r'name="csrf" value="([^"]+)"', page).group(1),
                     "username": "fuzzadmin", "password": PASSWORD})
    assert r.status_code == 303, r.text[:300]
    s.csrf = re.search(r'name="csrf" value="([^"]+)"', s.get(office.url + "/dashboard/").text).group(1)
    token = office.admin(["api-token", "issue", "--username", "fuzzadmin", "--rahasia", "--free-text"]).strip()
    s.victim = victim                 # staff pages act on this account, not on the fuzzer's own
    return s, sealed.envelope_id, token


def concrete(path: str, report_id: str, staff_id: str) -> str:
    return (path.replace("{report_id}", report_id).replace("{att_id}", "ab" * 16)
            .replace("{device_id}", "00000000-0000-4000-8000-000000000000").replace("{staff_id}", staff_id)
            .replace("{token_id}", "0" * 12))


def html_routes(method: str) -> list[str]:
    return sorted(p for (m, p), access in access_table().items()
                  if m == method and p.startswith("/dashboard") and p != "/dashboard/logout")


@pytest.mark.parametrize("path", html_routes("GET"))
def test_html_get_query_strings_never_5xx(office, staffed, path):
    session, report_id, _ = staffed
    url = office.url + concrete(path, report_id, session.victim)

    @given(st.dictionaries(st.sampled_from(FILTER_KEYS), values, max_size=5))
    @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def run(params):
        qs = "&".join(f"{quote(k)}={quote(v, safe='')}" for k, v in params.items())
        r = session.get(f"{url}?{qs}", allow_redirects=False, timeout=30)
        assert r.status_code < 500, (path, params, r.status_code, r.text[:300])

    run()


FORM_KEYS = ["state", "note", "assignee", "message", "name", "region", "village", "role", "username",
             "password", "label", "days", "regions", "rahasia", "free_text", "next"]


@pytest.mark.parametrize("path", html_routes("POST"))
def test_html_form_posts_never_5xx(office, staffed, path):
    session, report_id, _ = staffed
    url = office.url + concrete(path, report_id, session.victim)

    @given(st.dictionaries(st.sampled_from(FORM_KEYS), values, max_size=6))
    @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def run(form):
        r = session.post(url, data={**form, "csrf": session.csrf}, allow_redirects=False, timeout=30)
        assert r.status_code < 500, (path, form, r.status_code, r.text[:300])

    run()


@pytest.fixture(scope="module")
def partner_schema(office):
    return schemathesis.openapi.from_url(office.url + "/api/v1/openapi.json", timeout=30)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["pos", "neg"])
def test_partner_api_with_a_real_token(office, staffed, partner_schema, mode):
    _, _, token = staffed
    ops = [r.ok() for r in partner_schema.get_all_operations() if r.ok().path.startswith("/api/v1/partner")]
    assert ops
    for operation in ops:
        fuzz(operation, office, mode, {"Authorization": f"Bearer {token}"}, anon=False,
             checks=[not_a_server_error, response_schema_conformance])
    r = requests.get(office.url + "/api/v1/partner/reports", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200 and r.json()["items"]        # the token really reached the data
