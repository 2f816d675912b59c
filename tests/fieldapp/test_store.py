"""The store's promises: nothing readable at rest, tamper-evident, crash- and disk-full-safe."""
import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest

import forms
from core.errors import CorruptStore, DecryptError, StorageFull
from fieldapp.device import Device

from .conftest import PIN

ROOT = Path(__file__).resolve().parents[2]


def all_bytes(data_dir: Path) -> bytes:
    return b"".join(p.read_bytes() for p in data_dir.rglob("*") if p.is_file())


def test_plaintext_scan_finds_no_canary(tmp_path, device, volunteer, office):
    canaries = []
    form = forms.load("laporan_kecurigaan")
    for i in range(5):
        answers = form.example()
        for f in form.fields:
            if f.type == "text" and f.name in answers:
                c = f"CANARY{uuid.uuid4().hex[:12]}"
                canaries.append(c)
                answers[f.name] = c
        if i % 2:
            device.file(volunteer, form.id, answers)
        else:
            rid = device.new_draft(volunteer, form.id, {})
            device.save_draft(volunteer, rid, answers)
    assert canaries
    # also the user's own name choice must not leak beyond the lock-screen label
    device.close()
    blob = all_bytes(tmp_path / "dev")
    assert (tmp_path / "dev" / "jaga.db").is_file()
    # positive control: the scan does read the rows (their form id is a clear column by design)
    assert b"laporan_kecurigaan" in blob
    leaked = [c for c in canaries if c.encode() in blob or c.encode("utf-16-le") in blob]
    assert leaked == []


def test_nonces_are_unique_across_writes(device, volunteer):
    rid = device.new_draft(volunteer, "laporan_kecurigaan")
    nonces = set()
    for i in range(300):
        device.save_draft(volunteer, rid, {"tempat": "x"})
        blob = device.db.conn.execute("SELECT answers FROM reports WHERE id=?", (rid,)).fetchone()[0]
        nonces.add(blob[:12])
    assert len(nonces) == 300


def test_tampered_ciphertext_is_a_typed_error(device, volunteer):
    rid = device.new_draft(volunteer, "laporan_kecurigaan", {"tempat": "Nunukan"})
    blob = bytearray(device.db.conn.execute("SELECT answers FROM reports WHERE id=?", (rid,)).fetchone()[0])
    blob[20] ^= 0x01
    device.db.conn.execute("UPDATE reports SET answers=? WHERE id=?", (bytes(blob), rid))
    with pytest.raises(DecryptError):
        device.load_answers(volunteer, rid)


def test_ciphertext_moved_to_another_row_fails(device, volunteer):
    a = device.new_draft(volunteer, "laporan_kecurigaan", {"tempat": "A"})
    b = device.new_draft(volunteer, "laporan_kecurigaan", {"tempat": "B"})
    blob = device.db.conn.execute("SELECT answers FROM reports WHERE id=?", (a,)).fetchone()[0]
    device.db.conn.execute("UPDATE reports SET answers=? WHERE id=?", (blob, b))
    with pytest.raises(DecryptError):
        device.load_answers(volunteer, b)


def test_corrupt_file_is_refused_and_never_overwritten(tmp_path):
    d = tmp_path / "bad"
    d.mkdir()
    junk = os.urandom(4096)
    (d / "jaga.db").write_bytes(junk)
    with pytest.raises(CorruptStore):
        Device(d)
    with pytest.raises(CorruptStore):
        Device.init(d)
    assert (d / "jaga.db").read_bytes() == junk


def test_damaged_pages_are_refused(tmp_path, device, volunteer):
    for _ in range(50):
        device.new_draft(volunteer, "laporan_kecurigaan", {"tempat": "x" * 500})
    device.close()
    path = tmp_path / "dev" / "jaga.db"
    con = sqlite3.connect(path)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    data = bytearray(path.read_bytes())
    for off in range(4096 * 2, min(len(data), 4096 * 6), 7):
        data[off] = 0xFF
    path.write_bytes(bytes(data))
    before = path.read_bytes()
    with pytest.raises(CorruptStore):
        Device(tmp_path / "dev")
    assert path.read_bytes() == before


def test_disk_full_keeps_previous_state(device, volunteer):
    rid = device.new_draft(volunteer, "laporan_kecurigaan", {"tempat": "sebelum"})
    pages = device.db.conn.execute("PRAGMA page_count").fetchone()[0]
    device.db.conn.execute(f"PRAGMA max_page_count={pages + 1}")   # SQLITE_FULL, as on a full disk
    with pytest.raises(StorageFull):
        for i in range(50):
            device.save_draft(volunteer, rid, {"tempat": "sesudah", "apa_dilihat": os.urandom(4000).hex()})
    assert device.load_answers(volunteer, rid)["tempat"] in ("sebelum", "sesudah")
    last_good = device.load_answers(volunteer, rid)
    device.db.conn.execute("PRAGMA max_page_count=1073741823")
    assert device.load_answers(volunteer, rid) == last_good
    assert device.db.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


CHILD = textwrap.dedent("""
    import os, sys
    os.environ["JAGA_KDF_SECONDS"] = "0.02"
    sys.path.insert(0, {root!r})
    from fieldapp.device import Device
    dev = Device({data!r})
    s = dev.unlock("Siti", {pin!r})
    rid = {rid!r}
    i = 0
    while True:
        i += 1
        dev.save_draft(s, rid, {{"tempat": "save-%d" % i, "apa_dilihat": "y" * 3000}})
        print(i, flush=True)
""")


def test_kill_minus_nine_mid_save_keeps_last_committed_draft(tmp_path, device, volunteer):
    rid = device.new_draft(volunteer, "laporan_kecurigaan", {"tempat": "save-0"})
    device.close()
    code = CHILD.format(root=str(ROOT), data=str(tmp_path / "dev"), pin=PIN, rid=rid)
    for round_ in range(3):
        proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
        seen = 0
        deadline = time.monotonic() + 30
        while seen < 5 + round_ * 7 and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            seen = int(line)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        assert seen >= 5, "child never saved"
        dev = Device(tmp_path / "dev")
        assert dev.db.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        s = dev.unlock("Siti", PIN)
        got = int(dev.load_answers(s, rid)["tempat"].split("-")[1])
        assert got >= seen           # every save the child reported is durable
        dev.close()


def test_data_files_are_private_even_under_a_lax_umask(tmp_path):
    """0700 folder, 0600 db/-wal/-shm: another app or user on the phone cannot even copy them."""
    old = os.umask(0o022)
    try:
        dev = Device.init(tmp_path / "dev")
        dev.add_user("Siti", "volunteer", PIN)
        d = tmp_path / "dev"
        assert oct(d.stat().st_mode & 0o777) == "0o700"
        for name in ("jaga.db", "jaga.db-wal", "jaga.db-shm"):
            assert oct((d / name).stat().st_mode & 0o777) == "0o600", name
        dev.close()
        # a folder from an older version (world-readable) is tightened when opened
        for p in [d, *d.iterdir()]:
            p.chmod(0o755 if p.is_dir() else 0o644)
        Device(d).close()
        assert {oct(p.stat().st_mode & 0o777) for p in d.iterdir()} == {"0o600"}
        assert oct(d.stat().st_mode & 0o777) == "0o700"
    finally:
        os.umask(old)


def test_scrub_empties_the_wal_and_never_waits_on_another_reader(tmp_path):
    """fieldapp.store.scrub (after forgetting summaries and reply texts): with another
    process's reader on an old snapshot it gives up at once, keeps the store's busy
    timeout and marks the scrub owed; once the reader is gone the next purge (every unlock
    and sync) writes the pages home and empties the -wal."""
    from fieldapp import history
    from fieldapp.store import open_db, scrub, scrub_pending, transaction
    db = open_db(tmp_path / "d", create=True)
    reader = sqlite3.connect(tmp_path / "d" / "jaga.db")
    try:
        reader.execute("BEGIN")
        reader.execute("SELECT COUNT(*) FROM meta").fetchone()          # holds the old snapshot
        with transaction(db) as conn:
            conn.execute("INSERT INTO meta(key, value) VALUES('forgotten', 'x')")
        assert scrub(db) is False
        assert db.conn.execute("PRAGMA busy_timeout").fetchone()[0] == 10000
        assert (tmp_path / "d" / "jaga.db-wal").stat().st_size > 0
        assert scrub_pending(db)                       # remembered for the next unlock or sync
        reader.rollback()
        history.purge_old(db, "30")                    # nothing to forget, but the scrub is owed
        assert not scrub_pending(db)
        assert (tmp_path / "d" / "jaga.db-wal").stat().st_size == 0
        assert scrub(db) is True
    finally:
        reader.close()
        db.close()


def test_m008_adds_the_binding_and_the_next_unlock_binds_older_reports(tmp_path, device, volunteer):
    """A phone upgraded from m007: the migration adds the column, her next unlock binds the
    reports she sealed before it (once), and the sent report's thread opens again."""
    from fieldapp import reports, trust

    form = forms.load("laporan_kecurigaan")
    rid = device.new_draft(volunteer, form.id, form.example())
    eid = device.finalize(volunteer, rid)
    bundle = device.trust_bundle(volunteer)
    bundle.pop(reports.BINDINGS_DONE, None)
    conn = device.db.conn
    with conn:                                    # the file as an m007 phone left it
        trust.save(conn, volunteer, bundle)
    conn.execute("ALTER TABLE reports DROP COLUMN envelope_binding")
    conn.execute("DELETE FROM _sqlite_migrations WHERE name='m008_report_binding'")
    device.close()

    dev = Device(tmp_path / "dev")
    try:
        assert "envelope_binding" in dev.db["reports"].columns_dict
        assert dev.db.conn.execute("SELECT envelope_binding FROM reports").fetchone() == (None,)
        s = dev.unlock("Siti", PIN)
        assert reports.bound_envelope_ids(dev.db, s) == {rid: eid}
        assert dev.trust_bundle(s)[reports.BINDINGS_DONE] is True
        assert dev.thread(s, rid) == []           # opens (nothing said yet), not "unreadable"
    finally:
        dev.close()
