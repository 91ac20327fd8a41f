"""tracking: the Kuaidi100 account, tracked parcels and their scans, the tracking jobs

Revision ID: 0012_tracking
Revises: 0001
Create Date: 2026-11-23 22:00:00
"""
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import orderhub.core.db

revision = '0012_tracking'
down_revision = '0001'
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
When = orderhub.core.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table('kuaidi100_accounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('base_url', sa.String(length=300), nullable=False),
    sa.Column('customer', sa.String(length=120), nullable=False),
    sa.Column('sealed_key', sa.Text(), nullable=False),
    sa.Column('updated_at', When, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kuaidi100_accounts'))
    )
    op.create_table('tracked_shipments',
    sa.Column('id', BigId, autoincrement=True, nullable=False),
    sa.Column('order_id', BigId, nullable=False),
    sa.Column('carrier', sa.String(length=20), nullable=False),
    sa.Column('company', sa.String(length=40), nullable=False),
    sa.Column('tracking_no', sa.String(length=40), nullable=False),
    sa.Column('sealed_salt', sa.Text(), nullable=False),
    sa.Column('subscription', sa.String(length=16), nullable=False),
    sa.Column('subscribed_at', When, nullable=True),
    sa.Column('state', sa.String(length=4), nullable=True),
    sa.Column('shipped_at', When, nullable=False),
    sa.Column('first_scan_at', When, nullable=True),
    sa.Column('last_event_at', When, nullable=True),
    sa.Column('last_update_at', When, nullable=True),
    sa.Column('delivered_at', When, nullable=True),
    sa.Column('exception_reason', sa.Text(), nullable=True),
    sa.Column('exception_at', When, nullable=True),
    sa.Column('stale_alerted_at', When, nullable=True),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'],
                            name=op.f('fk_tracked_shipments_order_id_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tracked_shipments')),
    sa.UniqueConstraint('tracking_no', name=op.f('uq_tracked_shipments_tracking_no'))
    )
    with op.batch_alter_table('tracked_shipments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tracked_shipments_order_id'), ['order_id'], unique=False)
        batch_op.create_index('ix_tracked_shipments_watch', ['delivered_at', 'stale_alerted_at'],
                              unique=False)
    op.create_table('tracking_events',
    sa.Column('id', BigId, autoincrement=True, nullable=False),
    sa.Column('shipment_id', BigId, nullable=False),
    sa.Column('order_id', BigId, nullable=False),
    sa.Column('tracking_no', sa.String(length=40), nullable=False),
    sa.Column('time', When, nullable=False),
    sa.Column('context', sa.String(length=500), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('area', sa.String(length=120), nullable=False),
    sa.Column('state', sa.String(length=4), nullable=True),
    sa.Column('received_at', When, nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'],
                            name=op.f('fk_tracking_events_order_id_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shipment_id'], ['tracked_shipments.id'],
                            name=op.f('fk_tracking_events_shipment_id_tracked_shipments'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tracking_events')),
    sa.UniqueConstraint('tracking_no', 'time', 'context',
                        name=op.f('uq_tracking_events_tracking_no_time_context'))
    )
    with op.batch_alter_table('tracking_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tracking_events_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tracking_events_shipment_id'), ['shipment_id'],
                              unique=False)
    # The jobs exist wherever the schema does (orderhub.fulfilment.tracking.tasks.ensure_jobs too).
    now = datetime.now(UTC)
    jobs = sa.table('scheduled_jobs', sa.column('name', sa.String), sa.column('task', sa.String),
                    sa.column('interval_seconds', sa.Integer), sa.column('args', sa.JSON),
                    sa.column('enabled', sa.Boolean), sa.column('runs', sa.Integer),
                    sa.column('next_run_at', When))
    op.bulk_insert(jobs, [
        {'name': 'tracking.watch', 'task': 'tracking.watch', 'interval_seconds': 600,
         'args': {}, 'enabled': True, 'runs': 0, 'next_run_at': now},
        {'name': 'tracking.refresh_quiet', 'task': 'tracking.refresh_quiet',
         'interval_seconds': 3600, 'args': {}, 'enabled': True, 'runs': 0, 'next_run_at': now},
    ])


def downgrade() -> None:
    op.execute("DELETE FROM scheduled_jobs WHERE name IN ('tracking.watch', 'tracking.refresh_quiet')")
    with op.batch_alter_table('tracking_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tracking_events_shipment_id'))
        batch_op.drop_index(batch_op.f('ix_tracking_events_order_id'))
    op.drop_table('tracking_events')
    with op.batch_alter_table('tracked_shipments', schema=None) as batch_op:
        batch_op.drop_index('ix_tracked_shipments_watch')
        batch_op.drop_index(batch_op.f('ix_tracked_shipments_order_id'))
    op.drop_table('tracked_shipments')
    op.drop_table('kuaidi100_accounts')
