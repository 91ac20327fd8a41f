"""Helpers for the address change tests: a direct-carrier account on the simulator, orders
taken to `label_printed` through the owning use cases, and actors with roles."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from orderhub.core.actor import Actor
from orderhub.core.db import unit_of_work
from orderhub.fulfilment.carriers.models import Waybill
from orderhub.fulfilment.carriers.rules import create_rule
from orderhub.fulfilment.carriers.service import current_waybill, request_waybills
from orderhub.orders import lifecycle as lc
from orderhub.orders.models import Order
from orderhub.orders.service import get_order, transition
from tests.builders import TEST_ACTOR
from tests.fulfilment.carriers.support import Sims, add_account
from tests.fulfilment.carriers.support import order as carrier_order
from tests.support.fixtures import FakeClock

CS = Actor(kind="user", name="客服小王", id=None, role="cs")
SUPERVISOR = Actor(kind="user", name="主管老李", id=None, role="supervisor")
NEW_ADDRESS = {"name": "李四", "phone": "139 0013 9000", "province": "江苏", "city": "南京市",
               "district": "鼓楼区", "street": "", "detail": "中山北路30号5栋502", "zip": "210008"}


def carrier_setup(session: Session, sims: Sims) -> None:
    """Every order goes SF through the carrier's own API (the direct simulator)."""
    create_rule(session, name="default → SF", carrier="SF", is_default=True)
    add_account(session, sims, carrier="SF", source="direct")


def new_order(engine: Engine) -> str:
    with unit_of_work(engine) as session:
        return carrier_order(session).order_no


def at_minutes_after_creation(engine: Engine, clock: FakeClock, order_no: str, minutes: float) -> None:
    with unit_of_work(engine) as session:
        created = get_order(session, order_no).created_at
    clock.set(created + timedelta(minutes=minutes))


def to_status(engine: Engine, order_no: str, *targets: str) -> None:
    for target in targets:
        with unit_of_work(engine) as session:
            transition(session, get_order(session, order_no, for_update=True), target, actor=TEST_ACTOR)


def print_label(engine: Engine, order_no: str) -> str:
    """Take the waybill from the simulator and mark the label printed; returns the number."""
    with unit_of_work(engine) as session:
        order = get_order(session, order_no)
        order_id, status = order.id, order.status
    if status == lc.PAID:
        to_status(engine, order_no, lc.ALLOCATED)
    report = request_waybills(engine, order_ids=[order_id])
    assert order_id in report.issued, report
    to_status(engine, order_no, lc.LABEL_PRINTED)
    return report.issued[order_id]


def snapshot(engine: Engine, order_no: str) -> tuple[Order, Waybill | None, list[Waybill]]:
    with unit_of_work(engine) as session:
        order = get_order(session, order_no)
        waybills = list(session.scalars(select(Waybill).where(Waybill.order_id == order.id)
                                        .order_by(Waybill.id)))
        return order, current_waybill(session, order.id), waybills
