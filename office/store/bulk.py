"""Many rows of one table in one driver executemany, past SQLAlchemy's per-row parameter
building: the push inserts several rows per report (envelope, recipients, attachment
slots, filter row), and at 400 reports a batch Core's compile-and-bind per row cost more
than SQLite's own insert. The rows are stored exactly as Core would store them: the
tables here hold only text, integers, booleans and bytes, which sqlite3 and psycopg
adapt themselves (a bool is 1/0 in SQLite, a boolean in PostgreSQL), and a column no row
names gets its NULL, as Core leaves it when no default is declared.
"""
from __future__ import annotations

from functools import lru_cache
from operator import itemgetter

from sqlalchemy import Connection, Table


def insert_rows(conn: Connection, table: Table, rows: list[dict]) -> None:
    """Insert `rows` (dicts with the same keys: the first row's keys are the columns; a
    later row missing one raises KeyError, as Core refuses it) into `table`, one executemany."""
    if not rows:
        return
    names = tuple(rows[0])
    # itemgetter picks a row's values in C (a generator per row cost a microsecond a column)
    pick = itemgetter(*names) if len(names) > 1 else (lambda r, n=names[0]: (r[n],))
    conn.exec_driver_sql(_sql(conn.dialect.name, table, names), [pick(r) for r in rows])


@lru_cache(maxsize=64)
def _sql(dialect: str, table: Table, names: tuple[str, ...]) -> str:
    mark = "?" if dialect == "sqlite" else "%s"
    for n in names:
        if n not in table.c:
            raise KeyError(f"{table.name} has no column {n}")
    return f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join([mark] * len(names))})"
