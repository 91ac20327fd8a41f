"""channels: per-shop field overrides

Revision ID: 0011_channel_overrides
Revises: 0005_channels
Create Date: 2026-11-23 21:15:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0011_channel_overrides'
down_revision = '0005_channels'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('channel_accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column(
            'field_overrides',
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'),
            nullable=False, server_default='{}'))


def downgrade() -> None:
    with op.batch_alter_table('channel_accounts', schema=None) as batch_op:
        batch_op.drop_column('field_overrides')
