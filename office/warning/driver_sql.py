"""Early warning's hottest look-ups as the driver's own SQL, past SQLAlchemy's statement
building: the derive writer asks a few hundred of them per batch (window.newest's UNION ALL
of 200 probes binds 600 parameters), and Core's compile-cache look-up, parameter
processing and expanding IN lists were a fifth of the writer's early-warning time
(bench/derive_bench.py, cProfile). The SQL is written once per shape with `?` marks
(psycopg's `%s` on PostgreSQL) and kept; rows come back as SQLAlchemy rows (attribute
access by column name), in the order the same Core statement gives — the SQL is the same.
Only text, integers and bytes go in and come out (warn_links' columns), which sqlite3 and
psycopg adapt themselves, as office/store/bulk.py relies on for inserts.
"""
from __future__ import annotations

from functools import lru_cache

from sqlalchemy import Connection


def rows(conn: Connection, sql: str, params: tuple) -> list:
    """`sql` (written with `?` marks) run with `params`: every row."""
    return conn.exec_driver_sql(dialect_sql(conn.dialect.name, sql), params).all()


def marks(n: int) -> str:
    """`?, ?, ...` for an IN list of `n` values."""
    return _marks(n)


@lru_cache(maxsize=1024)
def _marks(n: int) -> str:
    return ", ".join(["?"] * n)


@lru_cache(maxsize=1024)
def dialect_sql(dialect: str, sql: str) -> str:
    return sql if dialect == "sqlite" else sql.replace("?", "%s")
