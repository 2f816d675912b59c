"""early warning that ranks: signal strength, merged signals, sealed matched values, name statistics, each signal report's village

Revision ID: warning_0001
Revises: security_0001_device_day
"""
from alembic import op
import sqlalchemy as sa

revision = "warning_0001"
down_revision = "security_0001_device_day"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("warn_signals") as b:
        b.add_column(sa.Column("score", sa.Float(), nullable=False, server_default="0"))
        b.add_column(sa.Column("merged_into", sa.Integer(), nullable=True))
        b.add_column(sa.Column("sealed", sa.LargeBinary(), nullable=True))
    op.create_index("ix_warn_signals_rank", "warn_signals", ["status", "score"])
    op.create_index("ix_warn_signals_score", "warn_signals", ["score"])
    with op.batch_alter_table("warn_signal_reports") as b:
        b.add_column(sa.Column("village_id", sa.Integer(), nullable=True))
    op.execute("UPDATE warn_signal_reports SET village_id = (SELECT e.village_id FROM envelopes e "
               "WHERE e.id = warn_signal_reports.envelope_id)")
    op.create_index("ix_warn_signal_reports_scope", "warn_signal_reports", ["signal_id", "village_id"])
    op.create_table(
        "warn_name_stats",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("n", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("warn_name_stats")
    op.drop_index("ix_warn_signal_reports_scope", "warn_signal_reports")
    with op.batch_alter_table("warn_signal_reports") as b:
        b.drop_column("village_id")
    op.drop_index("ix_warn_signals_score", "warn_signals")
    op.drop_index("ix_warn_signals_rank", "warn_signals")
    with op.batch_alter_table("warn_signals") as b:
        b.drop_column("sealed")
        b.drop_column("merged_into")
        b.drop_column("score")
