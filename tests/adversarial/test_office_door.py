"""An enrolled but hostile phone pushes correctly signed envelopes whose CONTENT breaks the
form's rules. Before issue 12 the office accepted any signed envelope (any form id, any
fields, any sizes); now each is a typed per-item rejection and nothing of it is stored.
"""
from __future__ import annotations

import datetime
import sqlite3
import uuid

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

import forms
from sync import envelope as env
from office.ingest import MAX_ATTACHMENT, admission
from tests.support import enroll, valid_answers

from .conftest import VILLAGE
from .test_office_hostile import push


@pytest.fixture(scope="module")
def author(office):
    return enroll(office, VILLAGE, "volunteer", "Pelanggar Aturan")


def sealed(person, answers, *, form_id="laporan_kecurigaan", version=1, attachments=None, payload=None):
    return env.seal(payload if payload is not None else {"answers": answers, "rahasia": False},
                    form_id=form_id, form_version=version, author_id=person.id,
                    device_id=person.device_id, signing_key=person.ed, recipients=[person.office_x()],
                    attachments=attachments)


def stored(office, envelope_id: str) -> int:
    with sqlite3.connect(office.data_dir / "office.db") as db:
        return sum(db.execute(f"SELECT count(*) FROM {t} WHERE {c}=?", (envelope_id,)).fetchone()[0]
                   for t, c in (("envelopes", "id"), ("dash_reports", "envelope_id"),
                                ("dash_search", "envelope_id"), ("attachments", "envelope_id")))


def photos(n: int) -> dict:
    return {uuid.uuid4().hex: b"\xff\xd8 jpeg" for _ in range(n)}


def _cases():
    good = valid_answers()
    v3 = valid_answers(version=3)        # the version with a repeat group (`terlibat`)
    bad_entry = [dict(e) for e in v3["terlibat"]]
    bad_entry[1]["peran"] = "=HYPERLINK()"
    soon = datetime.datetime.now() + datetime.timedelta(days=2)
    six = photos(6)
    two = photos(2)
    return {
        "unknown form": ({}, dict(form_id="bukan_formulir"), "form_unknown"),
        "unknown version": ({}, dict(version=99), "form_unknown"),
        "no answers": (None, dict(payload={"flags": {}, "rahasia": False}), "answers_invalid"),
        "unknown field": ({**good, "kolom_siluman": "x"}, {}, "answers_invalid"),
        "over-long text (form max 1000)": ({**good, "apa_dilihat": "kata " * 300}, {}, "answers_invalid"),
        "over the office's per-field cap": ({**good, "apa_dilihat": "x" * (admission.MAX_TEXT_CHARS + 1)},
                                            {}, "too_large"),
        # inside a list, in answers hardly longer than the one text (the office skips the
        # walk for answers too short to hold an over-cap text: the edge of that shortcut)
        "over the per-field cap, nested, alone": ({"m": ["x" * (admission.MAX_TEXT_CHARS + 1)]}, {}, "too_large"),
        "over the per-field cap in a list": ({**good, "media_sosial": ["x" * (admission.MAX_TEXT_CHARS + 1)]},
                                             {}, "too_large"),
        "over the per-report cap": ({**good, **{f"f{i}": "y" * 3000 for i in range(25)}}, {}, "too_large"),
        "wrong type": ({**good, "jumlah_orang": "enam"}, {}, "answers_invalid"),
        "unknown choice": ({**good, "kategori": "=HYPERLINK()"}, {}, "answers_invalid"),
        "too many photos": ({**good, "foto": sorted(six)}, dict(attachments=six), "answers_invalid"),
        "photo not in the answers": (good, dict(attachments=two), "attachments_mismatch"),
        "answers name a photo not sent": ({**good, "foto": [uuid.uuid4().hex]}, {}, "attachments_mismatch"),
        # the rules hold inside repeat groups and on dates (the walk's own shortcuts: a field's
        # check and condition worked out once, the not-in-the-future limit by arithmetic)
        "unknown choice inside a repeat group": ({**v3, "terlibat": bad_entry}, dict(version=3), "answers_invalid"),
        "unknown field inside a repeat group": ({**v3, "terlibat": [{**v3["terlibat"][0], "siluman": "x"}]},
                                                dict(version=3), "answers_invalid"),
        "incident in the future": ({**v3, "waktu_kejadian": soon.strftime("%Y-%m-%dT%H:%M")}, dict(version=3),
                                   "answers_invalid"),
        "incident before the form's earliest date": ({**v3, "waktu_kejadian": "1999-12-31T23:59"}, dict(version=3),
                                                     "answers_invalid"),
    }


CASES = _cases()


@pytest.mark.parametrize("name", list(CASES))
def test_content_that_breaks_the_form_is_refused_and_not_stored(office, author, name):
    person, client = author
    answers, kw, code = CASES[name]
    s = sealed(person, answers, **kw)
    r = push(office, client, [s.envelope])
    assert r.status_code == 200, r.text
    res = r.json()["results"][0]
    assert (res["status"], res["code"]) == ("rejected", code), res
    assert res["reason"] and res["envelope_id"] == s.envelope_id
    assert stored(office, s.envelope_id) == 0


def test_declared_oversized_attachment_is_refused_at_the_door(office, author):
    """A manifest entry over MAX_ATTACHMENT never gets an upload slot (before: any size up to
    4 GiB was accepted and the upload kept growing)."""
    person, client = author
    att = uuid.uuid4().hex
    big = sealed(person, {**valid_answers(), "foto": [att]}, attachments={att: bytes(MAX_ATTACHMENT + 1)})
    assert env.peek(big.envelope).attachments[0].size > MAX_ATTACHMENT
    res = push(office, client, [big.envelope]).json()["results"][0]
    assert (res["status"], res["code"]) == ("rejected", "too_large"), res
    assert stored(office, big.envelope_id) == 0


def test_valid_report_in_the_same_batch_is_still_accepted(office, author):
    person, client = author
    bad = sealed(person, {**valid_answers(), "kolom_siluman": 1})
    good = sealed(person, valid_answers())
    r = push(office, client, [bad.envelope, good.envelope])
    assert [x["status"] for x in r.json()["results"]] == ["rejected", "accepted"]
    assert stored(office, good.envelope_id) > 0


@pytest.mark.parametrize("form_id", [f.id for f in forms.list_forms()])
def test_every_shipped_form_example_passes_the_door(form_id):
    """The phone validates the same forms: an honest report is never refused."""
    form = forms.load(form_id)
    s = env.seal({"answers": form.example()}, form_id=form.id, form_version=form.version,
                 author_id=str(uuid.uuid4()), device_id=str(uuid.uuid4()),
                 signing_key=Ed25519PrivateKey.generate(), recipients=[X25519PrivateKey.generate().public_key()])
    got_form, clean = admission.admit(env.peek(s.envelope), {"answers": form.example()})
    assert got_form.id == form.id and clean
