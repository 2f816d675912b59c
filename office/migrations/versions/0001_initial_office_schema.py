"""initial office schema

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-26 00:16:23.970103
"""
from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('attachment_chunks',
    sa.Column('envelope_id', sa.String(length=36), nullable=False),
    sa.Column('att_id', sa.String(length=32), nullable=False),
    sa.Column('offset', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('envelope_id', 'att_id', 'offset')
    )
    op.create_table('devices',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.String(length=32), nullable=False),
    sa.Column('revoked_at', sa.String(length=32), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    op.create_table('staff',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('username', sa.String(length=100), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('region', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.String(length=32), nullable=False),
    sa.Column('disabled_at', sa.String(length=32), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('username')
    )
    op.create_table('villages',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('region', sa.String(length=200), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('enroll_codes',
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('village_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.String(length=32), nullable=False),
    sa.Column('expires_at', sa.String(length=32), nullable=False),
    sa.Column('used_at', sa.String(length=32), nullable=True),
    sa.Column('person_id', sa.String(length=36), nullable=True),
    sa.ForeignKeyConstraint(['village_id'], ['villages.id'], ),
    sa.PrimaryKeyConstraint('code_hash')
    )
    op.create_table('persons',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('village_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('device_id', sa.String(length=36), nullable=False),
    sa.Column('x25519_public', sa.LargeBinary(), nullable=False),
    sa.Column('ed25519_public', sa.LargeBinary(), nullable=False),
    sa.Column('key_id', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.String(length=32), nullable=False),
    sa.Column('revoked_at', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], ),
    sa.ForeignKeyConstraint(['village_id'], ['villages.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key_id')
    )
    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.create_index('ix_persons_device', ['device_id'], unique=False)
        batch_op.create_index('ix_persons_village', ['village_id', 'role'], unique=False)

    op.create_table('envelopes',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('author_id', sa.String(length=36), nullable=False),
    sa.Column('device_id', sa.String(length=36), nullable=False),
    sa.Column('village_id', sa.Integer(), nullable=False),
    sa.Column('form_id', sa.String(length=255), nullable=False),
    sa.Column('form_version', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=100), nullable=True),
    sa.Column('urgent', sa.Boolean(), nullable=False),
    sa.Column('has_photo', sa.Boolean(), nullable=False),
    sa.Column('rahasia', sa.Boolean(), nullable=False),
    sa.Column('created_ms', sa.BigInteger(), nullable=False),
    sa.Column('received_at', sa.String(length=32), nullable=False),
    sa.Column('skew_ms', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('complete', sa.Boolean(), nullable=False),
    sa.Column('receipt', sa.Text(), nullable=False),
    sa.Column('triage', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['persons.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('envelopes', schema=None) as batch_op:
        batch_op.create_index('ix_envelopes_village', ['village_id', 'received_at'], unique=False)

    op.create_table('inbox_items',
    sa.Column('seq', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('person_id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('ref_id', sa.String(length=36), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], ),
    sa.PrimaryKeyConstraint('seq'),
    sa.UniqueConstraint('person_id', 'kind', 'ref_id', name='uq_inbox_ref')
    )
    with op.batch_alter_table('inbox_items', schema=None) as batch_op:
        batch_op.create_index('ix_inbox_person', ['person_id', 'seq'], unique=False)

    op.create_table('attachments',
    sa.Column('envelope_id', sa.String(length=36), nullable=False),
    sa.Column('att_id', sa.String(length=32), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('received', sa.Integer(), nullable=False),
    sa.Column('complete', sa.Boolean(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=True),
    sa.ForeignKeyConstraint(['envelope_id'], ['envelopes.id'], ),
    sa.PrimaryKeyConstraint('envelope_id', 'att_id')
    )
    op.create_table('envelope_recipients',
    sa.Column('envelope_id', sa.String(length=36), nullable=False),
    sa.Column('key_id', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['envelope_id'], ['envelopes.id'], ),
    sa.PrimaryKeyConstraint('envelope_id', 'key_id')
    )
    op.create_table('reviews',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('report_id', sa.String(length=36), nullable=False),
    sa.Column('head_id', sa.String(length=36), nullable=False),
    sa.Column('verdict', sa.String(length=32), nullable=False),
    sa.Column('created_ms', sa.BigInteger(), nullable=False),
    sa.Column('received_at', sa.String(length=32), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('receipt', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['head_id'], ['persons.id'], ),
    sa.ForeignKeyConstraint(['report_id'], ['envelopes.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.create_index('ix_reviews_report', ['report_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.drop_index('ix_reviews_report')

    op.drop_table('reviews')
    op.drop_table('envelope_recipients')
    op.drop_table('attachments')
    with op.batch_alter_table('inbox_items', schema=None) as batch_op:
        batch_op.drop_index('ix_inbox_person')

    op.drop_table('inbox_items')
    with op.batch_alter_table('envelopes', schema=None) as batch_op:
        batch_op.drop_index('ix_envelopes_village')

    op.drop_table('envelopes')
    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.drop_index('ix_persons_village')
        batch_op.drop_index('ix_persons_device')

    op.drop_table('persons')
    op.drop_table('enroll_codes')
    op.drop_table('villages')
    op.drop_table('staff')
    op.drop_table('devices')
    op.drop_table('attachment_chunks')
