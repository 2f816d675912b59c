"""devices.last_sync_at: when a phone last pulled its inbox (the end of every sync round)

Revision ID: 0004_device_last_sync
Revises: 0003_sealed_gps
"""
from alembic import op
import sqlalchemy as sa

revision = "0004_device_last_sync"
down_revision = "0003_sealed_gps"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("devices") as batch:
        batch.add_column(sa.Column("last_sync_at", sa.String(32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("devices") as batch:
        batch.drop_column("last_sync_at")
