"""The order pipeline: what happens to an order as it arrives or changes, in one transaction.

    complete the address -> store (create or upsert) -> map SKUs -> rules, once per trigger
    -> reserve and route (paid, nothing on hold) or hold stock for a while (unpaid)

Every way an order comes in (the API, channel pulls and pushes, spreadsheet imports, the demo)
goes through `receive`, so all orders get the same checks. Later steps that happen outside
intake (a hold resolved, stock received) continue through outbox handlers in routing/tasks.py.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from orderhub.address import parse_address
from orderhub.core.actor import Actor
from orderhub.inventory.catalog import sku_info
from orderhub.orders import lifecycle as lc
from orderhub.orders.holds import open_holds
from orderhub.orders.models import Order
from orderhub.orders.schemas import OrderIn
from orderhub.orders.service import Received, receive_order
from orderhub.routing.service import allocate
from orderhub.rules.service import evaluate


def receive(session: Session, *, data: OrderIn, raw: dict[str, Any], source: str,
            actor: Actor) -> Received:
    received = receive_order(session, data=_with_divisions(data), raw=raw, source=source,
                             actor=actor)
    if received.stale:
        return received
    order = received.order
    _map_skus(session, order)
    for trigger in _triggers(received):
        evaluate(session, order=order, trigger=trigger, actor=actor)
    advance(session, order=order, actor=actor)
    return received


def advance(session: Session, *, order: Order, actor: Actor) -> None:
    """Take the order as far as it can go now: allocation needs it paid (or unpaid, for a
    time-limited reservation) with nothing on hold."""
    if order.status in (lc.PAID, lc.PENDING_PAYMENT) and not open_holds(order):
        allocate(session, order=order, actor=actor)


def _triggers(received: Received) -> list[str]:
    """The events rules listen to, in the order they happened."""
    if not received.created:
        return list(received.changes)
    return ["order.created"] + (["order.paid"] if received.order.status == lc.PAID else [])


def _with_divisions(data: OrderIn) -> OrderIn:
    """Sellers' own stores often send the whole address in one string: split it here, so the
    rest of OrderHub can rely on province/city/district. The original stays in the raw payload."""
    receiver = data.receiver
    if receiver.province or not receiver.address.strip():
        return data
    parsed = parse_address(receiver.address)
    if not parsed.province:
        return data  # nothing recognisable: the vague-address rule will hold it for a person
    split = receiver.model_copy(update={
        "province": parsed.province, "city": parsed.city, "district": parsed.district,
        "street": receiver.street or parsed.street, "address": parsed.detail or receiver.address})
    return data.model_copy(update={"receiver": split})


def _map_skus(session: Session, order: Order) -> None:
    """A platform SKU that is also one of our SKU codes maps to itself; anything else stays
    unmapped (a rule holds the order) until someone maps it."""
    unmapped = [line for line in order.lines if line.sku is None]
    if not unmapped:
        return
    known = sku_info(session, [line.platform_sku for line in unmapped])
    for line in unmapped:
        if line.platform_sku in known:
            line.sku = line.platform_sku
