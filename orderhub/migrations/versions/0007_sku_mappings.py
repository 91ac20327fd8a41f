"""channels: sku_mappings, and a partial index on the order lines still without a SKU

Revision ID: 0007_sku_mappings
Revises: 0001
Create Date: 2026-11-23 20:40:00.000000
"""
import sqlalchemy as sa
from alembic import op

import orderhub.core.db

revision = '0007_sku_mappings'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sku_mappings',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('shop_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('platform_sku', sa.String(length=120), nullable=False),
    sa.Column('sku', sa.String(length=120), nullable=False),
    sa.Column('created_at', orderhub.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('updated_at', orderhub.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_sku_mappings_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sku_mappings'))
    )
    with op.batch_alter_table('sku_mappings', schema=None) as batch_op:
        batch_op.create_index('uq_sku_mappings_shop', ['platform_sku', 'shop_id'], unique=True)
        # NULL shop_id = every shop; NULLs never collide in a unique index, so this partial one
        # keeps a single all-shops row per platform SKU.
        batch_op.create_index('uq_sku_mappings_all_shops', ['platform_sku'], unique=True,
                              sqlite_where=sa.text('shop_id IS NULL'),
                              postgresql_where=sa.text('shop_id IS NULL'))

    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.create_index('ix_order_lines_unmapped', ['platform_sku', 'order_id'], unique=False,
                              sqlite_where=sa.text('sku IS NULL'),
                              postgresql_where=sa.text('sku IS NULL'))


def downgrade() -> None:
    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.drop_index('ix_order_lines_unmapped')

    with op.batch_alter_table('sku_mappings', schema=None) as batch_op:
        batch_op.drop_index('uq_sku_mappings_all_shops')
        batch_op.drop_index('uq_sku_mappings_shop')

    op.drop_table('sku_mappings')
