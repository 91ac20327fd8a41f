"""The warehouse page's data: a warehouse's allocated and printed orders by ship deadline, with
their waybill or why they wait for one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from orderhub.core import clock
from orderhub.fulfilment import deadlines
from orderhub.fulfilment.carriers import service as carriers
from orderhub.fulfilment.labels.service import PRINTABLE, URGENT_WITHIN, warehouses_of
from orderhub.orders import lifecycle as lc
from orderhub.orders.models import Order

MAX_ROWS = 500


@dataclass(frozen=True)
class Row:
    order: Order
    deadline: datetime | None
    tracking_no: str | None
    waiting: str | None  # why no waybill yet

    @property
    def left(self) -> tuple[str, int, int] | None:
        """(state, hours, minutes) until the deadline: ok | warning (within 4 h) | late."""
        if self.deadline is None:
            return None
        seconds = int((self.deadline - clock.now()).total_seconds())
        state = "late" if seconds < 0 else "warning" if seconds <= URGENT_WITHIN.total_seconds() else "ok"
        minutes = abs(seconds) // 60
        return state, minutes // 60, minutes % 60


@dataclass(frozen=True)
class Board:
    warehouses: list[str]  # every warehouse with allocated or printed orders
    warehouse: str | None
    allocated: list[Row]
    printed: list[Row]


def board(session: Session, warehouse: str | None) -> Board:
    orders = list(session.scalars(select(Order).where(Order.status.in_(PRINTABLE)).order_by(Order.id)))
    where = warehouses_of(session, [o.id for o in orders])
    codes = sorted({code for code in where.values() if code})
    chosen = warehouse if warehouse in codes else (codes[0] if codes else None)
    mine = [o for o in orders if where.get(o.id) == chosen]
    due = deadlines.ship_deadlines(session, [o.id for o in mine])
    by_id = {o.id: o for o in mine}
    rows = [_row(session, by_id[i], due.get(i)) for i in deadlines.by_deadline(by_id, due)[:MAX_ROWS]]
    return Board(warehouses=codes, warehouse=chosen,
                 allocated=[r for r in rows if r.order.status == lc.ALLOCATED],
                 printed=[r for r in rows if r.order.status == lc.LABEL_PRINTED])


def _row(session: Session, order: Order, deadline: datetime | None) -> Row:
    waybill = carriers.current_waybill(session, order.id)
    wait = carriers.waiting(session, order.id) if waybill is None else None
    return Row(order=order, deadline=deadline, tracking_no=waybill.tracking_no if waybill else None,
               waiting=wait.reason if wait else None)
