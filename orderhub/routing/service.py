"""Routing use cases: allocate (the pipeline step), running the backorder queue, a person's pick,
and giving stock back when an order is cancelled. All run in the caller's transaction.

allocate(order):
- paid, nothing on hold: choose a warehouse (policy.decide), reserve there (falling back to the
  next-best warehouse if a concurrent order took the stock first) -> `allocated`; or ->
  `awaiting_stock` in the backorder queue (a transfer records a promised date); undecidable ->
  manual routing queue, status unchanged.
- unpaid: choose and reserve with the TTL; status unchanged ("reserved_unpaid"). Once paid,
  allocate confirms that reservation (if it is still whole) and moves the order to `allocated`.
- anything else: "skipped".
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from orderhub.core import outbox
from orderhub.core.actor import Actor
from orderhub.core.db import is_postgres
from orderhub.core.errors import Conflict, InvalidInput
from orderhub.inventory import service as inventory
from orderhub.inventory.errors import InsufficientStock
from orderhub.orders import lifecycle as lc
from orderhub.orders.holds import open_holds
from orderhub.orders.models import Order
from orderhub.orders.service import get_order, transition
from orderhub.routing import decisions, queue
from orderhub.routing.config import RoutingConfig
from orderhub.routing.models import RoutingDecision
from orderhub.routing.policy import Plan, Shipment, decide, merged_lines, merged_needs
from orderhub.routing.situation import gather_with_config, in_transit, route_lines

ALLOCATED, AWAITING_STOCK, MANUAL = "allocated", "awaiting_stock", "manual"
RESERVED_UNPAID, SKIPPED = "reserved_unpaid", "skipped"
OUTCOMES = (ALLOCATED, AWAITING_STOCK, MANUAL, RESERVED_UNPAID, SKIPPED)
FIRM = frozenset({lc.ALLOCATED, lc.LABEL_PRINTED, lc.SHIPPED, lc.DELIVERED, lc.COMPLETED})


class RoutingRefused(Conflict):
    code = "routing_refused"


class WarehouseShort(InsufficientStock):
    """The warehouse a person picked cannot cover the whole order (details: the shortfall)."""

    code = "warehouse_short"


@dataclass(frozen=True)
class Allocation:
    outcome: str  # one of OUTCOMES
    warehouse: str | None = None
    decision: RoutingDecision | None = None
    note: str = ""


class _Refused(Exception):
    """A split's warehouse refused its part: roll the whole split back."""


def allocate(session: Session, *, order: Order, actor: Actor) -> Allocation:
    # An order is on_hold exactly while a hold is open (orders.service.transition keeps it so),
    # so the status says it all and the holds need not be loaded on the hot path.
    if order.status not in (lc.PAID, lc.PENDING_PAYMENT):
        return Allocation(SKIPPED, note=f"status {order.status}")
    # The outcome of the order's last decision is on the order (attributes["routing"]); the
    # decision row itself is read only when it matters, which spares fresh orders a query.
    prior = (order.attributes or {}).get("routing")
    last = decisions.latest(session, order.id) if prior in (RESERVED_UNPAID, MANUAL, SKIPPED) else None
    if last is not None and last.outcome == RESERVED_UNPAID:
        kept = _keep_unpaid_reservation(session, order, last, actor)
        if kept is not None:
            return kept
    return _route(session, order, actor, last)


def activate_backorders(session: Session, *, actor: Actor, sku: str | None = None,
                        limit: int = 500) -> list[Allocation]:
    """Serve the queue (for one SKU, or all of it) in its order; each order is reserved whole or
    stays waiting, and a later order may go ahead of one that still cannot be covered."""
    results = []
    for entry, waiting in queue.waiting(session, sku=sku, limit=limit):
        order = _locked(session, waiting.id)
        if order.status in lc.TERMINAL:
            queue.leave(session, order_id=order.id, status=queue.CANCELLED)
            continue
        if order.status != lc.AWAITING_STOCK or open_holds(order):
            continue
        entry.attempts += 1
        result = _activate(session, order, actor)
        results.append(result)
        if result.outcome != ALLOCATED and sku is not None and _none_left(session, sku):
            break
    return results


def reroute(session: Session, *, order_no: str, actor: Actor) -> Allocation:
    """Route again now (after an address fix, a SKU mapping, new stock): the console's retry."""
    order = get_order(session, order_no, for_update=True)
    if order.status == lc.AWAITING_STOCK and not open_holds(order):
        return _activate(session, order, actor)
    return allocate(session, order=order, actor=actor)


def assign(session: Session, *, order_no: str, warehouse_code: str, actor: Actor) -> Allocation:
    """A person picks the warehouse (manual routing queue): reserve there, whole, or refuse."""
    order = get_order(session, order_no, for_update=True)
    if order.status not in (lc.PAID, lc.AWAITING_STOCK) or open_holds(order):
        raise RoutingRefused(f"an order in status {order.status!r} cannot be given a warehouse",
                             details={"order_no": order.order_no, "status": order.status,
                                      "open_holds": len(open_holds(order))})
    lines, unknown, _ = route_lines(session, order)
    unmapped = [l.line_no for l in lines if l.sku is None]
    if unmapped or unknown:
        raise InvalidInput("map every line to a known internal SKU first",
                           details={"lines": unmapped, "unknown_skus": unknown})
    warehouse = inventory.find_warehouse(session, warehouse_code)
    if not warehouse.active:
        raise InvalidInput(f"warehouse {warehouse.code} is not active",
                           details={"warehouse": warehouse.code})
    shipment = Shipment(warehouse.code, warehouse.id, merged_lines(lines))
    if not inventory.reserve(session, order_id=order.id, warehouse_id=warehouse.id,
                             lines=list(shipment.lines), actor=actor):
        needs = merged_needs(lines)
        have = inventory.availability(session, skus=needs, warehouse_ids=[warehouse.id])
        short = {sku: qty - have.get((sku, warehouse.id), 0) for sku, qty in needs.items()
                 if have.get((sku, warehouse.id), 0) < qty}
        raise WarehouseShort(f"warehouse {warehouse.code} cannot cover the order",
                                details={"warehouse": warehouse.code, "short": short})
    plan = Plan("manual_pick", "manual_pick", warehouse=warehouse.code, shipments=(shipment,))
    decisions.close_manual(session, order_id=order.id, actor=actor, warehouse=warehouse.code,
                           resolution=f"warehouse {warehouse.code} picked")
    return _allocated(session, order, actor, decisions.plan_fields(plan), [shipment])


def release_order(session: Session, *, order: Order, actor: Actor, reason: str) -> int:
    """The order will not ship (cancelled, closed): give its stock back and take it out of the
    queues. Idempotent; the units released."""
    units = inventory.release(session, order_id=order.id, actor=actor, reason=reason)
    queue.leave(session, order_id=order.id, status=queue.CANCELLED)
    decisions.close_manual(session, order_id=order.id, actor=actor, resolution=reason)
    return units


def settle_expired(session: Session, *, order_id: int, actor: Actor) -> int:
    """A TTL reservation of the order lapsed: unless the order's stock is firm by now, give back
    whatever is left of its reservations, so it is never left half-reserved. A paid order is
    routed again at once."""
    order = _locked(session, order_id, missing_ok=True)
    if order is None or _firm(order):
        return 0
    units = inventory.release(session, order_id=order.id, actor=actor, reason="reservation expired")
    if order.status == lc.PAID and not open_holds(order):
        allocate(session, order=order, actor=actor)
    return units


def current(session: Session, order_id: int) -> RoutingDecision | None:
    return decisions.latest(session, order_id)


# --- steps -----------------------------------------------------------------------------------


def _keep_unpaid_reservation(session: Session, order: Order, last: RoutingDecision,
                             actor: Actor) -> Allocation | None:
    """Stock held while unpaid: kept as it is (still unpaid) or made firm (paid). If it lapsed,
    in whole or in part, the rest is given back; a paid order is then routed again (None), an
    unpaid one holds nothing more until it is paid."""
    planned = {int(s["warehouse_id"]) for s in last.shipments}
    held = {r.warehouse_id for r in inventory.active_reservations(session, order.id)}
    if held and held == planned:
        if order.status == lc.PENDING_PAYMENT:
            return Allocation(SKIPPED, last.warehouse_code, last, note="stock held already")
        inventory.confirm(session, order_id=order.id, actor=actor)
        fields = decisions.copy_fields(last, reason="payment_confirmed")
        return _allocated(session, order, actor, fields, None)
    if held:
        inventory.release(session, order_id=order.id, actor=actor, reason="reservation lapsed in part")
    if order.status == lc.PENDING_PAYMENT:  # its time is up: stock is taken again on payment
        return Allocation(SKIPPED, None, last, note="reservation lapsed")
    return None


def _route(session: Session, order: Order, actor: Actor, last: RoutingDecision | None) -> Allocation:
    situation, config = gather_with_config(session, order)
    if not situation.lines:
        return Allocation(SKIPPED, note="nothing to ship")
    plan = _decide(session, situation)
    unpaid = order.status == lc.PENDING_PAYMENT
    if plan.policy == "manual" and not unpaid:
        return _manual(session, order, actor, last, plan, config)
    if plan.reserves:
        expires = inventory.default_expiry(session) if unpaid else None
        taken = _reserve(session, order, plan, actor, expires)
        if taken and unpaid:
            return _reserved_unpaid(session, order, actor, plan, taken, config, expires)
        if taken:
            fields = decisions.plan_fields(plan, taken, config.weights)
            return _allocated(session, order, actor, fields, taken, last)
        plan = replace(plan, policy="backorder", reason="reserve_refused", warehouse=None,
                       shipments=(), fallbacks=())
    if unpaid:  # no stock is held for an unpaid order that cannot be covered now
        return _note(session, order, actor, last, plan, config)
    return _backorder(session, order, actor, last, plan, config, merged_needs(situation.lines))


def _decide(session: Session, situation: Any) -> Plan:
    plan = decide(situation)
    if plan.policy in ("transfer", "backorder"):
        skus = sorted({sku for line in situation.lines for sku in line.needs})
        plan = decide(replace(situation, in_transit=in_transit(session, skus, list(situation.sites))))
    return plan


def _activate(session: Session, order: Order, actor: Actor) -> Allocation:
    """A waiting order, tried again: reserved whole -> allocated, or it keeps waiting."""
    situation, config = gather_with_config(session, order)
    plan = decide(situation)
    taken = _reserve(session, order, plan, actor, None) if plan.reserves else None
    if not taken:
        return Allocation(AWAITING_STOCK, note=plan.reason)
    fields = decisions.plan_fields(plan, taken, config.weights)
    fields["details"]["from_backorder"] = True
    return _allocated(session, order, actor, fields, taken)


def _reserve(session: Session, order: Order, plan: Plan, actor: Actor,
             expires_at: Any) -> list[Shipment] | None:
    def take(shipment: Shipment) -> bool:
        return inventory.reserve(session, order_id=order.id, warehouse_id=shipment.warehouse_id,
                                 lines=list(shipment.lines), actor=actor, expires_at=expires_at)

    if plan.policy == "split":
        try:
            with session.begin_nested():
                for shipment in plan.shipments:
                    if not take(shipment):
                        raise _Refused
        except _Refused:
            return None
        return list(plan.shipments)
    for shipment in (*plan.shipments, *plan.fallbacks):
        if take(shipment):
            return [shipment]
    return None


def _allocated(session: Session, order: Order, actor: Actor, fields: dict[str, Any],
               taken: list[Shipment] | None, last: RoutingDecision | None = None) -> Allocation:
    codes = [s["warehouse"] for s in fields["shipments"]] if taken is None else [s.warehouse for s in taken]
    if taken is not None:
        fields = {**fields, "warehouse": codes[0]}
    was_waiting = order.status == lc.AWAITING_STOCK
    reason = f"routing: {fields['policy']}"
    payload = {"warehouse": codes[0], "warehouses": codes, "policy": fields["policy"]}
    pg = is_postgres(session)
    if pg:  # the same writes in one statement (five round trips otherwise)
        decision = decisions.record_allocated(session, order=order, actor=actor, fields=fields,
                                              codes=codes, reason=reason, payload=payload)
    else:
        transition(session, order, lc.ALLOCATED, actor=actor, reason=reason, payload=payload)
        decision = decisions.record(session, order=order, outcome=ALLOCATED, actor=actor, **fields)
        order.attributes = {**(order.attributes or {}), "allocated_warehouse": codes[0],
                            **({"split_warehouses": codes} if len(codes) > 1 else {})}
    if was_waiting:
        queue.leave(session, order_id=order.id, status=queue.ACTIVATED)
    if last is not None and last.outcome == MANUAL:
        decisions.close_manual(session, order_id=order.id, actor=actor,
                               resolution="routed automatically", warehouse=codes[0])
    if not pg:
        decisions.count_allocation(session, order=order, codes=codes)
    return Allocation(ALLOCATED, codes[0], decision)


def _reserved_unpaid(session: Session, order: Order, actor: Actor, plan: Plan,
                     taken: list[Shipment], config: RoutingConfig, expires: Any) -> Allocation:
    fields = decisions.plan_fields(plan, taken, config.weights)
    fields["details"]["expires_at"] = expires.isoformat()
    decision = decisions.record(session, order=order, outcome=RESERVED_UNPAID, actor=actor, **fields)
    outbox.emit(session, "order.stock_reserved", aggregate_type="order", aggregate_id=order.id,
                actor=actor, payload={"order_no": order.order_no, "warehouses": [s.warehouse for s in taken],
                                      "expires_at": expires.isoformat()})
    return Allocation(RESERVED_UNPAID, taken[0].warehouse, decision)


def _backorder(session: Session, order: Order, actor: Actor, last: RoutingDecision | None,
               plan: Plan, config: RoutingConfig, needs: dict[str, int]) -> Allocation:
    fields = decisions.plan_fields(plan, (), config.weights)
    decision = decisions.record(session, order=order, outcome=AWAITING_STOCK, actor=actor, **fields)
    queue.enqueue(session, order=order, needs=needs, promised_date=plan.promised_date)
    if plan.promised_date:
        order.attributes = {**(order.attributes or {}), "promised_date": plan.promised_date.isoformat()}
    if last is not None and last.outcome == MANUAL:
        decisions.close_manual(session, order_id=order.id, actor=actor, resolution="backordered")
    transition(session, order, lc.AWAITING_STOCK, actor=actor, reason=f"routing: {plan.policy}",
               payload={"policy": plan.policy, "promised_date": fields["details"].get("promised_date")})
    if plan.policy == "transfer":
        outbox.emit(session, "order.transfer_requested", aggregate_type="order", aggregate_id=order.id,
                    actor=actor, payload={"order_no": order.order_no, "to": plan.warehouse,
                                          "moves": [m.as_dict() for m in plan.moves],
                                          "promised_date": plan.promised_date.isoformat()})
    return Allocation(AWAITING_STOCK, plan.warehouse, decision)


def _manual(session: Session, order: Order, actor: Actor, last: RoutingDecision | None,
            plan: Plan, config: RoutingConfig) -> Allocation:
    if last is not None and (last.outcome, last.reason) == (MANUAL, plan.reason) \
            and decisions.open_manual(session, order.id) is not None:
        return Allocation(MANUAL, None, last, note="queued already")
    fields = decisions.plan_fields(plan, (), config.weights)
    decision = decisions.record(session, order=order, outcome=MANUAL, actor=actor, **fields)
    decisions.to_manual(session, order=order, reason=plan.reason, details=dict(plan.details),
                        actor=actor)
    return Allocation(MANUAL, None, decision)


def _note(session: Session, order: Order, actor: Actor, last: RoutingDecision | None, plan: Plan,
          config: RoutingConfig) -> Allocation:
    """An unpaid order that cannot hold stock now: say why once, route again when it is paid."""
    if last is not None and (last.outcome, last.policy, last.reason) == (SKIPPED, plan.policy, plan.reason):
        return Allocation(SKIPPED, None, last, note=plan.reason)
    fields = decisions.plan_fields(plan, (), config.weights)
    decision = decisions.record(session, order=order, outcome=SKIPPED, actor=actor, **fields)
    return Allocation(SKIPPED, None, decision, note=plan.reason)


def _locked(session: Session, order_id: int, *, missing_ok: bool = False) -> Order | None:
    stmt = (select(Order).where(Order.id == order_id).with_for_update(of=Order)
            .execution_options(populate_existing=True))
    order = session.scalar(stmt)
    if order is None and not missing_ok:
        raise InvalidInput(f"no order with id {order_id}", details={"order_id": order_id})
    return order


def _firm(order: Order) -> bool:
    if order.status == lc.ON_HOLD:
        return order.held_from in FIRM
    return order.status in FIRM


def _none_left(session: Session, sku: str) -> bool:
    return all(qty <= 0 for qty in inventory.availability(session, skus=[sku]).values())
