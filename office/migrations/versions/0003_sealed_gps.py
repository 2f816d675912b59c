"""dash_reports: the GPS point is sealed (geo) instead of two plain float columns

Where a volunteer stood is as sensitive as what they wrote; a copy of office.db without
the office key must not give it away. Points already indexed in the clear are dropped
with the columns; the report detail page reads GPS from the sealed answers anyway, and
re-indexing (delete a dash_reports row) restores a report's map point.

Revision ID: 0003_sealed_gps
Revises: 0002_dashboard
"""
from alembic import op
import sqlalchemy as sa

revision = "0003_sealed_gps"
down_revision = "0002_dashboard"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("dash_reports") as batch:
        batch.drop_column("lat")
        batch.drop_column("lon")
        batch.add_column(sa.Column("geo", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("dash_reports") as batch:
        batch.drop_column("geo")
        batch.add_column(sa.Column("lat", sa.Float(), nullable=True))
        batch.add_column(sa.Column("lon", sa.Float(), nullable=True))
