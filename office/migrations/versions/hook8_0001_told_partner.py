"""what the partner webhook was last told of a signal: warn_signals.told

The webhook sends a signal again only when what its ordinary (non-rahasia) reports make of
it has changed, and dates it by when the partner was first and last told — never by the
signal's own times, which rahasia reports move (red team round 8). A signal delivered
before has no record: its next change is told, dated from then.

Revision ID: hook8_0001
Revises: search4_0001
"""
from alembic import op
import sqlalchemy as sa

revision = "hook8_0001"
down_revision = "search4_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("warn_signals") as b:
        b.add_column(sa.Column("told", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("warn_signals") as b:
        b.drop_column("told")
