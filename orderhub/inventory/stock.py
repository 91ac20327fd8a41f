"""Changing on-hand stock outside orders: receipts, absolute settings, approved adjustments,
safety stock and stock in transit. Every change is a ledger row and an audit entry."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from orderhub.core import audit, outbox
from orderhub.core.actor import Actor
from orderhub.core.errors import InvalidInput
from orderhub.inventory import ledger
from orderhub.inventory.errors import InsufficientStock, UnknownSku, UnknownWarehouse
from orderhub.inventory.models import Sku, StockLevel, Warehouse


def find_sku(session: Session, code: str) -> Sku:
    sku = session.scalar(select(Sku).where(Sku.code == code))
    if sku is None:
        raise UnknownSku(f"unknown SKU {code!r}", details={"sku": code})
    return sku


def find_warehouse(session: Session, ref: int | str) -> Warehouse:
    """By id, or by code when given a string that is not all digits."""
    if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
        wh = session.get(Warehouse, int(ref))
    else:
        wh = session.scalar(select(Warehouse).where(Warehouse.code == ref))
    if wh is None:
        raise UnknownWarehouse(f"unknown warehouse {ref!r}", details={"warehouse": ref})
    return wh


def _positive(quantity: object, field: str = "quantity") -> int:
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
        raise InvalidInput(f"{field} must be a whole number above 0", details={field: quantity})
    return quantity


def locked_level(session: Session, sku_id: int, warehouse_id: int) -> StockLevel:
    """The level row, created at zero if missing, locked (FOR UPDATE; SQLite holds the write
    lock anyway) and refreshed from the database."""
    stmt = (select(StockLevel).where(StockLevel.sku_id == sku_id, StockLevel.warehouse_id == warehouse_id)
            .with_for_update().execution_options(populate_existing=True))
    level = session.scalar(stmt)
    if level is not None:
        return level
    try:
        with session.begin_nested():
            session.add(StockLevel(sku_id=sku_id, warehouse_id=warehouse_id, on_hand=0, reserved=0,
                                   in_transit=0, safety_stock=0))
    except IntegrityError:
        pass  # created concurrently
    level = session.scalar(stmt)
    assert level is not None
    return level


def _snapshot(level: StockLevel) -> dict[str, int]:
    return {"on_hand": level.on_hand, "reserved": level.reserved, "in_transit": level.in_transit,
            "safety_stock": level.safety_stock}


def receive(session: Session, *, sku: str, warehouse_id: int, quantity: int, actor: Actor,
            reason: str = "receipt", from_transit: bool = False) -> StockLevel:
    """Goods arrived: on hand grows (and in transit shrinks when they were on their way)."""
    _positive(quantity)
    item, wh = find_sku(session, sku), find_warehouse(session, warehouse_id)
    level = locked_level(session, item.id, wh.id)
    before = _snapshot(level)
    transit = min(level.in_transit, quantity) if from_transit else 0
    level.on_hand += quantity
    level.in_transit -= transit
    if level.in_transit == 0:
        level.in_transit_expected_at = None
    session.flush()
    ledger.write(session, [ledger.movement(sku_id=item.id, warehouse_id=wh.id, kind="receipt",
                                           actor=actor, on_hand=quantity, in_transit=-transit,
                                           reason=reason)])
    audit.record(session, actor=actor, entity_type="stock", entity_id=f"{sku}@{wh.code}",
                 action="stock.received", before=before, after=_snapshot(level))
    outbox.emit(session, "stock.received", aggregate_type="sku", aggregate_id=sku, actor=actor,
                payload={"sku": sku, "warehouse_id": wh.id, "quantity": quantity})
    return level


def set_level(session: Session, *, sku: str, warehouse_id: int, on_hand: int | None = None,
              safety_stock: int | None = None, in_transit: int | None = None,
              in_transit_expected_at: datetime | None = None, actor: Actor,
              reason: str = "set") -> StockLevel:
    """Set absolute figures (initial load, safety stock, in transit). Reservations stay; on hand
    cannot go below what is reserved. Counting differences go through a stocktake instead."""
    for name, value in (("on_hand", on_hand), ("safety_stock", safety_stock), ("in_transit", in_transit)):
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
            raise InvalidInput(f"{name} must be a whole number of at least 0", details={name: value})
    item, wh = find_sku(session, sku), find_warehouse(session, warehouse_id)
    level = locked_level(session, item.id, wh.id)
    before = _snapshot(level)
    if on_hand is not None and on_hand < level.reserved:
        raise InsufficientStock(f"{level.reserved} units of {sku} are reserved in {wh.code}; "
                                f"on hand cannot be set to {on_hand}",
                                details={"reserved": level.reserved, "on_hand": on_hand})
    d_on_hand = 0 if on_hand is None else on_hand - level.on_hand
    d_transit = 0 if in_transit is None else in_transit - level.in_transit
    level.on_hand += d_on_hand
    level.in_transit += d_transit
    if safety_stock is not None:
        level.safety_stock = safety_stock
    if in_transit is not None or in_transit_expected_at is not None:
        level.in_transit_expected_at = in_transit_expected_at if level.in_transit else None
    session.flush()
    if d_on_hand or d_transit:
        ledger.write(session, [ledger.movement(sku_id=item.id, warehouse_id=wh.id, kind="set",
                                               actor=actor, on_hand=d_on_hand, in_transit=d_transit,
                                               reason=reason)])
    before_c, after_c = audit.changed_fields(before, _snapshot(level))
    audit.record(session, actor=actor, entity_type="stock", entity_id=f"{sku}@{wh.code}",
                 action="stock.set", before=before_c, after={**after_c, "reason": reason})
    _maybe_low(session, level, item.code, before, actor)
    return level


def adjust(session: Session, *, sku_id: int, warehouse_id: int, delta: int, actor: Actor,
           reason: str, reference: str | None = None, kind: str = "adjust") -> StockLevel:
    """Add `delta` (may be negative) to on hand; refused if that would drop below reserved.
    Used by approved stocktakes and returns, not offered to clerks directly."""
    if not reason.strip():
        raise InvalidInput("an adjustment needs a reason", details={"field": "reason"})
    level = locked_level(session, sku_id, warehouse_id)
    before = _snapshot(level)
    if level.on_hand + delta < level.reserved:
        raise InsufficientStock("the adjustment would leave less on hand than is reserved",
                                details={"on_hand": level.on_hand, "reserved": level.reserved,
                                         "delta": delta})
    level.on_hand += delta
    session.flush()
    ledger.write(session, [ledger.movement(sku_id=sku_id, warehouse_id=warehouse_id, kind=kind,
                                           actor=actor, on_hand=delta, reason=reason,
                                           reference=reference)])
    code = session.get(Sku, sku_id).code
    wh = session.get(Warehouse, warehouse_id)
    audit.record(session, actor=actor, entity_type="stock", entity_id=f"{code}@{wh.code}",
                 action=f"stock.{kind}", before=before,
                 after={**_snapshot(level), "reason": reason, "reference": reference})
    _maybe_low(session, level, code, before, actor)
    return level


def _maybe_low(session: Session, level: StockLevel, code: str, before: dict[str, int],
               actor: Actor) -> None:
    was = before["on_hand"] - before["reserved"] >= before["safety_stock"]
    available = level.on_hand - level.reserved
    if available < level.safety_stock and (was or before["safety_stock"] != level.safety_stock):
        outbox.emit(session, "stock.low", aggregate_type="sku", aggregate_id=code, actor=actor,
                    payload={"sku": code, "sku_id": level.sku_id, "warehouse_id": level.warehouse_id,
                             "available": available, "safety_stock": level.safety_stock})


def level_of(session: Session, sku: str, warehouse_id: int) -> StockLevel | None:
    """The current row, read fresh (the reservation statements bypass the identity map)."""
    return session.scalar(
        select(StockLevel).join(Sku, Sku.id == StockLevel.sku_id)
        .where(Sku.code == sku, StockLevel.warehouse_id == warehouse_id)
        .execution_options(populate_existing=True))


def transfer(session: Session, *, sku: str, from_warehouse_id: int, to_warehouse_id: int,
             quantity: int, expected_at: datetime | None, actor: Actor,
             reference: str | None = None) -> bool:
    """Send available units to another warehouse: they leave the source's on hand at once (one
    conditional UPDATE, like a reservation) and count as in transit at the destination until
    `receive(..., from_transit=True)` books them in. False when the source has too few."""
    _positive(quantity)
    if from_warehouse_id == to_warehouse_id:
        raise InvalidInput("a transfer needs two different warehouses",
                           details={"warehouse_id": from_warehouse_id})
    item = find_sku(session, sku)
    source, target = find_warehouse(session, from_warehouse_id), find_warehouse(session, to_warehouse_id)
    # Both rows in key order (sku_id, warehouse_id), like every other use case.
    first, second = sorted((source.id, target.id))
    locked = {first: locked_level(session, item.id, first), second: locked_level(session, item.id, second)}
    src, dst = locked[source.id], locked[target.id]
    if src.on_hand - src.reserved < quantity:
        return False
    before = _snapshot(src)
    src.on_hand -= quantity
    dst.in_transit += quantity
    if expected_at is not None and (dst.in_transit_expected_at is None or expected_at > dst.in_transit_expected_at):
        dst.in_transit_expected_at = expected_at
    session.flush()
    ref = reference or f"transfer:{source.code}->{target.code}"
    ledger.write(session, [
        ledger.movement(sku_id=item.id, warehouse_id=source.id, kind="transfer_out", actor=actor,
                        on_hand=-quantity, reference=ref, reason=f"to {target.code}"),
        ledger.movement(sku_id=item.id, warehouse_id=target.id, kind="transfer_in", actor=actor,
                        in_transit=quantity, reference=ref, reason=f"from {source.code}")])
    audit.record(session, actor=actor, entity_type="stock", entity_id=f"{sku}@{source.code}",
                 action="stock.transferred",
                 after={"to": target.code, "quantity": quantity,
                        "expected_at": expected_at.isoformat() if expected_at else None})
    outbox.emit(session, "stock.transferred", aggregate_type="sku", aggregate_id=sku, actor=actor,
                payload={"sku": sku, "from_warehouse_id": source.id, "to_warehouse_id": target.id,
                         "quantity": quantity,
                         "expected_at": expected_at.isoformat() if expected_at else None})
    _maybe_low(session, src, sku, before, actor)
    return True
