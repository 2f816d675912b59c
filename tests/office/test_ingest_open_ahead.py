"""`ingest_batch` opens a batch's envelopes ahead of admitting them (office/ingest/envelopes.py,
`_open_ahead`: the crypto of the batch, then the Python of each item). That is a fast path
only: with nothing opened ahead, every item is opened where the item loop meets it, and
both must answer and store exactly the same — accepted, duplicates (stored and in the same
batch), an id reused with other bytes, a forged signature, another phone's report, answers
that fail the form, a rahasia report, answers inside `terlibat`, and the per-phone quota
deferring a report once the reports before it are counted."""
from __future__ import annotations

import copy
import shutil
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

import forms
from sync import envelope as env
from office import db, enrollment, keys as office_keys
from office.ingest import envelopes as ingest_envelopes
from office.ingest import ingest_batch
from office.rollup.volunteer import Volunteer
from office.schema import attachments, envelope_recipients, envelopes
from office.store.filter_row import dash_reports

PASSPHRASE = "open-ahead-test"
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=timezone.utc)
FORM = forms.load("laporan_kecurigaan")


def _seal(who: Volunteer, keys, answers: dict, **kw) -> bytes:
    clean = FORM.clean(answers)          # invalid answers too: a hostile phone seals what it likes
    payload = {"answers": answers, "flags": FORM.flags(clean), "rahasia": FORM.is_confidential(clean), "lang": "id"}
    return env.seal(payload, form_id=FORM.id, form_version=FORM.version, author_id=who.person_id,
                    device_id=who.device_id, signing_key=who.signing, recipients=[keys.x25519.public_key()],
                    **kw).envelope


def _answers(**changes) -> dict:
    a = copy.deepcopy(FORM.example())
    a.update(changes)
    return a


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    """An office with two volunteers on two phones, one report of Sari's already stored,
    and Sari's batch: every kind of item the loop decides on."""
    root = tmp_path_factory.mktemp("ahead")
    snapshot = root / "snapshot"
    keys = office_keys.load_or_create(snapshot, PASSPHRASE)
    engine = db.open_store(snapshot)
    with engine.begin() as conn:
        village = enrollment.add_village(conn, "Entikong", "Sanggau")
    sari, budi = Volunteer.enrol(engine, village, "Sari"), Volunteer.enrol(engine, village, "Budi")
    stored = _seal(sari, keys, _answers(tempat="Dermaga lama"))
    with engine.begin() as conn:
        assert ingest_batch(conn, [stored], device_id=sari.device_id, keys=keys, now=NOW)[0]["status"] == "accepted"
    engine.dispose()
    stored_id = env.peek(stored).envelope_id
    plain = _seal(sari, keys, _answers(tempat="  Warung dekat dermaga  ",
                                       terlibat=[{"peran": "calo", "nama": " Pak Udin "}, {},
                                                 {"peran": "tekong", "kapal": "KM Jaya"}]))
    forged = bytearray(_seal(sari, keys, _answers()))
    forged[-1] ^= 1
    batch = [
        plain,
        _seal(sari, keys, _answers(rahasia="ya")),                       # rahasia: no review request, flagged
        plain,                                                            # the same bytes twice in one batch
        stored,                                                           # stored before: duplicate
        _seal(sari, keys, _answers(tempat="lain"), envelope_id=stored_id),   # id reused with other bytes
        bytes(forged),                                                    # signature does not verify
        _seal(budi, keys, _answers()),                                    # another phone's report
        _seal(sari, keys, {**_answers(), "tak_dikenal": 1}),              # fails the form
        _seal(sari, keys, _answers(terlibat=[{"peran": "bukan pilihan"}])),   # fails inside a group
        _seal(sari, keys, _answers(tempat="Pasar")),
        _seal(sari, keys, _answers(tempat="Jalan setapak")),              # deferred under the quota below
    ]
    return snapshot, sari, batch


def _run(tmp_path, office, name: str, quota: int | None) -> tuple[list[dict], dict]:
    snapshot, sari, batch = office
    work = tmp_path / name
    shutil.copytree(snapshot, work)
    keys = office_keys.load_or_create(work, PASSPHRASE)
    engine = db.open_store(work)
    with engine.begin() as conn:
        results = ingest_batch(conn, batch, device_id=sari.device_id, keys=keys, now=NOW, quota=quota)
    with engine.connect() as conn:
        # every column but the sealed GPS point, sealed under a fresh nonce each time
        stored = {t.name: [tuple(r) for r in conn.execute(select(*[c for c in t.c if c.name != "geo"])
                                                          .order_by(*t.primary_key.columns))]
                  for t in (envelopes, envelope_recipients, attachments, dash_reports)}
    engine.dispose()
    return results, stored


@pytest.mark.parametrize("quota", [None, "tight"])
def test_opening_ahead_answers_and_stores_what_opening_in_the_loop_does(tmp_path, office, monkeypatch, quota):
    batch = office[2]
    if quota == "tight":       # room for the stored report and all accepted but the last one
        quota = sum(len(batch[k]) for k in (3, 0, 1, 9, 10)) - 1
    fast, fast_rows = _run(tmp_path, office, "ahead", quota)
    monkeypatch.setattr(ingest_envelopes, "_open_ahead", lambda *a, **k: {})
    slow, slow_rows = _run(tmp_path, office, "in-loop", quota)
    assert fast == slow
    assert fast_rows == slow_rows
    got = [(r["status"], r.get("code")) for r in fast]
    assert got[:9] == [("accepted", None), ("accepted", None), ("duplicate", None), ("duplicate", None),
                       ("rejected", "id_conflict"), ("rejected", "envelope_invalid"),
                       ("rejected", "wrong_device"), ("rejected", "answers_invalid"),
                       ("rejected", "answers_invalid")], got
    assert "terlibat[0].peran" in fast[8]["reason"]
    if quota is None:
        assert got[9:] == [("accepted", None)] * 2
    else:
        assert got[9:] == [("accepted", None), ("deferred", "quota_exceeded")], got
    col = [c.name for c in envelopes.c]
    rahasia = {r[col.index("id")]: r[col.index("rahasia")] for r in fast_rows["envelopes"]}
    assert rahasia[fast[1]["envelope_id"]] and not rahasia[fast[0]["envelope_id"]]
