"""Builders for routing tests: three warehouses like the demo's, SKUs, stock, orders with
internal SKUs, all made through the owning capabilities' use cases."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from orderhub.core.models import OutboxEvent
from orderhub.inventory import service as inventory
from orderhub.inventory.models import Warehouse
from orderhub.orders.models import Order
from orderhub.routing import regions
from tests.builders import TEST_ACTOR, make_order

WAREHOUSES = {
    "HZ": {"name": "杭州仓", "province": "浙江省", "daily_capacity": 800, "error_rate": 0.01,
           "serves_provinces": ["浙江省", "江苏省", "上海市", "安徽省"],
           "delivery_days": {"浙江省": 1, "江苏省": 1, "上海市": 1, "安徽省": 1, "广东省": 3,
                             "四川省": 3, "新疆维吾尔自治区": 5}},
    "GZ": {"name": "广州仓", "province": "广东省", "daily_capacity": 600, "error_rate": 0.01,
           "serves_provinces": ["广东省", "广西壮族自治区", "福建省", "新疆维吾尔自治区",
                                "西藏自治区", "浙江省", "四川省"],
           "delivery_days": {"广东省": 1, "浙江省": 3, "四川省": 3, "新疆维吾尔自治区": 4,
                             "西藏自治区": 4}},
    "CD": {"name": "成都仓", "province": "四川省", "daily_capacity": 400, "error_rate": 0.01,
           "serves_provinces": ["四川省", "重庆市", "西藏自治区"],
           "delivery_days": {"四川省": 1, "重庆市": 1, "西藏自治区": 3, "浙江省": 4}},
}
def seed(session: Session, *, rules: bool = True) -> dict[str, int]:
    """Warehouses HZ, GZ, CD; SKUs A, B, C; and KIT = 1 A + 2 B. Returns code -> warehouse id."""
    ids = {}
    for code, fields in WAREHOUSES.items():
        wh, _ = inventory.upsert_warehouse(session, code=code, actor=TEST_ACTOR, **fields)
        ids[code] = wh.id
    for code in ("A", "B", "C", "KIT"):
        inventory.upsert_sku(session, code=code, actor=TEST_ACTOR, name=f"商品 {code}")
    inventory.set_bundle(session, code="KIT", parts=[("A", 1), ("B", 2)], actor=TEST_ACTOR)
    if rules:
        regions.create_rule(session, actor=TEST_ACTOR, name="江浙沪", priority=10,
                            provinces=["江苏省", "浙江省", "上海市"], warehouse_code="HZ")
        regions.create_rule(session, actor=TEST_ACTOR, name="偏远地区", priority=20,
                            provinces=["新疆维吾尔自治区", "西藏自治区", "青海省", "内蒙古自治区"],
                            warehouse_code="GZ")
    return ids


def put_stock(session: Session, ids: dict[str, int], levels: dict[str, dict[str, int]]) -> None:
    """levels as {"HZ": {"A": 5}}: on hand set to exactly that."""
    for code, per in levels.items():
        for sku, qty in per.items():
            inventory.set_level(session, sku=sku, warehouse_id=ids[code], on_hand=qty, actor=TEST_ACTOR)


def available(session: Session, ids: dict[str, int], code: str, sku: str) -> int:
    return inventory.availability(session, skus=[sku], warehouse_ids=[ids[code]]).get((sku, ids[code]), 0)


def order(session: Session, *, lines: list[tuple[str | None, int]] | None = None,
          province: str = "浙江省", status: str = "paid", paid_at: str | None = None,
          **overrides: Any) -> Order:
    """An own-store order whose lines carry internal SKUs (None = unmapped)."""
    lines = lines or [("A", 1)]
    payload_lines = [{"platform_sku": f"P-{sku or 'X'}-{i}", "sku": sku, "title": f"商品 {sku}",
                      "quantity": qty, "unit_price": "10.00", "discount": "0.00"}
                     for i, (sku, qty) in enumerate(lines)]
    receiver = {"name": "张三", "phone": "13800138000", "province": province, "city": "某市",
                "district": "某区", "address": "某路1号"}
    extra: dict[str, Any] = {"status": status, "lines": payload_lines, "receiver": receiver,
                             "total": f"{10 * sum(q for _, q in lines)}.00"}
    if status != "paid":
        extra["paid_at"] = None
    elif paid_at:
        extra["paid_at"] = paid_at
    return make_order(session, **{**extra, **overrides})


def events(session: Session, topic: str, order_id: int | None = None) -> list[OutboxEvent]:
    stmt = select(OutboxEvent).where(OutboxEvent.topic == topic).order_by(OutboxEvent.id)
    if order_id is not None:
        stmt = stmt.where(OutboxEvent.aggregate_id == str(order_id))
    return list(session.scalars(stmt))


def warehouse(session: Session, code: str) -> Warehouse:
    return session.scalar(select(Warehouse).where(Warehouse.code == code))


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)
