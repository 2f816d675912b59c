"""kill -9 the phone at random points while it autosaves a draft and files reports through
the `device file` command (fieldapp.cli.main, in a loop, in a child process), many times
over the same data dir. After every kill: the SQLite file is intact, every report the
child said was sealed is in the outbox exactly once, nothing is half-sealed, the draft
is one of the versions that were saved, and the CLI still works.
"""
from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from PIL import Image

import forms
from sync import envelope as env

from .conftest import CHILD_ENV, PIN, ROOT, Phone

ROUNDS = 15

CHILD = textwrap.dedent("""
    import contextlib, io, json, sys
    from fieldapp.cli import main
    from fieldapp.device import Device
    data, answers_path, photo = sys.argv[1:4]
    answers = json.load(open(answers_path))
    dev = Device(data)
    s = dev.unlock("Siti", "%(pin)s")
    row = dev.db.conn.execute("SELECT value FROM meta WHERE key='crash_draft'").fetchone()
    if row is None:
        draft = dev.new_draft(s, "laporan_kecurigaan", {})
        with dev.db.conn:
            dev.db.conn.execute("INSERT INTO meta(key,value) VALUES('crash_draft',?)", (draft,))
    else:
        draft = row[0]
    n = int(sys.argv[4])
    print("READY", flush=True)
    while True:
        n += 1
        dev.save_draft(s, draft, {"apa_dilihat": f"versi {n} dari draf", "n": n})   # autosave
        print("SAVED", n, flush=True)
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            rc = main(["--data", data, "--json", "file", "--user", "Siti", "--form",
                       "laporan_kecurigaan", "--answers", answers_path, "--photo", photo])
        assert rc == 0, rc
        print("SEALED", json.loads(out.getvalue())["envelope_id"], flush=True)
""") % {"pin": PIN}


def check_store(db_path: Path, sealed: set[str]) -> int:
    """Integrity + outbox invariants straight from the file (no app code in between)."""
    conn = sqlite3.connect(db_path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        rows = conn.execute("SELECT id, envelope_id, status, envelope FROM reports "
                            "WHERE id NOT IN (SELECT value FROM meta WHERE key='crash_draft')").fetchall()
        eids = [r[1] for r in rows if r[1] is not None]
        assert len(eids) == len(set(eids)), "an envelope id is in the outbox twice"
        by_eid = {r[1]: r for r in rows if r[1] is not None}
        missing = sealed - set(by_eid)
        assert not missing, f"reported sealed but not in the outbox: {missing}"
        for eid in sealed:
            assert by_eid[eid][2] == "sealed" and by_eid[eid][3], eid
        for rid, eid, status, envelope in rows:
            if status == "sealed":                      # never half-sealed
                assert eid and envelope, rid
                atts = conn.execute("SELECT data, sealed FROM attachments WHERE report_id=?",
                                    (rid,)).fetchall()
                assert len(atts) == 1 and all(d is None and s for d, s in atts), rid
                header = env.peek(envelope)
                assert header.envelope_id == eid and len(header.attachments) == 1
            elif status == "received":                  # after the final sync: purged
                assert eid and envelope is None, rid
            else:                                       # a draft left by a kill mid-`file`
                assert status == "draft" and eid is None and envelope is None, rid
        seqs = [s for (s,) in conn.execute("SELECT seq FROM reports WHERE status='sealed'")]
        assert len(seqs) == len(set(seqs)), "two outbox entries share a sequence number"
        return len(by_eid)
    finally:
        conn.close()


def test_kill_9_while_saving_and_sealing(office, tmp_path):
    phone = Phone(tmp_path / "dev", office).setup()
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps(forms.load("laporan_kecurigaan").example()))
    photo = tmp_path / "p.jpg"
    Image.new("RGB", (64, 48), (10, 120, 30)).save(photo, "JPEG")
    script = tmp_path / "child.py"
    script.write_text(CHILD)

    rng = random.Random(20250115)
    sealed: set[str] = set()
    saved_n = 0
    kills_mid_file = 0
    for round_ in range(ROUNDS):
        proc = subprocess.Popen([sys.executable, str(script), str(phone.data), str(answers), str(photo),
                                 str(saved_n)], cwd=ROOT, env={**CHILD_ENV, "JAGA_PIN": PIN}, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, start_new_session=True)
        try:
            assert proc.stdout.readline().strip() == "READY", proc.stderr.read()
            # kill after a random number of progress lines, then a random extra delay: the
            # kill lands anywhere in autosave, unlock, draft, photo, finalize or commit
            target = rng.randint(0, 6)
            lines: list[str] = []
            while len(lines) < target:
                line = proc.stdout.readline()
                if not line:
                    break
                lines.append(line.strip())
            signal_delay = rng.uniform(0, 0.25)
            try:
                proc.wait(timeout=signal_delay)
            except subprocess.TimeoutExpired:
                pass
            assert proc.poll() is None, f"the child died by itself: {proc.stderr.read()[-3000:]}"
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(30)
            lines += [ln.strip() for ln in proc.stdout.read().splitlines()]
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(30)
            proc.stdout.close()
            proc.stderr.close()
        assert proc.returncode == -signal.SIGKILL, (round_, proc.returncode)
        for line in lines:
            kind, _, value = line.partition(" ")
            if kind == "SEALED":
                sealed.add(value)
            elif kind == "SAVED":
                saved_n = max(saved_n, int(value))
        if lines and lines[-1].startswith("SAVED"):
            kills_mid_file += 1
        check_store(phone.data / "jaga.db", sealed)

        # the draft is whole and one of the saved versions (the last reported, or the next)
        from fieldapp.device import Device
        dev = Device(phone.data)
        try:
            s = dev.unlock("Siti", PIN)
            draft = dev.db.conn.execute("SELECT value FROM meta WHERE key='crash_draft'").fetchone()
            if draft:
                got = dev.load_answers(s, draft[0])
                assert got == {} or got["n"] in (saved_n, saved_n + 1), (got, saved_n)
                saved_n = max(saved_n, got.get("n", 0))
        finally:
            dev.close()

    assert len(sealed) >= 5, "the child hardly sealed anything: the test proved little"
    assert kills_mid_file >= 1
    # the CLI still works on the crashed store, and sees every sealed report
    rows = phone.outbox()
    waiting = {r["envelope_id"] for r in rows if r["state"] == "waiting"}
    assert sealed <= waiting
    result = phone.sync()
    assert result["ok"] and result["received"] == len(waiting), result
    assert check_store(phone.data / "jaga.db", set()) == len(waiting)
    assert {r["state"] for r in phone.outbox() if r["envelope_id"]} == {"received"}
    print(f"{len(sealed)} reported sealed, {len(waiting)} in the outbox, {kills_mid_file} kills mid-file")
