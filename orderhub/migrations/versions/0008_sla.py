"""sla: stage deadline rules, people and teams, each order's current stage (order_sla)

Revision ID: 0008_sla
Revises: 0001
Create Date: 2026-11-23 21:20:00
"""
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import orderhub.core.db

revision = '0008_sla'
down_revision = '0001'
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
When = orderhub.core.db.UTCDateTime(timezone=True)
Json = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
DUE_WARN = sa.text('warned_at IS NULL AND closed_at IS NULL')
DUE_BREACH = sa.text('breached_at IS NULL AND closed_at IS NULL')
OPEN = sa.text('closed_at IS NULL')

# SPEC §7 and the seeds: accept 4 h (high value ≥ ¥1000 or VIP 1 h), print 2 h, ship the same
# day (a presale order by its promised date), first carrier scan 24 h.
DEFAULT_RULES = [
    ('accept', 'default', '', 'minutes', 240, None),
    ('accept', 'vip', '', 'minutes', 60, None),
    ('accept', 'high_value', '', 'minutes', 60, 100000),
    ('print', 'default', '', 'minutes', 120, None),
    ('ship', 'default', '', 'same_day', None, None),
    ('ship', 'presale', '', 'promised', None, None),
    ('first_scan', 'default', '', 'minutes', 1440, None),
]


def upgrade() -> None:
    op.create_table('sla_rules',
    sa.Column('id', BigId, autoincrement=True, nullable=False),
    sa.Column('stage', sa.String(length=20), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('match', sa.String(length=80), nullable=False),
    sa.Column('mode', sa.String(length=20), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=True),
    sa.Column('min_total', sa.BigInteger(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('updated_at', When, nullable=False),
    sa.Column('updated_by', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sla_rules'))
    )
    op.create_table('sla_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('warn_share', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sla_settings'))
    )
    # teams.manager_id and people.team_id point at each other: the manager's key comes last.
    op.create_table('teams',
    sa.Column('id', BigId, autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('stages', Json, nullable=False),
    sa.Column('strategy', sa.String(length=20), nullable=False),
    sa.Column('manager_id', BigId, nullable=True),
    sa.Column('rr_cursor', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_teams')),
    sa.UniqueConstraint('name', name=op.f('uq_teams_name'))
    )
    op.create_table('people',
    sa.Column('id', BigId, autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('user_id', BigId, nullable=True),
    sa.Column('role', sa.String(length=40), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('email', sa.String(length=200), nullable=False),
    sa.Column('wecom_userid', sa.String(length=80), nullable=False),
    sa.Column('dingtalk_mobile', sa.String(length=40), nullable=False),
    sa.Column('team_id', BigId, nullable=True),
    sa.Column('backup_id', BigId, nullable=True),
    sa.Column('supervisor_id', BigId, nullable=True),
    sa.Column('shift', Json, nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_people_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_people_team_id_teams'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['backup_id'], ['people.id'], name=op.f('fk_people_backup_id_people'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['supervisor_id'], ['people.id'], name=op.f('fk_people_supervisor_id_people'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_people')),
    sa.UniqueConstraint('user_id', name=op.f('uq_people_user_id'))
    )
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_people_team_id'), ['team_id'], unique=False)
    with op.batch_alter_table('teams', schema=None) as batch_op:
        batch_op.create_foreign_key('fk_teams_manager_id_people', 'people', ['manager_id'], ['id'],
                                    ondelete='SET NULL')
    op.create_table('order_sla',
    sa.Column('order_id', BigId, nullable=False),
    sa.Column('stage', sa.String(length=20), nullable=False),
    sa.Column('started_at', When, nullable=False),
    sa.Column('deadline', When, nullable=False),
    sa.Column('warn_at', When, nullable=False),
    sa.Column('warned_at', When, nullable=True),
    sa.Column('breached_at', When, nullable=True),
    sa.Column('closed_at', When, nullable=True),
    sa.Column('late', sa.Boolean(), nullable=False),
    sa.Column('person_id', BigId, nullable=True),
    sa.Column('team_id', BigId, nullable=True),
    sa.Column('rule_id', sa.BigInteger(), nullable=True),
    sa.Column('policy_note', sa.String(length=200), nullable=False),
    sa.Column('last_event_id', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_order_sla_order_id_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_order_sla_person_id_people'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_order_sla_team_id_teams'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('order_id', name=op.f('pk_order_sla'))
    )
    with op.batch_alter_table('order_sla', schema=None) as batch_op:
        batch_op.create_index('ix_order_sla_warn_due', ['warn_at'], unique=False,
                              sqlite_where=DUE_WARN, postgresql_where=DUE_WARN)
        batch_op.create_index('ix_order_sla_breach_due', ['deadline'], unique=False,
                              sqlite_where=DUE_BREACH, postgresql_where=DUE_BREACH)
        batch_op.create_index('ix_order_sla_person_open', ['person_id'], unique=False,
                              sqlite_where=OPEN, postgresql_where=OPEN)

    now = datetime.now(UTC)
    rules = sa.table('sla_rules', sa.column('stage', sa.String), sa.column('kind', sa.String),
                     sa.column('match', sa.String), sa.column('mode', sa.String),
                     sa.column('minutes', sa.Integer), sa.column('min_total', sa.BigInteger),
                     sa.column('active', sa.Boolean), sa.column('updated_at', When),
                     sa.column('updated_by', sa.String))
    op.bulk_insert(rules, [
        {'stage': stage, 'kind': kind, 'match': match, 'mode': mode, 'minutes': minutes,
         'min_total': min_total, 'active': True, 'updated_at': now, 'updated_by': 'migration'}
        for stage, kind, match, mode, minutes, min_total in DEFAULT_RULES])
    op.bulk_insert(sa.table('sla_settings', sa.column('id', sa.Integer),
                            sa.column('warn_share', sa.Float)), [{'id': 1, 'warn_share': 0.75}])
    # The SLA scan exists wherever the schema does (orderhub.sla.tasks.ensure_jobs declares it too).
    jobs = sa.table('scheduled_jobs', sa.column('name', sa.String), sa.column('task', sa.String),
                    sa.column('interval_seconds', sa.Integer), sa.column('args', sa.JSON),
                    sa.column('enabled', sa.Boolean), sa.column('runs', sa.Integer),
                    sa.column('next_run_at', When))
    op.bulk_insert(jobs, [{'name': 'sla.scan', 'task': 'sla.scan', 'interval_seconds': 15,
                           'args': {}, 'enabled': True, 'runs': 0, 'next_run_at': now}])


def downgrade() -> None:
    op.execute("DELETE FROM scheduled_jobs WHERE name = 'sla.scan'")
    op.drop_table('order_sla')
    with op.batch_alter_table('teams', schema=None) as batch_op:
        batch_op.drop_constraint('fk_teams_manager_id_people', type_='foreignkey')
    op.drop_table('people')
    op.drop_table('teams')
    op.drop_table('sla_settings')
    op.drop_table('sla_rules')
