"""spreadsheets: import templates, batches, rows, uploads

Revision ID: 0006_spreadsheets
Revises: 0001
Create Date: 2026-11-23 20:40:00.000000
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import orderhub.core.db

revision = '0006_spreadsheets'
down_revision = '0001'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    op.create_table('import_templates',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('shop', sa.String(length=80), nullable=False),
    sa.Column('mapping', JSON, nullable=False),
    sa.Column('options', JSON, nullable=False),
    sa.Column('created_at', orderhub.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', orderhub.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_templates')),
    sa.UniqueConstraint('name', name=op.f('uq_import_templates_name'))
    )
    op.create_table('import_batches',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('file_name', sa.String(length=255), nullable=False),
    sa.Column('encoding', sa.String(length=20), nullable=False),
    sa.Column('template', sa.String(length=80), nullable=False),
    sa.Column('shop', sa.String(length=80), nullable=False),
    sa.Column('mapping', JSON, nullable=False),
    sa.Column('options', JSON, nullable=False),
    sa.Column('headers', JSON, nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('orders_created', sa.Integer(), nullable=False),
    sa.Column('orders_updated', sa.Integer(), nullable=False),
    sa.Column('bad_rows', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', orderhub.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_batches'))
    )
    with op.batch_alter_table('import_batches', schema=None) as batch_op:
        batch_op.create_index('ix_import_batches_created_at', ['created_at'], unique=False)

    op.create_table('import_rows',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('batch_id', ID, nullable=False),
    sa.Column('row_number', sa.Integer(), nullable=False),
    sa.Column('order_key', sa.String(length=80), nullable=False),
    sa.Column('raw', JSON, nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('order_no', sa.String(length=40), nullable=True),
    sa.Column('updated_at', orderhub.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['import_batches.id'], name=op.f('fk_import_rows_batch_id_import_batches'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_rows')),
    sa.UniqueConstraint('batch_id', 'row_number', name=op.f('uq_import_rows_batch_id_row_number'))
    )
    with op.batch_alter_table('import_rows', schema=None) as batch_op:
        batch_op.create_index('ix_import_rows_batch_status', ['batch_id', 'status'], unique=False)
        batch_op.create_index('ix_import_rows_batch_order', ['batch_id', 'order_key'], unique=False)

    op.create_table('import_uploads',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('file_name', sa.String(length=255), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('uploaded_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', orderhub.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_uploads'))
    )


def downgrade() -> None:
    op.drop_table('import_uploads')
    with op.batch_alter_table('import_rows', schema=None) as batch_op:
        batch_op.drop_index('ix_import_rows_batch_order')
        batch_op.drop_index('ix_import_rows_batch_status')
    op.drop_table('import_rows')
    with op.batch_alter_table('import_batches', schema=None) as batch_op:
        batch_op.drop_index('ix_import_batches_created_at')
    op.drop_table('import_batches')
    op.drop_table('import_templates')
