"""replies: the volunteer's (or head's) sealed answers in a report's conversation

Revision ID: 0011_replies
Revises: 0008_warning
"""
from alembic import op
import sqlalchemy as sa

revision = "0011_replies"
down_revision = "0008_warning"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "replies",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("report_id", sa.String(36), sa.ForeignKey("envelopes.id"), nullable=False),
        sa.Column("author_id", sa.String(36), sa.ForeignKey("persons.id"), nullable=False),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
        sa.Column("received_at", sa.String(32), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("receipt", sa.Text, nullable=False),
    )
    op.create_index("ix_replies_report", "replies", ["report_id", "received_at"])


def downgrade() -> None:
    op.drop_index("ix_replies_report", table_name="replies")
    op.drop_table("replies")
