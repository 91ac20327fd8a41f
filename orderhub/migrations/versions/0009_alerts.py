"""alerts: alerts, their deliveries and their log, and the escalation job

Revision ID: 0009_alerts
Revises: 0001
Create Date: 2026-11-23 21:10:00
"""
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import orderhub.core.db

revision = '0009_alerts'
down_revision = '0001'
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
When = orderhub.core.db.UTCDateTime(timezone=True)
Json = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    op.create_table('alerts',
    sa.Column('id', BigId, autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('severity', sa.String(length=16), nullable=False),
    sa.Column('subject_type', sa.String(length=20), nullable=True),
    sa.Column('subject_id', sa.String(length=64), nullable=True),
    sa.Column('cause_key', sa.String(length=160), nullable=True),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('person_id', sa.BigInteger(), nullable=True),
    sa.Column('team_id', sa.BigInteger(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('step', sa.Integer(), nullable=False),
    sa.Column('next_step_at', When, nullable=True),
    sa.Column('created_at', When, nullable=False),
    sa.Column('acknowledged_at', When, nullable=True),
    sa.Column('acknowledged_by', sa.String(length=200), nullable=True),
    sa.Column('ack_via', sa.String(length=16), nullable=True),
    sa.Column('reassigned_to', sa.BigInteger(), nullable=True),
    sa.Column('ack_token_hash', sa.String(length=64), nullable=True),
    sa.Column('ack_token_sealed', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alerts')),
    sa.UniqueConstraint('ack_token_hash', name=op.f('uq_alerts_ack_token_hash'))
    )
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.create_index('ix_alerts_next_step', ['next_step_at'], unique=False,
                              postgresql_where=sa.text("status = 'open'"),
                              sqlite_where=sa.text("status = 'open'"))
        batch_op.create_index('ix_alerts_cause', ['cause_key', 'status'], unique=False)
        batch_op.create_index('ix_alerts_person_created', ['person_id', 'created_at'], unique=False)
        batch_op.create_index('ix_alerts_created', ['created_at'], unique=False)

    op.create_table('alert_deliveries',
    sa.Column('id', BigId, autoincrement=True, nullable=False),
    sa.Column('alert_id', BigId, nullable=False),
    sa.Column('step', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('person_id', sa.BigInteger(), nullable=True),
    sa.Column('recipient', sa.String(length=300), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('provider_id', sa.String(length=200), nullable=True),
    sa.Column('not_before', When, nullable=True),
    sa.Column('created_at', When, nullable=False),
    sa.Column('sent_at', When, nullable=True),
    sa.ForeignKeyConstraint(['alert_id'], ['alerts.id'], name=op.f('fk_alert_deliveries_alert_id_alerts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_deliveries'))
    )
    with op.batch_alter_table('alert_deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_alert_deliveries_alert', ['alert_id', 'id'], unique=False)

    op.create_table('alert_log',
    sa.Column('id', BigId, autoincrement=True, nullable=False),
    sa.Column('alert_id', BigId, nullable=False),
    sa.Column('at', When, nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('details', Json, nullable=False),
    sa.ForeignKeyConstraint(['alert_id'], ['alerts.id'], name=op.f('fk_alert_log_alert_id_alerts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_log'))
    )
    with op.batch_alter_table('alert_log', schema=None) as batch_op:
        batch_op.create_index('ix_alert_log_alert', ['alert_id', 'id'], unique=False)
        batch_op.create_index('ix_alert_log_action_at', ['action', 'at'], unique=False)

    # The escalation job exists wherever the schema does (alerts.tasks.ensure_jobs repeats it).
    jobs = sa.table('scheduled_jobs', sa.column('name', sa.String), sa.column('task', sa.String),
                    sa.column('interval_seconds', sa.Integer), sa.column('args', sa.JSON),
                    sa.column('enabled', sa.Boolean), sa.column('runs', sa.Integer),
                    sa.column('next_run_at', When))
    op.bulk_insert(jobs, [{'name': 'alerts.escalate', 'task': 'alerts.escalate',
                           'interval_seconds': 15, 'args': {}, 'enabled': True, 'runs': 0,
                           'next_run_at': datetime.now(UTC)}])


def downgrade() -> None:
    op.execute("DELETE FROM scheduled_jobs WHERE name = 'alerts.escalate'")
    with op.batch_alter_table('alert_log', schema=None) as batch_op:
        batch_op.drop_index('ix_alert_log_action_at')
        batch_op.drop_index('ix_alert_log_alert')
    op.drop_table('alert_log')
    with op.batch_alter_table('alert_deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_alert_deliveries_alert')
    op.drop_table('alert_deliveries')
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.drop_index('ix_alerts_created')
        batch_op.drop_index('ix_alerts_person_created')
        batch_op.drop_index('ix_alerts_cause')
        batch_op.drop_index('ix_alerts_next_step')
    op.drop_table('alerts')
