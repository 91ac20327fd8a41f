"""Reading SLA rows: deadlines for a page of orders, and the work queue in deadline order."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session, selectinload

from orderhub.core.errors import InvalidInput
from orderhub.orders.models import Order
from orderhub.orders.queries import OrderFilter, Page, apply_filter
from orderhub.sla.models import OrderSla


def deadlines_for(session: Session, order_ids: Iterable[int]) -> dict[int, OrderSla]:
    ids = list(set(order_ids))
    if not ids:
        return {}
    return {r.order_id: r for r in session.scalars(select(OrderSla).where(OrderSla.order_id.in_(ids)))}


@dataclass(frozen=True)
class QueueEntry:
    sla: OrderSla
    order: Order


def work_queue(session: Session, *, stage: str | None = None, person_id: int | None = None,
               limit: int = 100) -> list[QueueEntry]:
    """Open stages, the nearest deadline first (the breach index serves the order)."""
    stmt = (select(OrderSla, Order).join(Order, Order.id == OrderSla.order_id)
            .where(OrderSla.closed_at.is_(None))
            .order_by(OrderSla.deadline, OrderSla.order_id).limit(limit))
    if stage:
        stmt = stmt.where(OrderSla.stage == stage)
    if person_id is not None:
        stmt = stmt.where(OrderSla.person_id == person_id)
    return [QueueEntry(sla=s, order=o) for s, o in session.execute(stmt).all()]


def _encode(deadline: datetime, order_id: int) -> str:
    raw = f"d:{deadline.isoformat()}|{order_id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, value = raw.split(":", 1)
        when, order_id = value.rsplit("|", 1)
        if kind != "d":
            raise ValueError
        return datetime.fromisoformat(when), int(order_id)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput("the cursor is not one this list gave out",
                           details={"cursor": cursor}) from None


def search_by_deadline(session: Session, flt: OrderFilter, *, cursor: str | None = None,
                       limit: int = 50) -> Page:
    """Orders with a stage in progress, the nearest deadline first, with the order list's
    filters. Keyset pagination on (deadline, order id)."""
    if not 1 <= limit <= 200:
        raise InvalidInput("limit must be between 1 and 200", details={"limit": limit})
    stmt = (select(Order).join(OrderSla, OrderSla.order_id == Order.id)
            .options(selectinload(Order.holds)).where(OrderSla.closed_at.is_(None))
            .order_by(OrderSla.deadline, OrderSla.order_id).limit(limit + 1))
    if cursor:
        after, after_id = _decode(cursor)
        stmt = stmt.where(tuple_(OrderSla.deadline, OrderSla.order_id) > tuple_(after, after_id))
    rows = list(session.scalars(apply_filter(stmt, flt)))
    more = len(rows) > limit
    rows = rows[:limit]
    if not (more and rows):
        return Page(items=rows, next_cursor=None)
    last = session.get(OrderSla, rows[-1].id)
    assert last is not None
    return Page(items=rows, next_cursor=_encode(last.deadline, last.order_id))
