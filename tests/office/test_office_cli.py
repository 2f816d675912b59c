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
from sync.office import db, keys, staff
from sync.office.cli import main

ROOT = Path(__file__).resolve().parents[2]


def run(argv, **env):
    return subprocess.run([sys.executable, "-m", "sync.office.cli", *argv], cwd=ROOT, capture_output=True,
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
