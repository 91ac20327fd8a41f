"""inventory: SKUs, bundles, warehouses, stock levels, ledger, reservations, stocktake, channel stock

Revision ID: 0002_inventory
Revises: 0001
Create Date: 2026-11-23 18:07:56.330940
"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa
import orderhub.core.db
from sqlalchemy.dialects import postgresql

revision = '0002_inventory'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('channel_stock_rules',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('shop', sa.String(length=80), nullable=False),
    sa.Column('warehouse_codes', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('share_pct', sa.Integer(), nullable=False),
    sa.Column('use_safety_stock', sa.Boolean(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.CheckConstraint('share_pct >= 0 AND share_pct <= 100', name=op.f('ck_channel_stock_rules_share_range')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_channel_stock_rules')),
    sa.UniqueConstraint('shop', name=op.f('uq_channel_stock_rules_shop'))
    )
    op.create_table('inventory_marks',
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('at', orderhub.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('data', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_inventory_marks'))
    )
    op.create_table('skus',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('code', sa.String(length=120), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('category', sa.String(length=60), nullable=False),
    sa.Column('barcode', sa.String(length=64), nullable=True),
    sa.Column('weight_g', sa.Integer(), nullable=False),
    sa.Column('purchase_limited', sa.Boolean(), nullable=False),
    sa.Column('presale', sa.Boolean(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', orderhub.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('weight_g >= 0', name=op.f('ck_skus_weight_not_negative')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_skus')),
    sa.UniqueConstraint('code', name=op.f('uq_skus_code'))
    )
    op.create_table('warehouses',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('province', sa.String(length=40), nullable=False),
    sa.Column('city', sa.String(length=60), nullable=False),
    sa.Column('daily_capacity', sa.Integer(), nullable=False),
    sa.Column('serves_provinces', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('delivery_days', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('error_rate', sa.Float(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', orderhub.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('daily_capacity >= 0', name=op.f('ck_warehouses_capacity_not_negative')),
    sa.CheckConstraint('error_rate >= 0 AND error_rate <= 1', name=op.f('ck_warehouses_error_rate_range')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_warehouses')),
    sa.UniqueConstraint('code', name=op.f('uq_warehouses_code'))
    )
    op.create_table('bundle_components',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('bundle_sku_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('component_sku_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('ratio', sa.Integer(), nullable=False),
    sa.CheckConstraint('bundle_sku_id <> component_sku_id', name=op.f('ck_bundle_components_not_itself')),
    sa.CheckConstraint('ratio > 0', name=op.f('ck_bundle_components_ratio_positive')),
    sa.ForeignKeyConstraint(['bundle_sku_id'], ['skus.id'], name=op.f('fk_bundle_components_bundle_sku_id_skus'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['component_sku_id'], ['skus.id'], name=op.f('fk_bundle_components_component_sku_id_skus')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bundle_components')),
    sa.UniqueConstraint('bundle_sku_id', 'component_sku_id', name=op.f('uq_bundle_components_bundle_sku_id_component_sku_id'))
    )
    with op.batch_alter_table('bundle_components', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bundle_components_bundle_sku_id'), ['bundle_sku_id'], unique=False)

    op.create_table('reservations',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('order_id', sa.BigInteger(), nullable=False),
    sa.Column('warehouse_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('sku_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('expires_at', orderhub.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', orderhub.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closed_at', orderhub.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_reservations_quantity_positive')),
    sa.ForeignKeyConstraint(['sku_id'], ['skus.id'], name=op.f('fk_reservations_sku_id_skus')),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouses.id'], name=op.f('fk_reservations_warehouse_id_warehouses')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reservations'))
    )
    with op.batch_alter_table('reservations', schema=None) as batch_op:
        batch_op.create_index('ix_reservations_expiry', ['expires_at'], unique=False, postgresql_where=sa.text("status = 'active' AND expires_at IS NOT NULL"), sqlite_where=sa.text("status = 'active' AND expires_at IS NOT NULL"))
        batch_op.create_index('uq_reservations_active', ['order_id', 'warehouse_id', 'sku_id'], unique=True, postgresql_where=sa.text("status = 'active'"), sqlite_where=sa.text("status = 'active'"))

    op.create_table('sellable_snapshots',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('shop', sa.String(length=80), nullable=False),
    sa.Column('sku_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('updated_at', orderhub.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['sku_id'], ['skus.id'], name=op.f('fk_sellable_snapshots_sku_id_skus')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sellable_snapshots')),
    sa.UniqueConstraint('shop', 'sku_id', name=op.f('uq_sellable_snapshots_shop_sku_id'))
    )
    op.create_table('stock_levels',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('sku_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('warehouse_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('on_hand', sa.Integer(), nullable=False),
    sa.Column('reserved', sa.Integer(), nullable=False),
    sa.Column('in_transit', sa.Integer(), nullable=False),
    sa.Column('in_transit_expected_at', orderhub.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('safety_stock', sa.Integer(), nullable=False),
    sa.CheckConstraint('in_transit >= 0', name=op.f('ck_stock_levels_in_transit_not_negative')),
    sa.CheckConstraint('on_hand >= 0', name=op.f('ck_stock_levels_on_hand_not_negative')),
    sa.CheckConstraint('reserved <= on_hand', name=op.f('ck_stock_levels_reserved_within_on_hand')),
    sa.CheckConstraint('reserved >= 0', name=op.f('ck_stock_levels_reserved_not_negative')),
    sa.CheckConstraint('safety_stock >= 0', name=op.f('ck_stock_levels_safety_not_negative')),
    sa.ForeignKeyConstraint(['sku_id'], ['skus.id'], name=op.f('fk_stock_levels_sku_id_skus')),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouses.id'], name=op.f('fk_stock_levels_warehouse_id_warehouses')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_levels')),
    sa.UniqueConstraint('sku_id', 'warehouse_id', name=op.f('uq_stock_levels_sku_id_warehouse_id'))
    )
    with op.batch_alter_table('stock_levels', schema=None) as batch_op:
        batch_op.create_index('ix_stock_levels_warehouse', ['warehouse_id', 'sku_id'], unique=False)

    op.create_table('stock_movements',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('at', orderhub.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sku_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('warehouse_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('on_hand_delta', sa.Integer(), nullable=False),
    sa.Column('reserved_delta', sa.Integer(), nullable=False),
    sa.Column('in_transit_delta', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.BigInteger(), nullable=True),
    sa.Column('reference', sa.String(length=80), nullable=True),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('actor_kind', sa.String(length=16), nullable=False),
    sa.Column('actor_name', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['sku_id'], ['skus.id'], name=op.f('fk_stock_movements_sku_id_skus')),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouses.id'], name=op.f('fk_stock_movements_warehouse_id_warehouses')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_movements'))
    )
    with op.batch_alter_table('stock_movements', schema=None) as batch_op:
        batch_op.create_index('ix_stock_movements_at', ['at'], unique=False)
        batch_op.create_index('ix_stock_movements_sku_at', ['sku_id', 'at'], unique=False)

    op.create_table('stocktakes',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('warehouse_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', orderhub.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', orderhub.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decided_by', sa.String(length=200), nullable=True),
    sa.Column('decided_at', orderhub.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decision_comment', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouses.id'], name=op.f('fk_stocktakes_warehouse_id_warehouses')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stocktakes'))
    )
    with op.batch_alter_table('stocktakes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stocktakes_warehouse_id'), ['warehouse_id'], unique=False)

    op.create_table('stocktake_lines',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('stocktake_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('sku_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('system_on_hand', sa.Integer(), nullable=False),
    sa.Column('counted', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.CheckConstraint('counted >= 0', name=op.f('ck_stocktake_lines_counted_not_negative')),
    sa.ForeignKeyConstraint(['sku_id'], ['skus.id'], name=op.f('fk_stocktake_lines_sku_id_skus')),
    sa.ForeignKeyConstraint(['stocktake_id'], ['stocktakes.id'], name=op.f('fk_stocktake_lines_stocktake_id_stocktakes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stocktake_lines')),
    sa.UniqueConstraint('stocktake_id', 'sku_id', name=op.f('uq_stocktake_lines_stocktake_id_sku_id'))
    )
    with op.batch_alter_table('stocktake_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stocktake_lines_stocktake_id'), ['stocktake_id'], unique=False)

    op.create_table('transfer_requests',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('sku_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('from_warehouse_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('to_warehouse_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('expected_at', orderhub.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('requested_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', orderhub.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('shipped_at', orderhub.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('received_at', orderhub.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', orderhub.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_transfer_requests_quantity_positive')),
    sa.CheckConstraint('from_warehouse_id <> to_warehouse_id', name=op.f('ck_transfer_requests_two_warehouses')),
    sa.ForeignKeyConstraint(['sku_id'], ['skus.id'], name=op.f('fk_transfer_requests_sku_id_skus')),
    sa.ForeignKeyConstraint(['from_warehouse_id'], ['warehouses.id'], name=op.f('fk_transfer_requests_from_warehouse_id_warehouses')),
    sa.ForeignKeyConstraint(['to_warehouse_id'], ['warehouses.id'], name=op.f('fk_transfer_requests_to_warehouse_id_warehouses')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transfer_requests'))
    )
    with op.batch_alter_table('transfer_requests', schema=None) as batch_op:
        batch_op.create_index('ix_transfer_requests_status', ['status', 'id'], unique=False)

    # The stock pool's scheduled jobs (TTL expiry, sellable sweep) exist wherever the schema does.
    jobs = sa.table('scheduled_jobs', sa.column('name', sa.String), sa.column('task', sa.String),
                    sa.column('interval_seconds', sa.Integer), sa.column('args', sa.JSON),
                    sa.column('enabled', sa.Boolean), sa.column('runs', sa.Integer),
                    sa.column('next_run_at', orderhub.core.db.UTCDateTime(timezone=True)))
    now = datetime.now(timezone.utc)
    op.bulk_insert(jobs, [
        {'name': name, 'task': name, 'interval_seconds': every, 'args': {}, 'enabled': True,
         'runs': 0, 'next_run_at': now}
        for name, every in (('inventory.expire_reservations', 30), ('inventory.sync_sellable', 60))])


def downgrade() -> None:
    op.execute("DELETE FROM scheduled_jobs WHERE name IN "
               "('inventory.expire_reservations', 'inventory.sync_sellable')")
    with op.batch_alter_table('transfer_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_transfer_requests_status')

    op.drop_table('transfer_requests')
    with op.batch_alter_table('stocktake_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stocktake_lines_stocktake_id'))

    op.drop_table('stocktake_lines')
    with op.batch_alter_table('stocktakes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stocktakes_warehouse_id'))

    op.drop_table('stocktakes')
    with op.batch_alter_table('stock_movements', schema=None) as batch_op:
        batch_op.drop_index('ix_stock_movements_sku_at')
        batch_op.drop_index('ix_stock_movements_at')

    op.drop_table('stock_movements')
    with op.batch_alter_table('stock_levels', schema=None) as batch_op:
        batch_op.drop_index('ix_stock_levels_warehouse')

    op.drop_table('stock_levels')
    op.drop_table('sellable_snapshots')
    with op.batch_alter_table('reservations', schema=None) as batch_op:
        batch_op.drop_index('uq_reservations_active', postgresql_where=sa.text("status = 'active'"), sqlite_where=sa.text("status = 'active'"))
        batch_op.drop_index('ix_reservations_expiry', postgresql_where=sa.text("status = 'active' AND expires_at IS NOT NULL"), sqlite_where=sa.text("status = 'active' AND expires_at IS NOT NULL"))

    op.drop_table('reservations')
    with op.batch_alter_table('bundle_components', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bundle_components_bundle_sku_id'))

    op.drop_table('bundle_components')
    op.drop_table('warehouses')
    op.drop_table('skus')
    op.drop_table('inventory_marks')
    op.drop_table('channel_stock_rules')
