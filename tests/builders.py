"""Small typed data builders (no hidden fixture state)."""

from __future__ import annotations

import copy
import itertools
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from orderhub.core.actor import Actor
from orderhub.orders.models import Order, Shop
from orderhub.orders.schemas import OrderIn
from orderhub.orders.service import create_shop, receive_order

TEST_ACTOR = Actor(kind="user", name="tester", id=None, role="admin")
_counter = itertools.count(1)

OWN_STORE_ORDER: dict[str, Any] = {
    "shop": "own-store", "platform_order_id": "MP20261123000017", "status": "paid",
    "created_at": "2026-11-23T10:02:11+08:00", "paid_at": "2026-11-23T10:03:40+08:00",
    "buyer": {"id": "u-88231", "nick": "小鹿"},
    "receiver": {"name": "张三", "phone": "13800138000", "province": "浙江省", "city": "杭州市",
                 "district": "西湖区", "address": "文三路90号东部软件园3号楼"},
    "buyer_remark": "请周末不要送货", "seller_memo": "", "currency": "CNY",
    "lines": [{"platform_sku": "YD-2026-BLK-M", "title": "冬季加厚羽绒服 黑色 M", "quantity": 1,
               "unit_price": "399.00", "discount": "20.00"}],
    "shipping_fee": "0.00", "total": "379.00", "presale": False, "promised_ship_at": None,
}


def order_payload(**overrides: Any) -> dict[str, Any]:
    data = copy.deepcopy(OWN_STORE_ORDER)
    data["platform_order_id"] = f"MP-T{next(_counter):08d}"
    for key, value in overrides.items():
        data[key] = value
    return data


def ensure_shop(session: Session, name: str = "own-store", channel: str = "webhook") -> Shop:
    shop = session.scalar(select(Shop).where(Shop.name == name))
    return shop or create_shop(session, name=name, channel=channel, actor=TEST_ACTOR)


def make_order(session: Session, **overrides: Any) -> Order:
    payload = order_payload(**overrides)
    ensure_shop(session, payload["shop"])
    return receive_order(session, data=OrderIn.model_validate(payload), raw=payload, source="test",
                         actor=TEST_ACTOR).order
