"""Builders for the outbound-scan tests: a stocked warehouse, orders taken to label_printed
through the real use cases (reserve, transition) with a waybill row like the carriers store."""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from orderhub.core import clock
from orderhub.fulfilment.carriers import accounts
from orderhub.fulfilment.carriers.models import CarrierAccount, Waybill
from orderhub.inventory import reservations
from orderhub.inventory.models import Warehouse
from orderhub.orders import lifecycle as lc
from orderhub.orders.models import Order
from orderhub.orders.service import transition
from tests.builders import TEST_ACTOR, ensure_shop, make_order
from tests.inventory.helpers import make_warehouse, stocked

SKU = "YD-2026-BLK-M"
ACTOR = TEST_ACTOR
_numbers = itertools.count(1)
SENDER = {"name": "杭州仓发货组", "mobile": "13900001111", "province": "浙江省", "city": "杭州市",
          "district": "余杭区", "detail": "仓前街道文一西路1号"}


def warehouse(session: Session, on_hand: int = 10) -> Warehouse:
    """The HZ warehouse holding `on_hand` units of SKU (call once per test)."""
    wh = make_warehouse(session, "HZ")
    stocked(session, SKU, wh, on_hand)
    return wh


def account(session: Session) -> CarrierAccount:
    found = session.scalar(select(CarrierAccount).where(CarrierAccount.name == "ZTO-test"))
    return found or accounts.create_account(
        session, name="ZTO-test", carrier="ZTO", source="cainiao", base_url="http://127.0.0.1:9",
        app_key="k", secrets={"app_secret": "s", "access_token": "t"}, sender=SENDER)


def new_tracking_no() -> str:
    return f"75{next(_numbers):010d}"


def paid_order(session: Session, *, shop: str = "own-store", channel: str = "webhook",
               quantity: int = 1, **overrides: Any) -> Order:
    ensure_shop(session, shop, channel)
    return make_order(session, shop=shop, lines=[
        {"platform_sku": SKU, "title": "冬季加厚羽绒服 黑色 M", "quantity": quantity,
         "unit_price": "379.00", "discount": "0.00"}], total=f"{379 * quantity}.00",
        **overrides)


def allocated_order(session: Session, wh: Warehouse, **kwargs: Any) -> Order:
    order = paid_order(session, **kwargs)
    quantity = order.lines[0].quantity
    assert reservations.reserve(session, order_id=order.id, warehouse_id=wh.id,
                                lines=[(SKU, quantity)], actor=ACTOR)
    transition(session, order, lc.ALLOCATED, actor=ACTOR)
    return order


def issue(session: Session, order: Order, tracking_no: str | None = None) -> Waybill:
    """A waybill row as carriers.service stores one."""
    waybill = Waybill(order_id=order.id, account_id=account(session).id, carrier="ZTO",
                      tracking_no=tracking_no or new_tracking_no(), status="issued")
    session.add(waybill)
    session.flush()
    return waybill


def printed_order(session: Session, wh: Warehouse, *, tracking_no: str | None = None,
                  **kwargs: Any) -> tuple[Order, Waybill]:
    order = allocated_order(session, wh, **kwargs)
    waybill = issue(session, order, tracking_no)
    transition(session, order, lc.LABEL_PRINTED, actor=ACTOR)
    return order, waybill


def void(session: Session, waybill: Waybill) -> None:
    waybill.status, waybill.voided_at = "void", clock.now()
    session.flush()
