"""office hardening (issue 12): upload expiry, login throttling per source, scoped partner tokens

attachments.updated_at      when the last chunk arrived (unfinished uploads expire)
dash_login_attempts.ip      the source address of each attempt (throttle per source and account)
dash_api_tokens.expires_at / last_used_at / scope   partner tokens that expire, are scoped
                            (regions; rahasia and free text excluded unless granted) and show use

Revision ID: 0006_office_hardening
Revises: 0009_village_region_codes
"""
from alembic import op
import sqlalchemy as sa

revision = "0006_office_hardening"
down_revision = "0009_village_region_codes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("attachments") as batch:
        batch.add_column(sa.Column("updated_at", sa.String(32), nullable=True))
    with op.batch_alter_table("dash_login_attempts") as batch:
        batch.add_column(sa.Column("ip", sa.String(64), nullable=True))
    op.create_index("ix_dash_login_ip", "dash_login_attempts", ["ip", "at"])
    with op.batch_alter_table("dash_api_tokens") as batch:
        batch.add_column(sa.Column("expires_at", sa.String(32), nullable=True))
        batch.add_column(sa.Column("last_used_at", sa.String(32), nullable=True))
        batch.add_column(sa.Column("scope", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("dash_api_tokens") as batch:
        batch.drop_column("scope")
        batch.drop_column("last_used_at")
        batch.drop_column("expires_at")
    op.drop_index("ix_dash_login_ip", "dash_login_attempts")
    with op.batch_alter_table("dash_login_attempts") as batch:
        batch.drop_column("ip")
    with op.batch_alter_table("attachments") as batch:
        batch.drop_column("updated_at")
