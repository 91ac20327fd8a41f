"""Builders for rules tests: SKUs with their facts, orders placed "now", evaluation by key."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from orderhub.core import clock
from orderhub.inventory.masterdata import upsert_sku
from orderhub.orders.models import Order
from orderhub.rules.models import Rule
from orderhub.rules.pack import install_default_pack
from orderhub.rules.service import evaluate
from tests.builders import TEST_ACTOR, make_order

GOOD_ADDRESS = {"name": "张三", "phone": "13800138000", "province": "浙江省", "city": "杭州市",
                "district": "西湖区", "address": "文三路90号东部软件园3号楼"}


def ago(minutes: float = 1) -> str:
    return (clock.now() - timedelta(minutes=minutes)).isoformat()


def sku(session: Session, code: str, *, category: str = "服装", purchase_limited: bool = False,
        presale: bool = False) -> str:
    # Created first, then given its facts (creating with the facts at once is refused today by
    # inventory.masterdata.upsert_sku: "multiple values for keyword argument").
    upsert_sku(session, code=code, actor=TEST_ACTOR, name=f"商品 {code}")
    upsert_sku(session, code=code, actor=TEST_ACTOR, category=category,
               purchase_limited=purchase_limited, presale=presale)
    return code


def line(code: str | None, *, quantity: int = 1, price: str = "100.00", **extra: Any) -> dict:
    return {"platform_sku": f"P-{code or 'X'}", "sku": code, "title": f"商品 {code}",
            "quantity": quantity, "unit_price": price, "discount": "0.00", **extra}


def place(session: Session, *, lines: list[dict] | None = None, receiver: dict | None = None,
          minutes_ago: float = 1, status: str = "paid", **overrides: Any) -> Order:
    """A clean order (mapped SKU, good address, no remark) unless overridden."""
    if lines is None:
        lines = [line(sku(session, "SKU-OK"))]
    total = overrides.pop("total", None)
    if total is None:
        total = f"{sum(float(l['unit_price']) * l['quantity'] for l in lines):.2f}"
    created = ago(minutes_ago)
    return make_order(session, lines=lines, receiver={**GOOD_ADDRESS, **(receiver or {})},
                      created_at=created, paid_at=created if status == "paid" else None,
                      status=status, buyer_remark=overrides.pop("buyer_remark", ""),
                      total=total, **overrides)


def fired(session: Session, order: Order, trigger: str = "order.created") -> set[str]:
    """Keys of the rules that fired."""
    firings = evaluate(session, order=order, trigger=trigger, actor=TEST_ACTOR)
    return {session.get(Rule, f.rule_id).key for f in firings}


def pack(session: Session) -> None:
    install_default_pack(session, actor=TEST_ACTOR)
