"""channels: shops' channel accounts and pull runs

Revision ID: 0005_channels
Revises: 0001
Create Date: 2026-11-23 20:32:12.701995
"""
from alembic import op
import sqlalchemy as sa
import orderhub.core.db
from sqlalchemy.dialects import postgresql

revision = '0005_channels'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('channel_accounts',
    sa.Column('shop_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('base_url', sa.String(length=300), nullable=False),
    sa.Column('app_key', sa.String(length=200), nullable=False),
    sa.Column('sealed_secrets', sa.Text(), nullable=False),
    sa.Column('pull_interval_seconds', sa.Integer(), nullable=False),
    sa.Column('checkpoint', orderhub.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('healthy', sa.Boolean(), nullable=False),
    sa.Column('unhealthy_reason', sa.Text(), nullable=True),
    sa.Column('unhealthy_since', orderhub.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('retry_at', orderhub.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_success_at', orderhub.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('last_error_at', orderhub.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('webhooks_received', sa.Integer(), nullable=False),
    sa.Column('webhooks_rejected', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_channel_accounts_shop_id_shops')),
    sa.PrimaryKeyConstraint('shop_id', name=op.f('pk_channel_accounts'))
    )
    op.create_table('channel_pull_runs',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('shop_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('trigger', sa.String(length=20), nullable=False),
    sa.Column('started_at', orderhub.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', orderhub.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('window_start', orderhub.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('window_end', orderhub.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('pages', sa.Integer(), nullable=False),
    sa.Column('requests', sa.Integer(), nullable=False),
    sa.Column('seen', sa.Integer(), nullable=False),
    sa.Column('created', sa.Integer(), nullable=False),
    sa.Column('updated', sa.Integer(), nullable=False),
    sa.Column('unchanged', sa.Integer(), nullable=False),
    sa.Column('quarantined', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('details', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_channel_pull_runs_shop_id_shops')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_channel_pull_runs'))
    )
    with op.batch_alter_table('channel_pull_runs', schema=None) as batch_op:
        batch_op.create_index('ix_channel_pull_runs_shop_started', ['shop_id', 'started_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('channel_pull_runs', schema=None) as batch_op:
        batch_op.drop_index('ix_channel_pull_runs_shop_started')

    op.drop_table('channel_pull_runs')
    op.drop_table('channel_accounts')
