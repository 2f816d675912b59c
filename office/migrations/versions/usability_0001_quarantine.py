"""quarantine: DARURAT reports refused for their author's revocation, kept for admins

Revision ID: usability_0001
Revises: 0011_replies
"""
from alembic import op
import sqlalchemy as sa

revision = "usability_0001"
down_revision = "derive_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "quarantine",
        sa.Column("envelope_id", sa.String(36), primary_key=True),
        sa.Column("author_id", sa.String(36), sa.ForeignKey("persons.id"), nullable=False),
        sa.Column("village_id", sa.Integer, nullable=True),
        sa.Column("form_id", sa.String(64), nullable=False),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("received_at", sa.String(32), nullable=False),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
    )
    op.create_index("ix_quarantine_received", "quarantine", ["received_at"])


def downgrade() -> None:
    op.drop_index("ix_quarantine_received", table_name="quarantine")
    op.drop_table("quarantine")
