"""Running the office: one process, or several uvicorn worker processes on one port.

Several workers are safe because every worker shares nothing but the store: each push
batch is one transaction (SQLite: BEGIN IMMEDIATE on the WAL file, so batches queue for
the write lock; PostgreSQL: row locks on the envelope ids, taken in id order), an id that
raced in on another worker turns into a plain `duplicate` with the stored receipt
(routes/envelopes.py), and dashboard sessions live in the database. What must happen once
happens in the parent, before any worker starts: the office keys are created (two workers
racing to create them would each make their own) and the schema is migrated.
Workers are separate processes started by uvicorn (spawn): they find the data dir, the
database URL and the key passphrase in their environment.

`X-Forwarded-For` is believed only from the proxies the office names (`--trusted-proxy`,
env JAGA_TRUSTED_PROXIES, comma-separated addresses or networks); by default from nobody.
uvicorn's own default believed it from 127.0.0.1, so any local client (and, behind a local
tunnel, anyone) chose its own address: a new address per login attempt was never throttled
and forged addresses went into the audit log (issue 22, item 8).
"""
from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI

_DATA, _DB = "JAGA_OFFICE_DATA", "JAGA_OFFICE_DB"
TRUSTED_PROXIES_ENV = "JAGA_TRUSTED_PROXIES"


def trusted_proxies(names: list[str] | None = None) -> list[str]:
    """The proxies whose X-Forwarded-For is believed: `names`, else JAGA_TRUSTED_PROXIES.
    Each must be an IP address or network (BadRequest otherwise); "*" is refused."""
    import ipaddress

    from core.errors import BadRequest
    raw = names if names is not None else os.environ.get(TRUSTED_PROXIES_ENV, "").split(",")
    out = []
    for item in (x.strip() for x in raw):
        if not item:
            continue
        try:
            out.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError:
            raise BadRequest(f"--trusted-proxy: {item[:60]!r} is not an IP address or network") from None
    return out


def _proxy_options() -> dict:
    proxies = trusted_proxies()
    return {"proxy_headers": bool(proxies), "forwarded_allow_ips": proxies or []}


def app_from_env() -> FastAPI:
    """uvicorn's factory in each worker process."""
    from office.app import create_app
    return create_app(Path(os.environ[_DATA]), os.environ.get(_DB) or None)


def run(data_dir: Path, db_url: str | None, *, host: str, port: int, workers: int = 1,
        log_level: str = "warning", tls: dict | None = None) -> None:
    """Serve the office; with workers > 1, prepare keys and schema once, then fork workers.
    `tls`: uvicorn's ssl_certfile/ssl_keyfile, to serve HTTPS."""
    import uvicorn

    from office import db, keys as office_keys
    if workers <= 1:
        from office.app import create_app
        app = create_app(data_dir, db_url)
        uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=False, **_proxy_options(),
                    **(tls or {}))
        return
    data_dir = Path(data_dir).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    passphrase = office_keys.passphrase_from_env_or_prompt()
    office_keys.load_or_create(data_dir, passphrase)        # create once, here, not in a worker
    db.open_store(data_dir, db_url).dispose()
    os.environ.update({_DATA: str(data_dir), office_keys.ENV: passphrase})
    if db_url:
        os.environ[_DB] = db_url
    uvicorn.run("office.serve:app_from_env", factory=True, workers=workers, host=host, port=port,
                log_level=log_level, access_log=False, **_proxy_options(), **(tls or {}))
