"""Replenishment: stock rows whose available fell below their safety stock, with a suggested
purchase quantity from the recent sales velocity.

Sales are the units reserved in the window minus those released again (cancelled or expired),
from the ledger. The velocity is the higher of the 14-day and the 30-day daily rate (a rising
trend shows in the 14 days first). The suggestion covers lead time plus the cover period at that
rate, plus the safety stock, minus what is available and already on its way:

    suggested = ceil(velocity x (lead_days + cover_days)) + safety - available - in_transit
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from fractions import Fraction

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from orderhub.core import clock
from orderhub.inventory.models import Sku, StockLevel, StockMovement, Warehouse

LEAD_DAYS, COVER_DAYS = 7, 14


@dataclass(frozen=True)
class Suggestion:
    sku: str
    name: str
    warehouse: str
    available: int
    safety_stock: int
    in_transit: int
    sold_14d: int
    sold_30d: int
    velocity_per_day: float
    suggested: int


def _sold_since(session: Session, since: datetime) -> dict[tuple[int, int], int]:
    m = StockMovement
    net = func.sum(case((m.kind == "reserve", m.reserved_delta),
                        (m.kind == "release", m.reserved_delta), else_=0))
    stmt = (select(m.sku_id, m.warehouse_id, net).where(m.at >= since, m.kind.in_(("reserve", "release")))
            .group_by(m.sku_id, m.warehouse_id))
    return {(s, w): max(int(n or 0), 0) for s, w, n in session.execute(stmt)}


def suggestions(session: Session, *, lead_days: int = LEAD_DAYS, cover_days: int = COVER_DAYS,
                only_low: bool = True) -> list[Suggestion]:
    now = clock.now()
    sold14 = _sold_since(session, now - timedelta(days=14))
    sold30 = _sold_since(session, now - timedelta(days=30))
    stmt = (select(StockLevel, Sku.code, Sku.name, Warehouse.code)
            .join(Sku, Sku.id == StockLevel.sku_id).join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
            .where(Sku.active.is_(True), Warehouse.active.is_(True)).order_by(Sku.code, Warehouse.code))
    if only_low:
        stmt = stmt.where(StockLevel.on_hand - StockLevel.reserved < StockLevel.safety_stock)
    out = []
    for level, code, name, wh in session.execute(stmt):
        key = (level.sku_id, level.warehouse_id)
        s14, s30 = sold14.get(key, 0), sold30.get(key, 0)
        velocity = max(Fraction(s14, 14), Fraction(s30, 30))  # exact: no 87.00000001 -> 88
        available = level.on_hand - level.reserved
        want = math.ceil(velocity * (lead_days + cover_days)) + level.safety_stock
        out.append(Suggestion(sku=code, name=name, warehouse=wh, available=available,
                              safety_stock=level.safety_stock, in_transit=level.in_transit,
                              sold_14d=s14, sold_30d=s30, velocity_per_day=round(float(velocity), 2),
                              suggested=max(want - available - level.in_transit, 0)))
    return out


def to_csv(rows: list[Suggestion]) -> str:
    buf = io.StringIO()
    fields = list(Suggestion.__dataclass_fields__)
    writer = csv.DictWriter(buf, fieldnames=fields)
    writer.writeheader()
    for row in rows:
        writer.writerow(asdict(row))
    return buf.getvalue()
