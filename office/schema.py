"""Office tables (SQLAlchemy Core). Portable SQL: runs on SQLite and PostgreSQL.

Answers never appear in a column: envelopes are stored sealed, exactly as signed.
Plain columns hold only what the dashboard filters on (village, form, category,
urgency, has_photo, rahasia) and what the protocol needs (ids, keys, times).
Times are ISO 8601 UTC strings (sortable, portable) except phone time, kept in ms.
"""
from __future__ import annotations

from sqlalchemy import (Boolean, BigInteger, Column, ForeignKey, Index, Integer, LargeBinary,
                        MetaData, String, Table, Text, UniqueConstraint)

metadata = MetaData()

villages = Table(
    "villages", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("region", String(200), nullable=True),
    Column("kode_wilayah", String(13), nullable=True),               # Kemendagri desa code (0009)
    Column("kode_version", String(64), nullable=True),               # the code list it came from
    UniqueConstraint("kode_wilayah", name="uq_villages_kode_wilayah"),
)

devices = Table(
    "devices", metadata,
    Column("id", String(36), primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),   # sha256 of the sync token
    Column("created_at", String(32), nullable=False),
    Column("revoked_at", String(32), nullable=True),
    Column("last_sync_at", String(32), nullable=True),              # last inbox pull = end of a sync
)

persons = Table(
    "persons", metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("village_id", Integer, ForeignKey("villages.id"), nullable=False),
    Column("role", String(16), nullable=False),                      # volunteer | head
    Column("device_id", String(36), ForeignKey("devices.id"), nullable=False),
    Column("x25519_public", LargeBinary, nullable=False),
    Column("ed25519_public", LargeBinary, nullable=False),
    Column("key_id", String(32), nullable=False, unique=True),
    Column("created_at", String(32), nullable=False),
    Column("revoked_at", String(32), nullable=True),
    Index("ix_persons_village", "village_id", "role"),
    Index("ix_persons_device", "device_id"),
)

enroll_codes = Table(
    "enroll_codes", metadata,
    Column("code_hash", String(64), primary_key=True),               # sha256 of the code
    Column("name", String(200), nullable=False),
    Column("village_id", Integer, ForeignKey("villages.id"), nullable=False),
    Column("role", String(16), nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("expires_at", String(32), nullable=False),
    Column("used_at", String(32), nullable=True),
    Column("person_id", String(36), nullable=True),
)

envelopes = Table(
    "envelopes", metadata,
    Column("id", String(36), primary_key=True),
    Column("author_id", String(36), ForeignKey("persons.id"), nullable=False),
    Column("device_id", String(36), nullable=False),
    Column("village_id", Integer, nullable=False),
    Column("form_id", String(255), nullable=False),
    Column("form_version", Integer, nullable=False),
    Column("category", String(100), nullable=True),
    Column("urgent", Boolean, nullable=False, default=False),
    Column("has_photo", Boolean, nullable=False, default=False),
    Column("rahasia", Boolean, nullable=False, default=False),
    Column("created_ms", BigInteger, nullable=False),                # phone clock
    Column("received_at", String(32), nullable=False),               # office clock
    Column("skew_ms", BigInteger, nullable=False),                   # office - phone
    Column("sha256", String(64), nullable=False),
    Column("size", Integer, nullable=False),
    Column("data", LargeBinary, nullable=False),                     # sealed, exactly as signed
    Column("complete", Boolean, nullable=False),
    Column("receipt", Text, nullable=False),                         # signed receipt JSON
    Column("triage", String(32), nullable=False, default="new"),     # for the dashboard
    Index("ix_envelopes_village", "village_id", "received_at"),
    # the per-phone daily quota, read from the index alone (phone_limits.used_today, every push)
    Index("ix_envelopes_device_day", "device_id", "received_at", "size", "has_photo", "id"),
)

envelope_recipients = Table(
    "envelope_recipients", metadata,
    Column("envelope_id", String(36), ForeignKey("envelopes.id"), primary_key=True),
    Column("key_id", String(32), primary_key=True),
)

attachments = Table(
    "attachments", metadata,
    Column("envelope_id", String(36), ForeignKey("envelopes.id"), primary_key=True),
    Column("att_id", String(32), primary_key=True),
    Column("size", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("received", Integer, nullable=False, default=0),
    Column("complete", Boolean, nullable=False, default=False),
    Column("data", LargeBinary, nullable=True),                      # legacy: joined blob (now stays in chunks)
    Column("updated_at", String(32), nullable=True),                 # last chunk (unfinished uploads expire)
)

attachment_chunks = Table(
    "attachment_chunks", metadata,
    Column("envelope_id", String(36), primary_key=True),
    Column("att_id", String(32), primary_key=True),
    Column("offset", Integer, primary_key=True),                     # unique: no chunk twice
    Column("data", LargeBinary, nullable=False),
)

reviews = Table(
    "reviews", metadata,
    Column("id", String(36), primary_key=True),                      # the review envelope id
    Column("report_id", String(36), ForeignKey("envelopes.id"), nullable=False),
    Column("head_id", String(36), ForeignKey("persons.id"), nullable=False),
    Column("verdict", String(32), nullable=False),
    Column("created_ms", BigInteger, nullable=False),
    Column("received_at", String(32), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("data", LargeBinary, nullable=False),                     # sealed: the note stays sealed
    Column("receipt", Text, nullable=False),
    Index("ix_reviews_report", "report_id"),
)

replies = Table(
    "replies", metadata,       # a message in a report's conversation from its author (or its head)
    Column("id", String(36), primary_key=True),                      # the reply envelope id
    Column("report_id", String(36), ForeignKey("envelopes.id"), nullable=False),
    Column("author_id", String(36), ForeignKey("persons.id"), nullable=False),
    Column("created_ms", BigInteger, nullable=False),
    Column("received_at", String(32), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("data", LargeBinary, nullable=False),                     # sealed: the text stays sealed
    Column("receipt", Text, nullable=False),
    Index("ix_replies_report", "report_id", "received_at"),
)

inbox_items = Table(
    "inbox_items", metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),   # the paging cursor
    Column("person_id", String(36), ForeignKey("persons.id"), nullable=False),
    Column("kind", String(32), nullable=False),    # review_request | feedback | recipient_keys | revoked
    Column("ref_id", String(36), nullable=True),
    Column("body", Text, nullable=False),          # JSON; sealed parts base64
    Column("created_at", String(32), nullable=False),
    Index("ix_inbox_person", "person_id", "seq"),
    UniqueConstraint("person_id", "kind", "ref_id", name="uq_inbox_ref"),
)

staff = Table(
    "staff", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(100), nullable=False, unique=True),
    Column("password_hash", String(255), nullable=False),
    Column("role", String(16), nullable=False),                      # intel | admin
    Column("region", String(200), nullable=True),
    Column("created_at", String(32), nullable=False),
    Column("disabled_at", String(32), nullable=True),
)

# ── refused emergencies (migration usability_0001) ─────────────────────────
# A DARURAT report the office had to refuse (its author was revoked meanwhile) is never
# dropped without a trace: kept sealed, exactly as signed, with the reason, for admins.
quarantine = Table(
    "quarantine", metadata,
    Column("envelope_id", String(36), primary_key=True),
    Column("author_id", String(36), ForeignKey("persons.id"), nullable=False),
    Column("village_id", Integer, nullable=True),
    Column("form_id", String(64), nullable=False),
    Column("code", String(32), nullable=False),                      # the refusal's stable code
    Column("reason", Text, nullable=False),
    Column("received_at", String(32), nullable=False),
    Column("created_ms", BigInteger, nullable=False),
    Column("data", LargeBinary, nullable=False),                     # sealed, as signed
    Index("ix_quarantine_received", "received_at"),
)
