"""core.postgres finds Debian's PostgreSQL programs even when they are not on PATH."""
import glob

import pytest

from core import postgres
from core.postgres import PostgresUnavailable, bin_dir

DEBIAN = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))


def test_debian_dir_is_found_without_path(monkeypatch, tmp_path):
    assert DEBIAN, "this machine has Debian's postgresql package (scripts/setup --test installs it)"
    monkeypatch.setenv("PATH", str(tmp_path))           # nothing on PATH at all
    found = bin_dir()
    assert (found / "initdb").is_file() and (found / "pg_ctl").is_file()
    assert str(found).startswith("/usr/lib/postgresql/")


def test_newest_version_wins(monkeypatch, tmp_path):
    for v in ("9.6", "15", "13"):
        d = tmp_path / v / "bin"
        d.mkdir(parents=True)
        (d / "initdb").touch()
        (d / "pg_ctl").touch()
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setattr(postgres.glob, "glob", lambda _: [str(p) for p in tmp_path.glob("*/bin")])
    assert bin_dir() == tmp_path / "15" / "bin"


def test_nothing_installed_is_a_typed_error(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(postgres.glob, "glob", lambda _: [])
    with pytest.raises(PostgresUnavailable, match="apt-get install -y postgresql") as err:
        bin_dir()
    assert err.value.code == "postgres_unavailable"
