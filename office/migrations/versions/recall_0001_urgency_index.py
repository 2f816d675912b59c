"""the DARURAT banner's index: open emergencies by urgency and time (every dashboard page asks)

Revision ID: recall_0001
Revises: derive2_0001
"""
from alembic import op

revision = "recall_0001"
down_revision = "derive2_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_dash_reports_urgency", "dash_reports", ["urgency", "received_at"])


def downgrade() -> None:
    op.drop_index("ix_dash_reports_urgency", "dash_reports")
