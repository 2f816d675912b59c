"""Red team, round 5: the push handing what it opened to the derive worker (office/opening.py
remember, office/writer_gate.py) and the search index keeping each report's tokens (derive3).

Each attack is written as an enrolled phone would run it: reports sealed with the phone's
own signing key and pushed through the office's real ingest into a real SQLite store.
"""
from __future__ import annotations

import hashlib
import json
import sqlite3

import pytest
from sqlalchemy import select

import forms
from office import db, keys as office_keys, opening
from office.dashboard import search_index
from office.derive import worker
from office.ingest import ingest_batch
from office.schema import envelopes, persons
from sync import envelope as env
from tests.conftest import TEST_OFFICE_KEY
from tests.office.test_derive import _volunteers, found, push


@pytest.fixture
def store(tmp_path, monkeypatch):
    """An office store with a derive worker in this process (the push keeps what it opened)."""
    opening.keep_for_derive(False)            # forgets what another test's push kept
    opening.keep_for_derive(True)
    keys = office_keys.load_or_create(tmp_path, TEST_OFFICE_KEY)
    engine = db.open_store(tmp_path)
    yield engine, keys
    opening.keep_for_derive(False)
    engine.dispose()


def _seal(keys, who, answers: dict, **extra) -> env.Sealed:
    form = forms.load("laporan_kecurigaan")
    return env.seal({"answers": answers, **extra}, form_id=form.id, form_version=form.version,
                    author_id=who.person_id, device_id=who.device_id, signing_key=who.signing,
                    recipients=[keys.x25519.public_key()])


def _push(engine, keys, who, sealed: list) -> list[dict]:
    with engine.begin() as conn:
        return ingest_batch(conn, [s.envelope for s in sealed], device_id=who.device_id, keys=keys)


def _kept_bytes() -> int:
    return sum(len(json.dumps(p)) for p in opening._recent.values())


# ---------------------------------------------------------------- 1. what the push remembers


def test_a_flood_of_big_reports_keeps_the_pushs_memory_bounded_in_bytes(store):
    """An enrolled phone pads each report's payload outside `answers` (only the answers are
    capped at the door) with a megabyte that compresses to a ~2 KB envelope (so neither the
    envelope cap nor the phone's byte quota sees it), while the derive worker is behind or
    runs in another process: what the push keeps for the worker must stay bounded in bytes,
    not only in count (4096 such payloads were 4 GB of this process's memory)."""
    engine, keys = store
    who = _volunteers(engine)[0]
    form = forms.load("laporan_kecurigaan")
    pad = "x" * (1000 * 1000)
    sealed = [_seal(keys, who, form.example(), pad=pad) for _ in range(12)]
    assert max(len(s.envelope) for s in sealed) < 16 * 1024      # small on the wire
    out = _push(engine, keys, who, sealed)
    assert {o["status"] for o in out} == {"accepted"}            # the door takes them
    assert _kept_bytes() <= 4 * 1024 * 1024 < 12 * len(pad)
    # honest reports are still kept: a flood of them stays within the bound too
    assert {o["status"] for o in _push(engine, keys, who, [_seal(keys, who, form.example()) for _ in range(40)])
            } == {"accepted"}
    assert 40 <= len(opening._recent) and _kept_bytes() <= 4 * 1024 * 1024
    worker.exhaust(engine, keys)               # what was not kept is opened from the stored bytes
    with db.reading(engine) as conn:
        assert search_index.indexed(conn) == set(conn.execute(select(envelopes.c.id)).scalars())


def test_what_the_worker_takes_is_what_the_stored_bytes_open_to(store):
    """Nothing the push does after opening (admission, the filter row, receipts) may change
    the payload it hands the worker: each kept payload equals opening the stored row."""
    engine, keys = store
    push(engine, keys, 8, batch=8)
    with db.reading(engine) as conn:
        rows = conn.execute(select(envelopes.c.data, envelopes.c.sha256, persons.c.ed25519_public)
                            .join(persons, persons.c.id == envelopes.c.author_id)).all()
    assert len(rows) == 8
    for data, sha, author in rows:
        kept = opening._recent[(keys.key_id, sha, bytes(author))]
        assert kept == opening.payload_of(opening.open_stored(keys, data, author))


def test_a_refused_or_conflicting_envelope_is_not_kept_nor_derived(store):
    """Reports the door refuses after opening them (answers invalid), the same bytes pushed
    again from another enrolled phone (id_conflict), and a batch whose transaction rolls back
    after the push opened it: nothing of them is derived, and what the worker later takes for
    the stored copy is still exactly what its bytes open to."""
    engine, keys = store
    alice, bob = _volunteers(engine)[:2]
    form = forms.load("laporan_kecurigaan")
    bad = form.example()
    bad["apa_dilihat"] = "x" * 5000                              # over the door's text cap
    refused = _seal(keys, alice, bad)
    assert _push(engine, keys, alice, [refused])[0]["status"] == "rejected"
    assert not opening._recent
    # a batch opened and then rolled back (the push's transaction failed after opening it)
    answers = form.example()
    answers["apa_dilihat"] = "laporan yang tidak pernah tersimpan"
    lost = _seal(keys, alice, answers)
    with pytest.raises(RuntimeError):
        with engine.begin() as conn:
            ingest_batch(conn, [lost.envelope], device_id=alice.device_id, keys=keys)
            raise RuntimeError("the push's commit fails")
    worker.exhaust(engine, keys)
    assert found(engine, keys, "tersimpan") == set()             # never stored: never derived
    # the same bytes, pushed again by the phone (its retry) and then replayed by bob
    assert _push(engine, keys, alice, [lost])[0]["status"] == "accepted"
    assert _push(engine, keys, bob, [lost])[0]["code"] == "id_conflict"
    kept = dict(opening._recent)
    assert _push(engine, keys, alice, [lost])[0]["status"] == "duplicate"      # her retry again
    assert opening._recent == kept                     # a duplicate is not opened nor kept again
    worker.exhaust(engine, keys)
    assert found(engine, keys, "tersimpan") == {lost.envelope_id}
    with db.reading(engine) as conn:
        assert conn.execute(select(envelopes.c.device_id).where(envelopes.c.id == lost.envelope_id)
                            ).scalar_one() == alice.device_id


# ---------------------------------------------------------------- 2. the token check takes no writer


@pytest.fixture(params=["sqlite", "postgresql"])
def any_store(request, tmp_path, monkeypatch):
    """A fresh office store on each database, with a derive worker in this process."""
    url = request.getfixturevalue("postgres_server")(f"red5_{request.node.name[-12:].lower()}"
                                                      .replace("[", "_").replace("]", "").replace("-", "_")) \
        if request.param == "postgresql" else None
    opening.keep_for_derive(False)
    opening.keep_for_derive(True)
    keys = office_keys.load_or_create(tmp_path, TEST_OFFICE_KEY)
    engine = db.open_store(tmp_path, url)
    yield engine, keys
    opening.keep_for_derive(False)
    engine.dispose()


def test_a_phone_revoked_after_its_token_check_still_cannot_push(any_store):
    """The token check is now a read (office/deps.py): a phone whose token passed it a moment
    before the office revoked it goes on into the push. The push's own write transaction must
    still refuse it — nothing stored, nothing queued, nothing kept for the worker."""
    engine, keys = any_store
    from office import enrollment
    from office.derive.schema import derive_jobs
    from office.schema import devices
    who = _volunteers(engine)[0]
    token = "red5-" + who.device_id
    with engine.begin() as conn:
        conn.execute(devices.update().where(devices.c.id == who.device_id)
                     .values(token_hash=hashlib.sha256(token.encode()).hexdigest()))
    with db.reading(engine) as conn:                    # the check the phone passed (deps.device)
        assert enrollment.device_for_token(conn, token)["id"] == who.device_id
    with engine.begin() as conn:                        # the office revokes the phone meanwhile
        enrollment.revoke_device(conn, who.device_id)
    sealed = _seal(keys, who, forms.load("laporan_kecurigaan").example())
    out = _push(engine, keys, who, [sealed])
    assert out[0]["status"] == "rejected" and out[0]["code"] == "revoked"
    assert not opening._recent
    with db.reading(engine) as conn:
        assert conn.execute(select(envelopes.c.id)).first() is None
        assert conn.execute(select(derive_jobs.c.envelope_id)).first() is None


# ---------------------------------------------------------------- 3. the search index's kept tokens


def _unkeyed(word: str) -> set[bytes]:
    """What a thief holding the database but not the office key could compute for a word."""
    raw = word.encode()
    out = set()
    for name in ("md5", "sha1", "sha256", "sha512", "blake2b", "blake2s", "sha3_256"):
        d = hashlib.new(name, raw).digest()
        out |= {d[:16], d[-16:]}
    return out


def test_no_plaintext_word_nor_an_unkeyed_hash_of_one_in_the_search_tables(store, tmp_path):
    """A stolen office.db: every search table (the kept tokens, FTS5's own shadow tables),
    after deriving and after re-deriving, holds no word of a report — its free text, its
    village, its choice labels — in clear, in hex, nor as an unkeyed hash a thief could
    compute over that small vocabulary; the free text is nowhere in the file or its WAL. The positive control: the keyed tokens
    of those words ARE in the kept bytes (the scan reads what the index holds)."""
    engine, keys = store
    from office.dashboard import derived, indexer
    from office.derive.rebuild import rebuild
    form = forms.load("laporan_kecurigaan")
    alice = _volunteers(engine)[0]
    canary = "kanarimerahputih"
    answers = form.example()
    answers["apa_dilihat"] = f"{canary} menawarkan kerja di kebun sawit Entikong"
    assert _push(engine, keys, alice, [_seal(keys, alice, answers)])[0]["status"] == "accepted"
    worker.exhaust(engine, keys)
    indexed = set(indexer.search_words(form, answers))
    vocab = indexed | {"entikong", "badau", "sanggau"}         # the villages and their region too
    assert canary in vocab and len([w for w in vocab if len(w) >= 6]) > 5
    for round_ in ("derived", "re-derived"):
        thief = sqlite3.connect(tmp_path / "office.db")     # the stolen file, read as it is
        try:
            tables = [t for (t,) in thief.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'dash_search%'")]
            blobs = b""
            for t in tables:
                for row in thief.execute(f'SELECT * FROM "{t}"'):
                    blobs += b"|".join(v if isinstance(v, bytes) else str(v).encode() for v in row) + b"\n"
            kept = b"".join(k for (k,) in thief.execute("SELECT terms FROM dash_search") if isinstance(k, bytes))
        finally:
            thief.close()
        assert {"dash_search", "dash_search_fts_data"} <= set(tables), tables
        whole = blobs + b"".join(f.read_bytes() for f in tmp_path.glob("office.db*"))
        assert canary.encode() not in whole.lower() and canary.encode().hex().encode() not in whole.lower()
        for w in vocab:
            if len(w) >= 6 and set(w) - set("0123456789abcdef"):    # shorter: found in any bytes
                assert w.encode() not in blobs.lower(), (round_, w)
                assert w.encode().hex().encode() not in blobs.lower(), (round_, w)
            for h in _unkeyed(w):
                assert h not in kept and h.hex().encode() not in blobs, (round_, w)
        ours = {bytes.fromhex(t) for t in derived.term_hashes(keys, indexed)}
        assert ours and all(t in kept for t in ours), round_       # the positive control
        assert found(engine, keys, canary)
        rebuild(engine, "search")
        worker.exhaust(engine, keys)


# ---------------------------------------------------------------- 4. kill -9 between the worker's commits

_CRASHING_WORKER = """
import os, sys
from datetime import timedelta
from pathlib import Path
from office import db, keys as office_keys
from office.derive import worker
from office.writer_gate import WriterGate
data, crash_at = Path(sys.argv[1]), int(sys.argv[2])
WriterGate.contended = lambda self: True          # a push always waits: commit between every step
worker.LAG_BUDGET, worker.CHUNK = timedelta(days=1), 3
real, calls = worker._step, [0]
def step(*a, **k):
    calls[0] += 1
    if calls[0] == crash_at:
        os._exit(9)                               # as kill -9: no rollback, no clean-up
    return real(*a, **k)
worker._step = step
engine = db.open_store(data)
worker.run_once(engine, office_keys.load_or_create(data, os.environ["JAGA_OFFICE_KEY"]))
"""


@pytest.mark.parametrize("crash_at", [2, 5, 9, 13])
def test_a_crash_between_the_workers_commits_loses_nothing_and_derives_nothing_twice(store, tmp_path, crash_at):
    """The worker now commits between consumer steps when a push waits: killed after some
    steps' commits (consumer A's chunk committed, B's not), its next run derives exactly what
    is left — every report derived, no row twice, the same as one clean derivation."""
    import os
    import subprocess
    import sys

    from office.derive.rebuild import rebuild
    from office.derive.schema import derive_jobs
    from tests.office.test_derive import count, snapshot
    engine, keys = store
    ids = push(engine, keys, 12, batch=12)
    total = count(engine, derive_jobs)
    done = subprocess.run([sys.executable, "-c", _CRASHING_WORKER, str(tmp_path), str(crash_at)],
                          env={**os.environ, "JAGA_OFFICE_KEY": TEST_OFFICE_KEY}, capture_output=True, timeout=300)
    assert done.returncode == 9, done.stderr[-2000:]
    left = count(engine, derive_jobs)
    assert 0 < left < total, "the crash must land between two commits"
    with engine.begin() as conn:        # the killed holder's lease would block the next for 30 s
        conn.execute(worker.derive_lease.delete())
    worker.exhaust(engine, keys)
    after = snapshot(engine)
    with db.reading(engine) as conn:
        assert search_index.indexed(conn) == set(ids)
    assert max(after["terms"].values()) == 1 and max(after["links"].values()) == 1
    for name in ("search", "early_warning"):
        rebuild(engine, name)
    worker.exhaust(engine, keys)
    assert snapshot(engine) == after


# ---------------------------------------------------------------- 5. early warning's batch cache


def _signals(engine) -> list:
    from office.warning.schema import warn_signal_reports, warn_signals
    with db.reading(engine) as conn:
        sig = {r.id: (r.rule, r.key, r.region, r.detail) for r in conn.execute(select(warn_signals))}
        members: dict[int, set] = {}
        for s, e in conn.execute(select(warn_signal_reports.c.signal_id, warn_signal_reports.c.envelope_id)):
            members.setdefault(s, set()).add(e)
    return sorted((*v, tuple(sorted(members.get(k, ())))) for k, v in sig.items())


def test_the_batch_cache_gives_the_signals_a_fresh_look_up_gives(store, monkeypatch):
    """Phones of two regions push, in one batch, reports sharing a recruiter's phone number,
    some of them rahasia: the look-ups early warning shares within a batch (window.remembered)
    must raise exactly the signals — rule, key, region, detail, member reports — that one
    look-up per question raises; no row of one region's or report's look-up reaches another."""
    import contextlib

    from office import enrollment
    from office.derive.rebuild import rebuild
    from office.rollup.volunteer import Volunteer
    from office.warning import engine as warning_engine
    engine, keys = store
    with engine.begin() as conn:
        villages = [enrollment.add_village(conn, "Entikong", "Sanggau"),
                    enrollment.add_village(conn, "Badau", "Kapuas Hulu")]
    people = [Volunteer.enrol(engine, v, f"Relawan {v}") for v in villages]
    form = forms.load("laporan_kecurigaan")
    sealed = []
    for i in range(16):
        who = people[i % 2]
        answers = form.example()
        answers["apa_dilihat"] = f"Laporan {i}: tawaran kerja sawit"
        sealed.append((who, _seal(keys, who, answers, rahasia=i % 3 == 0)))
    for who in people:
        assert {o["status"] for o in _push(engine, keys, who, [s for w, s in sealed if w is who])} == {"accepted"}
    worker.exhaust(engine, keys)
    cached = _signals(engine)
    both = [{s.envelope_id for w, s in sealed if w is who} for who in people]
    assert any(s[0] == "same_identifier" and all(set(s[4]) & b for b in both) for s in cached), cached
    from office.warning.schema import warn_signal_reports, warn_signals
    with engine.begin() as conn:        # signals survive a rebuild: start the second run from none
        conn.execute(warn_signal_reports.delete())
        conn.execute(warn_signals.delete())
    monkeypatch.setattr(warning_engine, "remembered", contextlib.nullcontext)
    rebuild(engine, "early_warning")
    worker.exhaust(engine, keys)
    assert _signals(engine) == cached


def test_a_report_reclassified_rahasia_is_not_found_by_its_words_outside_a_rahasia_scope(store):
    """The kept tokens stay in the index when staff reclassify a report rahasia (no re-derive):
    a partner's scope without rahasia searching the report's own words must not find it
    any more, while the office's admin still does."""
    from office.dashboard.queries import Filters, list_reports
    from office.dashboard.reclassify import set_rahasia
    engine, keys = store
    who = _volunteers(engine)[0]
    answers = forms.load("laporan_kecurigaan").example()
    answers["apa_dilihat"] = "kanarirahasiabaru menawarkan kerja"
    sealed = _seal(keys, who, answers)
    assert _push(engine, keys, who, [sealed])[0]["status"] == "accepted"
    worker.exhaust(engine, keys)
    partner = {"id": 1, "role": "admin", "scope": {"rahasia": False}}

    def search(staff) -> set[str]:
        with db.reading(engine) as conn:
            rows, _ = list_reports(conn, staff, Filters(q="kanarirahasiabaru"), limit=50, keys=keys)
        return {r["envelope_id"] for r in rows}
    assert search(partner) == {sealed.envelope_id}                # the control: found before
    with engine.begin() as conn:
        assert set_rahasia(conn, keys, None, sealed.envelope_id, True, "nama korban")
    worker.exhaust(engine, keys)
    assert search(partner) == set()
    assert found(engine, keys, "kanarirahasiabaru") == {sealed.envelope_id}
