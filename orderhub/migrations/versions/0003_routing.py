"""routing: region rules, decisions, backorder and manual queues, daily load

Revision ID: 0003_routing
Revises: 0001
Create Date: 2026-11-23 18:13:11.889150
"""
from alembic import op
import sqlalchemy as sa
import orderhub.core.db
from sqlalchemy.dialects import postgresql

revision = '0003_routing'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('routing_daily_load',
    sa.Column('warehouse_code', sa.String(length=40), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('shard', sa.Integer(), nullable=False),
    sa.Column('allocated', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('warehouse_code', 'day', 'shard', name=op.f('pk_routing_daily_load'))
    )
    op.create_table('routing_region_rules',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('provinces', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('warehouse_code', sa.String(length=40), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('created_at', orderhub.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', orderhub.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_routing_region_rules'))
    )
    op.create_table('routing_backorders',
    sa.Column('order_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('vip', sa.Boolean(), nullable=False),
    sa.Column('paid_at', orderhub.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('queued_at', orderhub.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('skus', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('promised_date', sa.Date(), nullable=True),
    sa.Column('resolved_at', orderhub.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_routing_backorders_order_id_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('order_id', name=op.f('pk_routing_backorders'))
    )
    with op.batch_alter_table('routing_backorders', schema=None) as batch_op:
        batch_op.create_index('ix_routing_backorders_queue', ['status', 'vip', 'paid_at', 'order_id'], unique=False)

    op.create_table('routing_decisions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('order_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('policy', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.String(length=40), nullable=False),
    sa.Column('warehouse_code', sa.String(length=40), nullable=True),
    sa.Column('shipments', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('candidates', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('weights', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('details', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('actor_kind', sa.String(length=16), nullable=False),
    sa.Column('actor_name', sa.String(length=200), nullable=False),
    sa.Column('created_at', orderhub.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_routing_decisions_order_id_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_routing_decisions'))
    )
    with op.batch_alter_table('routing_decisions', schema=None) as batch_op:
        batch_op.create_index('ix_routing_decisions_order', ['order_id', 'id'], unique=False)

    op.create_table('routing_manual_queue',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('order_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('reason', sa.String(length=40), nullable=False),
    sa.Column('details', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('created_at', orderhub.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', orderhub.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('resolved_by', sa.String(length=200), nullable=True),
    sa.Column('resolution', sa.Text(), nullable=True),
    sa.Column('warehouse_code', sa.String(length=40), nullable=True),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_routing_manual_queue_order_id_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_routing_manual_queue'))
    )
    with op.batch_alter_table('routing_manual_queue', schema=None) as batch_op:
        batch_op.create_index('ix_routing_manual_status', ['status', 'id'], unique=False)
        batch_op.create_index('uq_routing_manual_open', ['order_id'], unique=True, postgresql_where=sa.text("status = 'open'"), sqlite_where=sa.text("status = 'open'"))

    op.create_table('routing_backorder_skus',
    sa.Column('order_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('sku', sa.String(length=120), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['routing_backorders.order_id'], name=op.f('fk_routing_backorder_skus_order_id_routing_backorders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('order_id', 'sku', name=op.f('pk_routing_backorder_skus'))
    )
    with op.batch_alter_table('routing_backorder_skus', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_routing_backorder_skus_sku'), ['sku'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('routing_backorder_skus', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_routing_backorder_skus_sku'))

    op.drop_table('routing_backorder_skus')
    with op.batch_alter_table('routing_manual_queue', schema=None) as batch_op:
        batch_op.drop_index('uq_routing_manual_open', postgresql_where=sa.text("status = 'open'"), sqlite_where=sa.text("status = 'open'"))
        batch_op.drop_index('ix_routing_manual_status')

    op.drop_table('routing_manual_queue')
    with op.batch_alter_table('routing_decisions', schema=None) as batch_op:
        batch_op.drop_index('ix_routing_decisions_order')

    op.drop_table('routing_decisions')
    with op.batch_alter_table('routing_backorders', schema=None) as batch_op:
        batch_op.drop_index('ix_routing_backorders_queue')

    op.drop_table('routing_backorders')
    op.drop_table('routing_region_rules')
    op.drop_table('routing_daily_load')
