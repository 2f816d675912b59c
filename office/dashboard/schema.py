"""Dashboard tables, on the office's one `metadata` (migration 0002_dashboard).

dash_reports is the dashboard's projection of `envelopes`: the filter columns that can
only be known after opening a report (category, urgency, children, route, GPS) are
derived once at the office by `indexer` and kept here, so listing 100k reports never
decrypts anything. Free text never lands in a column: search goes through dash_search
(search_index.py, migration derive2_0001), which holds HMAC(office-derived key, normalized
word) — a database copy alone cannot test guesses against it. Triage notes are AES-GCM sealed under an office-derived key.
dash_audit is append-only (no code path updates or deletes; SQLite/PostgreSQL triggers
refuse it too).
"""
from __future__ import annotations

from sqlalchemy import (Boolean, Column, Index, Integer, LargeBinary, String,
                        Table, Text)

from office.schema import metadata

from office.store.filter_row import dash_reports  # noqa: E402,F401  (the push writes it; defined there)

dash_events = Table(
    "dash_events", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("envelope_id", String(36), nullable=False),
    Column("at", String(32), nullable=False),
    Column("staff_id", Integer, nullable=False),
    Column("kind", String(16), nullable=False),         # triage | feedback
    Column("from_state", String(32), nullable=True),
    Column("to_state", String(32), nullable=True),
    Column("assignee_id", Integer, nullable=True),
    Column("note", LargeBinary, nullable=True),         # sealed (office-derived key)
    Column("ref_id", String(36), nullable=True),        # feedback envelope id
    Index("ix_dash_events_report", "envelope_id", "id"),
)

dash_sessions = Table(
    "dash_sessions", metadata,
    Column("token_hash", String(64), primary_key=True),  # sha256 of the cookie value
    Column("staff_id", Integer, nullable=False),
    Column("csrf", String(64), nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("expires_at", String(32), nullable=False),
    Column("last_seen_at", String(32), nullable=False),
)

dash_login_attempts = Table(
    "dash_login_attempts", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(100), nullable=False),
    Column("at", String(32), nullable=False),
    Column("ok", Boolean, nullable=False),
    Column("ip", String(64), nullable=True),            # source address (throttled per source too)
    Index("ix_dash_login_user", "username", "at"),
    Index("ix_dash_login_ip", "ip", "at"),
)

dash_api_tokens = Table(
    "dash_api_tokens", metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("staff_id", Integer, nullable=False),
    Column("label", String(100), nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("revoked_at", String(32), nullable=True),
    Column("expires_at", String(32), nullable=True),
    Column("last_used_at", String(32), nullable=True),
    Column("scope", Text, nullable=True),               # JSON: regions, rahasia, free_text
)

dash_audit = Table(
    "dash_audit", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", String(32), nullable=False),
    Column("staff_id", Integer, nullable=True),
    Column("username", String(100), nullable=True),
    Column("action", String(32), nullable=False),
    Column("target", String(64), nullable=True),
    Column("detail", Text, nullable=True),              # JSON; never report content
    Column("ip", String(64), nullable=True),
    Index("ix_dash_audit_action", "action", "id"),
)

dash_alert_acks = Table(     # migration 0010: who acknowledged a DARURAT report, and when
    "dash_alert_acks", metadata,
    Column("envelope_id", String(36), primary_key=True),
    Column("staff_id", Integer, nullable=False),
    Column("at", String(32), nullable=False),
)
