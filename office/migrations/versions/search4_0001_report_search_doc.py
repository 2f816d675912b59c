"""dash_reports.search_doc: each report's search document on its own row, so the overview
counting a search over every report tests that column against the match, instead of looking
up each report's document by its envelope id (two common words at 100k: ~590 -> ~100 ms)

Revision ID: search4_0001
Revises: order25_0001

Upgrade (SQLite): the column, filled from dash_search in one statement (the keyed index's
own document numbers; no report is opened, no word re-derived). A row the backfill misses
(none should) is NULL, which a search reads as "look it up" (search_index._doc_of).
PostgreSQL: the column only (its search is its planner's over the GIN index; nothing fills it).
"""
import sqlalchemy as sa
from alembic import op

revision = "search4_0001"
down_revision = "poison25_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("dash_reports", sa.Column("search_doc", sa.Integer(), nullable=True))
    if op.get_bind().dialect.name != "postgresql":
        op.execute("UPDATE dash_reports SET search_doc = "
                   "(SELECT doc FROM dash_search s WHERE s.envelope_id = dash_reports.envelope_id)")


def downgrade() -> None:
    with op.batch_alter_table("dash_reports") as batch:
        batch.drop_column("search_doc")
