"""re-derive early warning: a ring that forms or grows takes in the reports that named it earlier

Early warning now asks again, when a ring forms or grows, the stored reports its new reports'
names met but did not link (office/warning/lookback.py): each by the forward name test as if
it arrived now, so a report filed before the ring existed joins it as it would have had it
arrived after. Link keys and name counts are unchanged, but signals derived before would
lack the reports this finds, so early warning's store is emptied and every stored report is
queued for it, as recall5_0001 did; the worker derives them again after the upgrade. Signals
stay (upserted by rule and key, so an analyst's confirm/dismiss survives). The roll-up links
read no ring and are left as they are. Written out, not shared with recall5_0001: a
migration keeps doing what it did on the day it shipped.

Revision ID: order25_0001
Revises: push5_0001
"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa

revision = "order25_0001"
down_revision = "push5_0001"
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
    """Nothing to undo: the old code derives the queued reports its own way."""
