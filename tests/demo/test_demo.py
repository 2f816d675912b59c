"""The README's first command does the whole trip: office up, phone enrolled, reports synced."""
import json
import os
import subprocess
import sys

from core.net import free_port


def main_py(*args, pin=None, timeout=300):
    """`python -m jaga_desa ARGS` — the `jaga-desa` command — in a child process."""
    env = {**os.environ, "JAGA_KDF_SECONDS": "0.02"}
    if pin:
        env["JAGA_PIN"] = pin
    return subprocess.run([sys.executable, "-m", "jaga_desa", *args], env=env, capture_output=True,
                          text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def test_demo_seeds_and_syncs_the_whole_trip(tmp_path):
    data = tmp_path / "demo"
    p = main_py("demo", "--data", str(data), "--no-serve", "--office-port", str(free_port()))
    assert p.returncode == 0, p.stderr
    rows = json.loads(main_py("device", "--data", str(data / "phone"), "--json", "outbox").stdout)
    assert len(rows) == 3 and {r["state"] for r in rows} == {"received"}
    inbox = json.loads(main_py("device", "--data", str(data / "phone"), "--json", "inbox",
                               "--user", "Pak Kades", pin="222222").stdout)
    # the head sees the two ordinary reports, never the rahasia one
    assert len(inbox["reviews"]) == 2 and all(r["ok"] for r in inbox["reviews"])
    assert not any("Gudang dekat pelabuhan" in json.dumps(r["answers"]) for r in inbox["reviews"])
    assert all(r["answers"].get("rahasia") != "ya" for r in inbox["reviews"])
    # the volunteer's PIN does not open the head's inbox
    p = main_py("device", "--data", str(data / "phone"), "inbox", "--user", "Pak Kades", pin="111111")
    assert p.returncode == 2 and "tries left" in p.stderr
    # the office filled its filter columns from the sealed payload (answers never in a column)
    import sqlite3
    con = sqlite3.connect(data / "office" / "office.db")
    rows = con.execute("SELECT form_id, category, rahasia FROM envelopes ORDER BY form_id").fetchall()
    signal = con.execute("SELECT rule, detail FROM warn_signals WHERE rule='same_identifier'").fetchall()
    con.close()
    assert sorted(r[0] for r in rows) == ["keberangkatan_pmi", "keberangkatan_pmi", "laporan_kecurigaan",
                                          "laporan_kecurigaan"]
    assert {r[1] for r in rows if r[0] == "laporan_kecurigaan"} == {"rekrutmen"}
    assert sum(r[2] for r in rows) == 1
    # the recruiter named in both villages is a signal (phone number, written two ways)
    assert len(signal) == 1 and json.loads(signal[0][1])["villages"] == 2
