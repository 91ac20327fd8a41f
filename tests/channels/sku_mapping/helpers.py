"""Builders for the SKU mapping tests: orders received through the real pipeline (so the default
rule pack holds the unmapped ones), SKUs, stock and warehouses through inventory's use cases."""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from orderhub import pipeline
from orderhub.core.models import OutboxEvent
from orderhub.orders.models import Order
from orderhub.orders.schemas import OrderIn
from orderhub.rules.pack import install_default_pack
from tests.builders import TEST_ACTOR, ensure_shop, order_payload
from tests.routing.helpers import put_stock, seed

_buyers = itertools.count(1)


def setup(session: Session, *, stock: dict[str, dict[str, int]] | None = None) -> dict[str, int]:
    """Default rules, warehouses HZ/GZ/CD, SKUs A, B, C, KIT, and stock (A and B in HZ)."""
    install_default_pack(session, actor=TEST_ACTOR)
    ids = seed(session)
    put_stock(session, ids, stock if stock is not None else {"HZ": {"A": 10, "B": 10, "C": 10}})
    return ids


def receive(session: Session, *, lines: list[tuple[str, int]], shop: str = "own-store",
            status: str = "paid", **overrides: Any) -> Order:
    """An order as a platform sends it: (platform SKU, quantity) per line, no internal SKU; a
    different buyer each time so no duplicate-order rule gets in the way."""
    n = next(_buyers)
    ensure_shop(session, shop)
    fields: dict[str, Any] = {
        "shop": shop, "status": status, "buyer_remark": "",
        "paid_at": "2026-11-23T10:03:40+08:00" if status == "paid" else None,
        "lines": [{"platform_sku": p, "title": f"平台商品 {p}", "quantity": q, "unit_price": "10.00",
                   "discount": "0.00"} for p, q in lines],
        "total": f"{10 * sum(q for _, q in lines)}.00",
        "receiver": {"name": f"买家{n}", "phone": f"1380013{n:04d}", "province": "浙江省",
                     "city": "杭州市", "district": "西湖区", "address": f"文三路{n}号"}}
    payload = order_payload(**{**fields, **overrides})
    return pipeline.receive(session, data=OrderIn.model_validate(payload), raw=payload, source="test",
                            actor=TEST_ACTOR).order


def open_reasons(order: Order) -> list[str]:
    return sorted(h.reason_code for h in order.holds if h.status == "open")


def events(session: Session, topic: str, order_id: int) -> list[OutboxEvent]:
    return list(session.scalars(select(OutboxEvent).where(
        OutboxEvent.topic == topic, OutboxEvent.aggregate_id == str(order_id)).order_by(OutboxEvent.id)))
