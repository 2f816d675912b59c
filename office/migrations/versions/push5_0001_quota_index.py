"""envelopes(device_id, received_at, size, has_photo, id): the per-phone byte quota, read on
every push, from the index alone (it looked up every report the phone sent today)

Revision ID: push5_0001
Revises: recall5_0001
"""
from alembic import op

revision = "push5_0001"
down_revision = "recall5_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_envelopes_device_day", "envelopes", ["device_id", "received_at", "size", "has_photo", "id"])
    op.drop_index("ix_envelopes_device", table_name="envelopes")


def downgrade() -> None:
    op.create_index("ix_envelopes_device", "envelopes", ["device_id", "received_at"])
    op.drop_index("ix_envelopes_device_day", table_name="envelopes")
