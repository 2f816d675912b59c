"""villages.kode_wilayah + kode_version: the Kemendagri code a village was picked by

Revision ID: 0009_village_region_codes
Revises: 0004_device_last_sync
"""
from alembic import op
import sqlalchemy as sa

revision = "0009_village_region_codes"
down_revision = "0004_device_last_sync"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("villages") as batch:
        batch.add_column(sa.Column("kode_wilayah", sa.String(13), nullable=True))
        batch.add_column(sa.Column("kode_version", sa.String(64), nullable=True))
        batch.create_unique_constraint("uq_villages_kode_wilayah", ["kode_wilayah"])


def downgrade() -> None:
    with op.batch_alter_table("villages") as batch:
        batch.drop_constraint("uq_villages_kode_wilayah", type_="unique")
        batch.drop_column("kode_version")
        batch.drop_column("kode_wilayah")
