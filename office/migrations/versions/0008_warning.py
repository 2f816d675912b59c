"""early warning: link keys (HMAC), signals, the reports behind them, webhook deliveries

Revision ID: 0008_warning
Revises: 0010_emergency_ack
"""
from alembic import op
import sqlalchemy as sa

revision = "0008_warning"
down_revision = "0010_emergency_ack"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "warn_links",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("envelope_id", sa.String(36), nullable=False),
        sa.Column("village_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=True),
        sa.Column("at", sa.String(32), nullable=False),
    )
    op.create_index("ix_warn_links_key", "warn_links", ["kind", "key", "at"])
    op.create_index("ix_warn_links_env", "warn_links", ["envelope_id"])
    op.create_table(
        "warn_signals",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("rule", sa.String(32), nullable=False),
        sa.Column("key", sa.String(96), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("updated_at", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("region", sa.String(200), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("delivered", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.UniqueConstraint("rule", "key", name="uq_warn_signals_rule_key"),
    )
    op.create_index("ix_warn_signals_status", "warn_signals", ["status", "updated_at"])
    op.create_table(
        "warn_signal_reports",
        sa.Column("signal_id", sa.Integer(), primary_key=True),
        sa.Column("envelope_id", sa.String(36), primary_key=True),
    )
    op.create_index("ix_warn_signal_reports_env", "warn_signal_reports", ["envelope_id"])
    op.create_table(
        "warn_deliveries",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("signal_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(500), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("error", sa.String(300), nullable=True),
        sa.Column("at", sa.String(32), nullable=False),
    )


def downgrade() -> None:
    for t in ("warn_deliveries", "warn_signal_reports", "warn_signals", "warn_links"):
        op.drop_table(t)
