"""When an order must leave the warehouse: what labels, lists and the warehouse page sort by."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from orderhub.orders.models import Order
from orderhub.sla.models import OrderSla

# The SLA stages that end when the parcel is printed or handed over.
WAREHOUSE_STAGES = ("accept", "print", "ship")


def ship_deadlines(session: Session, order_ids: Iterable[int]) -> dict[int, datetime | None]:
    """Each order's open warehouse-stage SLA deadline, else the platform's promised ship time,
    else None (sorted last)."""
    ids = list(order_ids)
    found: dict[int, datetime | None] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        rows = session.execute(
            select(Order.id, Order.promised_ship_at, OrderSla.deadline, OrderSla.stage,
                   OrderSla.closed_at)
            .outerjoin(OrderSla, OrderSla.order_id == Order.id)
            .where(Order.id.in_(chunk))).all()
        for order_id, promised, deadline, stage, closed in rows:
            open_sla = deadline if stage in WAREHOUSE_STAGES and closed is None else None
            found[order_id] = open_sla or promised
    return found


def by_deadline(order_ids: Iterable[int], deadlines: dict[int, datetime | None]) -> list[int]:
    """Soonest deadline first; orders without one last, in the order given."""
    ids = list(order_ids)
    return sorted(ids, key=lambda i: (deadlines.get(i) is None, deadlines.get(i) or datetime.min))
