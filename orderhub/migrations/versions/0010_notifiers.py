"""notifiers: channel settings (sealed secrets) and the in-app inbox

Revision ID: 0010_notifiers
Revises: 0001
Create Date: 2026-11-23 21:05:00
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import orderhub.core.db

revision = '0010_notifiers'
down_revision = '0001'
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
UNREAD = sa.text('read_at IS NULL')


def upgrade() -> None:
    op.create_table('notifier_settings',
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('config', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('sealed_secrets', sa.Text(), nullable=False),
    sa.Column('updated_at', orderhub.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_by', sa.String(length=200), nullable=True),
    sa.PrimaryKeyConstraint('channel', name=op.f('pk_notifier_settings'))
    )
    op.create_table('inbox_messages',
    sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
    sa.Column('user_id', BIG_ID, nullable=False),
    sa.Column('alert_id', sa.BigInteger(), nullable=True),
    sa.Column('severity', sa.String(length=10), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', orderhub.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('read_at', orderhub.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_inbox_messages_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbox_messages'))
    )
    with op.batch_alter_table('inbox_messages', schema=None) as batch_op:
        batch_op.create_index('ix_inbox_messages_user', ['user_id', 'id'], unique=False)
        batch_op.create_index('ix_inbox_messages_unread', ['user_id'], unique=False,
                              postgresql_where=UNREAD, sqlite_where=UNREAD)


def downgrade() -> None:
    with op.batch_alter_table('inbox_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_inbox_messages_unread')
        batch_op.drop_index('ix_inbox_messages_user')
    op.drop_table('inbox_messages')
    op.drop_table('notifier_settings')
