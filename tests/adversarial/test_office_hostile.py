"""A hostile but enrolled phone (valid token, valid person keys) against the real office:
correctly signed envelopes with hostile content, absurd clocks, hostile JSON bodies.
Every item gets a per-item result; nothing produces a 5xx.
"""
from __future__ import annotations

import base64
import json
import zlib
from types import SimpleNamespace
from unittest import mock

import pytest
import requests

from sync import envelope as env
from tests.support import enroll, valid_answers

from .conftest import VILLAGE

API = "/api/v1"


@pytest.fixture(scope="module")
def hostile(office):
    person, client = enroll(office, VILLAGE, "volunteer", "Penyusup")
    return person, client


def seal(person, *, payload=None, plain: bytes | None = None, created_ms=None, form_id="laporan_kecurigaan"):
    kw = dict(form_id=form_id, form_version=1, author_id=person.id, device_id=person.device_id,
              signing_key=person.ed, recipients=[person.office_x()], created_ms=created_ms)
    if plain is None:
        return env.seal(payload if payload is not None else {"answers": valid_answers(), "rahasia": True},
                        **kw).envelope
    fake = SimpleNamespace(compress=lambda *_a, **_k: plain, decompressobj=zlib.decompressobj)
    with mock.patch.object(env, "zlib", fake):
        return env.seal({}, **kw).envelope


def push(office, client, envelopes: list[bytes]) -> requests.Response:
    return requests.post(office.url + API + "/envelopes", timeout=60,
                         headers={"Authorization": f"Bearer {client.token}"},
                         json={"envelopes": [base64.b64encode(e).decode() for e in envelopes]})


def test_signed_but_hostile_payloads(office, hostile):
    person, client = hostile
    cases = {
        "not zlib": seal(person, plain=b"definitely not zlib"),
        "not utf-8": seal(person, plain=zlib.compress(b"\xff\xfe\xfd")),
        "deep json": seal(person, plain=zlib.compress(b"[" * 100_000 + b"]" * 100_000)),
        "huge int": seal(person, plain=zlib.compress(b'{"flags": {"category": ' + b"9" * 6000 + b"}}")),
        "json list": seal(person, plain=zlib.compress(b"[1, 2]")),
        "zip bomb": seal(person, plain=zlib.compress(b" " * (env.MAX_PAYLOAD * 3))),
    }
    r = push(office, client, list(cases.values()))
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert [x["status"] for x in results] == ["rejected"] * len(cases), dict(zip(cases, results))
    assert {x["code"] for x in results} == {"envelope_invalid"}


def test_signed_odd_payloads_get_typed_refusals(office, hostile):
    """Odd JSON that used to be stored as a 'report' is now checked against the form: a typed
    per-item refusal, never a 5xx."""
    person, client = hostile
    payloads = [{"flags": {"category": ["x"] * 50, "urgent": "NaN"}, "rahasia": "ya"},
                {"flags": "not a dict", "category": {"a": 1}},
                {"flags": {"category": 1e308, "urgent": None}},
                json.loads('{"flags": {"category": NaN}, "rahasia": Infinity}'),
                {"answers": "\u0000\ud7ff" * 1000},
                {"answers": {**valid_answers(), "jumlah_orang": float("nan")}}]
    r = push(office, client, [seal(person, payload=p) for p in payloads])
    assert r.status_code == 200, r.text
    assert [x["status"] for x in r.json()["results"]] == ["rejected"] * len(payloads), r.text
    assert {x["code"] for x in r.json()["results"]} == {"answers_invalid"}, r.text


def test_odd_flags_around_valid_answers_are_accepted(office, hostile):
    """Flags are the author's claim: odd ones do not matter (no column trusts them)."""
    person, client = hostile
    payloads = [{"answers": valid_answers(), "flags": {"category": ["x"] * 50, "urgent": "NaN"}},
                {"answers": valid_answers(), "flags": "not a dict", "category": {"a": 1}},
                json.loads('{"flags": {"category": NaN}, "rahasia": Infinity, "answers": %s}'
                           % json.dumps(valid_answers()))]
    r = push(office, client, [seal(person, payload=p) for p in payloads])
    assert [x["status"] for x in r.json()["results"]] == ["accepted"] * len(payloads), r.text


@pytest.mark.parametrize("created_ms", [0, 1, 2 ** 53, 2 ** 63 - 1, 2 ** 63, 2 ** 64 - 1])
def test_absurd_phone_clock(office, hostile, created_ms):
    """The phone clock is the author's to get wrong (u64 on the wire): never a 500, never lost."""
    person, client = hostile
    r = push(office, client, [seal(person, created_ms=created_ms)])
    assert r.status_code == 200, r.text
    assert r.json()["results"][0]["status"] == "accepted", r.text
    review = seal(person, payload={"envelope_id": r.json()["results"][0]["envelope_id"],
                                   "verdict": "verified", "note": ""},
                  created_ms=created_ms, form_id="_review")
    r = requests.post(office.url + API + "/reviews", timeout=60,
                      headers={"Authorization": f"Bearer {client.token}"},
                      json={"envelope": base64.b64encode(review).decode()})
    assert r.status_code == 403 and r.json()["code"] == "forbidden", r.text   # a volunteer, not a head


@pytest.mark.parametrize("body", [
    b"[" * 100_000 + b"]" * 100_000,
    b'{"envelopes": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
    b'{"envelopes": ["' + b"A" * 1_000_000 + b'"]}',
    b'{"envelopes": [' + b",".join([b'"AAAA"'] * 501) + b"]}",
    b'{"envelopes": [null, 1, {}, []]}',
    b"\xff\xfe\x00{",
    b'{"envelopes": ["\\ud800"]}',
])
def test_hostile_json_bodies(office, hostile, body):
    _, client = hostile
    for path in ("/envelopes", "/reviews", "/enroll"):
        r = requests.post(office.url + API + path, data=body, timeout=60,
                          headers={"Authorization": f"Bearer {client.token}",
                                   "Content-Type": "application/json"})
        assert r.status_code < 500, (path, r.status_code, r.text[:300])
        if r.status_code != 200:
            assert set(r.json()) == {"code", "message"}, r.text[:300]


def test_not_utf8_body_is_a_documented_422(office):
    """Found by schemathesis: FastAPI's bare 400 for an undecodable body was undocumented."""
    r = requests.post(office.url + API + "/enroll", data=b"\xff\xfe", timeout=10,
                      headers={"Content-Type": "application/json"})
    assert (r.status_code, r.json()["code"]) == (422, "bad_request"), r.text
