"""Store, then derive: the push stores and queues; the derive worker computes search terms,
early-warning links and signals afterwards, from what was stored — durably (kill -9 at any
point loses nothing and derives nothing twice), idempotently, rebuildable, with failures
retried on a back-off and shown by `office status`. On SQLite and on PostgreSQL."""
from __future__ import annotations

import datetime as dt
import io
import os
import random
import signal
import subprocess
from collections import Counter
from contextlib import redirect_stdout

import pytest
from sqlalchemy import func, select

import forms
from jaga_desa.testing.derive import drain
from jaga_desa.testing.servers import JAGA
from jaga_desa.testing.waits import wait_until
from office import clock, db, enrollment, keys as office_keys
from office.cli import main as office_cli
from office.dashboard import derived, search_index
from office.dashboard.schema import dash_reports
from office.derive import queue, registry, worker
from office.derive.rebuild import rebuild
from office.derive.schema import derive_jobs
from office.ingest import ingest_batch
from office.rollup.volunteer import Volunteer
from office.warning.schema import warn_links, warn_name_stats, warn_signal_reports, warn_signals
from sync import envelope as env
from tests.conftest import TEST_OFFICE_KEY



@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    """(engine, keys, data dir, url) of a fresh office store on each database."""
    url = request.getfixturevalue("postgres_server")(f"derive_{request.node.name[:20].lower()}"
                                                      .replace("[", "_").replace("]", "").replace("-", "_")) \
        if request.param == "postgresql" else None
    keys = office_keys.load_or_create(tmp_path, TEST_OFFICE_KEY)
    engine = db.open_store(tmp_path, url)
    yield engine, keys, tmp_path, url
    engine.dispose()


def _volunteers(engine, villages=("Entikong", "Badau")) -> list[Volunteer]:
    with engine.begin() as conn:
        ids = [enrollment.add_village(conn, name, "Sanggau") for name in villages]
    return [Volunteer.enrol(engine, v, f"Relawan {name}") for v, name in zip(ids, villages)]


def push(engine, keys, n: int, batch: int = 50) -> list[str]:
    """`n` reports (the form's example: a calo's phone number) from two villages, pushed
    through the real ingest in batches; returns their ids."""
    form = forms.load("laporan_kecurigaan")
    people = _volunteers(engine)
    ids = []
    for k in range(0, n, batch):
        for who in people:
            sealed = []
            for i in range(k, min(n, k + batch), len(people)):
                answers = form.example()
                answers["apa_dilihat"] = f"Laporan nomor {i}: tawaran kerja sawit"
                sealed.append(env.seal({"answers": answers}, form_id=form.id, form_version=form.version,
                                       author_id=who.person_id, device_id=who.device_id, signing_key=who.signing,
                                       recipients=[keys.x25519.public_key()]))
            with engine.begin() as conn:
                out = ingest_batch(conn, [s.envelope for s in sealed], device_id=who.device_id, keys=keys)
            assert {o["status"] for o in out} == {"accepted"}, out[:2]
            ids += [s.envelope_id for s in sealed]
    return ids


def count(engine, table) -> int:
    with db.reading(engine) as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def snapshot(engine) -> dict:
    """Everything derived, as multisets (a row written twice shows as a count of 2)."""
    with db.reading(engine) as conn:
        return {"terms": Counter(conn.execute(select(search_index.dash_search.c.envelope_id)).scalars()),
                "links": Counter(conn.execute(select(warn_links.c.envelope_id, warn_links.c.kind,
                                                     warn_links.c.key)).all()),
                "signals": Counter(conn.execute(select(warn_signals.c.rule, warn_signals.c.key)).all()),
                "signal_reports": count(engine, warn_signal_reports)}


def test_the_push_stores_and_queues_the_worker_derives(store):
    engine, keys, _, _ = store
    ids = push(engine, keys, 20, batch=10)
    # the receipt's promise is kept at once: stored, filter row (inbox, filters, DARURAT)
    assert count(engine, dash_reports) == 20
    # nothing derived inside the push: one job per report and consumer, queued
    assert count(engine, search_index.dash_search) == 0 and count(engine, warn_links) == 0
    assert count(engine, derive_jobs) == 20 * len(registry.names())
    assert drain(engine, keys) == 20 * len(registry.names())
    assert count(engine, derive_jobs) == 0
    with db.reading(engine) as conn:
        assert search_index.indexed(conn) == set(ids)
        phone = conn.execute(select(warn_signals.c.rule, warn_signals.c.detail)
                             .where(warn_signals.c.rule == "same_identifier")).all()
    assert phone, "the calo's phone number in two villages is a signal once derived"


def test_derive_is_idempotent_and_rebuild_restores_each_store(store):
    engine, keys, _, _ = store
    ids = push(engine, keys, 12, batch=6)
    drain(engine, keys)
    first = snapshot(engine)
    assert first["terms"] and first["links"] and first["signals"]
    with engine.begin() as conn:            # every job again, as after a crash or a retry
        queue.enqueue(conn, ids)
    drain(engine, keys)
    assert snapshot(engine) == first
    with engine.begin() as conn:            # a derived store damaged or dropped
        search_index.forget(conn, ids[:5])
        conn.execute(warn_links.delete())
    assert rebuild(engine, "search") == 12 and rebuild(engine, "early_warning") == 12
    drain(engine, keys)
    assert snapshot(engine) == first


def name_stats(engine) -> dict[str, int]:
    with db.reading(engine) as conn:
        return {k: n for k, n in conn.execute(select(warn_name_stats.c.key, warn_name_stats.c.n)) if n}


def test_deriving_again_never_counts_a_name_twice(store):
    """The name statistics (how rare a name is decides whether it links) stay those of one
    clean derivation when every report is derived again (a retry) and after a rebuild; the
    early-warning consumer counted every name once more each time (issue 25)."""
    engine, keys, _, _ = store
    ids = push(engine, keys, 12, batch=6)
    drain(engine, keys)
    first = name_stats(engine)
    assert first["*"] == 12, "each report names one person (Pak Udin, calo)"
    assert first["*d"] == 6, "... counted at most three times in each of the two villages (rings._distinct)"
    with engine.begin() as conn:            # every job again, as after a crash or a retry
        queue.enqueue(conn, ids[:5])
    drain(engine, keys)
    assert name_stats(engine) == first
    assert rebuild(engine, "early_warning") == 12
    drain(engine, keys)
    assert name_stats(engine) == first


def _status(data, url) -> tuple[int, str]:
    out = io.StringIO()
    with redirect_stdout(out):
        rc = office_cli(["office", "status", "--data", str(data)] + (["--db", url] if url else []))
    return rc, out.getvalue()


def test_a_failing_consumer_backs_off_shows_in_status_and_costs_no_other(store):
    engine, keys, data, url = store
    calls = []

    def broken(conn, keys, items, now):
        calls.append(len(items))
        raise RuntimeError("consumer bug")
    registry.register(registry.Consumer("broken_test", broken))
    try:
        push(engine, keys, 4, batch=4)
        drain(engine, keys)
        assert calls == [4, 1, 1, 1, 1]          # the batch, then report by report
        with db.reading(engine) as conn:
            failed = conn.execute(select(derive_jobs).where(derive_jobs.c.consumer == "broken_test")).mappings().all()
        assert len(failed) == 4 and {j["attempts"] for j in failed} == {1}
        assert all(j["error"].startswith("RuntimeError: consumer bug") for j in failed)
        assert min(j["due_at"] for j in failed) > clock.iso(clock.now())      # backed off
        assert count(engine, search_index.dash_search) > 0          # the other consumers committed
        rc, text = _status(data, url)
        assert rc == 1 and "broken_test: 4 queued, 4 failing" in text and "consumer bug" in text
        later = clock.now() + worker.backoff(1) + dt.timedelta(seconds=1)
        assert worker.run_once(engine, keys, now=later) == 4          # retried once due
        with db.reading(engine) as conn:
            assert set(conn.execute(select(derive_jobs.c.attempts)).scalars()) == {2}
    finally:
        registry._registered.pop("broken_test")
    with engine.begin() as conn:
        conn.execute(derive_jobs.delete().where(derive_jobs.c.consumer == "broken_test"))
    assert _status(data, url) == (0, "derive: nothing queued\n")


def test_the_cli_rebuilds_by_name_and_refuses_an_unknown_one(store, capsys):
    engine, keys, data, url = store
    push(engine, keys, 4, batch=4)
    where = ["--data", str(data)] + (["--db", url] if url else [])
    assert office_cli(["office", "derive", *where, "--once"]) == 0
    assert capsys.readouterr().out.strip() == f"derived {4 * len(registry.names())} jobs"
    assert office_cli(["office", "rebuild-derived", *where, "--consumer", "nope"]) == 1
    assert capsys.readouterr().err.startswith("error [not_found]: no derive consumer 'nope'")
    assert office_cli(["office", "rebuild-derived", *where, "--consumer", "search"]) == 0
    assert capsys.readouterr().out.strip() == "rebuilt search: 4 reports queued, 4 jobs derived"


def found(engine, keys, q: str) -> set[str]:
    """The dashboard's own search (queries.list_reports) for `q`, as an admin sees it."""
    from office.dashboard.queries import Filters, list_reports
    with db.reading(engine) as conn:
        rows, _ = list_reports(conn, {"id": 1, "role": "admin"}, Filters(q=q), limit=200, keys=keys)
    return {r["envelope_id"] for r in rows}


def test_a_report_derived_again_keeps_no_old_search_words(store):
    """Derived again with other words (a form whose words changed, an indexer fixed), a
    report is found by its new words only: the search consumer replaces, never adds."""
    from office.derive.consumers import search
    engine, keys, _, _ = store
    ids = push(engine, keys, 4, batch=4)
    drain(engine, keys)
    assert found(engine, keys, "tawaran sawit") == set(ids)
    with db.reading(engine) as conn:
        item = worker._open(conn, keys, {ids[0]})[ids[0]]
    item.payload["answers"]["apa_dilihat"] = "Perahu menjemput enam orang di muara"
    with engine.begin() as conn:
        search.CONSUMER.derive(conn, keys, [item], clock.now())
    assert found(engine, keys, "tawaran") == set(ids[1:])
    assert found(engine, keys, "muara perahu") == {ids[0]}
    assert found(engine, keys, "muara tawaran") == set()
    with engine.begin() as conn:            # and one that can no longer be opened has no words at all
        search.CONSUMER.derive(conn, keys, [registry.Stored(ids[1], 1, "laporan_kecurigaan", 1, "", False, None)],
                               clock.now())
    assert found(engine, keys, "tawaran") == set(ids[2:])
    with engine.begin() as conn:            # the index itself holds no token of the old words
        assert search_index.indexed(conn) == set(ids) - {ids[1]}
        held = search_index.held(conn)
    assert set(held) == set(ids) - {ids[1]} and held[ids[0]] == search.tokens(keys, item)


def test_one_report_that_breaks_a_consumer_holds_up_no_other(store):
    engine, keys, _, _ = store
    poison = []

    def picky(conn, keys, items, now):
        if any(i.envelope_id in poison for i in items):
            raise ValueError("this report breaks me")
        search_index.replace(conn, {i.envelope_id: ["0" * 32] for i in items})
    registry.register(registry.Consumer("picky_test", picky))
    try:
        ids = push(engine, keys, 6, batch=6)
        poison.append(sorted(ids)[2])
        drain(engine, keys)
    finally:
        registry._registered.pop("picky_test")
    with db.reading(engine) as conn:
        done = search_index.holding(conn, "0" * 32)
        left = conn.execute(select(derive_jobs.c.envelope_id, derive_jobs.c.attempts)
                            .where(derive_jobs.c.consumer == "picky_test")).all()
    assert done == set(ids) - set(poison) and left == [(poison[0], 1)]


@pytest.mark.parametrize("workers", [1, 2])
def test_kill_9_at_any_point_loses_nothing_and_derives_nothing_twice(store, workers):
    """The standalone worker (`jaga-desa office derive`, with a pool of processes preparing
    reports too) is killed with SIGKILL at random moments while it works, again and again;
    then it finishes. Every report is derived, and what is stored equals one clean
    derivation (a rebuild) — no row twice."""
    engine, keys, data, url = store
    ids = push(engine, keys, 160, batch=40)
    total = count(engine, derive_jobs)
    argv = [*JAGA, "office", "derive", "--data", str(data), "--batch", "2",
            "--workers", str(workers)] + (["--db", url] if url else [])
    rng = random.Random(20)
    kills = 0
    for _ in range(6):
        left = count(engine, derive_jobs)
        if left == 0:
            break
        proc = subprocess.Popen(argv, env={**os.environ, "JAGA_OFFICE_KEY": TEST_OFFICE_KEY},
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            wait_until(lambda: count(engine, derive_jobs) < left or proc.poll() is not None, 60,
                       "the worker to settle its first batch")
            wait_until(lambda: count(engine, derive_jobs) <= left - rng.randint(7, 60) or
                       count(engine, derive_jobs) == 0, 60, "the worker to get further", every=0.002)
        finally:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        kills += 1
        with engine.begin() as conn:    # a killed SQLite holder's lease would block the next for 30 s
            conn.execute(worker.derive_lease.delete())
    assert kills >= 2 and count(engine, derive_jobs) > 0, "the kills must land while work remains"
    assert subprocess.run(argv + ["--once"], env={**os.environ, "JAGA_OFFICE_KEY": TEST_OFFICE_KEY},
                          capture_output=True, timeout=300).returncode == 0
    assert count(engine, derive_jobs) == 0 and total == 160 * len(registry.names())
    after_kills = snapshot(engine)
    with db.reading(engine) as conn:
        assert search_index.indexed(conn) == set(ids)
        assert set(conn.execute(select(warn_links.c.envelope_id).distinct()).scalars()) == set(ids)
    assert max(after_kills["terms"].values()) == 1 and max(after_kills["links"].values()) == 1
    for name in ("search", "early_warning"):
        rebuild(engine, name)
    drain(engine, keys)
    assert snapshot(engine) == after_kills


def test_the_health_page_shows_the_queue_to_admins(office_server):
    """A real office: reports pushed over HTTP are derived by its own worker thread; a job
    that keeps failing shows on /dashboard/admin/derive with its error, in Indonesian and
    English, to admins only."""
    from jaga_desa.testing.dashboard import sign_in
    from tests.support import enroll, village
    village(office_server)
    vol, client = enroll(office_server, "Entikong", "volunteer", "Sari")
    assert client.push([vol.report().envelope])[0]["status"] == "accepted"
    office_server.derived()                         # its worker, not this process, derived it
    os.environ["JAGA_PASSWORD"] = "kata-sandi-uji-1"
    office_server.admin(["add-staff", "--username", "admin1", "--role", "admin"])
    office_server.admin(["add-staff", "--username", "intel1", "--role", "intel"])
    admin = sign_in(office_server.url, "admin1", "kata-sandi-uji-1")
    page = admin.get(office_server.url + "/dashboard/admin/derive")
    assert page.status_code == 200 and "Antrean kosong" in page.text
    engine = db.make_engine(db.sqlite_url(office_server.data_dir))
    later = clock.iso(clock.now() + dt.timedelta(hours=1))
    with engine.begin() as conn:                    # as a consumer bug leaves it: retried later
        conn.execute(derive_jobs.insert().values(consumer="search", envelope_id="e" * 36, created_at=later,
                                                 due_at=later, attempts=3, error="RuntimeError: consumer bug"))
    engine.dispose()
    admin.cookies.set("jd_lang", "en")
    page = admin.get(office_server.url + "/dashboard/admin/derive")
    assert "RuntimeError: consumer bug" in page.text and "Failing, retried" in page.text
    intel = sign_in(office_server.url, "intel1", "kata-sandi-uji-1")
    assert intel.get(office_server.url + "/dashboard/admin/derive").status_code == 403


@pytest.mark.parametrize("before, after, consumers", [
    ("recall_0001", "rederive_0001", ("early_warning", "rollup_links")),
    ("derive3_0002", "recall3_0001", ("early_warning", "rollup_links")),
    ("ringcost_0001", "recall5_0001", ("early_warning",)),
    ("push5_0001", "order25_0001", ("early_warning",)),
    ("order25_0001", "poison25_0001", ("early_warning",))])
def test_the_names_v2_migration_derives_early_warning_and_rollup_links_again(store, before, after, consumers):
    """rederive_0001 (names v2) and recall3_0001 (nicknames, e/i spellings, phones marked in
    prose): link keys and name counts of the old reading are dropped and every stored report
    is queued for early warning and the roll-up links; recall5_0001 (a ring village naming
    the ring's agent again), order25_0001 (a ring takes in the reports that named it
    earlier) and poison25_0001 (a name counted at most three times per village) the same for
    early warning alone. The worker restores what a
    derive from scratch gives, the signals an analyst saw kept."""
    from alembic import command
    engine, keys, _, _ = store
    ids = push(engine, keys, 12, batch=6)
    drain(engine, keys)
    first = snapshot(engine)
    assert first["links"] and first["signals"]
    cfg = db.alembic_config()
    for step in (command.downgrade, command.upgrade):
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            step(cfg, before if step is command.downgrade else after)
    with db.reading(engine) as conn:
        queued = Counter(conn.execute(select(derive_jobs.c.consumer, derive_jobs.c.envelope_id)).all())
    assert count(engine, warn_links) == 0 and count(engine, warn_name_stats) == 0
    assert set(queued) == {(c, e) for c in consumers for e in ids}
    assert snapshot(engine)["signals"] == first["signals"]
    with engine.begin() as conn:        # today's code needs today's schema: later revisions add
        cfg.attributes["connection"] = conn     # columns it reads (hook8_0001's `told`)
        command.upgrade(cfg, "head")
    drain(engine, keys)
    assert snapshot(engine) == first and count(engine, derive_jobs) == 0
