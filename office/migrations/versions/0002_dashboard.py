"""dashboard tables: report projection, search terms, triage events, sessions, audit

Revision ID: 0002_dashboard
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa

revision = "0002_dashboard"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dash_reports",
        sa.Column("envelope_id", sa.String(36), primary_key=True),
        sa.Column("village_id", sa.Integer(), nullable=False),
        sa.Column("form_id", sa.String(255), nullable=False),
        sa.Column("received_at", sa.String(32), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("has_photo", sa.Boolean(), nullable=False),
        sa.Column("opened", sa.Boolean(), nullable=False),
        sa.Column("category", sa.String(100), nullable=True),
        sa.Column("urgency", sa.String(16), nullable=True),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("children", sa.Boolean(), nullable=False),
        sa.Column("route", sa.String(64), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("week", sa.String(8), nullable=False),
        sa.Column("triage", sa.String(32), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("indexed_at", sa.String(32), nullable=False),
    )
    op.create_index("ix_dash_reports_recv", "dash_reports", ["received_at", "envelope_id"])
    op.create_index("ix_dash_reports_village", "dash_reports", ["village_id", "received_at"])
    op.create_index("ix_dash_reports_triage", "dash_reports", ["triage", "received_at"])
    op.create_table(
        "dash_terms",
        sa.Column("term", sa.String(32), primary_key=True),
        sa.Column("envelope_id", sa.String(36), primary_key=True),
    )
    op.create_table(
        "dash_events",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("envelope_id", sa.String(36), nullable=False),
        sa.Column("at", sa.String(32), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("from_state", sa.String(32), nullable=True),
        sa.Column("to_state", sa.String(32), nullable=True),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.LargeBinary(), nullable=True),
        sa.Column("ref_id", sa.String(36), nullable=True),
    )
    op.create_index("ix_dash_events_report", "dash_events", ["envelope_id", "id"])
    op.create_table(
        "dash_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("expires_at", sa.String(32), nullable=False),
        sa.Column("last_seen_at", sa.String(32), nullable=False),
    )
    op.create_table(
        "dash_login_attempts",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(100), nullable=False),
        sa.Column("at", sa.String(32), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_dash_login_user", "dash_login_attempts", ["username", "at"])
    op.create_table(
        "dash_api_tokens",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(100), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("revoked_at", sa.String(32), nullable=True),
    )
    op.create_table(
        "dash_audit",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", sa.String(32), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("username", sa.String(100), nullable=True),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("target", sa.String(64), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("ip", sa.String(64), nullable=True),
    )
    op.create_index("ix_dash_audit_action", "dash_audit", ["action", "id"])
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for event in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER dash_audit_no_{event.lower()} BEFORE {event} ON dash_audit "
                       "BEGIN SELECT RAISE(ABORT, 'dash_audit is append-only'); END")
    elif dialect == "postgresql":
        op.execute("CREATE FUNCTION dash_audit_append_only() RETURNS trigger AS $$ BEGIN "
                   "RAISE EXCEPTION 'dash_audit is append-only'; END $$ LANGUAGE plpgsql")
        op.execute("CREATE TRIGGER dash_audit_append_only BEFORE UPDATE OR DELETE ON dash_audit "
                   "FOR EACH ROW EXECUTE FUNCTION dash_audit_append_only()")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS dash_audit_no_update")
        op.execute("DROP TRIGGER IF EXISTS dash_audit_no_delete")
    elif dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS dash_audit_append_only ON dash_audit")
        op.execute("DROP FUNCTION IF EXISTS dash_audit_append_only()")
    for name in ("dash_audit", "dash_api_tokens", "dash_login_attempts", "dash_sessions",
                 "dash_events", "dash_terms", "dash_reports"):
        op.drop_table(name)
