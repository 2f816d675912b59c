"""early warning asks whether a hot identifier's window holds a report from another village
(window.elsewhere) with a seek per village on (kind, key, village_id, at): on
ix_warn_links_key alone that question read every holder of a one-village phone each batch

Revision ID: ringcost_0001
Revises: pgsearch_0001
"""
from alembic import op

revision = "ringcost_0001"
down_revision = "pgsearch_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_warn_links_village", "warn_links", ["kind", "key", "village_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_warn_links_village", "warn_links")
