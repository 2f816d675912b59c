"""Engine for the office store, and migrations run programmatically at startup.

SQLite (default, DATA/office.db) runs in WAL mode with BEGIN IMMEDIATE transactions:
every writing request's transaction takes the write lock up front, so two writers never
deadlock upgrading a read lock (SQLITE_BUSY_SNAPSHOT) — they queue on busy_timeout.
Pages that only read use `reading()`, a deferred transaction that takes no lock.
Any other URL (PostgreSQL) is used as given.
"""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event

MIGRATIONS = Path(__file__).with_name("migrations")
READ_ONLY = "jaga_read_only"


def sqlite_url(data_dir: Path) -> str:
    return f"sqlite+pysqlite:///{Path(data_dir) / 'office.db'}"


def make_engine(url: str) -> Engine:
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None          # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # a read-only transaction (reading()) takes no lock: WAL readers never wait for writers
        conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get(READ_ONLY) else "BEGIN IMMEDIATE")

    return engine


def reading(engine: Engine):
    """A transaction for pages that only read (`with db.reading(engine) as conn:`). On SQLite
    it is a deferred BEGIN, so a dashboard GET never queues behind — or blocks — phone pushes
    on the write lock; it must not write (a write there could fail with SQLITE_BUSY)."""
    return engine.execution_options(**{READ_ONLY: True}).begin()


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def migrate(engine: Engine) -> None:
    """Bring the schema to head; safe to call on every start."""
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
