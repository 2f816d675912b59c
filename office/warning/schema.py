"""Early-warning tables, on the office's one `metadata` (migration 0008_warning).

warn_links holds one row per identifier a report mentions, as a keyed HMAC only: a copy of
office.db cannot tell which phone number or plate a row stands for, nor test a guess,
without the office key. Names also keep a sealed (AES-GCM) copy of their normalised form,
opened in memory only to compare candidates fuzzily at evaluation time.
warn_signals are the leads the rules raise; warn_signal_reports the reports behind them.
A signal's matched values (the number or name that linked its reports) are sealed in
`sealed` for the staff who may see them; warn_name_stats counts name words (by HMAC) so
the engine can tell a rare name from "Nur".
Their `detail` JSON carries counts, village ids and the identifier *kind* — never a value.
"""
from __future__ import annotations

from sqlalchemy import (Boolean, Column, Float, Index, Integer, LargeBinary, String, Table, Text,
                        UniqueConstraint)

from office.schema import metadata

warn_links = Table(
    "warn_links", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("envelope_id", String(36), nullable=False),
    Column("village_id", Integer, nullable=False),
    Column("kind", String(16), nullable=False),        # phone | handle | plate | boat | name | name_tok | place
    Column("key", String(64), nullable=False),         # HMAC(office-derived key, kind:value)
    Column("sealed", LargeBinary, nullable=True),      # names only: the normalised name, sealed
    Column("at", String(32), nullable=False),          # the report's received_at (UTC)
    Index("ix_warn_links_key", "kind", "key", "at"),
    # a report's rows of one kind (its phones, its place, its names): with (envelope_id)
    # alone SQLite's planner took (kind) from ix_warn_links_key and read every stored row
    # of that kind, a cost that grew with the store (migration derive3_0002)
    Index("ix_warn_links_env_kind", "envelope_id", "kind"),
    # whether a hot identifier's window holds another village, in a seek per village that
    # ever held it (window.elsewhere; migration ringcost_0001)
    Index("ix_warn_links_village", "kind", "key", "village_id", "at"),
)

warn_signals = Table(
    "warn_signals", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("rule", String(32), nullable=False),
    Column("key", String(96), nullable=False),         # what makes two raisings the same lead
    Column("created_at", String(32), nullable=False),
    Column("updated_at", String(32), nullable=False),
    Column("status", String(16), nullable=False),      # new | confirmed | dismissed
    Column("reason", Text, nullable=True),             # why it was dismissed
    Column("assignee_id", Integer, nullable=True),
    Column("region", String(200), nullable=True),
    Column("detail", Text, nullable=False),            # JSON: counts, village ids, kind — no values
    Column("delivered", Boolean, nullable=False, default=False),
    Column("score", Float, nullable=False, default=0.0, server_default="0"),   # strength + recency: the page's order
    Column("merged_into", Integer, nullable=True),     # status "merged": its reports now belong to that signal
    Column("sealed", LargeBinary, nullable=True),      # the matched values (staff may see them), sealed
    # what the partner webhook was last told of it: JSON {"sha256" of the body without its
    # times, "created_at", "updated_at"} (webhook.py; migration hook8_0001)
    Column("told", Text, nullable=True),
    UniqueConstraint("rule", "key", name="uq_warn_signals_rule_key"),
    Index("ix_warn_signals_status", "status", "updated_at"),
    Index("ix_warn_signals_rank", "status", "score"),
    Index("ix_warn_signals_score", "score"),
)

warn_signal_reports = Table(
    "warn_signal_reports", metadata,
    Column("signal_id", Integer, primary_key=True),
    Column("envelope_id", String(36), primary_key=True),
    Column("village_id", Integer, nullable=True),      # the report's village: region scope without a join
    Index("ix_warn_signal_reports_env", "envelope_id"),
    Index("ix_warn_signal_reports_scope", "signal_id", "village_id"),
)

warn_name_stats = Table(
    "warn_name_stats", metadata,
    # HMAC of a squashed name word; "*" = all names; "d:"/"*d" the same with a name counted at
    # most 3 times per village, "v:" one name's reports in one village (rings._distinct)
    Column("key", String(64), primary_key=True),
    Column("n", Integer, nullable=False),               # how many names the office has seen with it
)

warn_deliveries = Table(
    "warn_deliveries", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("signal_id", Integer, nullable=False),
    Column("url", String(500), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("status", Integer, nullable=True),          # HTTP status, None when no answer
    Column("ok", Boolean, nullable=False),
    Column("error", String(300), nullable=True),
    Column("at", String(32), nullable=False),
)
