"""A warehouse day for the list tests, made through the real use cases: warehouses and stock,
orders routed by routing, waybills taken from the Cainiao simulator over HTTP, labels printed.

HZ ships o1 (A x2, remarks), o2 (bundle KIT + a free C gift, soonest deadline) and o4 (A x1,
not printed, no deadline); GZ ships o3 (B x3).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import Engine, select

from orderhub.core import clock
from orderhub.core.db import unit_of_work
from orderhub.core.models import OutboxEvent
from orderhub.fulfilment.carriers.rules import create_rule
from orderhub.fulfilment.carriers.service import current_waybill, request_waybills
from orderhub.inventory import service as inventory
from orderhub.inventory.stock import level_of
from orderhub.orders import lifecycle as lc
from orderhub.orders.service import get_order, transition
from orderhub.routing import service as routing
from tests.builders import TEST_ACTOR
from tests.fulfilment.carriers.support import Sims, add_account
from tests.routing.helpers import order, put_stock, seed

REMARK, MEMO = "请周末不要送货", "送小样一份"


@dataclass
class Day:
    o1: str
    o2: str
    o3: str
    o4: str
    warehouse_ids: dict[str, int]

    def tracking(self, order_no: str) -> tuple[str, str]:
        with unit_of_work() as session:
            waybill = current_waybill(session, get_order(session, order_no).id)
            assert waybill is not None
            return waybill.carrier, waybill.tracking_no


def warehouse_day(engine: Engine, sims: Sims) -> Day:
    now = clock.now()
    with unit_of_work(engine) as session:
        ids = seed(session)
        inventory.upsert_sku(session, code="A", actor=TEST_ACTOR, barcode="6901234567892")
        inventory.upsert_sku(session, code="B", actor=TEST_ACTOR, barcode="6901234567809")
        put_stock(session, ids, {"HZ": {"A": 50, "B": 50, "C": 50}, "GZ": {"A": 50, "B": 50, "C": 50}})
        create_rule(session, name="default → ZTO", carrier="ZTO", is_default=True)
        add_account(session, sims, carrier="ZTO", source="cainiao")
        o1 = order(session, lines=[("A", 2)], buyer_remark=REMARK, seller_memo=MEMO,
                   promised_ship_at=(now + timedelta(hours=2)).isoformat())
        o2 = order(session, lines=[("KIT", 1), ("C", 1)],
                   promised_ship_at=(now + timedelta(hours=1)).isoformat())
        o2.lines[1].unit_price = 0  # the free gift
        o3 = order(session, lines=[("B", 3)], province="广东省",
                   promised_ship_at=(now + timedelta(hours=3)).isoformat())
        o4 = order(session, lines=[("A", 1)])
        made = [o1, o2, o3, o4]
        for o in made:
            routing.allocate(session, order=o, actor=TEST_ACTOR)
        assert [o.status for o in made] == [lc.ALLOCATED] * 4
        numbers = [o.order_no for o in made]
        printed = [o1.id, o2.id, o3.id]
    report = request_waybills(engine, order_ids=printed)
    assert len(report.issued) == 3, report
    with unit_of_work(engine) as session:
        for order_no in numbers[:3]:
            transition(session, get_order(session, order_no), lc.LABEL_PRINTED, actor=TEST_ACTOR)
    return Day(*numbers, warehouse_ids=ids)


def status_of(order_no: str) -> str:
    with unit_of_work() as session:
        return get_order(session, order_no).status


def on_hand(day: Day, warehouse: str, sku: str) -> tuple[int, int]:
    """(on hand, reserved) of one stock row."""
    with unit_of_work() as session:
        level = level_of(session, sku, day.warehouse_ids[warehouse])
        assert level is not None
        return level.on_hand, level.reserved


def ship_confirms() -> list[dict[str, Any]]:
    with unit_of_work() as session:
        return [e.payload for e in session.scalars(
            select(OutboxEvent).where(OutboxEvent.topic == "channel.ship_confirm_requested")
            .order_by(OutboxEvent.id))]


def sheet_rows(data: bytes) -> dict[str, list[dict[str, Any]]]:
    """sheet name -> rows as {header: value}."""
    book = load_workbook(io.BytesIO(data))
    out = {}
    for sheet in book.worksheets:
        values = list(sheet.iter_rows(values_only=True))
        out[sheet.title] = [dict(zip(values[0], row, strict=False)) for row in values[1:]]
    return out


def filled(export: bytes, numbers: dict[str, tuple[str, str]], *, extra: list[list[Any]] = ()) -> bytes:
    """The WMS's answer: every row of the given orders gets (carrier, tracking number); extra rows
    (order_no, shipped_carrier, shipped_tracking_no) are appended to the first sheet."""
    book = load_workbook(io.BytesIO(export))
    for sheet in book.worksheets:
        headers = [c.value for c in sheet[1]]
        col = {h: i + 1 for i, h in enumerate(headers)}
        for row in range(2, sheet.max_row + 1):
            order_no = sheet.cell(row, col["order_no"]).value
            if order_no in numbers:
                carrier, tracking_no = numbers[order_no]
                sheet.cell(row, col["shipped_carrier"], carrier)
                sheet.cell(row, col["shipped_tracking_no"], tracking_no)
                sheet.cell(row, col["shipped_at"], "2026-11-23 18:00")
    first = book.worksheets[0]
    headers = [c.value for c in first[1]]
    for order_no, carrier, tracking_no in extra:
        row = [""] * len(headers)
        row[headers.index("order_no")] = order_no
        row[headers.index("shipped_carrier")] = carrier
        row[headers.index("shipped_tracking_no")] = tracking_no
        first.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
