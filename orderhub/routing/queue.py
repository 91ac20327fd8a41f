"""The backorder queue: paid orders waiting for stock, served FIFO by paid time with VIP orders
first (VIP = priority above 0 or the tag "vip"). Rows only; activation is in service.py."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from orderhub.core import clock
from orderhub.orders.models import Order
from orderhub.routing.models import Backorder, BackorderSku

WAITING, ACTIVATED, CANCELLED = "waiting", "activated", "cancelled"


def is_vip(order: Order) -> bool:
    return (order.priority or 0) > 0 or "vip" in (order.tags or [])


def queue_key(order: Order, paid_at: datetime | None = None) -> tuple[bool, datetime, int]:
    """Sort key of the queue: VIP first, then earliest paid, then order id."""
    return (not is_vip(order), paid_at or order.paid_at or order.created_at, order.id)


def enqueue(session: Session, *, order: Order, needs: Mapping[str, int],
            promised_date: date | None = None) -> Backorder:
    """Put the order in the queue (again); its place is its paid time, not the time it queued."""
    entry = session.get(Backorder, order.id)
    if entry is None:
        entry = Backorder(order_id=order.id)
        session.add(entry)
    entry.status = WAITING
    entry.vip = is_vip(order)
    entry.paid_at = order.paid_at or order.created_at
    entry.queued_at = clock.now()
    entry.skus = dict(sorted(needs.items()))
    entry.promised_date = promised_date
    entry.resolved_at = None
    session.flush()
    session.execute(delete(BackorderSku).where(BackorderSku.order_id == order.id))
    session.add_all([BackorderSku(order_id=order.id, sku=sku) for sku in sorted(needs)])
    return entry


def leave(session: Session, *, order_id: int, status: str) -> bool:
    """The order left the queue (activated or cancelled); False if it was not waiting."""
    entry = session.get(Backorder, order_id)
    if entry is None or entry.status != WAITING:
        return False
    entry.status = status
    entry.resolved_at = clock.now()
    session.execute(delete(BackorderSku).where(BackorderSku.order_id == order_id))
    return True


def waiting(session: Session, *, sku: str | None = None,
            limit: int = 1000) -> list[tuple[Backorder, Order]]:
    """Waiting entries (for one SKU, or all) in the order they are served."""
    stmt = (select(Backorder, Order).join(Order, Order.id == Backorder.order_id)
            .where(Backorder.status == WAITING)
            .order_by(Backorder.vip.desc(), Backorder.paid_at, Backorder.order_id).limit(limit))
    if sku is not None:
        stmt = stmt.join(BackorderSku, BackorderSku.order_id == Backorder.order_id) \
            .where(BackorderSku.sku == sku)
    rows = [(entry, order) for entry, order in session.execute(stmt)]
    for entry, order in rows:  # VIP-ness may have changed since the order queued (rules, CS)
        entry.vip = is_vip(order)
    rows.sort(key=lambda row: queue_key(row[1], row[0].paid_at))
    return rows


def entry_for(session: Session, order_id: int) -> Backorder | None:
    return session.get(Backorder, order_id)
