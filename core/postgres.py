"""Where this machine's PostgreSQL server programs are (initdb, pg_ctl), for anything that
starts a throwaway cluster: the tests' fixture, the benchmarks, the roll-up's local
clusters. PATH first, then Debian's versioned /usr/lib/postgresql/<version>/bin, which
Debian does not put on PATH — newest version first."""
from __future__ import annotations

import glob
import re
import shutil
from pathlib import Path

from core.errors import JagaError


class PostgresUnavailable(JagaError):
    """No PostgreSQL server programs on this machine."""
    code = "postgres_unavailable"
    http_status = 500


def bin_dir() -> Path:
    """The directory holding initdb and pg_ctl, or PostgresUnavailable saying what to install."""
    on_path = shutil.which("initdb")
    if on_path and shutil.which("pg_ctl"):
        return Path(on_path).resolve().parent

    def version(d: str) -> tuple[int, ...]:
        return tuple(int(x) for x in re.findall(r"\d+", Path(d).parent.name)) or (0,)

    for d in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version, reverse=True):
        if Path(d, "initdb").exists() and Path(d, "pg_ctl").exists():
            return Path(d)
    raise PostgresUnavailable("PostgreSQL is not installed (no initdb on PATH nor under "
                              "/usr/lib/postgresql/*/bin): apt-get install -y postgresql")
