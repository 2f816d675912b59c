"""office-admin commands (in-process and as a real subprocess), staff accounts, office keys."""
from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.errors import AuthError, OfficeKeyError
from office import db, keys, staff
from office.cli import main

ROOT = Path(__file__).resolve().parents[2]


def run(argv, **env):
    return subprocess.run([sys.executable, "-m", "office.cli", *argv], cwd=ROOT, capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": str(ROOT), **env}, timeout=60)


def test_admin_commands_end_to_end(tmp_path):
    data = tmp_path / "office"
    out = run(["office-admin", "--data", str(data), "add-village", "--name", "Entikong",
               "--region", "Sanggau", "--json"])
    assert out.returncode == 0 and json.loads(out.stdout)["id"] == 1
    qr = tmp_path / "code.png"
    out = run(["office-admin", "--data", str(data), "enroll-code", "--village", "1", "--role", "head",
               "--name", "Pak Kades", "--ttl-hours", "2", "--qr", str(qr), "--json"])
    code = json.loads(out.stdout)
    assert out.returncode == 0 and len(code["code"]) == 14 and qr.stat().st_size > 100
    out = run(["office-admin", "--data", str(data), "enroll-code", "--village", "Nowhere",
               "--role", "head", "--name", "X"])
    assert out.returncode == 1 and out.stderr.startswith("error [not_found]:") and out.stderr.count("\n") == 1
    out = run(["office-admin", "--data", str(data), "add-staff", "--username", "intel1",
               "--role", "intel"], JAGA_PASSWORD="correct horse battery")
    assert out.returncode == 0, out.stderr
    out = run(["office-admin", "--data", str(data), "add-staff", "--username", "x", "--role", "intel"],
              JAGA_PASSWORD="")
    assert out.returncode == 1 and "JAGA_PASSWORD" in out.stderr
    out = run(["office-admin", "--data", str(data), "revoke", "--person", "nope"])
    assert out.returncode == 1
    engine = db.make_engine(db.sqlite_url(data))
    with engine.begin() as conn:
        assert staff.verify_staff(conn, "intel1", "correct horse battery")["role"] == "intel"
        with pytest.raises(AuthError):
            staff.verify_staff(conn, "intel1", "wrong password!")
        with pytest.raises(AuthError):
            staff.verify_staff(conn, "ghost", "whatever123")


def test_office_keys_encrypted_at_rest(tmp_path):
    k = keys.load_or_create(tmp_path, "pass-one")
    raw = (tmp_path / keys.KEY_FILE).read_text()
    from cryptography.hazmat.primitives import serialization
    priv = k.ed25519.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                   serialization.NoEncryption())
    assert priv.hex() not in raw
    assert keys.load_or_create(tmp_path, "pass-one").ed25519_public == k.ed25519_public
    with pytest.raises(OfficeKeyError):
        keys.load_or_create(tmp_path, "wrong")
    out = run(["office", "--data", str(tmp_path / "fresh"), "--port", "1"], JAGA_OFFICE_KEY="")
    assert out.returncode == 1 and "JAGA_OFFICE_KEY" in out.stderr


def test_sync_never_imports_fieldapp():
    for path in (ROOT / "sync").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            assert not any(n.split(".")[0] == "fieldapp" for n in names), path


def test_cli_main_requires_subcommand():
    with pytest.raises(SystemExit):
        main([])


def test_the_start_up_line_shows_the_short_fingerprint_phones_compare(office_server):
    """THREAT_MODEL.md's pinning claim: the office's start-up line prints the short
    fingerprint of the keys it really serves — the one a phone shows in `device status`."""
    import base64

    import requests

    from sync import identity
    served = requests.get(office_server.url + "/api/v1/office-identity", timeout=10).json()
    fp = identity.fingerprint(base64.b64decode(served["office_x25519_public"]),
                              base64.b64decode(served["office_ed25519_public"]))
    line = next(ln for ln in office_server.log_path.read_text().splitlines()
                if ln.startswith("office fingerprint:"))
    assert line.endswith(f"(short: {identity.short(fp)})") and identity.grouped(fp) in line


def test_head_list_validity_is_configurable_and_a_bad_value_is_refused(monkeypatch):
    from datetime import timedelta

    from core.errors import JagaError
    from office import enrollment
    monkeypatch.delenv(enrollment.HEAD_LIST_DAYS_ENV, raising=False)
    assert enrollment.head_list_validity() == timedelta(days=14)
    monkeypatch.setenv(enrollment.HEAD_LIST_DAYS_ENV, "3.5")
    assert enrollment.head_list_validity() == timedelta(days=3.5)
    for bad in ("soon", "0", "-1", "400"):
        monkeypatch.setenv(enrollment.HEAD_LIST_DAYS_ENV, bad)
        with pytest.raises(JagaError) as err:
            enrollment.head_list_validity()
        assert err.value.code == "bad_request" and enrollment.HEAD_LIST_DAYS_ENV in err.value.message
