"""Red team, round 6: the door's faster header reading and one-walk admission (ingest3:
sync/envelope.peek by offsets, Form.validate_clean, a batch opened ahead of admission) and
the derive worker's pool of preparing processes (derive4: office/derive/prepare.py).

Each attack is written as an enrolled phone (or a thief on the office machine) would run it:
envelopes sealed with the phone's own signing key, bytes cut and flipped by hand, pushed
through the office's real ingest into a real SQLite store, derived by the real worker.
Tests of code not on main yet say which branch they need in their docstring; each passes on
main as well (what they pin holds there already)."""
from __future__ import annotations

import copy
import inspect
import json
import os
import struct
import tempfile

import pytest
from sqlalchemy import func, select

import forms
from core.errors import EnvelopeError
from office import db, keys as office_keys, opening
from office.derive import worker
from office.derive.schema import derive_jobs
from office.ingest import admission, ingest_batch
from office.schema import envelopes
from sync import envelope as env
from sync import statement
from tests.adversarial.test_redteam_round5 import _push, _seal, store  # noqa: F401 — the fixture
from tests.conftest import TEST_OFFICE_KEY
from tests.office.test_derive import _volunteers, found


@pytest.fixture
def opens(monkeypatch) -> list[str]:
    """The envelope ids the office opens (the real env.open, counted), in order."""
    seen: list[str] = []
    real_open = env.open

    def counting_open(data, **kw):
        seen.append(env.peek(data).envelope_id)
        return real_open(data, **kw)
    monkeypatch.setattr(env, "open", counting_open)
    return seen


def _form() -> forms.Form:
    return forms.load("laporan_kecurigaan")


# ---------------------------------------------------------------- 1. the header read by offsets


_HEAD_END = 3 + 16 + 8 + 16 + 16 + 1        # magic+version, id, created, author, device, len(form id)


def _offsets(data: bytes) -> dict[str, int]:
    """Where each length field of an honest envelope sits (the attacker knows the format)."""
    n = data[_HEAD_END - 1]
    natt_at = _HEAD_END + n + 2
    nwraps_at = natt_at + 1 + data[natt_at] * (16 + 4 + 32)
    ct_len_at = nwraps_at + 1 + data[nwraps_at] * (16 + 32 + 48) + 12
    return {"form_len": _HEAD_END - 1, "natt": natt_at, "nwraps": nwraps_at, "ct_len": ct_len_at}


def test_every_cut_and_every_lying_length_is_an_envelope_error_never_a_crash(store):
    """Truncated at every byte, each length field (form id, attachments, wraps, ciphertext)
    set to every lie from 0 to its maximum, a byte flipped anywhere: peek raises EnvelopeError
    or gives a header — and then only for bytes whose signed part still verifies, or whose
    verification is refused with EnvelopeError. Never IndexError, struct.error, ValueError."""
    engine, keys = store
    who = _volunteers(engine)[0]
    data = _seal(keys, who, _form().example()).envelope
    pub = who.signing.public_key()
    cases = [data[:k] for k in range(len(data))] + [data + b"\x00", bytearray(data), b"", b"JD", b"\xff" * 64]
    for name, at in _offsets(data).items():
        width = 4 if name == "ct_len" else 1
        for lie in ([0, 1, 2, 255, 256, 4096, 2 ** 31, 2 ** 32 - 1] if width == 4 else range(256)):
            if lie >= 256 ** width:
                continue
            cases.append(data[:at] + lie.to_bytes(width, "big") + data[at + width:])
    cases += [data[:k] + bytes([data[k] ^ 0xFF]) + data[k + 1:] for k in range(0, len(data), 7)]
    accepted = 0
    for bad in cases:
        try:
            header = env.peek(bad)
        except EnvelopeError:
            continue
        assert isinstance(header, env.Header)
        if bytes(bad) != data:
            with pytest.raises(EnvelopeError):        # it peeks, but it is not what she signed
                env.verify(bytes(bad), pub)
        accepted += 1
    assert accepted >= 2                              # the honest bytes (and their bytearray) peek


def test_a_header_that_peeks_is_exactly_what_the_signature_covers(store):
    """peek vs open must not disagree on which office, author, device or form an envelope is
    for: every header field is read from bytes inside the signed part, and the header the
    office peeks equals the one a field-by-field reader of the signed bytes gives."""
    engine, keys = store
    who, other = _volunteers(engine)[:2]
    sealed = _seal(keys, who, _form().example())
    data = sealed.envelope
    h = env.peek(data)
    assert h.signed + h.signature == data and len(h.signature) == 64
    eid, created, author, device, n = struct.unpack_from(">16sQ16s16sB", data, 3)
    import uuid
    assert (h.envelope_id, h.created_ms, h.author_id, h.device_id) == (
        str(uuid.UUID(bytes=eid)), created, str(uuid.UUID(bytes=author)), str(uuid.UUID(bytes=device)))
    assert h.form_id == data[_HEAD_END:_HEAD_END + n].decode() == _form().id
    assert (h.author_id, h.device_id, h.envelope_id) == (who.person_id, who.device_id, sealed.envelope_id)
    assert keys.key_id in h.recipients
    opened = env.open(data, recipient_key=keys.x25519, author_public=who.signing.public_key())
    assert opened.header == h                       # open without a header reads the same one
    # the author's id swapped for another enrolled person's: it peeks as hers, never verifies
    forged = data[:3 + 16 + 8] + uuid.UUID(other.person_id).bytes + data[3 + 16 + 8 + 16:]
    assert env.peek(forged).author_id == other.person_id
    with pytest.raises(EnvelopeError):
        env.open(forged, recipient_key=keys.x25519, author_public=other.signing.public_key())


def test_garbage_and_forged_headers_in_one_batch_are_typed_refusals_and_the_honest_one_lands(store):
    """A batch mixing cut, padded, forged-author and wrong-office envelopes with one honest
    report: each hostile item a typed per-item rejection (stable codes), the honest report
    accepted and stored, nothing else stored."""
    engine, keys = store
    alice, bob = _volunteers(engine)[:2]
    honest = _seal(keys, alice, _form().example())
    data = honest.envelope
    import uuid
    forged = data[:3 + 16 + 8] + uuid.UUID(bob.person_id).bytes + data[3 + 16 + 8 + 16:]
    items = [data[:40], data + b"\x00", b"\x00" * 300, forged, data[:-1] + bytes([data[-1] ^ 1]), data]
    with engine.begin() as conn:
        out = ingest_batch(conn, items, device_id=alice.device_id, keys=keys)
    codes = [o.get("code") or o["status"] for o in out]
    assert codes[:3] == ["envelope_invalid"] * 3
    assert codes[3] in ("id_not_bound", "wrong_device", "envelope_invalid")
    assert codes[4] == "envelope_invalid"
    assert codes[5] == "accepted"
    with db.reading(engine) as conn:
        assert list(conn.execute(select(envelopes.c.id)).scalars()) == [honest.envelope_id]


# ---------------------------------------------------------------- 2. opened ahead of admission


def test_a_replay_batch_of_a_stored_report_is_neither_opened_again_nor_kept(store, opens):
    """(ingest3: the batch is opened before admission.) The phone replays a stored report in
    a batch, twice, next to a copy with the same id but other bytes and a fresh report: the
    replay is a duplicate with the original receipt, the other bytes an id_conflict, the
    stored report is opened by nobody again, and only the fresh one is opened and kept."""
    engine, keys = store
    alice = _volunteers(engine)[0]
    first = _seal(keys, alice, _form().example())
    assert _push(engine, keys, alice, [first])[0]["status"] == "accepted"
    with db.reading(engine) as conn:
        stored_receipt = conn.execute(select(envelopes.c.receipt)).scalar_one()
    opening.keep_for_derive(False)
    opening.keep_for_derive(True)
    opens.clear()
    answers = _form().example()
    answers["apa_dilihat"] = "laporan kedua"
    fresh = _seal(keys, alice, answers)
    raw = bytearray(first.envelope)
    raw[-70] ^= 1                                   # same id, other bytes (a broken signature)
    out = _push(engine, keys, alice, [first, fresh, first])
    assert [o["status"] for o in out] == ["duplicate", "accepted", "duplicate"]
    assert json.loads(stored_receipt)["received_at"] == out[0]["receipt"]["received_at"]
    with engine.begin() as conn:
        conflict = ingest_batch(conn, [bytes(raw)], device_id=alice.device_id, keys=keys)[0]
    assert conflict["code"] == "id_conflict"
    assert opens == [fresh.envelope_id]
    assert len(opening._recent) == 1
    with db.reading(engine) as conn:
        assert conn.execute(select(func.count()).select_from(envelopes)).scalar_one() == 2


def test_a_phone_past_its_daily_quota_costs_the_office_no_decryption(store, opens):
    """BREAK on ingest3 (office/ingest/envelopes.py _open_ahead): the byte quota bounds what
    one phone costs the office in a day. A phone past it pushes full batches again and again:
    each item is deferred (the phone keeps it) — and must be deferred before any crypto, as
    main does (the quota check comes before _verify_and_open). Opened ahead, every deferred
    report is verified, decrypted and inflated (up to 1 MB each, 500 a batch) for nothing:
    a phone over quota turns each push into the office's full crypto cost of its batch."""
    engine, keys = store
    alice = _volunteers(engine)[0]
    batch = [_seal(keys, alice, _form().example()) for _ in range(6)]
    opens.clear()
    with engine.begin() as conn:
        out = ingest_batch(conn, [s.envelope for s in batch], device_id=alice.device_id, keys=keys,
                           quota=1000)
    assert {o["status"] for o in out} == {"deferred"}
    assert {o["code"] for o in out} == {"quota_exceeded"}
    assert opens == []
    assert not opening._recent
    with db.reading(engine) as conn:
        assert conn.execute(select(func.count()).select_from(envelopes)).scalar_one() == 0


def test_a_refusal_found_while_opening_ahead_is_signed_and_final_as_when_pushed_alone(store):
    """An item whose signature breaks (flipped ciphertext) or that is sealed for another
    office, in a batch with honest ones: refused with the same code and the same signed,
    final refusal (for those bytes, this device, this request) as when pushed alone."""
    engine, keys = store
    alice = _volunteers(engine)[0]
    pub = keys.ed25519.public_key()
    broken = bytearray(_seal(keys, alice, _form().example()).envelope)
    broken[-80] ^= 1
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
    form = _form()
    elsewhere = env.seal({"answers": form.example()}, form_id=form.id, form_version=form.version,
                         author_id=alice.person_id, device_id=alice.device_id, signing_key=alice.signing,
                         recipients=[X25519PrivateKey.generate().public_key()]).envelope
    hostile = [bytes(broken), elsewhere]
    nonce = statement.new_nonce()
    with engine.begin() as conn:
        together = ingest_batch(conn, hostile + [_seal(keys, alice, form.example()).envelope],
                                device_id=alice.device_id, keys=keys, nonce=nonce)
    assert together[2]["status"] == "accepted"
    for data, res in zip(hostile, together):
        with engine.begin() as conn:
            alone = ingest_batch(conn, [data], device_id=alice.device_id, keys=keys, nonce=nonce)[0]
        assert res["status"] == alone["status"] == "rejected"
        assert res["code"] == alone["code"] and res["code"] in ("envelope_invalid", "wrong_recipient")
        fields = statement.check_refusal(res["refusal"], pub, code=res["code"], device_id=alice.device_id,
                                         purpose="push", nonce=nonce, envelope=data,
                                         envelope_id=res["envelope_id"])
        assert fields["code"] == res["code"]


# ---------------------------------------------------------------- 3. one-walk admission


def _reference(form: forms.Form, answers) -> tuple[dict, dict | None]:
    """What admission decided before ingest3: validate, then clean only what passed."""
    errors = form.validate(answers, "en")
    return errors, (None if errors else form.clean(answers))


def _hostile_answers() -> list[dict]:
    """Answers an attacker sends: hidden fields answered (with wrong types too), rahasia
    hidden behind nothing / with odd values, the repeat group `terlibat` with hidden, unknown,
    wrongly typed and note-like fields, blank entries, huge lists, non-object entries."""
    base = _form().example()
    out = []

    def variant(**changes):
        a = copy.deepcopy(base)
        for k, v in changes.items():
            if v is _DROP:
                a.pop(k, None)
            else:
                a[k] = v
        out.append(a)
    variant(kategori_lainnya="tersembunyi")                        # hidden (kategori=rekrutmen)
    variant(kategori_lainnya={"nested": ["x"] * 3})                 # hidden, wrong type
    variant(kewarganegaraan=["my", "cn"])                          # hidden select_one as a list
    variant(jumlah_anak="banyak", ada_anak="tidak")                 # hidden once ada_anak=tidak
    variant(jumlah_anak="banyak")                                   # visible: wrong type
    variant(keselamatan="a note answered")                          # a note answered
    variant(rahasia="mungkin")                                      # not a choice
    variant(rahasia=["ya"])                                         # wrong type
    variant(rahasia=_DROP)                                          # required, missing
    variant(rahasia="  ya  ")                                       # padded choice
    variant(tambahan="x")                                           # unknown top-level key
    variant(media_sosial=["facebook"] * 5000)                       # a huge list of one choice
    variant(media_sosial=["facebook", "bukan_pilihan"])
    t = base["terlibat"]
    variant(terlibat=[{**t[0], "peran_lain": "tersembunyi"}])       # hidden inside the group
    variant(terlibat=[{**t[0], "peran_lain": ["x", 1]}])            # hidden, wrong type
    variant(terlibat=[{**t[0], "rahasia": "ya"}])                   # a top-level name inside
    variant(terlibat=[{**t[0], "asing": "x"}])                      # unknown key inside
    variant(terlibat=[{**t[0], "nama": 12}])                        # wrong type inside
    variant(terlibat=[{**t[0], "nama": "  Pak Udin  "}, {}, {"nama": ""}])   # blank entries
    variant(terlibat=[{"nama": "tanpa peran"}])                     # required inside, missing
    variant(terlibat=[t[0], "bukan entri"])                         # an entry not an object
    variant(terlibat={"peran": "calo"})                             # the group as an object
    variant(terlibat=[dict(t[0]) for _ in range(500)])              # huge group
    variant(terlibat=[{**t[0], "peran": "lainnya", "peran_lain": "  penadah  "}])
    variant(apa_dilihat="   ")                                      # whitespace only, required
    variant(apa_dilihat="\u2028\u3000")                             # unicode whitespace only
    variant(jumlah_orang=True)                                      # a bool as an integer
    variant(jumlah_orang=1e308)
    variant(lokasi={"lat": 4.1, "lon": 117.6, "accuracy": 15.0, "extra": "x"})
    return out


_DROP = object()


def test_one_walk_admission_decides_each_hostile_answer_as_validate_then_clean_did(store):
    """(ingest3: Form.validate_clean.) For each hostile set of answers: refused exactly when
    validate refuses it (same error keys), and when admitted the answers kept (what the
    filter row, rahasia and every derived feature read) are exactly what clean keeps — no
    hidden field, no unknown key, inside `terlibat` as well as at the top."""
    form = _form()
    header = env.peek(_seal(office_keys.load_or_create(
        __import__("pathlib").Path(tempfile.mkdtemp()), TEST_OFFICE_KEY),
        _volunteers(store[0])[0], form.example()).envelope)
    walk = getattr(form, "validate_clean", None)
    for answers in _hostile_answers():
        errors, clean = _reference(form, answers)
        if walk is not None:
            got_errors, got_clean = walk(answers, "en")
            assert set(got_errors) == set(errors), answers
            assert got_clean == clean
        try:
            _, admitted = admission.admit(header, {"answers": answers})
        except admission.Rejected as exc:
            assert errors or exc.code == "too_large", (answers, exc.code)
            continue
        assert not errors, (errors, answers)
        assert admitted == clean
        assert "kategori_lainnya" not in admitted and "tambahan" not in admitted
        for entry in admitted.get("terlibat", []):
            assert set(entry) <= {f.name for f in form.field("terlibat").fields}
            if entry.get("peran") != "lainnya":
                assert "peran_lain" not in entry
        assert form.is_confidential(admitted) == form.is_confidential(answers)


def test_the_clean_answers_admission_returns_share_nothing_with_the_phones_payload(store):
    """What admission keeps is a copy: changing the payload afterwards (a later consumer, a
    caller reusing it) changes nothing kept, at any depth of `terlibat` or a list answer."""
    form = _form()
    header = env.peek(_seal(office_keys.load_or_create(
        __import__("pathlib").Path(tempfile.mkdtemp()), TEST_OFFICE_KEY),
        _volunteers(store[0])[0], form.example()).envelope)
    answers = form.example()
    _, clean = admission.admit(header, {"answers": answers})
    before = copy.deepcopy(clean)
    answers["terlibat"][0]["nama"] = "diubah"
    answers["media_sosial"].append("tiktok")
    answers["lokasi"]["lat"] = 0.0
    assert clean == before


# ---------------------------------------------------------------- 4. the derive pool


def _pool_workers() -> dict:
    """workers=2: the derive worker with its pool of prepare processes."""
    return {"workers": 2}


def _files_under(root: str) -> dict[str, float]:
    out = {}
    for base, _, names in os.walk(root):
        for n in names:
            p = os.path.join(base, n)
            try:
                out[p] = os.stat(p).st_mtime
            except OSError:
                pass
    return out


def test_the_derive_pool_leaves_no_key_nor_answer_on_disk_or_in_the_logs(store, tmp_path, caplog):
    """(--workers 2.) A thief who later reads the
    office machine's temp directory, the store's directory and the logs finds neither the
    office's private keys nor any word of a report the pool prepared — including a report
    whose preparation fails (its answers unreadable to the warning engine) — and every
    report is derived exactly once."""
    engine, keys = store
    alice = _volunteers(engine)[0]
    form = _form()
    canary = "kanaribirulaut"
    answers = form.example()
    answers["apa_dilihat"] = f"saksi {canary} melihat perahu"
    answers["terlibat"][0]["nama"] = "Pak " + canary.capitalize()
    reports = [_seal(keys, alice, answers)] + [_seal(keys, alice, form.example()) for _ in range(5)]
    opening.keep_for_derive(False)            # the pool opens the stored bytes itself
    assert {o["status"] for o in _push(engine, keys, alice, reports)} == {"accepted"}
    tmp = tempfile.gettempdir()
    before = _files_under(tmp)
    caplog.set_level("DEBUG")
    settled = worker.exhaust(engine, keys, **_pool_workers())
    assert settled > 0
    from cryptography.hazmat.primitives import serialization
    secrets = [k.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                               serialization.NoEncryption()) for k in (keys.x25519, keys.ed25519)]
    needles = [canary.encode(), canary.capitalize().encode()] + secrets + [s.hex().encode() for s in secrets]
    for root, seen in ((tmp, before), (str(tmp_path), {})):
        for path, mtime in _files_under(root).items():
            if path in seen and seen[path] == mtime:
                continue
            if os.path.basename(path).startswith("office_key") or path.endswith((".db", ".db-wal", ".db-shm")):
                continue                      # the key file itself (sealed) and the store are checked elsewhere
            try:
                with open(path, "rb") as fh:
                    blob = fh.read(8 * 1024 * 1024)
            except OSError:
                continue
            assert not any(n in blob for n in needles), path
    assert canary not in caplog.text and "Udin" not in caplog.text
    assert found(engine, keys, canary) == {reports[0].envelope_id}
    with db.reading(engine) as conn:
        assert conn.execute(select(func.count()).select_from(derive_jobs)).scalar_one() == 0
    # derived once: deriving again finds nothing to do
    assert worker.exhaust(engine, keys, **_pool_workers()) == 0


def _cpu_ticks(pid: int) -> int:
    """utime + stime of a process, in clock ticks (/proc/PID/stat)."""
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def test_a_pool_process_killed_mid_batch_does_not_hang_derive_forever(store):
    """(Was a BREAK on derive4 with multiprocessing.Pool, which starts a new process but never
    answers the lost task, so Pending.get() waited forever.) The OOM killer, an operator or a
    crash kills -9 the pool's processes while they prepare their parts of a batch: the batch
    still comes back, every report prepared, within a bounded time, and the pool prepares
    the next batch with new processes."""
    engine, keys = store
    alice = _volunteers(engine)[0]
    form = _form()
    reports = [_seal(keys, alice, form.example()) for _ in range(30)]
    opening.keep_for_derive(False)
    assert {o["status"] for o in _push(engine, keys, alice, reports)} == {"accepted"}
    import signal
    import threading
    import time
    from office.derive.prepare import Preparer
    with db.reading(engine) as conn:
        raws = worker._raws(conn, {r.envelope_id for r in reports})
    raws = raws * 40                                       # 1,200 reports: seconds of work a process
    preparer = Preparer(keys, workers=2)
    try:
        preparer.warm()
        children = preparer.pids()
        assert children
        start = {pid: _cpu_ticks(pid) for pid in children}
        pending = preparer.submit(raws)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not all(_cpu_ticks(p) > start[p] + 5 for p in children):
            time.sleep(0.01)                               # poll: both processes are into their part
        for pid in children:
            os.kill(pid, signal.SIGKILL)
        outcome: list = []

        def wait() -> None:
            try:
                outcome.append(len(pending.get()))
            except Exception as exc:                       # noqa: BLE001 — any error the worker can retry
                outcome.append(exc)
        t = threading.Thread(target=wait, daemon=True)
        t.start()
        t.join(timeout=90)
        assert outcome, "the derive worker waits forever for a pool process killed mid-batch"
        assert outcome[0] == len(raws)
        again = preparer.submit(raws[:30]).get()               # a new pool, new processes
        assert [s.envelope_id for s in again] == [r.envelope_id for r in raws[:30]]
        assert all(s.answers is not None for s in again)
        assert preparer.pids() and not set(preparer.pids()) & set(children)
    finally:
        preparer.close()


def test_the_pool_processes_carry_the_office_key_in_no_argument_nor_environment(store):
    """(Preparer with workers=2.) Any local user can read a process's command line
    (/proc/PID/cmdline, `ps`): the office's private keys must reach the pool's processes
    only through their start-up pipe — not as an argument, not in the environment — and the
    pool must start and prepare reports with them (the positive control)."""
    engine, keys = store
    import base64
    from cryptography.hazmat.primitives import serialization
    secrets = [k.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                               serialization.NoEncryption()) for k in (keys.x25519, keys.ed25519)]
    needles = [n for s in secrets for n in (s, s.hex().encode(), base64.b64encode(s),
                                            base64.urlsafe_b64encode(s).rstrip(b"="))]

    def exposed(pid: int) -> bytes:
        out = b""
        for what in ("cmdline", "environ"):
            with open(f"/proc/{pid}/{what}", "rb") as fh:
                out += fh.read()
        return out
    from office.derive.prepare import Preparer
    alice = _volunteers(engine)[0]
    reports = [_seal(keys, alice, _form().example()) for _ in range(4)]
    opening.keep_for_derive(False)
    assert {o["status"] for o in _push(engine, keys, alice, reports)} == {"accepted"}
    with db.reading(engine) as conn:
        raws = worker._raws(conn, {r.envelope_id for r in reports})
    with Preparer(keys, workers=2) as preparer:
        preparer.warm()
        pids = preparer.pids()
        assert pids                                            # workers - 1 of them
        for pid in [os.getpid(), *pids]:
            assert not any(n in exposed(pid) for n in needles), pid
        prepared = preparer.submit(raws).get()
    assert sorted(s.envelope_id for s in prepared) == sorted(r.envelope_id for r in reports)
    assert all(s.answers is not None for s in prepared)       # the keys did reach them


def test_blank_text_is_blank_for_every_character_the_door_may_meet():
    """(ingest3: is_answered without copying the text.) A required answer of whitespace only
    is refused — for every Unicode code point, alone and padded, the new test agrees with the
    old `v.strip() != ""` (a character one counts as space and the other not would let a
    blank required answer through, or refuse a real one)."""
    from forms.conditions import is_answered
    for cp in range(0x110000):
        c = chr(cp)
        for v in (c, " " + c + "\t"):
            assert is_answered(v) == (v.strip() != ""), hex(cp)


def test_one_report_that_breaks_a_consumers_preparation_holds_up_no_other(store, caplog):
    """(Was a BREAK on derive4: the consumers' `prepare` steps ran outside worker._settle's
    savepoint and try, so one report a consumer cannot read — a bug, a shape no one foresaw —
    failed the whole batch, which was claimed again and failed again forever.) A consumer's
    bug costs that report's job a retry, never the rest: the other reports are derived, the
    poisoned one's job is pushed back with its error, and the log names neither answer nor
    error message."""
    from office.derive import registry
    engine, keys = store
    alice = _volunteers(engine)[0]
    reports = [_seal(keys, alice, _form().example()) for _ in range(6)]
    poison = reports[2].envelope_id
    derived_ids: list[str] = []

    def read(keys_, item) -> None:                    # the consumer's per-report reading
        if item.envelope_id == poison:
            raise ValueError("this report breaks me")
        item.memo["picky"] = True

    def derive(conn, keys_, items, now) -> None:
        for item in items:
            if "picky" not in item.memo:
                read(keys_, item)                     # derive gives the same without prepare
        derived_ids.extend(item.envelope_id for item in items)     # a batch that raised wrote nothing
    registry.register(registry.Consumer("picky_prepare", derive, prepare=read))
    try:
        assert {o["status"] for o in _push(engine, keys, alice, reports)} == {"accepted"}
        caplog.set_level("DEBUG")
        worker.exhaust(engine, keys, timeout=30)
    finally:
        registry._registered.pop("picky_prepare")
    assert "picky_prepare: prepare failed: ValueError" in caplog.text
    assert "this report breaks me" not in caplog.text and "Udin" not in caplog.text
    assert sorted(derived_ids) == sorted(r.envelope_id for r in reports if r.envelope_id != poison)
    assert found(engine, keys, "Udin") >= {r.envelope_id for r in reports if r.envelope_id != poison}
    with db.reading(engine) as conn:
        left = conn.execute(select(derive_jobs.c.envelope_id, derive_jobs.c.attempts)
                            .where(derive_jobs.c.consumer == "picky_prepare")).all()
    assert left == [(poison, 1)]


def _descendants(pid: int) -> set[int]:
    """Every live process whose parent chain leads to `pid` (read from /proc)."""
    parents: dict[int, int] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat") as fh:
                    parents[int(name)] = int(fh.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                pass
    out, frontier = set(), {pid}
    while frontier:
        frontier = {p for p, pp in parents.items() if pp in frontier} - out
        out |= frontier
    return out


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_a_derive_worker_killed_9_leaves_no_pool_process_holding_the_key_and_derives_nothing_twice(tmp_path):
    """(`office derive --workers 2`.) The standalone
    derive worker is killed with SIGKILL (the OOM killer picks the parent) while its pool
    prepares: its pool processes — each holding the office's private keys in memory — must
    not outlive it, and a restarted worker finishes with every report derived exactly once."""
    import signal
    import subprocess
    from jaga_desa.testing.servers import JAGA
    from jaga_desa.testing.waits import wait_until
    from tests.office.test_derive import count, push, snapshot
    keys = office_keys.load_or_create(tmp_path, TEST_OFFICE_KEY)
    engine = db.open_store(tmp_path)
    try:
        ids = push(engine, keys, 240, batch=60)
        total = count(engine, derive_jobs)
        pool = ["--workers", "2"]
        argv = [*JAGA, "office", "derive", "--data", str(tmp_path), "--batch", "10", *pool]
        proc = subprocess.Popen(argv, env={**os.environ, "JAGA_OFFICE_KEY": TEST_OFFICE_KEY},
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        children: set[int] = set()
        try:
            wait_until(lambda: count(engine, derive_jobs) < total or proc.poll() is not None, 120,
                       "the worker to settle its first batch")
            children = _descendants(proc.pid)
            assert children, "the pool's processes"
            os.kill(proc.pid, signal.SIGKILL)                      # the parent only, as the OOM killer
            proc.wait()
            wait_until(lambda: not any(_alive(c) for c in children), 60,
                       "the killed worker's pool processes to exit")
        finally:
            for c in _descendants(proc.pid) | children:
                if _alive(c):
                    os.kill(c, signal.SIGKILL)
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait()
        assert count(engine, derive_jobs) > 0, "the kill must land while work remains"
        with engine.begin() as conn:          # a killed SQLite holder's lease would block the next for 30 s
            conn.execute(worker.derive_lease.delete())
        done = subprocess.run(argv + ["--once"], env={**os.environ, "JAGA_OFFICE_KEY": TEST_OFFICE_KEY},
                              capture_output=True, timeout=600)
        assert done.returncode == 0, done.stderr.decode()[-2000:]
        assert count(engine, derive_jobs) == 0
        after = snapshot(engine)
        from office.dashboard import search_index
        with db.reading(engine) as conn:
            assert search_index.indexed(conn) == set(ids)
        assert max(after["terms"].values()) == 1 and max(after["links"].values()) == 1
    finally:
        engine.dispose()


# ---------------------------------------------------------------- 5. the same, over HTTP


def test_the_real_office_answers_every_hostile_header_and_answer_per_item_never_5xx(office):
    """A real office (uvicorn over loopback): an enrolled phone pushes, in one batch, cut and
    lying-length envelopes next to correctly signed reports with every hostile answer above.
    The office answers 200 with one typed result per item — the hostile headers
    `envelope_invalid`, each hostile answer accepted exactly when validate-then-clean takes
    it, else `answers_invalid` or `too_large` — and never a 5xx."""
    import base64
    import requests
    from tests.support import enroll
    from .conftest import VILLAGE
    person, client = enroll(office, VILLAGE, "volunteer", "Penyusup Enam")
    form = _form()

    def sealed(answers) -> bytes:
        return env.seal({"answers": answers}, form_id=form.id, form_version=form.version, author_id=person.id,
                        device_id=person.device_id, signing_key=person.ed, recipients=[person.office_x()]).envelope
    honest = sealed(form.example())
    at = _offsets(honest)
    headers = [honest[:k] for k in (0, 3, 40, _HEAD_END, at["natt"], at["ct_len"] + 2, len(honest) - 1)]
    headers += [honest[:at[n]] + b"\xff" + honest[at[n] + 1:] for n in ("form_len", "natt", "nwraps")]
    headers.append(honest[:at["ct_len"]] + b"\xff\xff\xff\xff" + honest[at["ct_len"] + 4:])
    answers = _hostile_answers()
    items = headers + [sealed(a) for a in answers] + [honest]
    r = requests.post(office.url + "/api/v1/envelopes", timeout=120,
                      headers={"Authorization": f"Bearer {client.token}"},
                      json={"envelopes": [base64.b64encode(e).decode() for e in items]})
    assert r.status_code == 200, r.text[:500]
    results = r.json()["results"]
    assert len(results) == len(items)
    assert [x.get("code") for x in results[:len(headers)]] == ["envelope_invalid"] * len(headers)
    for a, res in zip(answers, results[len(headers):]):
        errors, _ = _reference(form, a)
        if errors:
            assert res["status"] == "rejected" and res["code"] in ("answers_invalid", "too_large"), (a, res)
        else:
            assert res["status"] == "accepted" or res.get("code") == "too_large", (a, res)
    assert results[-1]["status"] == "accepted"


# ---------------------------------------------------------------- 6. pushes and derive sharing the writer


def test_a_flood_of_pushes_neither_starves_derive_nor_is_starved_by_it(store):
    """(steady: run_once(give_way=True), WriterGate.quiet/wait_quiet; elsewhere the worker as
    it is.) A hostile phone pushes report after report without pause while the office's derive
    worker has a batch to do: the worker still settles its batch (it is not made to wait for a
    pause that never comes), and every push of the flood is accepted while it derives (a push
    is never starved by derive). Bounded waits on conditions, no timing figures."""
    import threading
    from jaga_desa.testing.waits import wait_until
    engine, keys = store
    alice, bob = _volunteers(engine)[:2]
    form = _form()
    assert {o["status"] for o in _push(engine, keys, alice, [_seal(keys, alice, form.example())
                                                              for _ in range(30)])} == {"accepted"}
    flood = [_seal(keys, bob, form.example()) for _ in range(150)]
    outcomes: list[str] = []
    failures: list[BaseException] = []

    def flooder() -> None:
        try:
            for s in flood:
                outcomes.extend(o["status"] for o in _push(engine, keys, bob, [s]))
        except BaseException as exc:             # noqa: BLE001 — reported by the test
            failures.append(exc)
    pusher = threading.Thread(target=flooder, daemon=True)
    pusher.start()
    wait_until(lambda: len(outcomes) >= 5 or failures, 60, "the flood to start")
    kwargs = {"give_way": True} if "give_way" in inspect.signature(worker.run_once).parameters else {}
    settled: list = []

    def derive() -> None:
        try:
            settled.append(worker.run_once(engine, keys, **kwargs))
        except BaseException as exc:             # noqa: BLE001 — reported by the test
            settled.append(exc)
    deriver = threading.Thread(target=derive, daemon=True)
    deriver.start()
    deriver.join(timeout=120)
    assert settled, "derive starved: its batch never finished under a stream of pushes"
    assert isinstance(settled[0], int) and settled[0] > 0, settled
    pusher.join(timeout=300)
    assert not pusher.is_alive() and not failures, failures
    assert outcomes == ["accepted"] * len(flood)
    worker.exhaust(engine, keys)
    with db.reading(engine) as conn:
        assert conn.execute(select(func.count()).select_from(envelopes)).scalar_one() == 180
        assert conn.execute(select(func.count()).select_from(derive_jobs)).scalar_one() == 0
