"""The headless device CLI through the real entry point, as a script or a trainer would use it."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import forms

ROOT = Path(__file__).resolve().parents[2]


def run(*args, pin=None, check=True):
    env = {**os.environ, "JAGA_KDF_SECONDS": "0.02"}
    env.pop("JAGA_PIN", None)
    if pin is not None:
        env["JAGA_PIN"] = pin
    proc = subprocess.run([sys.executable, str(ROOT / "main.py"), *args], env=env,
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def test_init_add_user_status(tmp_path):
    d = str(tmp_path / "dev")
    run("device", "--data", d, "init")
    run("device", "--data", d, "add-user", "--name", "Siti", "--role", "volunteer", pin="1234")
    st = json.loads(run("device", "--data", d, "--json", "status").stdout)
    assert st["users"] == 1 and st["enrolled"] is False and st["outbox"] == 0


def test_pin_never_from_argv_and_missing_pin_is_clear(tmp_path):
    d = str(tmp_path / "dev")
    run("device", "--data", d, "init")
    p = run("device", "--data", d, "add-user", "--name", "Siti", check=False)
    assert p.returncode != 0 and "JAGA_PIN" in p.stderr and len(p.stderr.strip().splitlines()) == 1
    p = run("device", "--data", d, "add-user", "--name", "Siti", "--pin", "1234", check=False)
    assert p.returncode != 0


def test_wrong_pin_says_tries_left_and_not_enrolled_file_keeps_draft(tmp_path):
    d = str(tmp_path / "dev")
    run("device", "--data", d, "init")
    run("device", "--data", d, "add-user", "--name", "Siti", pin="1234")
    answers = tmp_path / "a.json"
    answers.write_text(json.dumps(forms.load("laporan_kecurigaan").example()))
    p = run("device", "--data", d, "file", "--user", "Siti", "--form", "laporan_kecurigaan",
            "--answers", str(answers), pin="9999", check=False)
    assert p.returncode == 2 and "9 tries left" in p.stderr
    p = run("device", "--data", d, "file", "--user", "Siti", "--form", "laporan_kecurigaan",
            "--answers", str(answers), pin="1234", check=False)
    assert p.returncode == 2 and "not_enrolled" in p.stderr
    rows = json.loads(run("device", "--data", d, "--json", "outbox").stdout)
    assert [r["state"] for r in rows] == ["draft"]


def test_invalid_answers_list_every_field(tmp_path):
    d = str(tmp_path / "dev")
    run("device", "--data", d, "init")
    run("device", "--data", d, "add-user", "--name", "Siti", pin="1234")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"jumlah_orang": "banyak", "kategori": "bukan_pilihan"}))
    p = run("device", "--data", d, "file", "--user", "Siti", "--form", "laporan_kecurigaan",
            "--answers", str(bad), pin="1234", check=False)
    assert p.returncode == 2 and "validation_failed" in p.stderr
    assert "jumlah_orang" in p.stderr and "kategori" in p.stderr and "apa_dilihat" in p.stderr
    p = run("device", "--data", d, "file", "--user", "Siti", "--form", "tidak_ada",
            "--answers", str(bad), pin="1234", check=False)
    assert p.returncode == 2 and "form_not_found" in p.stderr
    bad.write_text("{not json")
    p = run("device", "--data", d, "file", "--user", "Siti", "--form", "laporan_kecurigaan",
            "--answers", str(bad), pin="1234", check=False)
    assert p.returncode == 2 and "cannot read answers" in p.stderr


def test_corrupt_data_dir_refused(tmp_path):
    d = tmp_path / "dev"
    d.mkdir()
    (d / "jaga.db").write_bytes(b"garbage" * 100)
    p = run("device", "--data", str(d), "status", check=False)
    assert p.returncode == 2 and "store_corrupt" in p.stderr
    assert (d / "jaga.db").read_bytes() == b"garbage" * 100
