"""outbound: the scan log of the outbound door

Revision ID: 0016_outbound
Revises: 0001
Create Date: 2026-11-23 23:40:00
"""
import sqlalchemy as sa
from alembic import op

import orderhub.core.db

revision = '0016_outbound'
down_revision = '0001'
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('scan_log',
    sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
    sa.Column('code', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('ok', sa.Boolean(), nullable=False),
    sa.Column('order_id', BIG_ID, nullable=True),
    sa.Column('order_no', sa.String(length=20), nullable=False),
    sa.Column('tracking_no', sa.String(length=40), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('station', sa.String(length=60), nullable=False),
    sa.Column('scanned_at', orderhub.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_scan_log_order_id_orders'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scan_log'))
    )
    op.create_index('ix_scan_log_station_id', 'scan_log', ['station', 'id'], unique=False)
    op.create_index('ix_scan_log_actor_id', 'scan_log', ['actor', 'id'], unique=False)
    op.create_index(op.f('ix_scan_log_order_id'), 'scan_log', ['order_id'], unique=False)
    op.create_index(op.f('ix_scan_log_scanned_at'), 'scan_log', ['scanned_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_scan_log_scanned_at'), table_name='scan_log')
    op.drop_index(op.f('ix_scan_log_order_id'), table_name='scan_log')
    op.drop_index('ix_scan_log_actor_id', table_name='scan_log')
    op.drop_index('ix_scan_log_station_id', table_name='scan_log')
    op.drop_table('scan_log')
