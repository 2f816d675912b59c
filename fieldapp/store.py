"""The device's SQLite file: opening it safely, its versioned schema, and failure mapping.

Every sensitive value is stored as AES-GCM ciphertext (see keys.py); plaintext columns
are only ids, owner, form id + version, status and coarse (day) times.
WAL + synchronous=FULL make each save one durable transaction that survives kill -9;
secure_delete zeroes freed pages so a purged report leaves no readable residue.
"""
from __future__ import annotations

import contextlib
import errno
import os
import shutil
import sqlite3
from pathlib import Path
from typing import Callable, Iterator

import sqlite_utils
from sqlite_utils.migrations import Migrations

from core.errors import CorruptStore, StorageFull, StoreError

DB_NAME = "jaga.db"
APPLICATION_ID = 0x4A414741          # "JAGA": marks the file as ours

migrations = Migrations("jaga-device")


@migrations()
def m001_initial(db: sqlite_utils.Database) -> None:
    db["meta"].create({"key": str, "value": str}, pk="key")
    db["users"].create({
        "id": str, "label": str, "role": str, "kdf": str, "wrapped_key": bytes,
        "failed_attempts": int, "locked": int, "created_day": str,
        "person_id": str, "x25519_public": bytes, "ed25519_public": bytes,
        "private_keys": bytes, "village_id": str,
    }, pk="id", not_null={"label", "role", "kdf"}, defaults={"failed_attempts": 0, "locked": 0})
    db["reports"].create({
        "id": str, "owner": str, "form_id": str, "form_version": int, "status": str,
        "created_day": str, "updated_day": str, "seq": int,
        "answers": bytes,            # encrypted under the owner's data key
        "envelope_id": str, "envelope": bytes,   # sealed for the office (+ heads)
        "attempts": int, "last_error": str, "receipt": str, "received_day": str,
    }, pk="id", not_null={"owner", "form_id", "form_version", "status"},
        defaults={"attempts": 0, "seq": 0})
    db["reports"].create_index(["owner", "status"])
    db["reports"].create_index(["status", "seq"])
    db["attachments"].create({
        "id": str, "report_id": str, "owner": str, "data": bytes, "sealed": bytes,
        "size": int,
    }, pk="id", not_null={"report_id", "owner"})
    db["attachments"].create_index(["report_id"])
    db["inbox"].create({
        "item_id": str, "kind": str, "person_id": str, "body": str, "received_day": str,
        "state": str,               # new | read | answered
        "note": bytes,              # the local user's own encrypted note or verdict
    }, pk="item_id", defaults={"state": "new"})
    db["inbox"].create_index(["person_id", "kind"])
    db["review_outbox"].create({
        "envelope_id": str, "owner": str, "envelope": bytes, "created_day": str,
    }, pk="envelope_id")


@migrations()
def m002_envelope_index(db: sqlite_utils.Database) -> None:
    # receipts arrive by envelope id: without this each one scanned the whole outbox
    db["reports"].create_index(["envelope_id"], unique=True, if_not_exists=True)


@migrations()
def m003_trust(db: sqlite_utils.Database) -> None:
    # trust: the user's pinned office + head list, AES-GCM under their data key (fieldapp/trust.py);
    # office_attest: the same office identity signed by the user's key, for PIN-less sync.
    db["users"].add_column("trust", bytes)
    db["users"].add_column("office_attest", str)
    # inbox rows arrive 'unverified' and are checked under the pinned key at unlock
    db["inbox"].add_column("issued_at", str)
    # which review request a sealed verdict answers: purged once the office acknowledges it
    db["review_outbox"].add_column("item_id", str)


@migrations()
def m004_field_summary(db: sqlite_utils.Database) -> None:
    # "what was this report?" for the author's sent list (form, category, place, first words),
    # encrypted under her own data key like a draft (fieldapp.history)
    db["reports"].add_column("summary", bytes)


@migrations()
def m006_phone_pin_delay(db: sqlite_utils.Database) -> None:
    # When the next PIN try is allowed (epoch seconds, UTC): persisted so that killing the
    # app during the wait buys nothing.
    db["users"].add_column("retry_after", float, not_null_default=0)


@migrations()
def m007_convo_replies(db: sqlite_utils.Database) -> None:
    # Her replies in a report's conversation (fieldapp.conversation): the text encrypted under
    # her own data key, the first words kept apart so a receipt can drop the full text without
    # a PIN (as a report keeps only its summary); the sealed copy waits in review_outbox.
    db["replies"].create({
        "envelope_id": str, "owner": str, "report_id": str, "report_envelope_id": str,
        "text": bytes, "summary": bytes, "state": str, "created_day": str,
    }, pk="envelope_id", not_null={"owner", "report_id", "state"})
    db["replies"].create_index(["owner", "report_id"])


@migrations()
def m008_report_binding(db: sqlite_utils.Database) -> None:
    # Which envelope a local report became, AES-GCM under the owner's data key with the row
    # id as associated data (fieldapp.reports.bound_envelope_id): the plaintext envelope_id
    # column alone could be swapped between two of her reports (red team). Rows sealed before
    # this migration get theirs at the owner's next unlock.
    db["reports"].add_column("envelope_binding", bytes)


@migrations()
def m009_courier(db: sqlite_utils.Database) -> None:
    # Courier mode (fieldapp/courier.py). courier_day: the day a waiting report last left in a
    # courier file (a day, like every plaintext time here); it stays waiting until a receipt.
    # carried: envelopes this phone carries for others, sealed — it cannot open them — with
    # the office's signed receipt or refusal once it has one, to carry back.
    db["reports"].add_column("courier_day", str)
    db["carried"].create({"envelope_id": str, "envelope": bytes, "state": str, "answer": str,
                          "carried_day": str}, pk="envelope_id", not_null={"envelope", "state"})
    db["carried_blobs"].create({"envelope_id": str, "att_id": str, "blob": bytes},
                               pk=("envelope_id", "att_id"), not_null={"blob"})


def _check_header(conn: sqlite3.Connection, path: Path) -> None:
    """Refuse a file that is not a healthy Jaga store — never 'repair' by overwriting it.

    The check goes through SQLite's own connection, never a Python open()/close() of the
    file: closing any descriptor of a database file releases every POSIX lock this
    process holds on it (fcntl semantics), so a second process (the CLI next to the app)
    would see the WAL as unused, checkpoint it and delete -wal/-shm under the app's feet
    ("disk I/O error" on every later screen). SQLite itself defers such closes.
    """
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    if app_id not in (0, APPLICATION_ID):
        raise CorruptStore(f"{path} belongs to another application; refusing to open it")


def _private_files(data_dir: Path, path: Path) -> None:
    """The data folder 0700, the database and its -wal/-shm 0600 (chmod by path: no descriptor,
    so no lock is released). SQLite gives -wal/-shm the mode of the main file, which is why
    a new file is created 0600 before SQLite first opens it."""
    with contextlib.suppress(OSError):
        os.chmod(data_dir, 0o700)
    for p in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        with contextlib.suppress(FileNotFoundError):
            os.chmod(p, 0o600)


def open_db(data_dir: Path, create: bool = False) -> sqlite_utils.Database:
    data_dir = Path(data_dir)
    path = data_dir / DB_NAME
    if not path.exists() and not create:
        raise StoreError(f"no Jaga Desa data in {data_dir}; run `device init` first")
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not path.exists():
        # No connection to a file that does not exist yet, so this open/close releases nothing.
        with contextlib.suppress(FileExistsError):
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    conn = None
    try:
        conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=10)
        conn.execute("PRAGMA busy_timeout=10000")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA secure_delete=ON")
        conn.execute("PRAGMA foreign_keys=ON")
        _check_header(conn, path)
        if conn.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise CorruptStore(f"{path} failed its integrity check; refusing to open it")
        conn.execute(f"PRAGMA application_id={APPLICATION_ID}")
        _private_files(data_dir, path)
        db = sqlite_utils.Database(conn)
        migrations.apply(db)
    except CorruptStore:
        if conn is not None:
            conn.close()
        raise
    except sqlite3.DatabaseError as exc:
        if conn is not None:
            conn.close()
        if _is_full(exc) or free_bytes(data_dir) < FULL_BYTES:     # a full disk is not a damaged store
            raise StorageFull(f"the phone's storage is full; {path} is intact but cannot be opened "
                              "for writing — free some space and start again") from exc
        # never "start with a new data folder": this one may hold sealed reports not yet sent
        raise CorruptStore(f"{path} cannot be read as a Jaga Desa store (damaged?): {exc}. "
                           "Keep the folder as it is (it may hold reports not yet sent) and ask "
                           "the officer who enrolled this phone for help.") from exc
    except OSError as exc:
        if conn is not None:
            conn.close()
        if exc.errno == errno.ENOSPC:
            raise StorageFull("the phone's storage is full; nothing was changed — free some space") from exc
        raise
    return db


FULL_BYTES = 256 * 1024          # below this SQLite's "disk I/O error" at open means "no space"


_space_probe: list[Callable[[], dict]] = []


def measure_space_with(probe: Callable[[], dict]) -> None:
    """A platform seam: where the room left is not a disk's. In the offline app (a browser)
    it is what the browser still allows the app's origin, and whether the browser promised
    to keep the data (jaga_desa/offline/storage.py); `probe()` returns {"free": bytes,
    "persisted": bool}."""
    _space_probe[:] = [probe]


def space(data_dir: Path) -> dict:
    """{"free": bytes, "persisted": None on a disk, or whether the browser keeps the data
    when its own space runs low}."""
    if _space_probe:
        return dict(_space_probe[0]())
    return {"free": free_bytes(data_dir), "persisted": None}


def free_bytes(data_dir: Path) -> int:
    """Free space where the store lives (a very large number when it cannot be measured)."""
    if _space_probe:
        return int(_space_probe[0]()["free"])
    try:
        return shutil.disk_usage(data_dir).free
    except OSError:
        return 1 << 62


def _is_full(exc: BaseException) -> bool:
    """SQLITE_FULL ("database or disk is full"), however SQLite words where it struck."""
    return isinstance(exc, sqlite3.OperationalError) and "full" in str(exc).lower()


def sealed_waiting(data_dir: Path) -> int | None:
    """Sealed reports not yet sent, read without writing a byte (a full disk, a store that will
    not open for writing); None when even that is impossible. Said to her before anything
    that could make her throw the folder away."""
    path = Path(data_dir) / DB_NAME
    if not path.exists():
        return 0
    # read-only needs a -shm it may have to create; "immutable" reads the main file as it is
    # (after a clean close the WAL was folded into it) when there is no room even for that
    for mode in ("ro", "ro&immutable=1"):
        try:
            with contextlib.closing(sqlite3.connect(f"file:{path}?mode={mode}", uri=True, timeout=2)) as conn:
                return conn.execute("SELECT COUNT(*) FROM reports WHERE status='sealed'").fetchone()[0]
        except sqlite3.Error:
            continue
    return None


_after_commit: list[Callable[[], None]] = []


def after_commit(callback: Callable[[], None]) -> None:
    """Call `callback` after every committed transaction. A platform seam: in the offline app
    (a browser) the file system lives in memory until it is copied to IndexedDB, and this is
    where each commit asks for that copy (jaga_desa/offline/storage.py)."""
    _after_commit.append(callback)


_durability: list[Callable[[Callable[[], None]], None]] = []


def durable_with(schedule: Callable[[Callable[[], None]], None]) -> None:
    """A platform seam: where a commit is not yet durable when it returns. The offline app
    (a browser) registers how to call back once IndexedDB holds everything committed so far
    (jaga_desa/offline/entry.py)."""
    _durability[:] = [schedule]


def when_durable(callback: Callable[[], None]) -> None:
    """Call `callback` once everything committed so far survives the app being killed: at
    once where the commit itself was durable (WAL + synchronous=FULL on a disk), after the
    copy to IndexedDB in the offline app. What the screen calls saved waits for this."""
    if _durability:
        _durability[0](callback)
    else:
        callback()


@contextlib.contextmanager
def transaction(db: sqlite_utils.Database) -> Iterator[sqlite3.Connection]:
    """One atomic write; a full disk becomes StorageFull with the previous state intact.

    Nested use joins the outer transaction (a sync batch settles many receipts in one
    commit: one fsync per batch instead of one per report).
    """
    conn = db.conn
    if conn.in_transaction:
        yield conn
        return
    try:
        conn.execute("BEGIN IMMEDIATE")
        yield conn
        conn.execute("COMMIT")
    except BaseException as exc:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        if _is_full(exc):
            raise StorageFull("the phone's storage is full; nothing was changed — free some space") from exc
        if isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.IntegrityError):
            raise StoreError(f"could not save: {exc}") from exc
        raise
    for callback in _after_commit:
        callback()


def scrub(db: sqlite_utils.Database) -> bool:
    """After forgetting something readable with a PIN (summaries, reply texts): secure_delete
    zeroes the freed bytes only in the newest page images, while the older images stay in
    the -wal file (and the main file) until a checkpoint. A TRUNCATE checkpoint writes the
    zeroed pages home and empties the -wal. Best effort: a reader open in another process
    (the CLI beside the app) can keep it from finishing; then it is marked pending and
    `history.purge_old` (every unlock and sync) calls it again until it does. Returns True
    when it finished."""
    conn = db.conn
    if conn.in_transaction:                        # no checkpoint inside a transaction: later
        set_meta(conn, SCRUB_PENDING, "1")
        return False
    if get_meta(db, SCRUB_PENDING) is not None:    # cleared first, so the checkpoint below
        with transaction(db) as c:                 # leaves the -wal empty when it finishes
            set_meta(c, SCRUB_PENDING, None)
    waited = conn.execute("PRAGMA busy_timeout").fetchone()[0]
    try:
        conn.execute("PRAGMA busy_timeout=0")      # never stall the caller behind another reader
        busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    except sqlite3.DatabaseError:
        busy = 1
    finally:
        conn.execute(f"PRAGMA busy_timeout={int(waited)}")
    if busy:
        with transaction(db) as c:
            set_meta(c, SCRUB_PENDING, "1")
    return busy == 0


SCRUB_PENDING = "scrub_pending"


def scrub_pending(db: sqlite_utils.Database) -> bool:
    """Whether a scrub could not finish last time (see `scrub`)."""
    return get_meta(db, SCRUB_PENDING) is not None


def get_meta(db: sqlite_utils.Database, key: str, default: str | None = None) -> str | None:
    row = db.conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
    return row[0] if row else default


def set_meta(conn: sqlite3.Connection, key: str, value: str | None) -> None:
    if value is None:
        conn.execute("DELETE FROM meta WHERE key=?", (key,))
    else:
        conn.execute("INSERT INTO meta(key,value) VALUES(?,?) "
                     "ON CONFLICT(key) DO UPDATE SET value=excluded.value", (key, value))
