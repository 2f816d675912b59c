"""dash_alert_acks: a DARURAT report stays on every dashboard page until acknowledged

Revision ID: 0010_emergency_ack
Revises: 0006_office_hardening
"""
from alembic import op
import sqlalchemy as sa

revision = "0010_emergency_ack"
down_revision = "0006_office_hardening"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dash_alert_acks",
        sa.Column("envelope_id", sa.String(36), primary_key=True),
        sa.Column("staff_id", sa.Integer, nullable=False),
        sa.Column("at", sa.String(32), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("dash_alert_acks")
