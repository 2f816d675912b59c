"""Derive tables, on the office's one `metadata` (migration derive_0001).

derive_jobs is the durable queue between the push and everything computed from a stored
report: one row per (consumer, report), written in the push's own transaction (so a
receipt never leaves for a report whose derivations are not queued) and deleted in the
same transaction as the consumer's writes (so a job is never lost and never done twice).
`due_at` moves forward with each failure (back-off); `attempts` and `error` are what the
health page and `jaga-desa office status` show. derive_lease lets one process at a time
run the queue on SQLite (PostgreSQL workers share it with FOR UPDATE SKIP LOCKED).
"""
from __future__ import annotations

from sqlalchemy import Column, Index, Integer, String, Table

from office.schema import metadata

derive_jobs = Table(
    "derive_jobs", metadata,
    Column("consumer", String(32), primary_key=True),
    Column("envelope_id", String(36), primary_key=True),
    Column("created_at", String(32), nullable=False),
    Column("due_at", String(32), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("error", String(300), nullable=True),       # the last failure: exception type + message
    Index("ix_derive_jobs_due", "due_at"),
)

derive_lease = Table(
    "derive_lease", metadata,
    Column("name", String(32), primary_key=True),
    Column("holder", String(100), nullable=False),
    Column("until", String(32), nullable=False),
)
