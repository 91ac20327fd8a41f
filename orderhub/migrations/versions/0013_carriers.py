"""carriers: carrier accounts, carrier rules, waybills and orders waiting for one

Revision ID: 0013_carriers
Revises: 0001
Create Date: 2026-11-23 22:00:00
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import orderhub.core.db

revision = '0013_carriers'
down_revision = '0001'
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def _time(name: str, nullable: bool) -> sa.Column:
    return sa.Column(name, orderhub.core.db.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table('carrier_accounts',
    sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('carrier', sa.String(length=10), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('base_url', sa.String(length=300), nullable=False),
    sa.Column('app_key', sa.String(length=200), nullable=False),
    sa.Column('sealed_secrets', sa.Text(), nullable=False),
    sa.Column('sender', JSON, nullable=False),
    sa.Column('monthly_account', sa.String(length=60), nullable=False),
    sa.Column('branch', sa.String(length=120), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    _time('created_at', False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_carrier_accounts')),
    sa.UniqueConstraint('name', name=op.f('uq_carrier_accounts_name'))
    )
    op.create_index(op.f('ix_carrier_accounts_carrier'), 'carrier_accounts', ['carrier'], unique=False)
    op.create_table('carrier_rules',
    sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('carrier', sa.String(length=10), nullable=False),
    sa.Column('provinces', JSON, nullable=False),
    sa.Column('channels', JSON, nullable=False),
    sa.Column('warehouses', JSON, nullable=False),
    sa.Column('min_weight_g', sa.Integer(), nullable=True),
    sa.Column('max_weight_g', sa.Integer(), nullable=True),
    sa.Column('min_value', sa.BigInteger(), nullable=True),
    sa.Column('max_value', sa.BigInteger(), nullable=True),
    sa.Column('is_default', sa.Boolean(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    _time('created_at', False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_carrier_rules')),
    sa.UniqueConstraint('name', name=op.f('uq_carrier_rules_name'))
    )
    op.create_table('waybills',
    sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
    sa.Column('order_id', BIG_ID, nullable=False),
    sa.Column('account_id', BIG_ID, nullable=False),
    sa.Column('carrier', sa.String(length=10), nullable=False),
    sa.Column('tracking_no', sa.String(length=40), nullable=False),
    sa.Column('sort_code', sa.String(length=60), nullable=False),
    sa.Column('print_data', JSON, nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('rule', sa.String(length=200), nullable=False),
    _time('issued_at', False),
    _time('voided_at', True),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_waybills_order_id_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['account_id'], ['carrier_accounts.id'], name=op.f('fk_waybills_account_id_carrier_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_waybills'))
    )
    op.create_index('ix_waybills_order_status', 'waybills', ['order_id', 'status'], unique=False)
    op.create_index(op.f('ix_waybills_tracking_no'), 'waybills', ['tracking_no'], unique=False)
    op.create_table('waybill_waits',
    sa.Column('order_id', BIG_ID, nullable=False),
    sa.Column('carrier', sa.String(length=10), nullable=False),
    sa.Column('account_id', BIG_ID, nullable=True),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    _time('updated_at', False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_waybill_waits_order_id_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['account_id'], ['carrier_accounts.id'], name=op.f('fk_waybill_waits_account_id_carrier_accounts')),
    sa.PrimaryKeyConstraint('order_id', name=op.f('pk_waybill_waits'))
    )


def downgrade() -> None:
    op.drop_table('waybill_waits')
    op.drop_index(op.f('ix_waybills_tracking_no'), table_name='waybills')
    op.drop_index('ix_waybills_order_status', table_name='waybills')
    op.drop_table('waybills')
    op.drop_table('carrier_rules')
    op.drop_index(op.f('ix_carrier_accounts_carrier'), table_name='carrier_accounts')
    op.drop_table('carrier_accounts')
