"""envelopes(device_id, received_at): the per-phone byte quota reads one phone's day

Revision ID: security_0001_device_day
Revises: 0011_replies
"""
from alembic import op

revision = "security_0001_device_day"
down_revision = "handover_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_envelopes_device", "envelopes", ["device_id", "received_at"])


def downgrade() -> None:
    op.drop_index("ix_envelopes_device", table_name="envelopes")
