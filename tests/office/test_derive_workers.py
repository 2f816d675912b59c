"""Parallel derive (office/derive/prepare.py, worker.Pipeline): reports prepared by a pool of
processes while one writer writes derive exactly what one process derives — every search
token, link, signal and its reports, each once — on SQLite and PostgreSQL; and on
PostgreSQL, where several worker processes share the queue, two batches matched at the same
time still link a pair of reports split between them."""
from __future__ import annotations

import threading
from collections import Counter

from sqlalchemy import select

import forms

from office import db
from office.dashboard import search_index
from office.derive import registry, worker
from office.derive.rebuild import rebuild
from office.derive.schema import derive_jobs
from office.warning.schema import warn_links, warn_signal_reports, warn_signals
from tests.office.test_derive import count, push, snapshot, store  # noqa: F401 — the fixture


def everything(engine) -> dict:
    """snapshot() plus each report's search tokens and each signal's reports."""
    out = snapshot(engine)
    with db.reading(engine) as conn:
        out["tokens"] = search_index.held(conn)
        out["members"] = sorted(conn.execute(
            select(warn_signals.c.rule, warn_signals.c.key, warn_signal_reports.c.envelope_id)
            .join(warn_signal_reports, warn_signal_reports.c.signal_id == warn_signals.c.id)).all())
    return out


def test_a_pool_derives_exactly_what_one_process_does(store):  # noqa: F811
    engine, keys, _, _ = store
    ids = push(engine, keys, 60, batch=30)
    assert worker.exhaust(engine, keys, batch=8 * len(registry.names()), workers=2) == 60 * len(registry.names())
    assert count(engine, derive_jobs) == 0
    pooled = everything(engine)
    assert set(pooled["tokens"]) == set(ids) and all(pooled["tokens"].values())
    assert max(pooled["terms"].values()) == 1 and max(pooled["links"].values()) == 1
    assert pooled["signals"] and {m[2] for m in pooled["members"]} == set(ids)   # one calo's phone in every report
    for name in ("search", "early_warning"):
        rebuild(engine, name)
    worker.exhaust(engine, keys, batch=8 * len(registry.names()), workers=1)
    assert everything(engine) == pooled


def test_two_workers_matching_at_once_on_postgresql_miss_no_pair(request, tmp_path, monkeypatch):
    """Two workers (PostgreSQL: several processes share the queue, SKIP LOCKED) each write a
    batch at the same moment: report X from one village, report Y from another, both naming
    the same calo's phone. Each worker, having matched its report, waits a moment for the
    other before committing. Matched at once, neither would see the other's uncommitted
    link and the pair would never be linked; early_warning's advisory lock makes the second
    wait for the first's commit, so the signal holds both."""
    from office import clock, keys as office_keys
    from office.derive import prepare
    from tests.conftest import TEST_OFFICE_KEY
    url = request.getfixturevalue("postgres_server")("derive_two_workers")
    keys = office_keys.load_or_create(tmp_path, TEST_OFFICE_KEY)
    engine = db.open_store(tmp_path, url)
    try:
        x, y = push(engine, keys, 2, batch=2)
        ew = registry.get("early_warning")
        met = threading.Barrier(2)

        def derive_then_linger(conn, keys, items, now):
            ew.derive(conn, keys, items, now)
            try:
                met.wait(3)             # the other worker derives now too, unless it waits for the lock
            except threading.BrokenBarrierError:
                pass
        monkeypatch.setitem(registry._registered, "early_warning",
                            registry.Consumer("early_warning", derive_then_linger, ew.clear, prepare=ew.prepare))
        errors: list[BaseException] = []

        def one_worker(eid: str) -> None:
            try:
                with db.reading(engine) as conn:
                    items = {s.envelope_id: s for s in prepare.prepare(keys, worker._raws(conn, {eid}))}
                worker._write(engine, keys, [("early_warning", eid, "")], items, clock.now(), behind=True)
            except BaseException as exc:      # noqa: BLE001 — reported below
                errors.append(exc)
        threads = [threading.Thread(target=one_worker, args=(e,)) for e in (x, y)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert not errors
        together = everything(engine)
        assert {m[2] for m in together["members"] if m[0] == "same_identifier"} == {x, y}
    finally:
        engine.dispose()


def test_the_cli_derives_with_a_pool_and_refuses_a_pool_of_none(store, capsys):  # noqa: F811
    from office.cli import main as office_cli
    engine, keys, data, url = store
    push(engine, keys, 6, batch=6)
    where = ["--data", str(data)] + (["--db", url] if url else [])
    assert office_cli(["office", "derive", *where, "--once", "--workers", "0"]) == 1
    assert capsys.readouterr().err.startswith("error [bad_request]: --workers must be between 1 and 64")
    assert count(engine, derive_jobs) == 6 * len(registry.names())
    assert office_cli(["office", "derive", *where, "--once", "--workers", "2", "--batch", "2"]) == 0
    assert capsys.readouterr().out.strip() == f"derived {6 * len(registry.names())} jobs"
    assert count(engine, derive_jobs) == 0


def test_early_warning_prepared_in_a_pool_writes_what_its_derive_alone_writes(store):  # noqa: F811
    """The early-warning consumer's `prepare` makes a report's link rows (identifier and name
    HMACs, sealed names) before the write, in a pool process: the batch it writes (its
    reports pickled back, as from the pool) is the batch its `derive` alone writes — every
    link with its village, time and sealed name and role, every signal and its reports."""
    import datetime as dt
    import pickle

    from office import clock
    from office.derive.consumers import early_warning as ew
    from office.derive.registry import Stored
    from office.warning.rings import _open_person
    engine, keys, _, _ = store
    form = forms.load("laporan_kecurigaan")
    start = clock.now() - dt.timedelta(days=10)

    def batch() -> list[Stored]:
        out = []
        for i in range(12):
            a = form.example()
            a["terlibat"] = [{**a["terlibat"][0], "nama": f"Muhammad Rahman {'Halim' if i % 2 else 'Fauzi'}",
                              "telepon": f"0813 1111 {i % 3:04d}"},
                             {"peran": "calo", "nama": f"Siti Nurhayati {i % 4}", "kapal": f"KM Sinar {i % 5}"}]
            out.append(Stored(f"00000000-0000-4000-8000-{i:012d}", 1 + i % 2, form.id, form.version,
                              clock.iso(start + dt.timedelta(days=i % 5, hours=i % 9)), False, {"answers": a}))
        return out

    def written() -> dict:
        with db.reading(engine) as conn:
            links = conn.execute(select(warn_links.c.envelope_id, warn_links.c.village_id, warn_links.c.kind,
                                        warn_links.c.key, warn_links.c.at, warn_links.c.sealed)).all()
            members = conn.execute(select(warn_signals.c.rule, warn_signals.c.key, warn_signal_reports.c.envelope_id)
                                   .join(warn_signal_reports, warn_signal_reports.c.signal_id == warn_signals.c.id)).all()
        return {"links": Counter((*r[:5], _open_person(keys, r[0], r[5])) for r in links),
                "members": Counter(members)}

    prepared = batch()
    for item in prepared:
        ew.prepare(keys, item)
    assert all(item.memo["warning_report"].links is not None for item in prepared)
    prepared = pickle.loads(pickle.dumps(prepared))          # as a pool process returns them
    with engine.begin() as conn:
        ew.derive(conn, keys, prepared, clock.now())
    pooled = written()
    assert any(k[2] == "name" for k in pooled["links"]) and pooled["members"]
    with engine.begin() as conn:
        ew.clear(conn)
        conn.execute(warn_signal_reports.delete())
        conn.execute(warn_signals.delete())
    with engine.begin() as conn:
        ew.derive(conn, keys, batch(), clock.now())
    assert written() == pooled
