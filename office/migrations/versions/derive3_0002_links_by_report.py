"""early warning reads a report's link rows of one kind through (envelope_id, kind): with an
index on envelope_id alone, SQLite's planner chose (kind) of ix_warn_links_key for
`kind = 'phone' AND envelope_id IN (...)` and read every stored phone row per batch

Revision ID: derive3_0002
Revises: derive3_0001
"""
from alembic import op

revision = "derive3_0002"
down_revision = "derive3_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_warn_links_env_kind", "warn_links", ["envelope_id", "kind"])
    op.drop_index("ix_warn_links_env", "warn_links")


def downgrade() -> None:
    op.create_index("ix_warn_links_env", "warn_links", ["envelope_id"])
    op.drop_index("ix_warn_links_env_kind", "warn_links")
