"""Order use cases: receive (create or upsert with change detection), transition, cancel."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from orderhub.core import audit, clock, outbox
from orderhub.core.actor import Actor
from orderhub.core.db import is_postgres
from orderhub.core.errors import (
    IllegalTransition,
    InvalidInput,
    OrderNotFound,
    UnknownShop,
)
from orderhub.core.ids import order_numbers
from orderhub.core.money import check_currency, to_minor
from orderhub.core.settings import get_settings
from orderhub.orders import lifecycle as lc
from orderhub.orders.models import CHANNELS, Order, OrderLine, RawPayload, Shop
from orderhub.orders.schemas import OrderIn

ADDRESS_FIELDS = ("receiver_name", "receiver_phone", "receiver_province", "receiver_city",
                  "receiver_district", "receiver_street", "receiver_detail", "receiver_zip",
                  "receiver_country")
REMARK_FIELDS = ("buyer_remark", "seller_memo")
HEADER_FIELDS = ADDRESS_FIELDS + REMARK_FIELDS + (
    "buyer_id", "buyer_nick", "currency", "goods_total", "discount_total", "shipping_fee", "total",
    "created_at", "paid_at", "modified_at", "presale", "promised_ship_at", "tags", "priority")
INPUT_STATUS = {"unpaid": lc.PENDING_PAYMENT}
# Statuses a platform may report that move an existing order, in the order they happen.
PLATFORM_FORWARD = (lc.PAID, lc.SHIPPED, lc.DELIVERED, lc.COMPLETED)


@dataclass
class Received:
    order: Order
    created: bool
    changes: list[str] = field(default_factory=list)
    stale: bool = False


def create_shop(session: Session, *, name: str, channel: str, actor: Actor,
                display_name: str = "") -> Shop:
    if channel not in CHANNELS:
        raise InvalidInput(f"unknown channel {channel!r}", details={"allowed": list(CHANNELS)})
    if session.scalar(select(Shop).where(Shop.name == name)) is not None:
        raise InvalidInput(f"a shop named {name!r} exists already", details={"shop": name})
    shop = Shop(name=name, channel=channel, display_name=display_name or name, created_at=clock.now())
    session.add(shop)
    session.flush()
    audit.record(session, actor=actor, entity_type="shop", entity_id=shop.id, action="shop.created",
                 after={"name": name, "channel": channel})
    return shop


def find_shop(session: Session, name: str) -> Shop:
    shop = session.scalar(select(Shop).where(Shop.name == name))
    if shop is None or not shop.active:
        known = list(session.scalars(select(Shop.name).where(Shop.active.is_(True)).order_by(Shop.name)))
        raise UnknownShop(f"no active shop named {name!r}", details={"shop": name, "known": known})
    return shop


def receive_order(session: Session, *, data: OrderIn, raw: dict[str, Any], source: str,
                  actor: Actor) -> Received:
    """Create the order, or update it in place if (shop, platform order id) is known."""
    shop = find_shop(session, data.shop)
    fields, lines = canonical(data)
    _serialize_same_order(session, shop.id, data.platform_order_id)
    existing = _find(session, shop.id, data.platform_order_id)
    if existing is None:
        order = _create(session, shop, data, fields, lines, actor)
        _keep_raw(session, order, raw, source)
        return Received(order=order, created=True)
    result = _update(session, existing, data, fields, lines, actor)
    _keep_raw(session, existing, raw, source)
    return result


@dataclass(frozen=True)
class StatusChange:
    """What a status change writes: the audit row (keyword arguments of audit.record) and the
    event (the topic and keyword arguments of outbox.emit)."""

    audit: dict[str, Any]
    topic: str
    event: dict[str, Any]


def transition(session: Session, order: Order, target: str, *, actor: Actor, reason: str = "",
               payload: dict[str, Any] | None = None) -> None:
    """The only way an order's status changes: checked, audited, and announced by an event."""
    change = change_status(order, target, actor=actor, reason=reason, payload=payload)
    audit.record(session, **change.audit)
    outbox.emit(session, change.topic, **change.event)


def change_status(order: Order, target: str, *, actor: Actor, reason: str = "",
                  payload: dict[str, Any] | None = None) -> StatusChange:
    """transition() without its two writes: checks the move, applies it to the order (in
    memory) and returns the audit row and the event to write. Only for a caller that writes
    them together with rows of its own in one statement (routing's allocation on PostgreSQL);
    everyone else calls transition()."""
    lc.check(order.status, target, held_from=order.held_from)
    # The holds matter only to or from on_hold: loading them (a query, and the autoflush that
    # comes with it) is spared every other change, e.g. paid -> allocated on the hot path.
    if order.status == lc.ON_HOLD and target not in lc.TERMINAL and _has_open_hold(order):
        raise IllegalTransition("the order has open holds; resolve them first",
                                details={"from": order.status, "to": target})
    if target == lc.ON_HOLD and not _has_open_hold(order):
        raise IllegalTransition("an order is put on hold by adding a hold",
                                details={"from": order.status, "to": target})
    before = order.status
    if target == lc.ON_HOLD:
        order.held_from = before
    elif before == lc.ON_HOLD:
        order.held_from = None
    order.status = target
    _touch(order)
    if target in lc.TERMINAL:
        _close_holds(order, actor, f"order {target}")
    released = before == lc.ON_HOLD and target not in (lc.CANCELLED, lc.CLOSED)
    return StatusChange(
        audit={"actor": actor, "entity_type": "order", "entity_id": order.order_no,
               "action": "order.status_changed", "before": {"status": before},
               "after": {"status": target, "reason": reason} if reason else {"status": target}},
        topic="order.released" if released else lc.EVENT_FOR[target],
        event={"aggregate_type": "order", "aggregate_id": order.id, "actor": actor,
               "payload": {"order_no": order.order_no, "from": before, "to": target,
                           "reason": reason, **(payload or {})}})


def _has_open_hold(order: Order) -> bool:
    return any(h.status == "open" for h in order.holds)


def _close_holds(order: Order, actor: Actor, resolution: str) -> None:
    for hold in order.holds:
        if hold.status == "open":
            hold.status, hold.resolution = "resolved", resolution
            hold.resolved_by, hold.resolved_at = actor.name, clock.now()


def cancel_order(session: Session, *, order_no: str, actor: Actor, reason: str) -> Order:
    order = get_order(session, order_no, for_update=True)
    transition(session, order, lc.CANCELLED, actor=actor, reason=reason)
    return order


def get_order(session: Session, order_no: str, *, for_update: bool = False) -> Order:
    """By global order number, or failing that by platform order id (CS get asked both)."""
    stmt = select(Order).where(Order.order_no == order_no)
    if for_update:
        stmt = stmt.with_for_update(of=Order)
    order = session.scalar(stmt)
    if order is None:
        alt = select(Order).where(Order.platform_order_id == order_no).order_by(Order.id).limit(2)
        if for_update:
            alt = alt.with_for_update(of=Order)
        found = list(session.scalars(alt))
        if len(found) == 1:
            order = found[0]
    if order is None:
        raise OrderNotFound(f"no order {order_no!r}", details={"order_no": order_no})
    return order


def phone_tail(phone: str) -> str:
    return re.sub(r"\D", "", phone)[-4:]


def _serialize_same_order(session: Session, shop_id: int, platform_order_id: str) -> None:
    """Two copies of one order (a push and a pull, say) must not both see "not there yet" and
    both insert. SQLite runs one writer at a time already (BEGIN IMMEDIATE); on PostgreSQL a
    transaction-scoped advisory lock on (shop, platform order id) queues the second copy behind
    the first, which costs one round trip where a savepoint-and-retry cost two."""
    if is_postgres(session):
        session.execute(text("SELECT pg_advisory_xact_lock(:shop, hashtext(:pid))"),
                        {"shop": shop_id, "pid": platform_order_id})


def _find(session: Session, shop_id: int, platform_order_id: str) -> Order | None:
    stmt = (select(Order).where(Order.shop_id == shop_id, Order.platform_order_id == platform_order_id)
            .with_for_update(of=Order))
    return session.scalar(stmt)


def canonical(data: OrderIn) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    zone = get_settings().timezone
    currency = check_currency(data.currency)
    lines = []
    for no, line in enumerate(data.lines, start=1):
        price = _minor(line.unit_price, currency, f"lines[{no - 1}].unit_price")
        discount = _minor(line.discount, currency, f"lines[{no - 1}].discount")
        if price * line.quantity >= 10**15:
            raise InvalidInput(f"lines[{no - 1}]: quantity x unit_price is implausibly large",
                               details={"field": f"lines[{no - 1}].quantity"})
        if discount > price * line.quantity:
            raise InvalidInput(f"lines[{no - 1}].discount is larger than the line's amount",
                               details={"field": f"lines[{no - 1}].discount"})
        lines.append({"line_no": no, "platform_sku": line.platform_sku, "sku": line.sku,
                      "platform_line_id": line.platform_line_id, "title": line.title,
                      "quantity": line.quantity, "unit_price": price, "discount": discount,
                      "refund_status": line.refund_status})
    goods = sum(l["unit_price"] * l["quantity"] for l in lines)
    shipping = _minor(data.shipping_fee, currency, "shipping_fee")
    payable = goods - sum(l["discount"] for l in lines) + shipping
    # The platform's total is authoritative: a difference is an order-level discount (coupon).
    total = payable if data.total is None else _minor(data.total, currency, "total")
    r = data.receiver
    fields = {
        "buyer_id": data.buyer.id, "buyer_nick": data.buyer.nick,
        "receiver_name": r.name, "receiver_phone": r.phone, "receiver_province": r.province,
        "receiver_city": r.city, "receiver_district": r.district, "receiver_street": r.street,
        "receiver_detail": r.address, "receiver_zip": r.zip, "receiver_country": r.country.upper(),
        "buyer_remark": data.buyer_remark, "seller_memo": data.seller_memo, "currency": currency,
        "goods_total": goods, "discount_total": goods + shipping - total, "shipping_fee": shipping,
        "total": total, "created_at": clock.to_utc(data.created_at, zone),
        "paid_at": clock.to_utc(data.paid_at, zone) if data.paid_at else None,
        "modified_at": clock.to_utc(data.modified_at, zone) if data.modified_at else None,
        "presale": data.presale,
        "promised_ship_at": clock.to_utc(data.promised_ship_at, zone) if data.promised_ship_at else None,
        "tags": list(dict.fromkeys(data.tags)), "priority": data.priority,
    }
    return fields, lines


def _minor(amount: str, currency: str, field: str) -> int:
    """to_minor, remembered: a page repeats the same few prices, fees and zero discounts. Only
    strings (what OrderIn holds) are remembered: 1.0 == 1 == True would share an entry."""
    if type(amount) is not str:
        return to_minor(amount, currency, field=field)
    try:
        return _known_minor(amount, currency)
    except InvalidInput:
        return to_minor(amount, currency, field=field)  # raises again, naming the field


@lru_cache(maxsize=4096)
def _known_minor(amount: str, currency: str) -> int:
    return to_minor(amount, currency)


def _create(session: Session, shop: Shop, data: OrderIn, fields: dict[str, Any],
            lines: list[dict[str, Any]], actor: Actor) -> Order:
    row = new_order_row(shop, data, fields, order_no=next_order_no(session), now=clock.now())
    order = Order(**row)
    order.lines = [OrderLine(**line) for line in lines]
    session.add(order)
    session.flush()
    record_created(session, shop=shop, order_id=order.id, row=row, fields=fields, lines=lines,
                   actor=actor)
    return order


# --- the first version of an order: shared by receive_order and orders/bulk.py ---------------


def initial_status(data: OrderIn) -> str:
    return INPUT_STATUS.get(data.status, data.status)


def next_order_no(session: Session) -> str:
    return order_numbers(session.get_bind(), get_settings().timezone).next()


def order_number_source(session: Session) -> Callable[[], str]:
    """next_order_no for many orders: the generator looked up once."""
    return order_numbers(session.get_bind(), get_settings().timezone).next


def new_order_row(shop: Shop, data: OrderIn, fields: dict[str, Any], *, order_no: str,
                  now: Any) -> dict[str, Any]:
    """Every column of a new order (but its id), from the canonical fields. The one definition
    both intake paths use, so a bulk-created order is the row receive_order would have written."""
    return {"order_no": order_no, "shop_id": shop.id, "channel": shop.channel,
            "platform_order_id": data.platform_order_id, "status": initial_status(data),
            "held_from": None, "platform_status": data.status,
            "receiver_phone_tail": phone_tail(fields["receiver_phone"]), "attributes": {},
            "received_at": now, "updated_at": now, "version": 1, **fields}


def record_created(session: Session, *, shop: Shop, order_id: int, row: dict[str, Any],
                   fields: dict[str, Any], lines: list[dict[str, Any]], actor: Actor) -> None:
    """The audit row and the order.created event of a new order (`lines` as received, before
    any SKU mapping)."""
    audit.record(session, actor=actor, entity_type="order", entity_id=row["order_no"],
                 action="order.created", after={"status": row["status"], **jsonable_fields(fields),
                                                "lines": _jsonable_lines(lines)})
    outbox.emit(session, "order.created", aggregate_type="order", aggregate_id=order_id, actor=actor,
                payload={"order_no": row["order_no"], "shop": shop.name, "channel": shop.channel,
                         "platform_order_id": row["platform_order_id"], "status": row["status"],
                         "total": row["total"], "currency": row["currency"]})


def raw_payload_row(order_id: int, raw: dict[str, Any], source: str) -> dict[str, Any]:
    return {"order_id": order_id, "received_at": clock.now(), "source": source, "payload": raw}


def _update(session: Session, order: Order, data: OrderIn, fields: dict[str, Any],
            lines: list[dict[str, Any]], actor: Actor) -> Received:
    result = Received(order=order, created=False)
    if fields["modified_at"] and order.modified_at and fields["modified_at"] < order.modified_at:
        result.stale = True  # an older copy arrived late: the newer one already applied
        return result
    before = {k: getattr(order, k) for k in HEADER_FIELDS}
    old_lines = _line_snapshot(order)
    _keep_sku_mapping(order, lines)
    for key, value in fields.items():
        setattr(order, key, value)
    order.receiver_phone_tail = phone_tail(order.receiver_phone)
    order.platform_status = data.status
    changed_b, changed_a = audit.changed_fields(_jsonable(before), _jsonable(fields))
    emit = _change_emitter(session, order, actor, result)
    if any(before[k] != fields[k] for k in ADDRESS_FIELDS):
        emit("order.address_changed", {"before": {k: before[k] for k in ADDRESS_FIELDS},
                                       "after": {k: fields[k] for k in ADDRESS_FIELDS}})
    if any(before[k] != fields[k] for k in REMARK_FIELDS):
        emit("order.remark_changed", {"before": {k: before[k] for k in REMARK_FIELDS},
                                      "after": {k: fields[k] for k in REMARK_FIELDS}})
    refunds, lines_changed = _apply_lines(order, lines, old_lines)
    if refunds:
        emit("order.refund_changed", {"lines": refunds})
    if lines_changed:
        new_lines = _line_snapshot(order)
        emit("order.lines_changed", {"before": old_lines, "after": new_lines})
        changed_b["lines"], changed_a["lines"] = old_lines, new_lines
    if changed_a:
        _touch(order)
        audit.record(session, actor=actor, entity_type="order", entity_id=order.order_no,
                     action="order.updated", before=changed_b, after=changed_a)
    _follow_platform_status(session, order, INPUT_STATUS.get(data.status, data.status), actor, result)
    return result


def _change_emitter(session: Session, order: Order, actor: Actor, result: Received):
    def emit(topic: str, payload: dict[str, Any]) -> None:
        result.changes.append(topic)
        outbox.emit(session, topic, aggregate_type="order", aggregate_id=order.id, actor=actor,
                    payload={"order_no": order.order_no, **_jsonable(payload)})
    return emit


def _keep_sku_mapping(order: Order, lines: list[dict[str, Any]]) -> None:
    """Platforms never send our internal SKU: a re-pulled line keeps the one mapped before."""
    stored = {line.line_no: line for line in order.lines}
    for new in lines:
        old = stored.get(new["line_no"])
        if new["sku"] is None and old is not None and old.platform_sku == new["platform_sku"]:
            new["sku"] = old.sku


def _apply_lines(order: Order, lines: list[dict[str, Any]],
                 old: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], bool]:
    """Refund status changes are reported on their own; any other line change counts as lines."""
    by_no = {line.line_no: line for line in order.lines}
    refunds = []
    for new in lines:
        line = by_no.get(new["line_no"])
        if line is not None and line.refund_status != new["refund_status"]:
            refunds.append({"line_no": line.line_no, "platform_sku": line.platform_sku,
                            "from": line.refund_status, "to": new["refund_status"]})
    strip = lambda snap: [{k: v for k, v in s.items() if k != "refund_status"} for s in snap]
    lines_changed = strip(old) != strip([_line_dict(l) for l in lines])
    # Update lines in place by number: replacing them would insert before deleting and collide.
    for new in lines:
        line = by_no.pop(new["line_no"], None)
        if line is None:
            order.lines.append(OrderLine(**new))
        else:
            for key, value in new.items():
                setattr(line, key, value)
    for gone in by_no.values():
        order.lines.remove(gone)
    return refunds, lines_changed


def _follow_platform_status(session: Session, order: Order, status: str, actor: Actor,
                            result: Received) -> None:
    """Move forward when the platform says so; never backwards (a late 'paid' after shipping)."""
    current = order.held_from if order.status == lc.ON_HOLD else order.status
    if status == lc.CLOSED and current not in (lc.PENDING_PAYMENT, lc.CLOSED):
        status = lc.CANCELLED  # platforms "close" a paid order refunded in full: for us, cancelled
    if status == current:
        return
    if status == lc.PAID and current == lc.PENDING_PAYMENT and order.status == lc.ON_HOLD:
        order.held_from = lc.PAID  # paid while held: the hold stays, the payment is recorded
        result.changes.append("order.paid")
        outbox.emit(session, "order.paid", aggregate_type="order", aggregate_id=order.id, actor=actor,
                    payload={"order_no": order.order_no, "from": current, "to": lc.PAID,
                             "while_on_hold": True})
        return
    if lc.allowed(order.status, status, held_from=order.held_from):
        transition(session, order, status, actor=actor, reason="platform status")
        result.changes.append(lc.EVENT_FOR[status])
        return
    result.changes.append("order.platform_status_ignored")
    outbox.emit(session, "order.platform_status_ignored", aggregate_type="order",
                aggregate_id=order.id, actor=actor,
                payload={"order_no": order.order_no, "status": order.status, "platform_status": status})


def _keep_raw(session: Session, order: Order, raw: dict[str, Any], source: str) -> None:
    session.add(RawPayload(**raw_payload_row(order.id, raw, source)))


def _touch(order: Order) -> None:
    order.updated_at = clock.now()
    order.version = (order.version or 0) + 1


LINE_FIELDS = ("line_no", "platform_sku", "sku", "title", "quantity", "unit_price", "discount",
               "refund_status")


def _line_dict(line: dict[str, Any]) -> dict[str, Any]:
    return {k: line[k] for k in LINE_FIELDS}


def _line_snapshot(order: Order) -> list[dict[str, Any]]:
    return [{k: getattr(l, k) for k in LINE_FIELDS} for l in order.lines]


def _jsonable_lines(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [_line_dict(l) for l in lines]


# The only canonical fields that are not JSON as they are (canonical() makes them datetimes).
_TIME_FIELDS = ("created_at", "paid_at", "modified_at", "promised_ship_at")


def jsonable_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """_jsonable for canonical()'s fields, which knows where the datetimes are: it runs for
    every order created."""
    out = dict(fields)
    for key in _TIME_FIELDS:
        if out[key] is not None:
            out[key] = out[key].isoformat()
    return out


# Values that are JSON as they are: most of an order's fields, spared the hasattr below.
_PLAIN = frozenset({str, int, bool, type(None), list})


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return {k: (v if type(v) in _PLAIN or not hasattr(v, "isoformat") else v.isoformat())
            for k, v in values.items()}
