"""tier A release ledger: one published table per ISO week, corrections as versions

Revision ID: handover_0001
Revises: usability_0001
"""
from alembic import op
import sqlalchemy as sa

revision = "handover_0001"
down_revision = "usability_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "handover_releases",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("week", sa.String(8), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("policy", sa.String(64), nullable=False),
        sa.Column("released_at", sa.String(32), nullable=False),
        sa.Column("released_by", sa.String(100), nullable=False),
        sa.Column("withheld", sa.Integer(), nullable=False),
        sa.Column("rows", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("notice", sa.Text(), nullable=True),
        sa.UniqueConstraint("week", "version", name="uq_handover_release_week_version"),
    )


def downgrade() -> None:
    op.drop_table("handover_releases")
