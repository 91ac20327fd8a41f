"""Read models for the inventory board: every (SKU, warehouse) figure with its alert state, and
each warehouse's load against its daily capacity."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from orderhub.core import clock
from orderhub.core.settings import get_settings
from orderhub.inventory.models import Reservation, Sku, StockLevel, Warehouse


@dataclass(frozen=True)
class BoardRow:
    sku: str
    name: str
    category: str
    warehouse: str
    warehouse_id: int
    on_hand: int
    reserved: int
    available: int
    in_transit: int
    in_transit_expected_at: datetime | None
    safety_stock: int
    state: str  # ok | low | out

@dataclass(frozen=True)
class WarehouseLoad:
    code: str
    name: str
    daily_capacity: int
    orders_today: int  # orders given stock here since local midnight
    open_orders: int  # orders holding stock here, not yet shipped
    load_pct: float | None  # orders_today / capacity

def state_of(available: int, safety: int) -> str:
    if available <= 0:
        return "out"
    return "low" if available < safety else "ok"

_AVAILABLE = StockLevel.on_hand - StockLevel.reserved
_SEVERITY = case((_AVAILABLE <= 0, 0), (_AVAILABLE < StockLevel.safety_stock, 1), else_=2)


def board(session: Session, *, sku: str = "", warehouse: str = "", state: str = "",
          limit: int = 500) -> list[BoardRow]:
    stmt = (select(Sku.code, Sku.name, Sku.category, Warehouse.code, Warehouse.id, StockLevel.on_hand,
                   StockLevel.reserved, StockLevel.in_transit, StockLevel.in_transit_expected_at,
                   StockLevel.safety_stock)
            .join(Sku, Sku.id == StockLevel.sku_id).join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
            .order_by(_SEVERITY, Sku.code, Warehouse.code))  # out, then low, then the rest
    if sku:
        stmt = stmt.where(Sku.code.contains(sku.strip(), autoescape=True))
    if warehouse:
        stmt = stmt.where(Warehouse.code == warehouse)
    available = StockLevel.on_hand - StockLevel.reserved
    if state == "out":
        stmt = stmt.where(available <= 0)
    elif state == "low":
        stmt = stmt.where(available > 0, available < StockLevel.safety_stock)
    elif state == "ok":
        stmt = stmt.where(available > 0, available >= StockLevel.safety_stock)
    rows = []
    for code, name, cat, wh, wh_id, on_hand, reserved, transit, expected, safety in session.execute(stmt.limit(limit)):
        rows.append(BoardRow(code, name, cat, wh, wh_id, on_hand, reserved, on_hand - reserved, transit,
                             expected, safety, state_of(on_hand - reserved, safety)))
    return rows

def local_midnight(now: datetime) -> datetime:
    zone = ZoneInfo(get_settings().timezone)
    local = now.astimezone(zone)
    return datetime.combine(local.date(), time(0), tzinfo=zone)

def warehouse_load(session: Session) -> list[WarehouseLoad]:
    since = local_midnight(clock.now())
    today = dict(session.execute(
        select(Reservation.warehouse_id, func.count(Reservation.order_id.distinct()))
        .where(Reservation.created_at >= since, Reservation.status != "released")
        .group_by(Reservation.warehouse_id)).all())
    open_ = dict(session.execute(
        select(Reservation.warehouse_id, func.count(Reservation.order_id.distinct()))
        .where(Reservation.status == "active").group_by(Reservation.warehouse_id)).all())
    out = []
    for wh in session.scalars(select(Warehouse).where(Warehouse.active.is_(True)).order_by(Warehouse.code)):
        n = int(today.get(wh.id, 0))
        out.append(WarehouseLoad(wh.code, wh.name, wh.daily_capacity, n, int(open_.get(wh.id, 0)),
                                 round(100 * n / wh.daily_capacity, 1) if wh.daily_capacity else None))
    return out

def totals(rows: list[BoardRow]) -> dict[str, int]:
    return {"rows": len(rows), "low": sum(r.state == "low" for r in rows),
            "out": sum(r.state == "out" for r in rows)}

