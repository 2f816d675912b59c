"""office.compression against a real office: the push endpoint takes and gives gzip,
a gzip bomb or broken gzip gets a typed JSON error (never a 5xx), and no other route —
the dashboard least of all (BREACH) — is ever compressed."""
from __future__ import annotations

import base64
import gzip
import json

import requests

from office.app import MAX_BODY
from tests.support import enroll, village


def _post(server, token: str, body: bytes, **headers):
    return requests.post(server.url + "/api/v1/envelopes", data=body, timeout=30,
                         headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                                  **headers})


def test_push_in_gzip_is_answered_in_gzip(office_server):
    village(office_server)
    vol, client = enroll(office_server, "Entikong", "volunteer", "Sari")
    reports = [vol.report() for _ in range(5)]
    body = gzip.compress(json.dumps({"envelopes": [base64.b64encode(r.envelope).decode() for r in reports]}).encode())
    res = _post(office_server, client.token, body, **{"Content-Encoding": "gzip", "Accept-Encoding": "gzip"})
    assert res.status_code == 200 and res.headers.get("content-encoding") == "gzip"
    out = res.json()
    assert [r["status"] for r in out["results"]] == ["accepted"] * 5 and out["batch"]["tree_size"] == 5
    plain = _post(office_server, client.token, json.dumps({"envelopes": []}).encode())
    assert plain.status_code == 200 and plain.json()["results"] == []


def test_gzip_bomb_and_broken_gzip_get_typed_errors(office_server):
    village(office_server)
    _, client = enroll(office_server, "Entikong", "volunteer", "Sari")
    bomb = gzip.compress(b"{" + b" " * (MAX_BODY + 10) + b"}", 9)
    assert len(bomb) < MAX_BODY // 100
    res = _post(office_server, client.token, bomb, **{"Content-Encoding": "gzip"})
    assert res.status_code == 413 and res.json()["code"] == "too_large"
    res = _post(office_server, client.token, b"\x1f\x8b not gzip at all", **{"Content-Encoding": "gzip"})
    assert res.status_code == 422 and res.json()["code"] == "bad_request"
    assert requests.get(office_server.url + "/api/v1/health", timeout=10).status_code == 200


def test_nothing_but_the_push_answer_is_compressed(office_server):
    for path in ("/dashboard/login", "/api/v1/openapi.json", "/api/v1/health"):
        res = requests.get(office_server.url + path, headers={"Accept-Encoding": "gzip"}, timeout=30)
        assert res.status_code == 200 and "content-encoding" not in res.headers, path
