"""Reading orders: search with keyset (cursor) pagination, one order with its timeline and audit."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from orderhub.core.errors import InvalidInput
from orderhub.core.models import AuditEntry, OutboxEvent
from orderhub.orders.models import Order, Shop


@dataclass(frozen=True)
class OrderFilter:
    status: str | None = None
    channel: str | None = None
    shop: str | None = None
    order_no: str | None = None
    platform_order_id: str | None = None
    phone_tail: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None


@dataclass
class Page:
    items: list[Order]
    next_cursor: str | None


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"o:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, value = raw.split(":", 1)
        if kind != "o":
            raise ValueError
        return int(value)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput("the cursor is not one this API gave out",
                           details={"cursor": cursor}) from None


def search_orders(session: Session, flt: OrderFilter, *, cursor: str | None = None,
                  limit: int = 50) -> Page:
    """Newest first. Keyset pagination on id, so pages stay fast and stable while orders arrive."""
    if not 1 <= limit <= 200:
        raise InvalidInput("limit must be between 1 and 200", details={"limit": limit})
    stmt = select(Order).options(selectinload(Order.holds)).order_by(Order.id.desc()).limit(limit + 1)
    if cursor:
        stmt = stmt.where(Order.id < decode_cursor(cursor))
    rows = list(session.scalars(apply_filter(stmt, flt)))
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(items=rows, next_cursor=encode_cursor(rows[-1].id) if more and rows else None)


def apply_filter(stmt: Select[Any], flt: OrderFilter) -> Select[Any]:
    """The filter's conditions on a query of orders (other capabilities sort it their way,
    e.g. sla by deadline)."""
    if flt.status:
        stmt = stmt.where(Order.status == flt.status)
    if flt.channel:
        stmt = stmt.where(Order.channel == flt.channel)
    if flt.shop:
        stmt = stmt.where(Order.shop_id.in_(select(Shop.id).where(Shop.name == flt.shop)))
    if flt.order_no:
        stmt = stmt.where(Order.order_no == flt.order_no.strip().upper())
    if flt.platform_order_id:
        stmt = stmt.where(Order.platform_order_id == flt.platform_order_id.strip())
    if flt.phone_tail:
        stmt = stmt.where(Order.receiver_phone_tail == flt.phone_tail.strip()[-4:])
    if flt.created_from:
        stmt = stmt.where(Order.created_at >= flt.created_from)
    if flt.created_to:
        stmt = stmt.where(Order.created_at < flt.created_to)
    return stmt


def order_events(session: Session, order: Order) -> list[OutboxEvent]:
    stmt = (select(OutboxEvent)
            .where(OutboxEvent.aggregate_type == "order", OutboxEvent.aggregate_id == str(order.id))
            .order_by(OutboxEvent.id))
    return list(session.scalars(stmt))


def order_audit(session: Session, order: Order) -> list[AuditEntry]:
    stmt = (select(AuditEntry)
            .where(AuditEntry.entity_type == "order", AuditEntry.entity_id == order.order_no)
            .order_by(AuditEntry.id))
    return list(session.scalars(stmt))
