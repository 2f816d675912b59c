"""re-derive early warning and the roll-up links: names and plates are read anew

The early-warning reading of names changed (vowel pairs after a silent h kept apart; titles
such as "Daeng", "Bpk.", degrees such as "M.Si", "tidak tahu" and "…, dari <place>" are no
longer name words) and a plate written with its vehicle is now found. Link keys and name
counts derived by the old reading would never meet the new ones, so both consumers' stores
are emptied and every stored report is queued for them, as `office rebuild-derived` does;
the worker derives them again after the upgrade. Signals stay (upserted by rule and key, so
an analyst's confirm/dismiss survives), as in a rebuild.

Revision ID: rederive_0001
Revises: recall_0001
"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa

revision = "rederive_0001"
down_revision = "recall_0001"
branch_labels = None
depends_on = None

CONSUMERS = ("early_warning", "rollup_links")


def upgrade() -> None:
    now = datetime.now(timezone.utc)
    stamp = now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"     # office.clock.iso
    conn = op.get_bind()
    conn.execute(sa.text("DELETE FROM warn_links"))
    conn.execute(sa.text("DELETE FROM warn_name_stats"))
    for consumer in CONSUMERS:
        conn.execute(sa.text("DELETE FROM derive_jobs WHERE consumer = :c"), {"c": consumer})
        conn.execute(sa.text("INSERT INTO derive_jobs (consumer, envelope_id, created_at, due_at, attempts) "
                             "SELECT :c, id, :t, :t, 0 FROM envelopes"), {"c": consumer, "t": stamp})


def downgrade() -> None:
    """Nothing to undo: the old code derives the queued reports its own way."""
