"""Idempotent steps that say what they do: each is (what, already-done check, SQL).

A step whose check answers true prints `ok` and runs nothing, so running a command twice
changes nothing the second time. CREATE/DROP SUBSCRIPTION cannot run in a transaction:
every connection here is AUTOCOMMIT.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

_SECRETS = ((re.compile(r"(password\s*=\s*)[^\s']+", re.I), r"\1***"),
            (re.compile(r"(PASSWORD\s+)'(?:[^']|'')*'"), r"\1***"),
            (re.compile(r"(decode\(\s*)'[0-9a-fA-F]*'(\s*,\s*'hex'\))"), r"\1'***'\2"))


def mask(sql: str) -> str:
    """Statements as printed: no password (conninfo, CREATE ROLE) and no key (a `decode('…',
    'hex')` literal: the level key). The level key printed once, next to the region's link
    keys, reverses phone numbers (THREAT_MODEL.md)."""
    for pat, replacement in _SECRETS:
        sql = pat.sub(replacement, sql)
    return sql


@dataclass
class Step:
    what: str
    done: str | None           # SQL returning one row with a true value when nothing is to do
    sql: list[str]


def engine(url: str, database: str | None = None) -> Engine:
    u = make_url(url)
    if database:
        u = u.set(database=database)
    return create_engine(u, isolation_level="AUTOCOMMIT", pool_pre_ping=True)


def run(eng: Engine, steps: list[Step], say: Callable[[str], None] = print) -> int:
    """Run the steps in order; returns how many did something."""
    changed = 0
    with eng.connect() as conn:
        for s in steps:
            if s.done and conn.execute(text(s.done)).scalar():
                say(f"  ok       {s.what}")
                continue
            say(f"  create   {s.what}")
            for sql in s.sql:
                say("           " + mask(sql).replace("\n", "\n           ") + ";")
                # straight to the driver, no parameters: psycopg then leaves '%' alone
                conn.connection.driver_connection.execute(sql)
            changed += 1
    return changed


def exists(sql: str) -> str:
    return f"SELECT EXISTS ({sql})"
