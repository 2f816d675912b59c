"""Red team on courier mode (issue 26): the file travels through hands nobody vouches for —
a boat, a market, a chat app, a second phone. Whoever holds it edits one byte, cuts it off,
hands it in twice, hands in another office's file, forges the receipts coming back, or
(the carrier) tries to read it. Each gets a typed answer; nothing is lost, nothing doubled:
a report leaves the phone only on a receipt that verifies under its author's office key.

Every party is real: the phone's store and CLI, the office under uvicorn with its own
`office-admin courier import` on the same store, real keys. Nothing is faked."""
from __future__ import annotations

import base64
import hashlib
import json
import os
import uuid

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, func, select

import forms
from core.errors import CourierError, CourierWrongOffice, EnvelopeError
from fieldapp import courier
from fieldapp.device import Device
from jaga_desa.testing.servers import OfficeServer
from office.schema import attachment_chunks, attachments
from sync import courier as wire
from sync import envelope as env
from sync import receipt as rc
from sync.ports import OutboxItem
from sync.runner import sync_round
from tests.support import enroll, village
from tests.sync.test_courier import office_admin, stored, three_offline
from tests.sync.test_sync_device import HEAD_PIN, PIN, cli, client_for, enroll_user, phone  # noqa: F401 — fixture

CANARY = "KANARI-kurir-7731 calo bernama Pak Usman di dermaga"


def _export(data, path) -> bytes:
    cli(data, "courier", "export", "--out", str(path))
    return path.read_bytes()


def _envelopes(dev: Device) -> dict[str, bytes]:
    return {rid: bytes(e) for rid, e in dev.db.conn.execute("SELECT id, envelope FROM reports WHERE envelope IS NOT NULL")}


def _waiting(dev: Device) -> set[str]:
    return {r["id"] for r in dev.outbox() if r["state"] in ("waiting", "courier")}


def test_one_byte_edited_skips_that_report_only(office_server, phone, tmp_path):
    """One byte of one envelope flipped on the way: that record fails its check and is skipped
    (`error [courier_damaged]`, exit non-zero), the other two are imported and purged; the
    damaged one stays on the phone and arrives whole with the next courier file."""
    dev, data, _ = phone
    three_offline(dev)
    envs = _envelopes(dev)
    raw = bytearray(_export(data, tmp_path / "k.jdk"))
    victim = next(rid for rid, e in envs.items() if not env.peek(e).attachments)
    at = bytes(raw).find(envs[victim]) + len(envs[victim]) // 2
    raw[at] ^= 0x01
    (tmp_path / "k.jdk").write_bytes(bytes(raw))
    proc = office_admin(office_server, "courier", "import", str(tmp_path / "k.jdk"),
                        "--receipts-out", str(tmp_path / "tt.json"), check=False)
    assert proc.returncode != 0 and proc.stderr.strip().startswith("error [courier_damaged]:"), proc.stderr
    assert len(stored(office_server)) == 2
    got = json.loads(cli(data, "--json", "courier", "receipts", str(tmp_path / "tt.json")).stdout)
    assert got["purged"] == 2 and _waiting(dev) == {victim}
    # the next courier file carries it whole; nothing is stored twice
    _export(data, tmp_path / "k2.jdk")
    again = json.loads(office_admin(office_server, "courier", "import", str(tmp_path / "k2.jdk"),
                                    "--receipts-out", str(tmp_path / "tt2.json"), "--json").stdout)
    assert again["accepted"] == 1 and again["duplicate"] == 0 and len(stored(office_server)) == 3
    cli(data, "courier", "receipts", str(tmp_path / "tt2.json"))
    assert _waiting(dev) == set()


def test_an_edit_that_fixes_the_record_check_is_refused_by_the_signature(office_server, phone, tmp_path):
    """Someone who knows the format edits an envelope and recomputes the record's check: the
    author's signature fails, the office refuses it (envelope_invalid) and signs that refusal
    for the edited bytes only — which does not close her report: it stays waiting."""
    dev, data, _ = phone
    three_offline(dev)
    envs = _envelopes(dev)
    victim = next(rid for rid, e in envs.items() if not env.peek(e).attachments)
    items = [i for i in dev.pending()]
    edited = bytearray(envs[victim])
    edited[len(edited) // 2] ^= 0x01
    forged = [type(i)(i.envelope_id, bytes(edited) if i.envelope == envs[victim] else i.envelope, i.blobs)
              for i in items]
    key_id = wire.unpack(_export(data, tmp_path / "orig.jdk")).office_key_id
    (tmp_path / "k.jdk").write_bytes(wire.pack(forged, key_id))
    out = json.loads(office_admin(office_server, "courier", "import", str(tmp_path / "k.jdk"),
                                  "--receipts-out", str(tmp_path / "tt.json"), "--json").stdout)
    assert out["accepted"] == 2 and out["refused"] == {"envelope_invalid": 1}
    got = json.loads(cli(data, "--json", "courier", "receipts", str(tmp_path / "tt.json")).stdout)
    assert got["purged"] == 2 and got["refused"] == 0 and got["not_trusted"] == 1
    assert _waiting(dev) == {victim}


def test_a_cut_off_file_imports_what_is_whole(office_server, phone, tmp_path):
    """The transfer stopped halfway: what is whole is imported, the rest is reported as cut
    off and stays on the phone; a photo whose pieces did not all arrive is not half-believed
    (its report is stored, its receipt incomplete, so the phone keeps it until the photo comes)."""
    dev, data, _ = phone
    three_offline(dev)
    raw = _export(data, tmp_path / "k.jdk")
    envs = _envelopes(dev)
    second = sorted(raw.find(e) for e in envs.values())[1]
    (tmp_path / "cut.jdk").write_bytes(raw[:second + 40])      # into the second report
    proc = office_admin(office_server, "courier", "import", str(tmp_path / "cut.jdk"),
                        "--receipts-out", str(tmp_path / "tt.json"), check=False)
    assert proc.returncode != 0 and "error [courier_damaged]" in proc.stderr and "cut off" in proc.stderr
    held = stored(office_server)
    assert len(held) == 1
    got = json.loads(cli(data, "--json", "courier", "receipts", str(tmp_path / "tt.json")).stdout)
    assert got["purged"] + got["incomplete"] == 1 and len(_waiting(dev)) == 3 - got["purged"]
    # the whole file later: everything arrives, the first one as a duplicate, nothing twice
    out = json.loads(office_admin(office_server, "courier", "import", str(tmp_path / "k.jdk"),
                                  "--receipts-out", str(tmp_path / "tt2.json"), "--json").stdout)
    assert out["duplicate"] == 1 and out["accepted"] == 2 and out["photos_missing"] == 0
    cli(data, "courier", "receipts", str(tmp_path / "tt2.json"))
    assert _waiting(dev) == set() and len(stored(office_server)) == 3


def test_replay_and_import_twice_are_duplicates_with_the_same_receipts(office_server, phone, tmp_path):
    dev, data, _ = phone
    three_offline(dev)
    _export(data, tmp_path / "k.jdk")
    first = office_admin(office_server, "courier", "import", str(tmp_path / "k.jdk"),
                         "--receipts-out", str(tmp_path / "a.json"), "--json")
    second = json.loads(office_admin(office_server, "courier", "import", str(tmp_path / "k.jdk"),
                                     "--receipts-out", str(tmp_path / "b.json"), "--json").stdout)
    assert json.loads(first.stdout)["accepted"] == 3 and second["duplicate"] == 3 and second["accepted"] == 0
    a = {r["envelope_id"]: r["receipt"] for r in wire.unpack_receipts((tmp_path / "a.json").read_bytes())[1]}
    b = {r["envelope_id"]: r["receipt"] for r in wire.unpack_receipts((tmp_path / "b.json").read_bytes())[1]}
    assert {k: v["received_at"] for k, v in a.items()} == {k: v["received_at"] for k, v in b.items()}
    assert len(stored(office_server)) == 3
    # the same envelope twice inside one file (a replayed record): one row, one receipt
    items = dev.pending()
    key_id = wire.unpack((tmp_path / "k.jdk").read_bytes()).office_key_id
    (tmp_path / "twice.jdk").write_bytes(wire.pack(items + items, key_id))
    twice = json.loads(office_admin(office_server, "courier", "import", str(tmp_path / "twice.jdk"),
                                    "--json").stdout)
    assert twice["envelopes"] == 6 and twice["duplicate"] == 6 and len(stored(office_server)) == 3
    cli(data, "courier", "receipts", str(tmp_path / "b.json"))
    assert _waiting(dev) == set()


def test_another_offices_file_is_refused_whole(office_server, phone, tmp_path):
    """A file made for another office is refused before anything is read into the store
    (`courier_wrong_office`); the other office's receipts file closes nothing on the phone."""
    dev, data, _ = phone
    three_offline(dev)
    _export(data, tmp_path / "k.jdk")
    other = OfficeServer(tmp_path / "other-office")       # another office: other keys (not started: CLI only)
    other.data_dir.mkdir(parents=True)
    proc = office_admin(other, "courier", "import", str(tmp_path / "k.jdk"), check=False)
    assert proc.returncode != 0 and proc.stderr.strip().startswith("error [courier_wrong_office]:")
    # the other office's own answer, sealed and signed with its keys, brought to this phone
    from office.keys import load_or_create
    theirs = load_or_create(other.data_dir)
    fake = wire.pack_receipts([{"envelope_id": i.envelope_id, "status": "accepted"} for i in dev.pending()],
                              theirs.key_id)
    (tmp_path / "theirs.json").write_bytes(fake)
    proc = cli(data, "courier", "receipts", str(tmp_path / "theirs.json"), check=False)
    assert proc.returncode != 0 and proc.stderr.strip().startswith("error [courier_wrong_office]:")
    assert len(_waiting(dev)) == 3
    # and a file that is no courier file at all
    (tmp_path / "junk.jdk").write_bytes(b"PK\x03\x04 not a courier file")
    proc = office_admin(office_server, "courier", "import", str(tmp_path / "junk.jdk"), check=False)
    assert proc.returncode != 0 and proc.stderr.strip().startswith("error [courier_invalid]:")


def test_forged_receipts_purge_nothing(office_server, phone, tmp_path):
    """The receipts file coming back is edited: a receipt body changed, a signature swapped
    for one over another batch, a refusal invented. Nothing is purged or closed; every
    report waits for a receipt that verifies."""
    dev, data, _ = phone
    three_offline(dev)
    _export(data, tmp_path / "k.jdk")
    office_admin(office_server, "courier", "import", str(tmp_path / "k.jdk"), "--receipts-out", str(tmp_path / "tt.json"))
    office_id, results = wire.unpack_receipts((tmp_path / "tt.json").read_bytes())
    bad = []
    for i, r in enumerate(results):
        r = json.loads(json.dumps(r))
        if i == 0:
            r["receipt"]["received_at"] = "2020-01-01T00:00:00.000Z"           # body edited
        elif i == 1:
            r["receipt"]["signature"] = base64.b64encode(b"\x00" * 64).decode()  # signature forged
        else:
            r = {"envelope_id": r["envelope_id"], "status": "rejected", "code": "revoked",
                 "reason": "forged", "refusal": {"signature": "AAAA"}}            # refusal invented
        bad.append(r)
    (tmp_path / "forged.json").write_bytes(wire.pack_receipts(bad, office_id))
    got = json.loads(cli(data, "--json", "courier", "receipts", str(tmp_path / "forged.json")).stdout)
    assert got["purged"] == got["refused"] == 0 and got["not_trusted"] == 3
    assert len(_waiting(dev)) == 3
    got = json.loads(cli(data, "--json", "courier", "receipts", str(tmp_path / "tt.json")).stdout)
    assert got["purged"] == 3


def test_no_answer_text_name_or_village_in_the_courier_file(phone, tmp_path):
    """Canaries: the answers, the volunteer's name and the village are nowhere in the file,
    in any form a reader could find (plain, or as the base64/hex a tool might print)."""
    dev, data, _ = phone
    s = dev.unlock("Sari", PIN)
    answers = forms.load("laporan_kecurigaan").example()
    answers["apa_dilihat"] = CANARY
    dev.file(s, "laporan_kecurigaan", answers)
    dev.file(s, "laporan_kecurigaan", answers, rahasia=True)
    raw = _export(data, tmp_path / "k.jdk")
    for needle in (CANARY, "Pak Usman", "Sari", "Entikong", "Sebatik"):
        for form in (needle.encode(), needle.encode("utf-16-le"), base64.b64encode(needle.encode()),
                     needle.encode().hex().encode()):
            assert form not in raw, needle
    assert len(raw) == wire.bucket(len(raw)) == wire.MIN_BUCKET


def test_the_carrier_cannot_open_what_it_carries_and_cannot_pass_it_off(office_server, phone, tmp_path, monkeypatch):
    """A phone of another village carries the file: none of its keys opens any envelope in it.
    Its push credits every report to its real author and phone, never to the carrier; an
    envelope the carrier edits is refused by the author's signature."""
    dev, data, people = phone
    three_offline(dev)
    raw = _export(data, tmp_path / "k.jdk")
    monkeypatch.setenv("JAGA_KDF_SECONDS", "0.02")
    village(office_server, "Sajingan")
    carrier_dir = tmp_path / "carrier"
    cli(carrier_dir, "init")
    cli(carrier_dir, "add-user", "--name", "Budi", "--role", "volunteer", pin=PIN)
    code = office_server.admin_json(["enroll-code", "--village", "Sajingan", "--role", "volunteer",
                                     "--name", "Budi"])["enroll"]
    cli(carrier_dir, "enroll", "--office", office_server.url, "--code", code, "--user", "Budi", pin=PIN)
    carrier = Device(carrier_dir)
    try:
        courier.carry(carrier, raw)
        s = carrier.unlock("Budi", PIN)
        sari = env.load_public_ed25519(bytes(dev.db.conn.execute(
            "SELECT ed25519_public FROM users WHERE label='Sari'").fetchone()[0]))
        for item in courier.carried_items(carrier):          # even given her real signing key
            with pytest.raises(EnvelopeError):
                env.open(item.envelope, recipient_key=s.x25519, author_public=sari)
        # the carrier edits one it carries before pushing: refused, the others credited to Sari
        eid = courier.carried_items(carrier)[0].envelope_id
        edited = bytearray(carrier.db.conn.execute("SELECT envelope FROM carried WHERE envelope_id=?", (eid,)).fetchone()[0])
        edited[-70] ^= 0x01
        with carrier.batch() as conn:
            conn.execute("UPDATE carried SET envelope=? WHERE envelope_id=?", (bytes(edited), eid))
        result = sync_round(carrier, client_for(carrier))
        assert result.ok and result.carried == 3, result      # 2 receipts, 1 signed refusal
        held = stored(office_server)
        assert eid not in held and {h["author_id"] for h in held.values()} == {people["Sari"]}
        assert {h["device_id"] for h in held.values()} == {dev.device_id}
        # the office refused the edited bytes, and signed that: the carrier takes the refusal
        # back, and it closes nothing on her phone — it is not about the bytes she sealed
        assert carrier.status()["carried"] == 0
        back, n = courier.receipts_file(carrier)
        (tmp_path / "back.json").write_bytes(back)
    finally:
        carrier.close()
    got = json.loads(cli(data, "--json", "courier", "receipts", str(tmp_path / "back.json")).stdout)
    assert got["purged"] == 2 and got["refused"] == 0 and got["not_trusted"] == 1
    assert len(_waiting(dev)) == 1


def test_a_revoked_author_is_refused_by_courier_as_by_the_push(office_server, phone, tmp_path):
    """Same admission as the push: the office revoked her; her reports by courier are refused
    with the office's signed refusal, which the phone believes and shows (`refused`)."""
    dev, data, people = phone
    three_offline(dev)
    _export(data, tmp_path / "k.jdk")
    office_server.admin(["revoke", "--person", people["Sari"]])
    out = json.loads(office_admin(office_server, "courier", "import", str(tmp_path / "k.jdk"),
                                  "--receipts-out", str(tmp_path / "tt.json"), "--json").stdout)
    assert out["refused"] == {"revoked": 3} and stored(office_server) == {}
    got = json.loads(cli(data, "--json", "courier", "receipts", str(tmp_path / "tt.json")).stdout)
    assert got["refused"] == 3 and {r["state"] for r in dev.outbox()} == {"refused"}


def test_answers_that_break_the_form_are_refused_by_courier_as_by_the_push(office_server, tmp_path):
    """An enrolled but hostile phone seals a report that breaks its form: the courier import
    applies the same admission (answers_invalid), stores nothing, and says so."""
    v = village(office_server, "Sajingan")
    person, client = enroll(office_server, v, "volunteer", "Budi")
    bad = person.report(answers={"apa_dilihat": 12})
    raw = wire.pack([OutboxItem(bad.envelope_id, bad.envelope)], person.enrolled["office_key_id"])
    (tmp_path / "k.jdk").write_bytes(raw)
    out = json.loads(office_admin(office_server, "courier", "import", str(tmp_path / "k.jdk"), "--json").stdout)
    assert out["refused"] == {"answers_invalid": 1} and stored(office_server) == {}
    # and through a phone's door (POST /courier): the same answer, a 4xx for junk, 401 without a token
    answer = client.post_courier(raw)
    assert answer["results"][0]["code"] == "answers_invalid"
    junk = requests.post(office_server.url + "/api/v1/courier", data=b"junk", timeout=30,
                         headers={"Authorization": f"Bearer {client.token}"})
    assert junk.status_code == 422 and junk.json()["code"] == "courier_invalid"
    assert requests.post(office_server.url + "/api/v1/courier", data=raw, timeout=30).status_code == 401
    client.close()


FUZZ = settings(max_examples=150, derandomize=True, deadline=None, database=None,
                suppress_health_check=list(HealthCheck))
_SAMPLE = [OutboxItem(str(uuid.uuid4()), os.urandom(900 + 100 * i),
                      {uuid.uuid4().hex: os.urandom(70_000)} if i == 1 else {}) for i in range(3)]
_FILE = wire.pack(_SAMPLE, "ab" * 16, pad=False)


@FUZZ
@given(st.lists(st.tuples(st.integers(0, len(_FILE) - 1), st.integers(1, 255)), max_size=6),
       st.integers(0, len(_FILE)), st.binary(max_size=300))
def test_a_mangled_file_never_yields_a_mangled_record(flips, cut, tail):
    """Bytes flipped anywhere, the file cut anywhere, junk appended: reading ends in data or
    CourierError, and every envelope and photo piece it yields is one that was packed, byte
    for byte — a damaged record is skipped, never taken."""
    raw = bytearray(_FILE)
    for at, x in flips:
        raw[at] ^= x
    try:
        got = wire.unpack(bytes(raw[:cut]) + tail)
    except CourierError:
        return
    assert all(e in {i.envelope for i in _SAMPLE} for e in got.envelopes)
    for (eid, att), pieces in got.chunks.items():
        blob = next(i.blobs[att] for i in _SAMPLE if i.envelope_id == eid)
        assert all(blob[off:off + len(p)] == p for off, p in pieces.items())


@FUZZ
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                    lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=10), c, max_size=4),
                    max_leaves=20))
def test_a_receipts_file_of_any_shape_is_read_or_refused_typed(body):
    """Any JSON where a receipts file should be: its results, or CourierError — never another
    exception (what the results say is verified later, one by one)."""
    import json as _json
    for data in (_json.dumps(body).encode(), _json.dumps({"format": wire.RECEIPTS_FORMAT, "v": 1,
                                                          "office": "x", "results": body}).encode()):
        try:
            office_id, results = wire.unpack_receipts(data)
        except CourierError:
            continue
        assert all(isinstance(r, dict) and isinstance(r["envelope_id"], str) for r in results)


def test_not_a_courier_file_is_a_typed_error():
    for junk in (b"", b"JDKURIR\x02" + b"\x00" * 40, b"PK\x03\x04", b"JDKURIR\x01short"):
        with pytest.raises(CourierError):
            wire.unpack(junk)
    with pytest.raises(CourierError):
        wire.unpack_receipts(b"{\"format\": 1}")


def test_a_carrier_cannot_plant_junk_in_someone_elses_photo(office_server, tmp_path):
    """A second enrolled phone (Budi) holds Sari's envelope (he carried it once) and posts a
    courier file of his own making through his door: her envelope and junk pieces for her
    photo — a prefix, and the whole size twice over (the same envelope many times, to make the
    office write and hash the junk again and again). The office writes nothing of a photo
    that does not match her signed manifest, so when her honest file arrives, her photo
    completes and her phone gets a complete receipt."""
    v = village(office_server, "Sajingan")
    sari, sari_client = enroll(office_server, v, "volunteer", "Sari")
    budi, budi_client = enroll(office_server, v, "volunteer", "Budi")
    att = uuid.uuid4().hex
    sealed = sari.report(attachments={att: os.urandom(200_000)})
    blob = sealed.blobs[att]
    key_id = sari.enrolled["office_key_id"]
    junk_whole = OutboxItem(sealed.envelope_id, sealed.envelope, {att: os.urandom(len(blob))})
    junk_prefix = OutboxItem(sealed.envelope_id, sealed.envelope, {att: os.urandom(1000)})
    for items in ([junk_whole] * 20, [junk_prefix]):
        answer = budi_client.post_courier(wire.pack(items, key_id))
        assert {r["envelope_id"] for r in answer["results"]} == {sealed.envelope_id}
    engine = create_engine(f"sqlite:///{office_server.data_dir / 'office.db'}")
    try:
        with engine.connect() as conn:
            held = conn.execute(select(attachments.c.received, attachments.c.complete)
                                .where(attachments.c.envelope_id == sealed.envelope_id)).one()
            junk = conn.execute(select(func.count()).select_from(attachment_chunks)).scalar_one()
    finally:
        engine.dispose()
    assert (held.received, held.complete, junk) == (0, False, 0)
    # her honest file: the photo completes, the receipt is complete for her phone
    (tmp_path / "k.jdk").write_bytes(wire.pack([OutboxItem(sealed.envelope_id, sealed.envelope, sealed.blobs)],
                                               key_id))
    out = json.loads(office_admin(office_server, "courier", "import", str(tmp_path / "k.jdk"),
                                  "--receipts-out", str(tmp_path / "tt.json"), "--json").stdout)
    assert out["photos_missing"] == 0 and stored(office_server)[sealed.envelope_id]["photo_complete"]
    _, results = wire.unpack_receipts((tmp_path / "tt.json").read_bytes())
    receipt = rc.verify(results[0]["receipt"], sari.office_ed(), sealed.envelope,
                        {att: hashlib.sha256(blob).hexdigest()})
    assert receipt.complete
    sari_client.close()
    budi_client.close()


def test_a_file_of_nested_damaged_records_costs_work_linear_in_its_size(monkeypatch):
    """A hostile file (a carrier's POST /courier, the dashboard, the CLI) made of record
    headers every 25 bytes, each claiming the rest of the file with a wrong check: a reader
    that hashes every claimed record and resumes at the next mark does quadratic work — 64 MiB
    would pin a core for hours (1 MiB of it hashed 20 GB). Reading hashes at most a few times
    the file's size and says the file is damaged; the work is counted in bytes hashed, not timed."""
    hashed = []
    real = hashlib.sha256

    def counting(data=b""):
        hashed.append(len(data))
        return real(data)

    monkeypatch.setattr(wire.hashlib, "sha256", counting)
    head, n = wire.MAGIC + bytes(16), 40_000                # a 1 MiB file
    end = len(head) + n * wire._REC.size
    out = bytearray(head)
    for _ in range(n):           # each claims exactly the rest of the file: its length fits
        out += wire._REC.pack(wire.MARK, wire.ENVELOPE, end - len(out) - wire._REC.size, bytes(16))
    got = wire.unpack(bytes(out))
    assert got.envelopes == [] and got.damaged > 0 and got.truncated
    assert sum(hashed) <= 4 * len(out), sum(hashed)


def test_one_envelope_repeated_in_a_file_assembles_its_photo_once(office_server, monkeypatch):
    """A phone floods the 64 MiB door with its own envelope many times over and one photo's
    worth of junk: the office assembles and checks that photo once per file, not once per
    copy (each copy would otherwise cost the photo's size again in copying and hashing)."""
    from office import courier as office_courier
    from office.keys import load_or_create
    v = village(office_server, "Sajingan")
    budi, client = enroll(office_server, v, "volunteer", "Budi")
    client.close()
    att = uuid.uuid4().hex
    sealed = budi.report(attachments={att: os.urandom(100_000)})
    junk = OutboxItem(sealed.envelope_id, sealed.envelope, {att: os.urandom(len(sealed.blobs[att]))})
    built = []
    real = wire.Unpacked.blob
    monkeypatch.setattr(wire.Unpacked, "blob", lambda self, *a, **kw: built.append(a) or real(self, *a, **kw))
    engine = create_engine(f"sqlite:///{office_server.data_dir / 'office.db'}")
    try:
        done = office_courier.import_file(engine, load_or_create(office_server.data_dir),
                                          wire.pack([junk] * 200, budi.enrolled["office_key_id"]))
    finally:
        engine.dispose()
    assert done.counts()["accepted"] == 1 and done.counts()["duplicate"] == 199
    assert done.photos_missing == [f"{sealed.envelope_id}/{att}"] and len(built) == 1
