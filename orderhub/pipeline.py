"""The order pipeline: what happens to an order as it arrives or changes.

    complete the address -> store (create or upsert) -> map SKUs -> rules, once per trigger
    -> reserve and route (paid, nothing on hold) or hold stock for a while (unpaid)

Orders sent one by one (the API, spreadsheet imports, reprocessed quarantine) go through
`receive`, all of it in the caller's transaction, so all orders get the same checks.

What channels bring (pulled pages, and webhook pushes, both through channels/sync.store_page)
goes through `receive_page`, which trades immediacy for throughput: orders we have
already take the per-order path (changes are rare), but new ones are stored in bulk (one INSERT
per table for the page, SKUs mapped in one query) and their rules and allocation are deferred to
the worker. Each gets an `order.intake_pending` event and an `intake_pending` marker in its
attributes (the triggers `receive` would have evaluated); `finish_intake`, run by the worker
(intake_tasks.py) or by `receive` if a change of the order arrives first, evaluates them and
advances the order, once. So a pulled order is stored at once but checked and routed seconds
later, by the worker; an order sent through the API is unchanged, checked and routed before the
request returns. Until then a pulled order is only "paid" or "pending payment", which nothing
but allocation acts on. Known difference (see docs/architecture.md): history rules (duplicates,
accounts per address) also count orders that arrived after this one, until rules/history.py
bounds its queries to orders that had arrived. Later steps that happen outside intake (a hold resolved, stock received)
continue through outbox handlers in routing/tasks.py.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy.orm import Session

from orderhub.address import parse_address
from orderhub.channels.sku_mapping.service import resolve_skus
from orderhub.core import clock
from orderhub.core.actor import Actor
from orderhub.core.models import OutboxEvent
from orderhub.orders import lifecycle as lc
from orderhub.orders.bulk import (
    AlreadyStored,
    Created,
    create_orders,
    event_row,
    existing_ids,
    serialize_orders,
)
from orderhub.orders.holds import open_holds
from orderhub.orders.models import Order
from orderhub.orders.schemas import OrderIn
from orderhub.orders.service import Received, find_shop, initial_status, receive_order
from orderhub.routing.service import allocate
from orderhub.rules.service import evaluate

PENDING = "intake_pending"  # attributes key: triggers whose rules have not run yet
PENDING_TOPIC = "order.intake_pending"


def receive(session: Session, *, data: OrderIn, raw: dict[str, Any], source: str,
            actor: Actor) -> Received:
    received = receive_order(session, data=_with_divisions(data), raw=raw, source=source,
                             actor=actor)
    if received.stale:
        return received
    order = received.order
    _map_skus(session, order)
    # A bulk-created order changed before the worker checked it: its intake comes first.
    for trigger in _take_pending(order) + _triggers(received):
        evaluate(session, order=order, trigger=trigger, actor=actor)
    advance(session, order=order, actor=actor)
    return received


def receive_page(session: Session, *, shop_name: str, items: list[tuple[OrderIn, dict[str, Any]]],
                 source: str, actor: Actor,
                 known: Collection[str] | None = None) -> list[Received | Created]:
    """`receive` for a page of one shop's orders, one result per item in the same order. New
    orders are created in bulk and their rules and allocation deferred (see the module doc).
    `known`: the platform order ids the caller already found stored (saves a query; one stored
    meanwhile by a racing push makes the bulk insert fail, and the page takes the per-order
    path)."""
    if not items:
        return []
    shop = find_shop(session, shop_name)
    items = [(_with_divisions(data), raw) for data, raw in items]
    serialize_orders(session, shop.id, (data.platform_order_id for data, _ in items))
    have = set(known) if known is not None else existing_ids(
        session, shop.id, (data.platform_order_id for data, _ in items))
    new: dict[str, int] = {}  # platform order id -> position of its first copy in the page
    for position, (data, _) in enumerate(items):
        if data.platform_order_id not in have:
            new.setdefault(data.platform_order_id, position)
    results: list[Received | Created | None] = [None] * len(items)
    try:
        created = _create_new(session, shop, [items[i] for i in new.values()], source, actor)
    except AlreadyStored:
        new, created = {}, []  # a racing copy got in first: every order takes the per-order path
    for position, result in zip(new.values(), created, strict=True):
        results[position] = result
    for position, (data, raw) in enumerate(items):
        if results[position] is None:
            results[position] = receive(session, data=data, raw=raw, source=source, actor=actor)
    return [r for r in results if r is not None]


def finish_intake(session: Session, *, order: Order, actor: Actor) -> bool:
    """The deferred part of a bulk-created order's intake: its rules, then allocation. Does
    nothing (False) when already done, so a repeated event is harmless; the caller holds the
    order's row lock."""
    triggers = _take_pending(order)
    if not triggers:
        return False
    for trigger in triggers:
        evaluate(session, order=order, trigger=trigger, actor=actor)
    advance(session, order=order, actor=actor)
    return True


def advance(session: Session, *, order: Order, actor: Actor) -> None:
    """Take the order as far as it can go now: allocation needs it paid (or unpaid, for a
    time-limited reservation) with nothing on hold."""
    if order.status in (lc.PAID, lc.PENDING_PAYMENT) and not open_holds(order):
        allocate(session, order=order, actor=actor)


def _triggers(received: Received) -> list[str]:
    """The events rules listen to, in the order they happened."""
    if not received.created:
        return list(received.changes)
    return _created_triggers(received.order.status)


def _created_triggers(status: str) -> list[str]:
    return ["order.created"] + (["order.paid"] if status == lc.PAID else [])


def _take_pending(order: Order) -> list[str]:
    attributes = order.attributes or {}
    if PENDING not in attributes:
        return []
    order.attributes = {k: v for k, v in attributes.items() if k != PENDING}
    return list(attributes[PENDING])


def _create_new(session: Session, shop: Any, items: list[tuple[OrderIn, dict[str, Any]]],
                source: str, actor: Actor) -> list[Created]:
    """Bulk-create, SKUs mapped, intake pending: one marker and one event per order."""
    pending = {data.platform_order_id: {PENDING: _created_triggers(initial_status(data))}
               for data, _ in items}

    now = clock.now()

    def announce(sink: Any, order: Created) -> None:
        sink.row(OutboxEvent.__table__, event_row(
            PENDING_TOPIC, aggregate_type="order", aggregate_id=order.id, actor=actor, now=now,
            payload={"order_no": order.order_no,
                     "triggers": pending[order.platform_order_id][PENDING]}))

    return create_orders(session, shop=shop, items=items, source=source, actor=actor,
                         line_skus=_page_skus(session, shop.id, [data for data, _ in items]),
                         attributes=pending, follow_up=announce)


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
    """Lines without a SKU get one from the shop's mapping, else the all-shops mapping, else
    the identity (the platform SKU is one of our codes), in one query for the whole order. What
    stays unmapped is held by the unmapped-sku rule until someone maps it (sku_mapping.map_sku
    then fills the line and releases the order)."""
    unmapped = [line for line in order.lines if line.sku is None]
    if not unmapped:
        return
    found = resolve_skus(session, shop_id=order.shop_id, platform_skus=[line.platform_sku for line in unmapped])
    for line in unmapped:
        if line.platform_sku in found:
            line.sku = found[line.platform_sku]


def _page_skus(session: Session, shop_id: int, orders: list[OrderIn]) -> dict[str, str]:
    """`_map_skus` for a page of new orders of one shop: the same lookup (`resolve_skus`: the
    shop's mapping, else all shops', else the identity) for all their SKU-less lines at once."""
    return resolve_skus(session, shop_id=shop_id, platform_skus=[
        line.platform_sku for data in orders for line in data.lines if line.sku is None])
