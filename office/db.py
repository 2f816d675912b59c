"""Engine for the office store, and migrations run programmatically at startup.

SQLite (default, DATA/office.db) runs in WAL mode with BEGIN IMMEDIATE transactions:
every writing request's transaction takes the write lock up front, so two writers never
deadlock upgrading a read lock (SQLITE_BUSY_SNAPSHOT) — they queue on busy_timeout, and
inside one process on a writer gate that hands the writer over at once, phones' pushes
before the derive worker (office/writer_gate.py).
Pages that only read use `reading()`, a deferred transaction that takes no lock.
`synchronous=FULL`: every commit fsyncs the WAL before a receipt can leave, so a receipt
survives a power cut, not only a process crash (WAL + NORMAL does not fsync at commit).
A push batch is one commit, so the cost is one fsync per batch (bench/sync_bench.py
measures NORMAL against FULL in the same run). Several uvicorn workers share the file.
Any other URL (PostgreSQL) is used as given.
"""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event

from office.writer_gate import BACKGROUND, WriterGate

MIGRATIONS = Path(__file__).with_name("migrations")
READ_ONLY = "jaga_read_only"
WRITER = "jaga_writer"
GATE = "jaga_writer_gate"
DEFER = "jaga_writer_defer"


def sqlite_url(data_dir: Path) -> str:
    return f"sqlite+pysqlite:///{Path(data_dir) / 'office.db'}"


def make_engine(url: str, *, synchronous: str = "FULL") -> Engine:
    """`synchronous` is a parameter only so the benchmark can measure FULL against NORMAL."""
    if synchronous not in ("FULL", "NORMAL"):
        raise ValueError("synchronous must be FULL or NORMAL")
    if not url.startswith("sqlite"):
        require_driver(url)
        return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None          # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA synchronous={synchronous}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    gate = WriterGate()
    setattr(engine.dialect, GATE, gate)      # the dialect is shared by execution_options() copies

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # a read-only transaction (reading()) takes no lock: WAL readers never wait for writers
        options = conn.get_execution_options()
        if options.get(READ_ONLY):
            conn.exec_driver_sql("BEGIN")
            return
        raw = conn.connection.dbapi_connection
        gate.acquire(raw, background=options.get(WRITER) == BACKGROUND, defer=options.get(DEFER))
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            gate.release(raw)
            raise

    # The gate goes back once COMMIT/ROLLBACK has returned (so the next writer's BEGIN
    # IMMEDIATE never meets SQLite's lock), or when a connection returns to the pool.
    dialect = engine.dialect
    for name in ("do_commit", "do_rollback"):
        setattr(dialect, name, _releasing(getattr(dialect, name), gate))
    event.listen(engine, "checkin", lambda raw, _record: gate.release(raw))
    event.listen(engine, "invalidate", lambda raw, _record, _exc: gate.release(raw))
    return engine


def _releasing(end, gate: WriterGate):
    def ended(conn):
        try:
            end(conn)
        finally:      # SQLAlchemy hands the dialect the pool's proxy: the gate holds the raw one
            gate.release(getattr(conn, "dbapi_connection", conn))
    return ended


def writer_gate(engine: Engine) -> WriterGate | None:
    """The in-process writer gate of a SQLite engine (office/writer_gate.py); None otherwise."""
    return getattr(engine.dialect, GATE, None)


def background(engine: Engine, defer: float | None = None) -> Engine:
    """The engine as a background writer (the derive worker): on SQLite its transactions
    give way to waiting foreground writers (phones' pushes) for `defer` s (default the
    gate's DEFER_MAX) — office/writer_gate.py."""
    return engine.execution_options(**{WRITER: BACKGROUND, DEFER: defer})


def open_store(data_dir: Path, url: str | None = None) -> Engine:
    """The office store every entry point opens: `url`, or DATA/office.db by default,
    migrated to head (the folder is made first, so SQLite can create its file)."""
    Path(data_dir).mkdir(parents=True, exist_ok=True)
    engine = make_engine(url or sqlite_url(data_dir))
    migrate(engine)
    return engine


def reading(engine: Engine):
    """A transaction for pages that only read (`with db.reading(engine) as conn:`). On SQLite
    it is a deferred BEGIN, so a dashboard GET never queues behind — or blocks — phone pushes
    on the write lock; it must not write (a write there could fail with SQLITE_BUSY)."""
    return engine.execution_options(**{READ_ONLY: True}).begin()


def require_driver(url: str) -> None:
    """Fail with a typed error, not an import traceback, when the URL's driver is missing:
    PostgreSQL's psycopg is the optional `postgres` extra (`pip install 'jaga-desa[postgres]'`)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    from core.errors import DatabaseDriverMissing
    try:
        dialect = make_url(url).get_dialect()
        dialect.import_dbapi()
    except ArgumentError as exc:
        raise DatabaseDriverMissing(f"not a database URL: {exc}") from None
    except (ImportError, NoSuchModuleError) as exc:
        extra = " — install it with: pip install 'jaga-desa[postgres]'" if url.startswith("postgres") else ""
        raise DatabaseDriverMissing(f"no driver for {url.split('://')[0]}: {exc}{extra}") from None


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
