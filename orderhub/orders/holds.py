"""Holds: orthogonal records that stop an order; it is on hold while any hold is open."""

from __future__ import annotations

from sqlalchemy.orm import Session

from orderhub.core import audit, clock, outbox
from orderhub.core.actor import Actor
from orderhub.core.errors import HoldNotOpen, IllegalTransition, InvalidInput, NotFound
from orderhub.orders import lifecycle as lc
from orderhub.orders.models import Hold, Order
from orderhub.orders.service import get_order, transition


def add_hold(session: Session, *, order_no: str, reason_code: str, reason: str,
             actor: Actor) -> Hold:
    reason_code = reason_code.strip()
    if not reason_code:
        raise InvalidInput("a hold needs a reason code", details={"field": "reason_code"})
    order = get_order(session, order_no, for_update=True)
    if order.status != lc.ON_HOLD and order.status not in lc.HOLDABLE:
        raise IllegalTransition(f"an order in status {order.status!r} cannot be held",
                                details={"from": order.status, "to": lc.ON_HOLD})
    hold = Hold(order_id=order.id, reason_code=reason_code, reason=reason, status="open",
                raised_by_kind=actor.kind, raised_by=actor.name, raised_at=clock.now())
    order.holds.append(hold)
    session.flush()
    audit.record(session, actor=actor, entity_type="order", entity_id=order.order_no,
                 action="hold.added", after={"hold_id": hold.id, "reason_code": reason_code,
                                             "reason": reason})
    outbox.emit(session, "order.hold_added", aggregate_type="order", aggregate_id=order.id,
                actor=actor, payload={"order_no": order.order_no, "hold_id": hold.id,
                                      "reason_code": reason_code, "reason": reason})
    if order.status != lc.ON_HOLD:
        transition(session, order, lc.ON_HOLD, actor=actor, reason=reason_code)
    return hold


def resolve_hold(session: Session, *, order_no: str, hold_id: int, resolution: str,
                 actor: Actor) -> Hold:
    """Close one hold; when it was the last one the order goes back to where it was held from."""
    order = get_order(session, order_no, for_update=True)
    hold = next((h for h in order.holds if h.id == hold_id), None)
    if hold is None:
        raise NotFound(f"order {order.order_no} has no hold {hold_id}",
                       details={"order_no": order.order_no, "hold_id": hold_id})
    if hold.status != "open":
        raise HoldNotOpen(f"hold {hold_id} is already resolved",
                          details={"hold_id": hold_id, "resolved_by": hold.resolved_by})
    hold.status = "resolved"
    hold.resolved_by = actor.name
    hold.resolved_at = clock.now()
    hold.resolution = resolution
    audit.record(session, actor=actor, entity_type="order", entity_id=order.order_no,
                 action="hold.resolved", before={"hold_id": hold_id, "status": "open"},
                 after={"hold_id": hold_id, "status": "resolved", "resolution": resolution})
    outbox.emit(session, "order.hold_resolved", aggregate_type="order", aggregate_id=order.id,
                actor=actor, payload={"order_no": order.order_no, "hold_id": hold_id,
                                      "reason_code": hold.reason_code, "resolution": resolution})
    if order.status == lc.ON_HOLD and not open_holds(order):
        transition(session, order, order.held_from or lc.PAID, actor=actor, reason="holds resolved")
    return hold


def open_holds(order: Order) -> list[Hold]:
    return [h for h in order.holds if h.status == "open"]
