"""re-derive early warning: a name's frequency counts each name at most three times per village

warn_name_stats gains keys counting each name at most three times per village (rings.
NAME_PER_VILLAGE: "v:" one name's reports in one village, "d:" each word among the names so
counted, "*d" all of them); the name test weighs a name's
words by these, so one enrolled phone naming a ring's calo again and again in its own
village no longer makes the name common (issue 25). Stores derived before have none of these
keys (every word would look unseen), so early warning's store is emptied and every stored
report is queued for it, as recall5_0001 did; the worker counts them again after the
upgrade. Signals stay (upserted by rule and key, so an analyst's confirm/dismiss survives).

Revision ID: poison25_0001
Revises: order25_0001
"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa

revision = "poison25_0001"
down_revision = "order25_0001"
branch_labels = None
depends_on = None

CONSUMER = "early_warning"


def upgrade() -> None:
    now = datetime.now(timezone.utc)
    stamp = now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"     # office.clock.iso
    conn = op.get_bind()
    conn.execute(sa.text("DELETE FROM warn_links"))
    conn.execute(sa.text("DELETE FROM warn_name_stats"))
    conn.execute(sa.text("DELETE FROM derive_jobs WHERE consumer = :c"), {"c": CONSUMER})
    conn.execute(sa.text("INSERT INTO derive_jobs (consumer, envelope_id, created_at, due_at, attempts) "
                         "SELECT :c, id, :t, :t, 0 FROM envelopes"), {"c": CONSUMER, "t": stamp})


def downgrade() -> None:
    """Nothing to undo: the old code reads its own keys and leaves the new ones unread (a store
    derived under it again, by a rebuild, counts them its own way)."""
