"""inventory: leaner writes per reservation on PostgreSQL (no foreign keys from reservations and
stock_movements to skus and warehouses; a BRIN index on stock_movements.at)

Every reservation writes one row to each of these tables, and on PostgreSQL each foreign-key
check is a `SELECT … FOR KEY SHARE` on the referenced row: four row locks per reservation, two of
them on the one warehouse row that every concurrent reservation locks too (a new MultiXact,
a WAL record and the same hot heap page each time). The references are guaranteed without
them: the rows are only written by the inventory services with the (sku_id, warehouse_id) of a
stock_levels row, which keeps its own foreign keys, and SKUs and warehouses are never deleted
(they are deactivated). SQLite keeps them (dropping one there means rebuilding the table; it
has a single writer and checks them cheaply).

The ledger's time index becomes a BRIN index: the rows arrive in time order, the readers
(sellable sweep: the last minute; replenishment: the last 14/30 days) read ranges of it, and
a B-tree on an always-growing key makes every concurrent reservation insert into the same
rightmost leaf page.

Revision ID: 0018_inventory_lean_writes
Revises: 0002_inventory
Create Date: 2026-11-24 03:30:00
"""
from alembic import op

revision = '0018_inventory_lean_writes'
down_revision = '0002_inventory'
branch_labels = None
depends_on = None

FOREIGN_KEYS = (
    ('reservations', 'fk_reservations_sku_id_skus', 'sku_id', 'skus'),
    ('reservations', 'fk_reservations_warehouse_id_warehouses', 'warehouse_id', 'warehouses'),
    ('stock_movements', 'fk_stock_movements_sku_id_skus', 'sku_id', 'skus'),
    ('stock_movements', 'fk_stock_movements_warehouse_id_warehouses', 'warehouse_id', 'warehouses'),
)


def upgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    for table, name, _, _ in FOREIGN_KEYS:
        op.drop_constraint(name, table, type_='foreignkey')
    op.drop_index('ix_stock_movements_at', table_name='stock_movements')
    op.create_index('ix_stock_movements_at', 'stock_movements', ['at'], postgresql_using='brin')


def downgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.drop_index('ix_stock_movements_at', table_name='stock_movements')
    op.create_index('ix_stock_movements_at', 'stock_movements', ['at'])
    for table, name, column, referred in FOREIGN_KEYS:
        op.create_foreign_key(name, table, referred, [column], ['id'])
