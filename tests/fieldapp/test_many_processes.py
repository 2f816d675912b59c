"""One store, many processes (issue 10, attack 6): the running app and the CLI on one data
folder at the same time. Before the fix the app process's own store check opened and closed
jaga.db with Python's open(); closing any descriptor drops every POSIX lock the process holds
on the file, so the next CLI command to exit checkpointed and deleted -wal/-shm under the
app, and every later screen failed with "disk I/O error"."""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import forms

from .conftest import PIN

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "JAGA_KDF_SECONDS": "0.02", "PYTHONPATH": str(ROOT)}

# The app's pattern: one long-lived Device for the session, plus Devices opened and closed
# beside it (every sync round and "sync now" opens its own). Prints each completed step.
APP = textwrap.dedent("""
    import sys, traceback
    from fieldapp.device import Device
    data, stop = sys.argv[1], sys.argv[2]
    import os
    dev = Device(data)
    s = dev.unlock("Siti", {pin!r})
    rid = dev.new_draft(s, "laporan_kecurigaan", {{"tempat": "app-0"}})
    i = 0
    while not os.path.exists(stop):
        i += 1
        try:
            dev.save_draft(s, rid, {{"tempat": "app-%d" % i}})
            other = Device(data)                      # a sync round's own connection
            other.status()
            other.close()
            dev.outbox()
            assert dev.load_answers(s, rid)["tempat"] == "app-%d" % i
            print("ok", i, rid, flush=True)
        except Exception as exc:
            print("ERR", type(exc).__name__, exc, flush=True)
            traceback.print_exc()
    dev.close()
""")


def cli(data, *args, pin=None) -> subprocess.CompletedProcess:
    env = {**ENV, **({"JAGA_PIN": pin} if pin else {})}
    return subprocess.run([sys.executable, str(ROOT / "main.py"), "device", "--data", str(data), *args],
                          env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120)


def test_app_process_and_cli_in_a_loop_share_one_folder(tmp_path, device, volunteer):
    data = tmp_path / "dev"
    device.close()
    stop = tmp_path / "stop"
    app = subprocess.Popen([sys.executable, "-c", APP.format(pin=PIN), str(data), str(stop)],
                           env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    answers = tmp_path / "a.json"
    answers.write_text(json.dumps(forms.load("laporan_kecurigaan").example()))
    try:
        assert app.stdout.readline().startswith("ok"), app.stderr.read()
        filed, failures = [], []
        for k in range(8):                  # CLI commands while the app keeps writing
            for args, pin in ((("status",), None), (("--json", "outbox"), None),
                              (("--json", "file", "--user", "Siti", "--form", "laporan_kecurigaan",
                                "--answers", str(answers)), PIN)):
                p = cli(data, *args, pin=pin)
                if p.returncode != 0:
                    failures.append((args, p.stderr))
                elif args[1:2] == ("file",):
                    filed.append(json.loads(p.stdout)["report_id"])
            assert app.poll() is None, app.stderr.read()
        stop.touch()
        out, err = app.communicate(timeout=60)
    finally:
        if app.poll() is None:
            app.kill()
            app.wait()
    assert failures == []
    lines = out.splitlines()
    errors = [line for line in lines if line.startswith("ERR")]
    assert errors == [], errors[:3]
    last_i, rid = int(lines[-1].split()[1]), lines[-1].split()[2]
    assert last_i > 8 and len(filed) == 8
    # nothing lost: integrity, every CLI report, and the app's last committed save
    with sqlite3.connect(data / "jaga.db") as con:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    from fieldapp.device import Device
    dev = Device(data)
    try:
        states = {r["id"]: r["state"] for r in dev.outbox()}
        assert all(states.get(r) == "waiting" for r in filed)
        assert dev.load_answers(dev.unlock("Siti", PIN), rid)["tempat"] == f"app-{last_i}"
    finally:
        dev.close()
