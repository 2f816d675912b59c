"""re-derive early warning: a ring village naming the ring's agent again is a ring report

Early warning's name test now counts a mention from the new report's own village when that
mention is already a report of a live ring that gives an identifier of its own (rings.
_in_rings): the village naming the ring's agent again, with the same role, joins the ring
once another village names them too. Link keys and name counts are unchanged, but signals
derived before would lack the reports this finds, so early warning's store is emptied and
every stored report is queued for it, as recall3_0001 did; the worker derives them again
after the upgrade. Signals stay (upserted by rule and key, so an analyst's confirm/dismiss
survives). The roll-up links read no ring and are left as they are.

Revision ID: recall5_0001
Revises: ringcost_0001
"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa

revision = "recall5_0001"
down_revision = "ringcost_0001"
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
