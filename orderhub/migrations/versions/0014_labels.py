"""labels: label batches

Revision ID: 0014_labels
Revises: 0001
Create Date: 2026-11-23 23:50:00
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import orderhub.core.db

revision = '0014_labels'
down_revision = '0001'
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    op.create_table('label_batches',
    sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
    sa.Column('created_at', orderhub.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('selection', JSON, nullable=False),
    sa.Column('order_ids', JSON, nullable=False),
    sa.Column('entries', JSON, nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('printed', sa.Integer(), nullable=False),
    sa.Column('reprinted', sa.Integer(), nullable=False),
    sa.Column('waiting', JSON, nullable=False),
    sa.Column('skipped', JSON, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_label_batches'))
    )
    op.create_index(op.f('ix_label_batches_created_at'), 'label_batches', ['created_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_label_batches_created_at'), table_name='label_batches')
    op.drop_table('label_batches')
