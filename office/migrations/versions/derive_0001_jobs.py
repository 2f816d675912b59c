"""derive jobs: the durable queue from the push to the derive consumers (office/derive)

Revision ID: derive_0001
Revises: 0011_replies
"""
from alembic import op
import sqlalchemy as sa

revision = "derive_0001"
down_revision = "0011_replies"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "derive_jobs",
        sa.Column("consumer", sa.String(32), primary_key=True),
        sa.Column("envelope_id", sa.String(36), primary_key=True),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("due_at", sa.String(32), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("error", sa.String(300), nullable=True),
    )
    op.create_index("ix_derive_jobs_due", "derive_jobs", ["due_at"])
    op.create_table(
        "derive_lease",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("holder", sa.String(100), nullable=False),
        sa.Column("until", sa.String(32), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("derive_lease")
    op.drop_index("ix_derive_jobs_due", table_name="derive_jobs")
    op.drop_table("derive_jobs")
