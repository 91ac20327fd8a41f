"""PostgreSQL: a reservation locks its stock row and nothing else (migration 0018). With foreign
keys from the reservation and ledger rows, every reservation also took KEY SHARE locks on the SKU
and the warehouse rows, so all concurrent reservations of a warehouse contended for one row."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from orderhub.core.db import unit_of_work
from orderhub.inventory import service
from tests.inventory.helpers import ACTOR


def _seed(engine) -> tuple[int, int]:
    with unit_of_work(engine) as s:
        wh, _ = service.upsert_warehouse(s, code="HZ", name="杭州仓", actor=ACTOR)
        service.upsert_sku(s, code="LOCK-1", name="LOCK-1", actor=ACTOR)
        service.set_level(s, sku="LOCK-1", warehouse_id=wh.id, on_hand=5, actor=ACTOR)
        sku_id = service.find_sku(s, "LOCK-1").id
        return wh.id, sku_id


def _try_lock(engine, sql: str, params: dict) -> bool:
    """True if another transaction could lock the row at once (NOWAIT)."""
    with engine.connect() as conn, conn.begin():
        try:
            conn.execute(text(sql + " FOR UPDATE NOWAIT"), params)
            return True
        except OperationalError as exc:
            assert "could not obtain lock" in str(exc)
            return False


def test_an_open_reservation_locks_only_its_stock_row(postgres_only, committed):
    wh_id, sku_id = _seed(committed)
    with unit_of_work(committed) as s:
        assert service.reserve(s, order_id=41, warehouse_id=wh_id, lines=[("LOCK-1", 2)], actor=ACTOR)
        # The transaction is still open here: its locks are held.
        assert not _try_lock(committed, "SELECT id FROM stock_levels WHERE sku_id = :s "
                             "AND warehouse_id = :w", {"s": sku_id, "w": wh_id})
        assert _try_lock(committed, "SELECT id FROM warehouses WHERE id = :w", {"w": wh_id})
        assert _try_lock(committed, "SELECT id FROM skus WHERE id = :s", {"s": sku_id})
    with unit_of_work(committed) as s:
        assert service.level_of(s, "LOCK-1", wh_id).reserved == 2
        assert service.verify(s) == []


def test_a_reservation_of_several_rows_locks_no_master_data(postgres_only, committed):
    wh_id, _ = _seed(committed)
    with unit_of_work(committed) as s:
        service.upsert_sku(s, code="LOCK-2", name="LOCK-2", actor=ACTOR)
        service.set_level(s, sku="LOCK-2", warehouse_id=wh_id, on_hand=5, actor=ACTOR)
    with unit_of_work(committed) as s:
        assert service.reserve(s, order_id=42, warehouse_id=wh_id, lines=[("LOCK-1", 1), ("LOCK-2", 1)], actor=ACTOR)
        assert _try_lock(committed, "SELECT id FROM warehouses WHERE id = :w", {"w": wh_id})
        assert _try_lock(committed, "SELECT id FROM skus WHERE code IN ('LOCK-1', 'LOCK-2')", {})
    with unit_of_work(committed) as s:
        assert service.verify(s) == []
