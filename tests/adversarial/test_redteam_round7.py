"""Red team, round 7: the phone's pipelined sync (sync/runner.py sends batch k+1 while it
verifies and purges batch k's receipts), the derive worker sharing the office with a stream
of pushes (office/derive/worker.py give-way), and what the office lets a village head or a
partner token count.

Each attack is run as the attacker would: a man in the middle on loopback
(jaga_desa.testing.rogue.Mitm) between the real `Device` and a real office (uvicorn), a
phone killed with SIGKILL in the middle of a round, enrolled phones pushing without pause
over HTTP. Tests of code not on main yet say which branch they need in their docstring."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading

import pytest
from sqlalchemy import select

from fieldapp.device import Device
from jaga_desa.testing.rogue import Mitm
from jaga_desa.testing.waits import wait_until
from office import db
from office.schema import envelopes
from sync import envelope as env
from sync import receipt as rc
from sync.client import OfficeClient
from sync.runner import sync_once
from tests.adversarial.test_redteam_round6 import opens  # noqa: F401 — the fixture: envelopes the office opens
from tests.conftest import ROOT
from tests.sync.test_sync_device import PIN, file_reports, make_phone

PUSH = "/api/v1/envelopes"
BATCH = 4          # reports per push: 13 reports are four overlapping batches


# ---------------------------------------------------------------- 1. the pipelined sync


def _sealed(dev: Device) -> dict[str, bytes]:
    """envelope id -> the exact bytes the phone sealed (kept to check receipts after purge)."""
    return {i.envelope_id: bytes(i.envelope) for i in dev.pending(1000)}


def _office_holds(server, ids) -> set[str]:
    engine = db.make_engine(db.sqlite_url(server.data_dir))
    try:
        return _office_holds_in(engine, list(ids))
    finally:
        engine.dispose()


def _assert_only_signed_reports_purged(dev: Device, server, sealed: dict[str, bytes]) -> None:
    """Every report the phone let go is one the office holds, and the receipt the phone kept
    for it verifies under the office key for exactly the bytes it sealed; every other one is
    still waiting with its envelope."""
    office_pub = env.load_public_ed25519(bytes(dev.office_sign_public))
    session = dev.unlock("Sari", PIN)
    rows = {r["envelope_id"]: r for r in dev.outbox() if r["envelope_id"] in sealed}
    assert set(rows) == set(sealed)                       # nothing lost on the phone either
    received = {e for e, r in rows.items() if r["status"] == "received"}
    assert received <= _office_holds(server, received), "the phone purged a report the office never got"
    for eid in received:
        wire = dev.receipt(session, rows[eid]["id"])
        assert wire is not None
        assert rc.verify(wire, office_pub, sealed[eid]).envelope_id == eid
    waiting = {i.envelope_id for i in dev.pending(1000)}
    assert waiting == {e for e, r in rows.items() if r["status"] == "sealed"}
    assert received | waiting == set(sealed)


def _honest_round_delivers_all(dev: Device, server, sealed: dict[str, bytes]) -> None:
    client = OfficeClient(server.url, token=dev.sync_token)
    try:
        result = sync_once(dev, client, batch_size=BATCH)
    finally:
        client.close()
    assert result.ok, result
    assert dev.pending_count() == 0
    assert _office_holds(server, sealed) == set(sealed)
    _assert_only_signed_reports_purged(dev, server, sealed)


class _Meddler:
    """The man in the middle's state: every push answer the office gave, in order; `how`
    decides what the phone gets for the `at`-th push instead (1-based)."""

    def __init__(self, how: str, at: int = 2) -> None:
        self.how, self.at, self.answers = how, at, []
        self.purged_first = threading.Event()
        self.dev_path = None

    def rewrite(self, method: str, path: str, body: dict):
        if method != "POST" or path != PUSH:
            return body
        self.answers.append(body)
        n = len(self.answers)
        if n != self.at:
            return body
        first = self.answers[0]
        if self.how == "replay_previous":           # batch k's receipts as the answer for batch k+1
            return first
        if self.how == "reversed":                   # the right receipts, in another order
            return {**body, "results": body["results"][::-1]}
        if self.how == "duplicated":                 # one result given for every item
            return {**body, "results": [body["results"][0]] * len(body["results"])}
        if self.how == "foreign_receipts":           # batch k's signed receipts under k+1's ids
            results = [{**r, "receipt": old.get("receipt")} for r, old in zip(body["results"], first["results"])]
            return {**body, "results": results, "batch": first.get("batch")}
        if self.how == "dropped":                    # the office committed; the phone hears garbage
            return 599, {}
        if self.how == "short":                      # fewer results than reports sent
            return {**body, "results": body["results"][:-1]}
        if self.how == "delayed":                    # held until the phone purged batch k meanwhile
            self.purged_first.wait(60)              # the test asserts it was set
            return body
        raise AssertionError(self.how)


def _purged(data, ids: list[str]) -> bool:
    import sqlite3
    with sqlite3.connect(data / "jaga.db") as conn:
        marks = ",".join("?" * len(ids))
        return conn.execute(f"SELECT COUNT(*) FROM reports WHERE status='received' AND envelope_id IN ({marks})",
                            ids).fetchone()[0] == len(ids)


@pytest.mark.parametrize("how", ["replay_previous", "reversed", "duplicated", "foreign_receipts", "dropped",
                                 "short", "delayed"])
def test_a_meddling_proxy_between_overlapping_batches_gets_no_unsigned_report_purged(office_server, tmp_path,
                                                                                     monkeypatch, how):
    """A man in the middle between the phone and the real office forwards every push, then
    answers the second one — sent while the phone still checks the first batch's receipts —
    with the first batch's receipts replayed, the right ones reversed or duplicated, the first
    batch's genuinely office-signed receipts paired with the second batch's ids, a 599 after
    the office committed, one result short, or held back until the phone has purged batch 1.
    The phone purges only reports whose receipt the office signed for exactly the bytes it
    sent; the rest wait, and one honest round later every report is at the office, once."""
    monkeypatch.setenv("JAGA_KDF_SECONDS", "0.02")
    dev, data, _ = make_phone(office_server, tmp_path / "phone")
    meddler = _Meddler(how)
    mitm = Mitm(office_server.url, rewrite=meddler.rewrite)
    try:
        file_reports(dev, 3 * BATCH + 1, photo=True)        # the first report carries a photo
        sealed = _sealed(dev)
        first = [i.envelope_id for i in dev.pending(BATCH)]
        if how == "delayed":
            def watch() -> None:
                wait_until(lambda: _purged(data, first), 60, "batch 1 purged")
                meddler.purged_first.set()
            threading.Thread(target=watch, daemon=True).start()
        client = OfficeClient(mitm.url, token=dev.sync_token)
        try:
            result = sync_once(dev, client, batch_size=BATCH)
        finally:
            client.close()
        assert len(meddler.answers) >= 2, "the proxy never saw a second batch"
        _assert_only_signed_reports_purged(dev, office_server, sealed)
        if how == "delayed":
            assert meddler.purged_first.is_set()         # batch 1 was purged while batch 2 travelled
            assert result.ok and result.received == len(sealed)
        else:
            assert not result.ok or result.failed, result
            assert result.received < len(sealed)
        _honest_round_delivers_all(dev, office_server, sealed)
    finally:
        mitm.close()
        dev.close()


_CHILD = """
import sys
from fieldapp.device import Device
from sync.client import OfficeClient
from sync.runner import sync_once
dev = Device(sys.argv[1])
sync_once(dev, OfficeClient(sys.argv[2], token=dev.sync_token), batch_size=int(sys.argv[3]))
print("round finished")
"""


@pytest.mark.parametrize("kill_at", [2, 3])
def test_a_phone_killed_mid_pipeline_loses_nothing_and_files_nothing_twice(office_server, tmp_path, monkeypatch,
                                                                           kill_at):
    """The phone's sync (its own process) is killed with SIGKILL the moment the office has
    committed batch `kill_at` — while the phone, in parallel, verifies and purges batch
    `kill_at` - 1. After the crash: every purged report's receipt is the office's for its
    exact bytes, the rest wait; the next round delivers them all, each once."""
    monkeypatch.setenv("JAGA_KDF_SECONDS", "0.02")
    dev, data, _ = make_phone(office_server, tmp_path / "phone")
    file_reports(dev, 3 * BATCH + 1)
    sealed = _sealed(dev)
    dev.close()
    child: dict = {}
    pushes: list[int] = []

    def rewrite(method, path, body):
        if method == "POST" and path == PUSH:
            pushes.append(1)
            if len(pushes) == kill_at:
                os.kill(child["proc"].pid, signal.SIGKILL)
        return body
    mitm = Mitm(office_server.url, rewrite=rewrite)
    dev = None
    try:
        child["proc"] = subprocess.Popen([sys.executable, "-c", _CHILD, str(data), mitm.url, str(BATCH)],
                                         env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT,
                                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        out, err = child["proc"].communicate(timeout=120)
        assert child["proc"].returncode == -signal.SIGKILL, (out, err)
        dev = Device(data)
        _assert_only_signed_reports_purged(dev, office_server, sealed)
        _honest_round_delivers_all(dev, office_server, sealed)
    finally:
        mitm.close()
        if dev is not None:
            dev.close()


# ---------------------------------------------------------------- 2. derive under a stream of pushes


FLOODERS = 3            # enrolled phones pushing without pause
FLOOD_BATCH = 20


def _sealer(person, form):
    """The phone's own sealing of one report (a fresh envelope each call)."""
    def seal(answers: dict) -> bytes:
        return env.seal({"answers": answers}, form_id=form.id, form_version=form.version, author_id=person.id,
                        device_id=person.device_id, signing_key=person.ed,
                        recipients=[person.office_x()]).envelope
    return seal


def _flooder(person, client, form, size: int, stop: threading.Event, pushed: dict, deferred: list,
             failures: list):
    """A thread body: `person`'s phone pushing `size`-report batches until `stop`, waiting out
    each 429 as a phone does; `pushed[device]` counts what the office accepted, `deferred` the
    codes of what it deferred."""
    seal = _sealer(person, form)

    def run() -> None:
        try:
            while not stop.is_set():
                try:
                    results = client.push([seal(form.example()) for _ in range(size)])
                except Exception as exc:          # noqa: BLE001 — 429 rate_limited: wait, as a phone would
                    if getattr(exc, "code", None) != "rate_limited":
                        raise
                    stop.wait(0.5)
                    continue
                assert {r["status"] for r in results} <= {"accepted", "deferred"}, results[:1]
                deferred.extend(r["code"] for r in results if r["status"] == "deferred")
                pushed[person.device_id] = pushed.get(person.device_id, 0) + sum(
                    r["status"] == "accepted" for r in results)
        except BaseException as exc:              # noqa: BLE001 — reported by the test
            failures.append(exc)
    return threading.Thread(target=run, daemon=True)


def _oldest_job_age(engine) -> float:
    """Seconds since the oldest queued derive job was made (0 when the queue is empty): the
    derive lag a DARURAT alert or webhook waits behind."""
    from office import clock
    from office.derive.schema import derive_jobs
    from sqlalchemy import func
    with db.reading(engine) as conn:
        oldest = conn.execute(select(func.min(derive_jobs.c.created_at))).scalar_one()
    return 0.0 if oldest is None else (clock.now() - clock.parse(oldest)).total_seconds()


def _jobs_for(engine, eid: str) -> int:
    from office.derive.schema import derive_jobs
    from sqlalchemy import func
    with db.reading(engine) as conn:
        return conn.execute(select(func.count()).select_from(derive_jobs)
                            .where(derive_jobs.c.envelope_id == eid)).scalar_one()


def test_phones_pushing_without_pause_never_keep_derive_from_a_report(office_server):
    """Three enrolled phones push batch after batch over HTTP with no pause at all, for as
    long as the test lets them. In the middle of that flood a fourth phone files one report:
    the office's own derive worker (in the office process, give-way) must derive it — every
    consumer, early warning and webhooks included — while the flood is still running, not
    only once the pushes stop. The lag seen along the way is printed (the figure a DARURAT
    webhook waits behind)."""
    import forms
    from tests.support import enroll
    office_server.admin(["add-village", "--name", "Entikong", "--region", "Sanggau"])
    form = forms.load("laporan_kecurigaan")
    phones = [enroll(office_server, "Entikong", "volunteer", f"Penyusup {i}") for i in range(FLOODERS + 1)]
    stop = threading.Event()
    pushed: dict[str, int] = {}
    deferred: list[str] = []
    failures: list[BaseException] = []
    threads = [_flooder(p, c, form, FLOOD_BATCH, stop, pushed, deferred, failures) for p, c in phones[:FLOODERS]]
    engine = db.make_engine(db.sqlite_url(office_server.data_dir))
    lags: list[float] = []
    try:
        for t in threads:
            t.start()
        wait_until(lambda: sum(pushed.values()) >= 5 * FLOOD_BATCH * FLOODERS or failures, 120,
                   "the flood to get going")
        target_person, target_client = phones[-1]
        [res] = target_client.push([_sealer(target_person, form)(form.example())])
        assert res["status"] == "accepted"
        before = sum(pushed.values())

        def derived() -> bool:
            lags.append(_oldest_job_age(engine))
            assert not failures, failures
            return _jobs_for(engine, res["envelope_id"]) == 0
        wait_until(derived, 240, "derive to reach the report filed mid-flood", every=0.5)
        flooding = all(t.is_alive() for t in threads) and not stop.is_set()
        during = sum(pushed.values()) - before
    finally:
        stop.set()
        for t in threads:
            t.join(60)
        engine.dispose()
    assert not failures, failures
    print(f"\nflood: {sum(pushed.values())} reports pushed; {during} of them while the target waited; "
          f"derive lag max {max(lags):.1f} s, last {lags[-1]:.1f} s over {len(lags)} looks")
    assert flooding and during > 0, "the flood stopped before derive reached the report"


BACKLOG = 300           # JAGA_PHONE_DERIVE_BACKLOG for the bounded-lag test: reports of one phone
                        # the office lets wait for derive before it defers that phone's pushes


def _waiting_by_phone(engine) -> dict[str, int]:
    """device id -> its reports still queued for derive (any consumer)."""
    from office.derive.schema import derive_jobs
    from sqlalchemy import func
    with db.reading(engine) as conn:
        rows = conn.execute(select(envelopes.c.device_id, func.count(func.distinct(derive_jobs.c.envelope_id)))
                            .join(envelopes, envelopes.c.id == derive_jobs.c.envelope_id)
                            .group_by(envelopes.c.device_id)).all()
    return {d: n for d, n in rows}


def test_a_flood_from_enrolled_phones_cannot_grow_the_derive_backlog_without_bound(tmp_path):
    """Four enrolled phones push 100-report batches as fast as the office's per-phone rate
    lets them (30 pushes a minute each: 12,000 reports a minute — about twice what derive
    settles). On main before this round the backlog, and with it the lag every DARURAT
    webhook and early-warning signal waits behind, grew for as long as the flood lasted
    (measured: 42 s behind after a 36 s flood, still growing). The office must bound it:
    a phone with JAGA_PHONE_DERIVE_BACKLOG reports waiting for derive is deferred (the
    phone keeps them: `deferred` / `rate_limited`, nothing refused, nothing lost) — so no
    phone ever has more than that plus one push waiting — while a quiet phone's report in the
    middle of the flood is accepted at once and derived before the flood ends."""
    import forms
    from jaga_desa.testing.servers import OfficeServer
    from tests.support import enroll
    server = OfficeServer(tmp_path / "office", env={"JAGA_PHONE_DERIVE_BACKLOG": str(BACKLOG)}).start()
    engine = db.make_engine(db.sqlite_url(server.data_dir))
    stop = threading.Event()
    pushed: dict[str, int] = {}
    deferred: list[str] = []
    failures: list[BaseException] = []
    worst: dict[str, int] = {}
    threads: list[threading.Thread] = []
    try:
        server.admin(["add-village", "--name", "Entikong", "--region", "Sanggau"])
        form = forms.load("laporan_kecurigaan")
        phones = [enroll(server, "Entikong", "volunteer", f"Penyusup {i}") for i in range(5)]
        threads = [_flooder(p, c, form, 100, stop, pushed, deferred, failures) for p, c in phones[:4]]
        for t in threads:
            t.start()

        def look() -> dict[str, int]:
            assert not failures, failures
            now = _waiting_by_phone(engine)
            for d, n in now.items():
                worst[d] = max(worst.get(d, 0), n)
            return now
        wait_until(lambda: sum(pushed.values()) >= 3000 and look() is not None, 180, "the flood to get going",
                   every=0.2)
        quiet_person, quiet_client = phones[-1]
        [res] = quiet_client.push([_sealer(quiet_person, form)(form.example())])
        assert res["status"] == "accepted", res                 # a quiet phone is never deferred
        wait_until(lambda: look() is not None and _jobs_for(engine, res["envelope_id"]) == 0, 240,
                   "derive to reach the quiet phone's report", every=0.2)
        flooding = all(t.is_alive() for t in threads)
        wait_until(lambda: look() is not None and sum(pushed.values()) >= 6000, 240, "a long flood", every=0.2)
    finally:
        stop.set()
        for t in threads:
            t.join(60)
        engine.dispose()
        server.stop()
    assert not failures, failures
    print(f"\nflood: {sum(pushed.values())} reports accepted, {len(deferred)} deferred; "
          f"most waiting for derive per phone: {sorted(worst.values())}")
    assert flooding, "the flood stopped before derive reached the quiet phone's report"
    assert set(deferred) <= {"rate_limited"}, set(deferred)
    assert max(worst.values()) <= BACKLOG + 100, worst       # the bound, plus the one push let in under it


# ---------------------------------------------------------------- 3. what leaves the office about a rahasia report


def test_the_partner_webhook_never_counts_a_rahasia_report(tmp_path):
    """Two volunteers in two villages (two regions) file RAHASIA reports naming the same
    calo's phone: early warning links them (staff see that signal). The office's webhook
    partner — a system outside Immigration, like a partner API token without the rahasia
    grant — must learn nothing of them: no signal made only of rahasia reports is sent, and
    when an ordinary report later joins the lead, what is sent counts that report and its
    village only (not the rahasia ones nor theirs)."""
    import json
    from jaga_desa.testing.servers import OfficeServer
    from office.warning.schema import warn_signal_reports, warn_signals
    import forms
    from tests.support import enroll
    from tests.warning.test_webhook import SECRET, Receiver
    form = forms.load("laporan_kecurigaan")
    rx = Receiver()
    server = OfficeServer(tmp_path / "office", env={"JAGA_WEBHOOK_URL": rx.url,
                                                    "JAGA_WEBHOOK_SECRET": SECRET.decode()}).start()
    engine = db.make_engine(db.sqlite_url(server.data_dir))
    try:
        server.admin(["add-village", "--name", "Entikong", "--region", "Sanggau"])
        server.admin(["add-village", "--name", "Badau", "--region", "Kapuas Hulu"])
        server.admin(["add-village", "--name", "Aruk", "--region", "Sambas"])
        people = {v: enroll(server, v, "volunteer", f"Relawan {v}") for v in ("Entikong", "Badau", "Aruk")}

        def file(village: str, phone: str, rahasia: bool) -> str:
            person, client = people[village]
            answers = form.example()
            answers["terlibat"] = [{"peran": "calo", "nama": "Bang Jago", "telepon": phone}]
            answers["tempat"] = f"Rumah {village}"
            sealed = person.report(answers=answers, rahasia=rahasia, form_version=form.version)
            [res] = client.push([sealed.envelope])
            assert res["status"] == "accepted", res
            return sealed.envelope_id

        secret = [file("Entikong", "0813 7777 0101", True), file("Badau", "0813 7777 0101", True)]
        server.derived()
        with db.reading(engine) as conn:     # staff do see the lead the two rahasia reports make
            linked = set(conn.execute(select(warn_signal_reports.c.envelope_id)).scalars())
        assert set(secret) <= linked
        # a lead of ordinary reports: its delivery shows the webhook pass has run after the rahasia one
        file("Entikong", "0813 5555 0202", False)
        file("Badau", "0813 5555 0202", False)
        server.derived()
        wait_until(lambda: rx.got, 60, "the ordinary lead's webhook")
        ordinary = file("Aruk", "0813 7777 0101", False)              # joins the rahasia pair's lead
        server.derived()

        def delivered_all() -> bool:
            with db.reading(engine) as conn:
                return not conn.execute(select(warn_signals.c.id).where(warn_signals.c.delivered.is_(False),
                                                                        warn_signals.c.status != "merged")).first()
        wait_until(delivered_all, 60, "every signal delivered")
        with db.reading(engine) as conn:
            aruk = conn.execute(select(envelopes.c.village_id).where(envelopes.c.id == ordinary)).scalar_one()
            secret_villages = set(conn.execute(select(envelopes.c.village_id)
                                               .where(envelopes.c.id.in_(secret))).scalars())
            joined = conn.execute(select(warn_signal_reports.c.signal_id)
                                  .where(warn_signal_reports.c.envelope_id == ordinary)).scalars().all()
            holding_secret = set(conn.execute(select(warn_signal_reports.c.signal_id)
                                              .where(warn_signal_reports.c.envelope_id.in_(secret))).scalars())
    finally:
        engine.dispose()
        server.stop()
        rx.close()
    bodies = [json.loads(b) for b, _ in rx.got]
    print("\nwebhook bodies:", [(b["signal_id"], b["rule"], b["reports"], b["village_ids"]) for b in bodies])
    assert joined, "the ordinary report did not join the rahasia pair's lead"
    assert set(joined) <= holding_secret and secret_villages.isdisjoint({aruk})
    for b in bodies:
        if b["signal_id"] in holding_secret:      # only ever sent for the ordinary report, and as it alone
            assert b["reports"] == 1 and b["village_ids"] == [aruk], b
            assert "2 " not in b["explanation"]["en"] and "3 " not in b["explanation"]["en"], b["explanation"]
    sent = {b["signal_id"] for b in bodies}
    assert set(joined) & sent, "the lead an ordinary report joined never reached the partner"


# ---------------------------------------------------------------- 4. the ring writer, batch against one at a time


def _ring_reports(keys, people, form) -> list:
    """(volunteer, sealed) crafted against a set-based ring writer: one report naming one
    phone twice (two spellings) and a report elsewhere with it; "empty" phones everywhere
    ("-", "0", blanks) that must link nobody; a hot phone held by exactly PAIR_CAP reports
    and then one more; a rare name with the same role in three villages; a rahasia report in
    the hot ring."""
    from office.warning.rings import PAIR_CAP
    out = []

    def add(i: int, people_named: list[dict], *, rahasia: bool = False) -> None:
        answers = form.example()
        answers["terlibat"] = people_named
        answers["tempat"] = f"Tempat {i}"
        answers["apa_dilihat"] = f"Laporan uji {i}"
        out.append((people[i % len(people)], _seal_for(keys, people[i % len(people)], form, answers, rahasia)))
    twice = "0812 1111 2222"
    add(0, [{"peran": "calo", "telepon": twice}, {"peran": "sopir", "telepon": "+62 812-1111-2222"}])
    add(1, [{"peran": "calo", "telepon": twice}])
    for i, blank in enumerate(["   ", "+0000000", "00000000", "0000000000000", "00000000", "+0000000"]):
        add(i, [{"peran": "calo", "telepon": blank, "nama": "tidak tahu"}])     # the form takes each
    for i in range(PAIR_CAP + 1):
        add(i, [{"peran": "tekong", "telepon": "0813 4444 5555"}], rahasia=i == 7)
    for i in range(3):
        add(i, [{"peran": "penampung", "nama": "Hj. Kolondam Saparuddin"}])
    return out


def _seal_for(keys, who, form, answers: dict, rahasia: bool):
    return env.seal({"answers": answers, "rahasia": rahasia}, form_id=form.id, form_version=form.version,
                    author_id=who.person_id, device_id=who.device_id, signing_key=who.signing,
                    recipients=[keys.x25519.public_key()])


def test_the_ring_writer_links_a_batch_exactly_as_one_report_at_a_time(tmp_path):
    """Crafted reports (a phone named twice in one report, blank phones, a phone held by
    exactly PAIR_CAP reports and one more, a rare name with one role in three villages, a
    rahasia report in the hot ring) pushed in one batch and derived in one batch raise exactly
    the signals — rule, key, region, detail, member reports — that deriving them again one
    report at a time raises: a set-based rule neither misses a link nor makes one twice."""
    import forms
    from office import enrollment, keys as office_keys, opening
    from office.derive import worker
    from office.derive.rebuild import rebuild
    from office.ingest import ingest_batch
    from office.rollup.volunteer import Volunteer
    from office.warning.schema import warn_signal_reports, warn_signals
    from tests.adversarial.test_redteam_round5 import _signals
    from tests.conftest import TEST_OFFICE_KEY
    opening.keep_for_derive(False)
    keys = office_keys.load_or_create(tmp_path, TEST_OFFICE_KEY)
    engine = db.open_store(tmp_path)
    try:
        with engine.begin() as conn:
            villages = [enrollment.add_village(conn, f"Desa {i}", ["Sanggau", "Kapuas Hulu", "Sambas"][i % 3])
                        for i in range(6)]
        people = [Volunteer.enrol(engine, v, f"Relawan {v}") for v in villages]
        form = forms.load("laporan_kecurigaan")
        sealed = _ring_reports(keys, people, form)
        for who in people:
            mine = [s.envelope for w, s in sealed if w is who]
            with engine.begin() as conn:
                got = ingest_batch(conn, mine, device_id=who.device_id, keys=keys)
            assert {o["status"] for o in got} == {"accepted"}, got
        worker.exhaust(engine, keys)                          # one batch: every report at once
        batched = _signals(engine)
        with engine.begin() as conn:
            conn.execute(warn_signal_reports.delete())
            conn.execute(warn_signals.delete())
        rebuild(engine, "early_warning")
        worker.exhaust(engine, keys, batch=1)                 # one report a batch
        single = _signals(engine)
    finally:
        engine.dispose()
    rules = sorted(s[0] for s in batched)
    print("\nsignals:", [(s[0], len(s[4])) for s in batched])
    assert "same_identifier" in rules, batched
    assert max(len(s[4]) for s in batched) >= 51, batched      # the hot ring, every holder in it
    # a ring's key names the ring as it was first raised (its first link): the same ring
    # raised in another order may carry another; everything else must be equal
    assert sorted((r, reg, d, m) for r, _, reg, d, m in single) == sorted((r, reg, d, m) for r, _, reg, d, m in batched)


# ---------------------------------------------------------------- 5. name matching: precision


def test_a_neighbour_sharing_a_ring_agents_common_name_is_not_pulled_into_the_ring(tmp_path):
    """An office of 1,000 calo names in which "Budi Santoso" is one name in 200 (each first
    name × surname about five times). A real ring: two villages' reports give the same phone
    for a calo named Budi Santoso. Then a volunteer of the ring's first village reports
    another calo, a neighbour also called Budi Santoso — no phone, only the role in common.
    A village names its own people again and again: the ring's own report from that village
    is no independent evidence that this is the same man, so with one other village behind
    the name the neighbour must not join the ring (recall5: "a ring village naming the ring's
    agent again counts" linked 5-6 of 8 such neighbours; main links none)."""
    import datetime as dt
    from sqlalchemy import insert
    from office import keys as office_keys
    from office.schema import villages
    from tests.warning.conftest import T0
    from tests.warning.test_engine import calo, calo_names, report, run, signals
    engine = db.open_store(tmp_path)
    keys = office_keys.load_or_create(tmp_path, "kata-sandi-kantor")
    office = (engine, keys)
    try:
        with engine.begin() as conn:
            conn.execute(insert(villages), [{"id": i, "name": f"Desa {i}", "region": "Sanggau"} for i in range(1, 41)])
        calo_names(office, T0 - dt.timedelta(days=20))
        a = report(1, T0, **calo(nama="Budi Santoso", telepon="0812 9999 1111"))
        b = report(2, T0 + dt.timedelta(hours=5), **calo(nama="Budi Santoso", telepon="0812 9999 1111"))
        run(office, [a])
        run(office, [b])
        [ring] = [s for s in signals(office, "same_identifier") if a.envelope_id in s["envs"]]
        assert ring["envs"] == {a.envelope_id, b.envelope_id}
        neighbour = report(1, T0 + dt.timedelta(days=1), **calo(nama="Budi Santoso"))
        run(office, [neighbour])
        [ring] = [s for s in signals(office, "same_identifier") if a.envelope_id in s["envs"]]
    finally:
        engine.dispose()
    assert neighbour.envelope_id not in ring["envs"], ring["detail"]


# ---------------------------------------------------------------- 6. the overview's counts and a region's grant


def test_the_overview_counts_no_report_of_another_region_by_any_search_form(tmp_path):
    """(search3: the overview's charts in one statement, and a search answered by set, walk
    or probe chosen by cost.) Reports in Entikong (Sanggau) and Badau (Kapuas Hulu) share
    words; a Sanggau analyst's overview — with no search, a word both regions hold, a word only
    Badau's reports hold, and a narrowed filter (one village, where the probe form answers) —
    never names Badau nor counts its reports: the by-village chart names Entikong only, and
    a word only Badau holds draws no bar at all."""
    import forms
    from tests.support import enroll
    from tests.warning.conftest import login, staffed_office
    server = staffed_office(tmp_path / "office")
    try:
        form = forms.load("laporan_kecurigaan")
        ids = {}
        for village, n, word in (("Entikong", 6, "kelapa"), ("Badau", 9, "rambutan")):
            person, client = enroll(server, village, "volunteer", f"Relawan {village}")
            for i in range(n):
                answers = form.example()
                answers["apa_dilihat"] = f"Tawaran kerja sawit {word} nomor {i}"
                sealed = person.report(answers=answers, form_version=form.version, rahasia=i == 0)
                assert client.push([sealed.envelope])[0]["status"] == "accepted"
            client.close()
            ids[village] = n
        server.derived()
        whole = login(server, "admin").get(server.url + "/dashboard/overview", params={"q": "sawit"}, timeout=60)
        assert "Badau" in whole.text                        # the page does show Badau to whom it may
        assert max(int(n) for n in re.findall(r'class="num">(\d+)<', whole.text)) == sum(ids.values())
        s = login(server, "intel_sgu")
        for params in ({}, {"q": "sawit"}, {"q": "sawit kerja"}, {"q": "rambutan"}, {"q": "sawit", "village": "1"},
                       {"q": "rambutan", "village": "2"}, {"q": "sawit", "village": "2"}):
            page = s.get(server.url + "/dashboard/overview", params=params, timeout=60)
            assert page.status_code in (200, 400), (params, page.status_code)
            assert "Badau" not in page.text, params
            counts = [int(n) for n in re.findall(r'class="num">(\d+)<', page.text)]
            if params.get("q") == "rambutan" or params.get("village") == "2":
                assert counts == [], (params, counts)             # only Badau holds it: no bar at all
            else:
                assert counts and max(counts) == ids["Entikong"], (params, counts)    # Entikong's six, never 15
    finally:
        server.stop()


def test_a_phone_at_its_derive_backlog_is_deferred_unopened_and_taken_once_derive_catches_up(tmp_path, opens):  # noqa: F811
    """The door's bound, without HTTP: a phone whose reports waiting for derive reach the
    backlog gets every new report `deferred` / `rate_limited` — none opened (no decryption
    spent on it), none stored, a replay of a stored one still answered with its receipt — while
    another phone is taken; once derive has caught up, the deferred reports go in."""
    import forms
    from office import keys as office_keys, opening
    from office.derive import worker
    from office.ingest import ingest_batch
    from tests.conftest import TEST_OFFICE_KEY
    from tests.office.test_derive import _volunteers
    opening.keep_for_derive(False)
    keys = office_keys.load_or_create(tmp_path, TEST_OFFICE_KEY)
    engine = db.open_store(tmp_path)
    try:
        alice, bob = _volunteers(engine)[:2]
        form = forms.load("laporan_kecurigaan")

        def push(who, sealed) -> list[dict]:
            with engine.begin() as conn:
                return ingest_batch(conn, [s.envelope for s in sealed], device_id=who.device_id, keys=keys,
                                    backlog=3)
        first = [_seal_for(keys, alice, form, form.example(), False) for _ in range(3)]
        assert {r["status"] for r in push(alice, first)} == {"accepted"}
        opens.clear()
        more = [_seal_for(keys, alice, form, form.example(), False) for _ in range(2)]
        got = push(alice, more + first[:1])
        assert [(r["status"], r.get("code")) for r in got[:2]] == [("deferred", "rate_limited")] * 2
        assert got[2]["status"] == "duplicate" and got[2]["receipt"]
        assert opens == []                                   # nothing decrypted for a deferred phone
        assert _office_holds_in(engine, [s.envelope_id for s in more]) == set()
        assert [r["status"] for r in push(bob, [_seal_for(keys, bob, form, form.example(), False)])] == ["accepted"]
        worker.exhaust(engine, keys)
        assert {r["status"] for r in push(alice, more)} == {"accepted"}
    finally:
        engine.dispose()


def _office_holds_in(engine, ids: list[str]) -> set[str]:
    with db.reading(engine) as conn:
        return set(conn.execute(select(envelopes.c.id).where(envelopes.c.id.in_(ids))).scalars())
