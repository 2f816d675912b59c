"""Sync against the real `fieldapp.device.Device` (not the SqliteOutbox double), a real office
(uvicorn subprocess) and the real CLI: honest round results, the `refused` state, and
SyncLoop's back-off with an injected wait/jitter instead of sleeps."""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
import time

import pytest
from PIL import Image

import forms
from core.errors import DecryptError, JagaError
from fieldapp import keys
from fieldapp.device import Device
from sync import envelope
from sync import receipt as rc
from fieldapp.ui import syncing
from jaga_desa.testing.waits import wait_until
from sync.client import OfficeClient
from sync.runner import SyncLoop, sync_round
from tests.conftest import ROOT
from tests.support import village

PIN, HEAD_PIN = "246810", "135790"
ENV = {**os.environ, "JAGA_KDF_SECONDS": "0.02", "PYTHONPATH": str(ROOT)}


def cli(data, *args, pin=None, check=True) -> subprocess.CompletedProcess:
    env = {**ENV, **({"JAGA_PIN": pin} if pin else {})}
    env.pop("JAGA_PIN", None) if pin is None else None
    proc = subprocess.run([sys.executable, str(ROOT / "main.py"), "device", "--data", str(data), *args],
                          env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          timeout=120, cwd=ROOT)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def enroll_user(server, data, name, role, pin) -> str:
    """A local user enrolled through the real CLI; returns the office's person id."""
    cli(data, "add-user", "--name", name, "--role", role, pin=pin)
    code = server.admin_json(["enroll-code", "--village", "Entikong", "--role", role, "--name", name])["enroll"]
    out = json.loads(cli(data, "--json", "enroll", "--office", server.url, "--code", code, "--user", name,
                         pin=pin).stdout)
    return out["person_id"]


def make_phone(server, data):
    """A head and a volunteer sharing one real phone, enrolled through the CLI."""
    village(server)
    cli(data, "init")
    people = {"Kades": enroll_user(server, data, "Kades", "head", HEAD_PIN),
              "Sari": enroll_user(server, data, "Sari", "volunteer", PIN)}
    return Device(data), data, people


@pytest.fixture
def phone(office_server, tmp_path, monkeypatch):
    """(Device, data dir, {name: person_id})."""
    monkeypatch.setenv("JAGA_KDF_SECONDS", "0.02")
    dev, data, people = make_phone(office_server, tmp_path / "phone")
    yield dev, data, people
    dev.close()


def file_reports(dev: Device, n: int, user="Sari", pin=PIN, photo=False) -> list[str]:
    s = dev.unlock(user, pin)
    form = forms.load("laporan_kecurigaan")
    out = []
    for i in range(n):
        answers = form.example()
        rid = dev.new_draft(s, form.id, answers)
        if photo and i == 0:
            buf = io.BytesIO()
            Image.new("RGB", (320, 240), (200, 30, 30)).save(buf, "JPEG")
            att, _ = dev.add_photo(s, rid, buf.getvalue())
            field = next(f.name for f in form.fields if f.type == "photo")
            answers[field] = [att]
            dev.save_draft(s, rid, answers)
        dev.finalize(s, rid)
        out.append(rid)
    return out


def states(dev: Device) -> dict[str, int]:
    out: dict[str, int] = {}
    for r in dev.outbox():
        out[r["state"]] = out.get(r["state"], 0) + 1
    return out


def client_for(dev: Device, **kw) -> OfficeClient:
    return OfficeClient(dev.office_url, token=dev.sync_token, **kw)


def test_real_device_round_purges_verified_and_records_last_sync(phone):
    dev, data, _ = phone
    file_reports(dev, 4, photo=True)
    assert dev.status()["last_sync"] is None
    sent = {rid: bytes(e) for rid, e in dev.db.conn.execute("SELECT id, envelope FROM reports")}
    result = sync_round(dev, client_for(dev), now=lambda: "2026-11-26T08:00:00+00:00")
    assert result.ok and result.received == 4 and result.attachments == 1, result
    assert states(dev) == {"received": 4} and dev.pending() == []
    assert dev.status()["last_sync"] == "2026-11-26T08:00:00+00:00"
    s = dev.unlock("Sari", PIN)
    office_ed = envelope.load_public_ed25519(dev.office_sign_public)
    for r in dev.outbox():         # purged to a minimal row; the signed receipt sealed to its owner
        raw, envelope_bytes = dev.db.conn.execute("SELECT receipt, envelope FROM reports WHERE id=?",
                                                  (r["id"],)).fetchone()
        assert envelope_bytes is None and b"received_at" not in bytes(raw)
        assert r["received_day"] and len(r["received_day"]) == 10          # the clear row: a day, no time
        wire = dev.receipt(s, r["id"])
        assert rc.verify(wire, office_ed, sent[r["id"]]).complete
    assert dev.db.conn.execute("SELECT COUNT(*) FROM attachments").fetchone()[0] == 0
    head = dev.unlock("Kades", HEAD_PIN)                  # another user of the phone cannot open it
    with pytest.raises(DecryptError):
        keys.open_from_owner(head.x25519, bytes(raw), f"jaga-desa/v1/reports/{r['id']}/receipt".encode())


def test_refused_report_is_shown_with_its_reason_and_never_resent(office_server, phone):
    """Attack 5, second half: the office refuses a report for good (its author was revoked).
    The real Device marks it `refused` with the reason; later rounds do not send it again."""
    dev, data, people = phone
    [refused] = file_reports(dev, 1)
    [kept] = file_reports(dev, 1, user="Kades", pin=HEAD_PIN)
    office_server.admin(["revoke", "--person", people["Sari"]])
    result = sync_round(dev, client_for(dev))
    assert result.ok and list(result.failed.values()) == ["revoked"], result
    rows = {r["id"]: r for r in dev.outbox()}
    assert rows[refused]["state"] == "refused" and rows[refused]["last_error"].startswith("revoked:")
    assert rows[kept]["state"] == "received"
    assert dev.pending() == [] and dev.status()["refused"] == 1
    again = sync_round(dev, client_for(dev))
    assert again.ok and again.failed == {} and again.accepted == again.duplicate == 0
    assert {r["id"]: r["attempts"] for r in dev.outbox()}[refused] == 1      # sent once, not in a loop
    # the CLI lists it with the office's reason
    out = cli(data, "outbox").stdout
    assert "refused" in out and "revoked" in out


def test_receipt_that_does_not_verify_keeps_the_report_waiting(phone):
    """Not every failure is a refusal: a receipt that fails verification (wrong office key,
    a MITM) keeps the report waiting, with its reason, for the next round."""
    dev, data, _ = phone
    file_reports(dev, 1)
    eid = dev.pending()[0].envelope_id
    dev.mark_failed(eid, "receipt_invalid", "bad signature")
    [row] = dev.outbox()
    assert row["state"] == "waiting" and row["last_error"].startswith("receipt_invalid")
    assert [i.envelope_id for i in dev.pending()] == [eid]


def test_failed_round_exits_non_zero_and_keeps_last_sync(office_server, phone):
    """Attack 5: `device sync` with the office down used to print ok: False, exit 0 and move
    "last synced". Now: `error [code]: ...`, non-zero, last sync and the outbox unchanged."""
    dev, data, _ = phone
    file_reports(dev, 1)
    ok = json.loads(cli(data, "--json", "sync").stdout)
    assert ok["ok"] and ok["received"] == 1
    before = dev.status()["last_sync"]
    assert before
    file_reports(dev, 1)
    office_server.stop()
    proc = cli(data, "sync", check=False)
    assert proc.returncode != 0
    assert proc.stderr.strip().splitlines()[-1].startswith("error [sync_failed]: ")
    st = dev.status()
    assert st["last_sync"] == before and st["outbox"] == 1
    assert dev.setting("last_sync_error") == "sync_failed"          # the outbox says why it waits
    # the app's "sync now" is the same path: it raises, and last sync stays
    with pytest.raises(JagaError) as exc:
        syncing.sync_now(data)
    assert exc.value.code == "sync_failed" and dev.status()["last_sync"] == before
    office_server.start()
    assert json.loads(cli(data, "--json", "sync").stdout)["ok"]
    assert dev.status()["last_sync"] != before and dev.setting("last_sync_error") == ""


def test_sync_loop_backoff_grows_caps_and_resets(office_server, phone):
    """SyncLoop.step on the real Device: with the office down each failed round doubles the
    delay up to the cap; a success waits `interval` and resets the back-off. Jitter is
    injected as 1.0, so the delays are exact; nothing sleeps."""
    dev, data, _ = phone
    file_reports(dev, 1)
    client = client_for(dev, timeout=(0.5, 1.0))
    loop = SyncLoop(dev, client, interval=60, min_backoff=2, max_backoff=16, jitter=lambda: 1.0)
    office_server.stop()
    assert [loop.step(dev) for _ in range(5)] == [2, 4, 8, 16, 16]
    assert not loop.last.ok and dev.status()["last_sync"] is None
    office_server.start()
    assert loop.step(dev) == 60 and loop.last.ok and states(dev) == {"received": 1}
    office_server.stop()
    assert [loop.step(dev) for _ in range(2)] == [2, 4]            # back-off restarted from the minimum
    # jitter stays inside the cap
    capped = SyncLoop(dev, client, min_backoff=10, max_backoff=12, jitter=lambda: 1.5)
    assert [capped.step(dev) for _ in range(3)] == [12, 12, 12]


def test_sync_loop_thread_waits_the_delays_step_chooses(office_server, phone):
    """The background thread sleeps exactly what step() chose (injected wait records it)."""
    dev, data, _ = phone
    office_server.stop()
    waits: list[float] = []
    loop = None

    def wait(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 4:
            loop.stop()

    loop = SyncLoop(lambda: Device(data), lambda d: client_for(d, timeout=(0.5, 1.0)), interval=60,
                    min_backoff=3, max_backoff=100, wait=wait, jitter=lambda: 1.0)
    loop.start()
    loop._thread.join(60)
    assert not loop._thread.is_alive() and waits == [3, 6, 12, 24] and loop.rounds == 4


def test_app_background_sync_is_the_sync_loop(phone, monkeypatch):
    """The app's background sync is sync.runner.SyncLoop (no second ad-hoc loop): it sends
    the outbox and records the round."""
    dev, data, _ = phone
    file_reports(dev, 2)
    monkeypatch.setattr(syncing, "_loop", None)
    loop = syncing.start_background(data, interval=0.2)
    try:
        assert isinstance(loop, SyncLoop) and syncing.start_background(data) is loop
        wait_until(lambda: states(dev) == {"received": 2} and dev.status()["last_sync"], 30,
                   "the background loop sending the outbox and recording the round")
        dev.set_setting("sync", "off")                 # switched off: rounds are skipped, not failed
        file_reports(dev, 1)
        rounds, steps = loop.rounds, len(loop.delays)
        wait_until(lambda: loop.trigger() or len(loop.delays) >= steps + 3, 30, "three skipped rounds")
        assert loop.rounds <= rounds + 1
        assert states(dev) == {"received": 2, "waiting": 1}
    finally:
        loop.stop()
        monkeypatch.setattr(syncing, "_loop", None)
    assert not any(t.name == "jaga-sync" and t.is_alive() for t in threading.enumerate())


def test_real_device_through_a_dropping_proxy_loses_and_duplicates_nothing(office_server, phone):
    """tests/sync/test_fault_injection.py, on the real Device: connections refused and cut
    mid-request/mid-response; sync rounds until the outbox is empty; the office holds every
    report exactly once with the exact bytes the phone sealed, and every report is received."""
    import hashlib

    from sqlalchemy import select

    from jaga_desa.testing.proxy import FaultProxy
    from office import db
    from office.schema import envelopes

    dev, data, _ = phone
    file_reports(dev, 120, photo=True)
    sent = {eid: hashlib.sha256(bytes(e)).hexdigest() for eid, e in
            dev.db.conn.execute("SELECT envelope_id, envelope FROM reports")}
    proxy = FaultProxy(office_server.port, refuse_rate=0.1, cut_after=3_000, seed=5)
    try:
        client = OfficeClient(proxy.url, token=dev.sync_token, timeout=(2.0, 10.0))
        wait_until(lambda: sync_round(dev, client, batch_size=10) and dev.pending_count() == 0, 120,
                   "the outbox to empty through the dropping proxy", every=0)
    finally:
        proxy.close()
    assert proxy.cuts > 3, proxy.stats
    print(f"proxy={proxy.stats}")
    assert states(dev) == {"received": 120}
    engine = db.make_engine(db.sqlite_url(office_server.data_dir))
    with engine.begin() as conn:
        held = conn.execute(select(envelopes.c.id, envelopes.c.sha256)).all()
    engine.dispose()
    assert len(held) == len({i for i, _ in held}) == 120 and dict(held) == sent


def test_real_device_against_an_office_on_postgresql(postgres_server, office_factory, tmp_path, monkeypatch):
    """The same rounds with the office on PostgreSQL: reports and a photo received, the head's
    review request arrives and the verdict goes out, a revoked author's report is refused."""
    monkeypatch.setenv("JAGA_KDF_SECONDS", "0.02")
    server = office_factory("pg-office", db_url=postgres_server("phone_real_device"))
    dev, data, people = make_phone(server, tmp_path / "phone")
    try:
        file_reports(dev, 3, photo=True)
        first = sync_round(dev, client_for(dev))
        assert first.ok and first.received == 3 and first.attachments == 1, first
        head = dev.unlock("Kades", HEAD_PIN)
        items = [i for i in dev.review_items(head) if i.get("ok")]
        assert len(items) == 3
        dev.review(head, items[0]["item_id"], "verified", "benar")
        server.admin(["revoke", "--person", people["Sari"]])
        [refused] = file_reports(dev, 1)
        second = sync_round(dev, client_for(dev))
        assert second.ok and second.reviews == 1 and list(second.failed.values()) == ["revoked"], second
        assert {r["id"]: r["state"] for r in dev.outbox()}[refused] == "refused"
        assert states(dev) == {"received": 3, "refused": 1} and dev.status()["last_sync"]
    finally:
        dev.close()


def test_backoff_is_capped_and_a_returning_network_ends_it_at_once(office_server, phone):
    """Issue 24 item 11: the app's back-off never exceeds 5 minutes (it reached ~45 min), and
    while it waits the loop asks the office's /health every `probe_every` seconds: the office
    answering again ends the wait at once, and `next_at` says when the next round is."""
    dev, data, _ = phone
    file_reports(dev, 1)
    assert syncing.MAX_BACKOFF <= 300
    waits: list[float] = []

    def wait(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 3:
            office_server.start()                 # the signal comes back during the third slice

    loop = SyncLoop(dev, lambda d: client_for(d, timeout=(0.5, 1.0)), interval=60, min_backoff=240,
                    max_backoff=syncing.MAX_BACKOFF, wait=wait, jitter=lambda: 1.5, probe_every=15)
    office_server.stop()
    delay = loop.step(dev)
    assert not loop.last.ok and delay == syncing.MAX_BACKOFF          # 240 x 1.5 capped at 300
    assert abs(loop.next_at - (time.time() + delay)) < 5
    loop._pause(dev, delay)
    assert waits == [15, 15, 15]                  # ended after the first probe that got an answer
    assert loop.step(dev) == 60 and loop.last.ok and states(dev) == {"received": 1}
