"""A --db URL whose driver is missing is a typed error with a stable code, never an import
traceback (the wheel check in scripts/check-wheel shows the same for psycopg itself,
in a venv installed without the `postgres` extra)."""
import subprocess
import sys

import pytest

from core.errors import DatabaseDriverMissing
from office import db


@pytest.mark.parametrize("url", ["mysql+nosuchdriver://u@127.0.0.1:1/x", "notadialect://x", "::"])
def test_missing_driver_is_a_typed_error(url):
    with pytest.raises(DatabaseDriverMissing) as err:
        db.make_engine(url)
    assert err.value.code == "db_driver_missing"


def test_cli_says_error_code_and_message(tmp_path):
    p = subprocess.run([sys.executable, "-m", "jaga_desa", "office-admin", "--data", str(tmp_path),
                        "--db", "mysql+nosuchdriver://u@127.0.0.1:1/x", "add-village", "--name", "X",
                        "--region", "Y"], capture_output=True, text=True, timeout=120)
    assert p.returncode == 1
    assert p.stderr.startswith("error [db_driver_missing]: ") and "Traceback" not in p.stderr
