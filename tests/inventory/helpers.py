"""Builders for stock-pool tests: small typed functions, no hidden state."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from orderhub.core.models import OutboxEvent
from orderhub.inventory import service
from orderhub.inventory.models import Warehouse
from tests.builders import TEST_ACTOR

ACTOR = TEST_ACTOR


def make_warehouse(session: Session, code: str = "HZ", **fields: object) -> Warehouse:
    fields.setdefault("name", f"{code} 仓")
    fields.setdefault("daily_capacity", 500)
    wh, _ = service.upsert_warehouse(session, code=code, actor=ACTOR, **fields)
    return wh


def make_sku(session: Session, code: str, **fields: object) -> str:
    fields.setdefault("name", code)
    service.upsert_sku(session, code=code, actor=ACTOR, **fields)
    return code


def stocked(session: Session, code: str, warehouse: Warehouse, on_hand: int, *,
            safety: int = 0) -> str:
    """An SKU with `on_hand` units in the warehouse (created if new)."""
    make_sku(session, code)
    service.set_level(session, sku=code, warehouse_id=warehouse.id, on_hand=on_hand,
                      safety_stock=safety, actor=ACTOR, reason="test stock")
    return code


def levels(session: Session, code: str, warehouse: Warehouse) -> tuple[int, int]:
    level = service.level_of(session, code, warehouse.id)
    assert level is not None
    return level.on_hand, level.reserved


def events(session: Session, topic: str) -> list[OutboxEvent]:
    session.flush()
    return list(session.scalars(select(OutboxEvent).where(OutboxEvent.topic == topic)
                                .order_by(OutboxEvent.id)))
