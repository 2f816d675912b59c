"""The README's first command does the whole trip: office up, phone enrolled, reports synced."""
import json
import os
import subprocess
import sys
from datetime import datetime, timezone

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
    # hand-over works out of the box: every demo village has its real Kemendagri code (23.12)
    from office import regions
    con = sqlite3.connect(data / "office" / "office.db")
    coded = con.execute("SELECT name, kode_wilayah FROM villages").fetchall()
    con.close()
    assert coded and all(code and regions.desa(code).name == name for name, code in coded)
    b = tmp_path / "b.zip"
    today = datetime.now(timezone.utc).date().isoformat()       # tier B: the demo's reports of today
    p = main_py("handover", "export", "--data", str(data / "office"), "--tier", "B", "--from", today,
                "--to", today, "--recipient", "BP3MI Kaltara", "--out", str(b))
    assert p.returncode == 0, p.stderr
    p = main_py("handover", "verify", str(b), "--json")
    assert p.returncode == 0 and json.loads(p.stdout)["rows"]["reports"] == 3, p.stderr


def test_the_demos_village_codes_are_the_villages_they_name():
    """`jaga-desa demo` and `rollup demo` label each village with its own code (ETK was
    labelled Entikong with a Parindu village's code)."""
    from jaga_desa import demo
    from office import regions
    from office.rollup.demo import OFFICES
    pairs = [(demo.VILLAGE, demo.VILLAGE_CODE), (demo.VILLAGE_2, demo.VILLAGE_2_CODE), *OFFICES.values()]
    for name, code in pairs:
        assert regions.desa(code).name == name, (name, code)
    assert regions.path(OFFICES["ETK"][1])[2].name == "Entikong"       # the kecamatan too
