"""The pipelined push (sync.runner.sync_once) under attack: the phone reads and builds batch
k+1 while batch k travels, sends it the moment k's answer is in, and checks and purges k
while the office stores k+1. The network between them is the attacker's (a real man in the
middle in front of the real office, jaga_desa.testing.rogue.Mitm); the phone is the real
Device. What must hold, whatever the network does to one batch's answer:

- a report is purged only on its own verified receipt: a forged answer to one batch purges
  none of it (its neighbours before and after still go), and at the moment any batch's
  answer arrives none of that batch — nor of any later one — has been purged;
- one push in flight at a time, in outbox order, each report in one push of the round;
- a lost answer stops the round: what the office stored meanwhile comes back next round as a
  duplicate with its original receipt, and nothing is stored twice.
"""
from __future__ import annotations

import base64
import gzip
import json
import sqlite3

import forms
from fieldapp.device import Device
from fieldapp.reports import RECEIVED, SEALED
from fieldapp.store import DB_NAME
from jaga_desa.testing.rogue import Mitm
from office.schema import envelopes
from sync import envelope as env
from sync.client import OfficeClient
from sync.runner import sync_once
from tests.fieldapp.conftest import PIN
from tests.support import enroll_on_device, office_count, village

BATCH = 3
PUSH = "/api/v1/envelopes"


def _phone(office_server, tmp_path, mitm: Mitm, n: int) -> tuple[Device, list[str]]:
    """A real phone enrolled through the man in the middle with `n` sealed reports; returns
    it and the reports' envelope ids in the order they were filed."""
    name = village(office_server)
    dev = Device.init(tmp_path / "phone")
    session = enroll_on_device(dev, office_server, name, "Siti", "volunteer", PIN, via=mitm.url)
    for i in range(n):
        answers = forms.load("laporan_kecurigaan").example()
        answers["tempat"] = f"Dermaga nomor {i}"
        dev.file(session, "laporan_kecurigaan", answers)
    ids = [r[0] for r in dev.db.conn.execute("SELECT envelope_id FROM reports WHERE status=? ORDER BY seq",
                                            (SEALED,))]
    assert len(ids) == n
    return dev, ids


def _statuses(dev: Device) -> dict[str, str]:
    """The phone's report states, read on a connection of its own (the Mitm's thread)."""
    con = sqlite3.connect(dev.data_dir / DB_NAME)
    try:
        return dict(con.execute("SELECT envelope_id, status FROM reports WHERE envelope_id IS NOT NULL"))
    finally:
        con.close()


def _pushed_ids(body: bytes) -> list[str]:
    return [env.peek(base64.b64decode(e)).envelope_id for e in json.loads(gzip.decompress(body))["envelopes"]]


def _round(dev: Device, url: str):
    client = OfficeClient(url, token=dev.sync_token, **dev.client_options())
    try:
        return sync_once(dev, client, batch_size=BATCH)
    finally:
        client.close()


def _pushes(mitm: Mitm) -> list[list[str]]:
    return [_pushed_ids(body) for method, path, _, body in mitm.requests if (method, path) == ("POST", PUSH)]


class Watch:
    """The attacker's rewrite: on each push answer, records what the phone had purged by then
    (of this batch and of every later report), then forges or drops the answer to push
    number `hit` (1-based) as `attack` says."""

    def __init__(self, attack: str | None = None, hit: int = 2) -> None:
        self.attack, self.hit = attack, hit
        self.dev: Device | None = None
        self.ids: list[str] = []
        self.purged_early: list[str] = []
        self.answered = 0

    def __call__(self, method: str, path: str, body: dict):
        if (method, path) != ("POST", PUSH) or self.dev is None:
            return body
        self.answered += 1
        later = self.ids[(self.answered - 1) * BATCH:]           # this batch and every later one
        states = _statuses(self.dev)
        self.purged_early += [e for e in later if states.get(e) != SEALED]
        if self.answered != self.hit:
            return body
        if self.attack == "forge":          # the batch root signed by someone else
            sig = body["batch"]["signature"]
            return {**body, "batch": {**body["batch"], "signature": ("0" if sig[0] != "0" else "1") + sig[1:]}}
        if self.attack == "drop":           # the office stored it; the answer never comes
            return 500, {"code": "internal", "message": "connection lost"}
        return body


def _setup(office_server, tmp_path, n: int, attack: str | None):
    watch = Watch(attack)
    mitm = Mitm(office_server.url, watch)
    dev, ids = _phone(office_server, tmp_path, mitm, n)
    watch.dev, watch.ids = dev, ids
    return watch, mitm, dev, ids


def test_a_forged_answer_to_one_batch_purges_none_of_it_and_its_neighbours_still_go(office_server, tmp_path):
    watch, mitm, dev, ids = _setup(office_server, tmp_path, 3 * BATCH, "forge")
    try:
        result = _round(dev, mitm.url)
        assert watch.answered == 3 and watch.purged_early == []
        forged = ids[BATCH:2 * BATCH]
        assert {e: result.failed.get(e) for e in forged} == dict.fromkeys(forged, "receipt_invalid")
        states = _statuses(dev)
        assert [states[e] for e in ids] == [RECEIVED] * BATCH + [SEALED] * BATCH + [RECEIVED] * BATCH
        assert result.received == 2 * BATCH
        # the next round, on an honest network: the office answers the stored batch as duplicates
        again = _round(dev, office_server.url)
        assert again.ok and again.received == BATCH and again.duplicate == BATCH
        assert set(_statuses(dev).values()) == {RECEIVED}
        assert office_count(office_server, envelopes) == len(ids)
    finally:
        mitm.close()
        dev.close()


def test_a_lost_answer_stops_the_round_and_nothing_is_stored_twice(office_server, tmp_path):
    watch, mitm, dev, ids = _setup(office_server, tmp_path, 3 * BATCH + 1, "drop")
    try:
        result = _round(dev, mitm.url)
        assert not result.ok and watch.purged_early == []
        assert _pushes(mitm) == [ids[:BATCH], ids[BATCH:2 * BATCH]], "one push in flight: none after the lost one"
        states = _statuses(dev)
        assert [states[e] for e in ids] == [RECEIVED] * BATCH + [SEALED] * (2 * BATCH + 1)
        assert office_count(office_server, envelopes) == 2 * BATCH       # the lost answer's batch is stored
        again = _round(dev, office_server.url)
        assert again.ok and again.received == 2 * BATCH + 1 and again.duplicate == BATCH
        assert office_count(office_server, envelopes) == len(ids)
    finally:
        mitm.close()
        dev.close()


def test_pushes_go_one_at_a_time_in_outbox_order_each_report_once(office_server, tmp_path):
    watch, mitm, dev, ids = _setup(office_server, tmp_path, 4 * BATCH + 2, None)
    try:
        result = _round(dev, mitm.url)
        assert result.ok and result.received == len(ids)
        pushes = _pushes(mitm)
        assert pushes == [ids[k:k + BATCH] for k in range(0, len(ids), BATCH)]
        assert watch.answered == len(pushes) and watch.purged_early == []
    finally:
        mitm.close()
        dev.close()
