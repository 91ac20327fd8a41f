"""address changes: the audited record of receiver address changes made in OrderHub

Revision ID: 0017_address_changes
Revises: 0001
Create Date: 2026-11-24 00:00:00
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import orderhub.core.db

revision = '0017_address_changes'
down_revision = '0001'
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def _time(name: str, nullable: bool) -> sa.Column:
    return sa.Column(name, orderhub.core.db.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table('address_changes',
    sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
    sa.Column('order_id', BIG_ID, nullable=False),
    sa.Column('order_no', sa.String(length=20), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('status_at_change', sa.String(length=20), nullable=False),
    sa.Column('before', JSON, nullable=False),
    sa.Column('after', JSON, nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('voided_carrier', sa.String(length=10), nullable=True),
    sa.Column('voided_tracking_no', sa.String(length=40), nullable=True),
    sa.Column('compensation_amount', sa.BigInteger(), nullable=True),
    sa.Column('compensation_currency', sa.String(length=3), nullable=True),
    sa.Column('compensation_note', sa.String(length=200), nullable=False),
    _time('window_closes_at', False),
    sa.Column('actor_kind', sa.String(length=16), nullable=False),
    sa.Column('actor_name', sa.String(length=200), nullable=False),
    sa.Column('actor_id', sa.BigInteger(), nullable=True),
    _time('created_at', False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_address_changes_order_id_orders'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_address_changes')),
    )
    op.create_index('ix_address_changes_order', 'address_changes', ['order_id', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_address_changes_order', table_name='address_changes')
    op.drop_table('address_changes')
