"""Event handlers of routing. Each is safe to run twice for one event: the worker's marker
already skips a redelivery, and every handler also checks the order's state before acting."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from orderhub.core import outbox
from orderhub.core.actor import Actor
from orderhub.core.models import OutboxEvent
from orderhub.orders import lifecycle as lc
from orderhub.orders.holds import open_holds
from orderhub.orders.models import Order
from orderhub.routing import service

ACTOR = Actor.system("routing")


def _order(session: Session, event: OutboxEvent) -> Order | None:
    try:
        order_id = int(event.aggregate_id or "")
    except (TypeError, ValueError):
        return None
    return session.scalar(select(Order).where(Order.id == order_id).with_for_update(of=Order))


@outbox.handler("stock.received", name="routing.backorders_on_receipt")
def on_stock_received(session: Session, event: OutboxEvent) -> None:
    """New stock: serve the waiting orders that need this SKU, VIP first, then by paid time."""
    sku = event.payload.get("sku")
    if isinstance(sku, str) and sku:
        service.activate_backorders(session, sku=sku, actor=ACTOR)


@outbox.handler("order.paid", name="routing.allocate_on_paid")
def on_paid(session: Session, event: OutboxEvent) -> None:
    order = _order(session, event)
    if order is not None:
        service.allocate(session, order=order, actor=ACTOR)


@outbox.handler("order.released", name="routing.allocate_on_released")
def on_released(session: Session, event: OutboxEvent) -> None:
    """The last hold was resolved: a paid order is routed; a backordered one tries the stock
    that may have arrived while it was held."""
    order = _order(session, event)
    if order is None or open_holds(order):
        return
    if order.status == lc.AWAITING_STOCK:
        service.reroute(session, order_no=order.order_no, actor=ACTOR)
    else:
        service.allocate(session, order=order, actor=ACTOR)


@outbox.handler("order.cancelled", name="routing.release_on_cancelled")
def on_cancelled(session: Session, event: OutboxEvent) -> None:
    order = _order(session, event)
    if order is not None:
        service.release_order(session, order=order, actor=ACTOR, reason="order cancelled")


@outbox.handler("order.closed", name="routing.release_on_closed")
def on_closed(session: Session, event: OutboxEvent) -> None:
    order = _order(session, event)
    if order is not None:
        service.release_order(session, order=order, actor=ACTOR, reason="order closed")


@outbox.handler("reservation.expired", name="routing.settle_expired")
def on_reservation_expired(session: Session, event: OutboxEvent) -> None:
    raw = event.payload.get("order_id", event.aggregate_id)
    try:
        order_id = int(raw)
    except (TypeError, ValueError):
        return
    service.settle_expired(session, order_id=order_id, actor=ACTOR)
