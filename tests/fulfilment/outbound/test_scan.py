"""The outbound scan as a use case: a good scan ships (stock, events, write-back queued), and
every wrong scan gets its own kind and its exact message, in both languages."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from orderhub.core.models import OutboxEvent
from orderhub.fulfilment.outbound.models import ScanLog
from orderhub.fulfilment.outbound.present import message, result_dict
from orderhub.fulfilment.outbound.service import KINDS, ScanResult, recent_scans, scan
from orderhub.fulfilment.shipping import ship_order
from orderhub.inventory.models import StockMovement
from orderhub.orders import lifecycle as lc
from orderhub.orders.holds import add_hold
from orderhub.orders.service import cancel_order, transition
from orderhub.web.i18n import MESSAGES
from tests.fulfilment.outbound.support import (
    ACTOR,
    SKU,
    allocated_order,
    issue,
    paid_order,
    printed_order,
    void,
    warehouse,
)
from tests.inventory.helpers import levels
from tests.support.fixtures import FakeClock


def _events(session, topic: str, order_id: int) -> list[OutboxEvent]:
    session.flush()
    return list(session.scalars(select(OutboxEvent).where(
        OutboxEvent.topic == topic, OutboxEvent.aggregate_id == str(order_id))))


def _says(result: ScanResult, zh: str, en: str) -> None:
    assert message(result, "zh-CN") == zh
    assert message(result, "en") == en


def _shipped_ok(session, result: ScanResult, order, waybill, wh) -> None:
    assert result.ok and result.kind == "shipped", result
    assert (result.order_no, result.carrier, result.tracking_no) == (
        order.order_no, "ZTO", waybill.tracking_no)
    assert result.receiver == "张*"
    assert result.items == "冬季加厚羽绒服 黑色 M ×1"
    _says(result, f"发货成功 {order.order_no} · ZTO {waybill.tracking_no}",
          f"Shipped {order.order_no} · ZTO {waybill.tracking_no}")
    session.refresh(order)
    assert order.status == lc.SHIPPED
    assert levels(session, SKU, wh) == (9, 0)  # on hand and reserved dropped together
    [move] = session.scalars(select(StockMovement).where(StockMovement.order_id == order.id,
                                                         StockMovement.kind == "ship"))
    assert (move.on_hand_delta, move.reserved_delta) == (-1, -1)
    [shipped] = _events(session, "order.shipped", order.id)
    assert shipped.payload["carrier"] == "ZTO" and shipped.payload["tracking_no"] == waybill.tracking_no
    assert shipped.payload["via"] == "scan"
    [confirm] = _events(session, "channel.ship_confirm_requested", order.id)
    assert confirm.payload["tracking_no"] == waybill.tracking_no
    assert confirm.payload["platform_order_id"] == order.platform_order_id


def test_a_tracking_number_as_the_scanner_types_it_ships_the_order(session) -> None:
    wh = warehouse(session)
    order, waybill = printed_order(session, wh)
    result = scan(session, code=f"  {waybill.tracking_no}\r\n", actor=ACTOR, station="door-1")
    _shipped_ok(session, result, order, waybill, wh)
    [row] = session.scalars(select(ScanLog))
    assert (row.code, row.kind, row.ok, row.order_id, row.actor, row.station) == (
        waybill.tracking_no, "shipped", True, order.id, "tester", "door-1")
    assert row.tracking_no == waybill.tracking_no and row.order_no == order.order_no


def test_an_order_number_in_lower_case_ships_the_order(session) -> None:
    wh = warehouse(session)
    order, waybill = printed_order(session, wh)
    result = scan(session, code=order.order_no.lower() + "\n", actor=ACTOR)
    _shipped_ok(session, result, order, waybill, wh)


def test_a_platform_order_id_ships_the_order(session) -> None:
    wh = warehouse(session)
    order, waybill = printed_order(session, wh, platform_order_id="MP-SCAN-0001")
    _shipped_ok(session, scan(session, code="mp-scan-0001", actor=ACTOR), order, waybill, wh)


def test_unknown_code(session) -> None:
    result = scan(session, code="YT9999999999\n", actor=ACTOR)
    assert (result.ok, result.kind, result.order_no) == (False, "unknown", "")
    _says(result, "查无此单：YT9999999999", "No order or waybill YT9999999999")
    assert session.scalar(select(ScanLog.kind)) == "unknown"


@pytest.mark.parametrize(("typed", "kind", "zh", "en"), [
    ("", "empty", "没有扫到内容", "Nothing scanned"),
    (" \r\n\t", "empty", "没有扫到内容", "Nothing scanned"),
    ("7" * 65, "invalid", "无法识别的条码", "Unreadable code"),
    ("75000\x1b[B0001", "invalid", "无法识别的条码", "Unreadable code"),
    ("订单!!@@", "invalid", "无法识别的条码", "Unreadable code"),
])
def test_empty_and_garbage_input(session, typed: str, kind: str, zh: str, en: str) -> None:
    result = scan(session, code=typed, actor=ACTOR, station="door-1")
    assert (result.ok, result.kind) == (False, kind)
    _says(result, zh, en)
    row = session.scalar(select(ScanLog))
    assert row.kind == kind and "\x1b" not in row.code and len(row.code) <= 200


def test_the_same_parcel_scanned_twice(session, fake_clock: FakeClock) -> None:
    wh = warehouse(session)
    order, waybill = printed_order(session, wh)
    assert scan(session, code=waybill.tracking_no, actor=ACTOR).ok
    fake_clock.advance(125)
    again = scan(session, code=waybill.tracking_no, actor=ACTOR)
    assert (again.ok, again.kind, again.shipped_by) == (False, "already_shipped", "tester")
    _says(again, "重复扫描：2 分钟前 tester 已发货", "Scanned twice: shipped 2 min ago by tester")
    assert levels(session, SKU, wh) == (9, 0), "shipped once"
    assert len(_events(session, "channel.ship_confirm_requested", order.id)) == 1
    fake_clock.advance(3600)
    later = scan(session, code=order.order_no, actor=ACTOR)
    assert later.kind == "already_shipped"
    _says(later, "已发货，勿重复：11-23 10:00 由 tester 发出", "Already shipped 11-23 10:00 by tester")


def test_an_order_shipped_another_way_says_when_and_by_whom(session, fake_clock: FakeClock) -> None:
    wh = warehouse(session)
    order, waybill = printed_order(session, wh)
    ship_order(session, order, actor=ACTOR, via="wms_import")
    fake_clock.advance(60)
    result = scan(session, code=waybill.tracking_no, actor=ACTOR)
    assert result.kind == "already_shipped" and result.tracking_no == waybill.tracking_no
    _says(result, "已发货，勿重复：11-23 10:00 由 tester 发出", "Already shipped 11-23 10:00 by tester")


def test_an_order_on_hold_says_why(session) -> None:
    wh = warehouse(session)
    order, waybill = printed_order(session, wh)
    add_hold(session, order_no=order.order_no, reason_code="address_change", reason="买家要求改地址",
             actor=ACTOR)
    result = scan(session, code=waybill.tracking_no, actor=ACTOR)
    assert (result.kind, result.holds) == ("on_hold", [{"code": "address_change",
                                                        "reason": "买家要求改地址"}])
    _says(result, "挂起中，不要发货：买家要求改地址", "On hold, do not ship: 买家要求改地址")
    session.refresh(order)
    assert order.status == lc.ON_HOLD and levels(session, SKU, wh) == (10, 1)


def test_a_cancelled_order(session) -> None:
    wh = warehouse(session)
    order, waybill = printed_order(session, wh)
    cancel_order(session, order_no=order.order_no, actor=ACTOR, reason="买家取消")
    result = scan(session, code=waybill.tracking_no, actor=ACTOR)
    assert result.kind == "cancelled"
    _says(result, "订单已取消，不要发货", "Cancelled, do not ship")


def test_a_cancelled_order_whose_label_was_voided_says_cancelled(session) -> None:
    wh = warehouse(session)
    order, waybill = printed_order(session, wh)
    cancel_order(session, order_no=order.order_no, actor=ACTOR, reason="买家取消")
    void(session, waybill)
    assert scan(session, code=waybill.tracking_no, actor=ACTOR).kind == "cancelled"


@pytest.mark.parametrize("refund", ["requested", "refunding", "refunded"])
def test_a_refund_stops_the_parcel(session, refund: str) -> None:
    wh = warehouse(session)
    order, waybill = printed_order(session, wh)
    order.lines[0].refund_status = refund
    session.flush()
    result = scan(session, code=waybill.tracking_no, actor=ACTOR)
    assert (result.ok, result.kind) == (False, "refund")
    _says(result, "有退款，停止发货", "Refund requested, stop: do not ship")
    session.refresh(order)
    assert order.status == lc.LABEL_PRINTED and levels(session, SKU, wh) == (10, 1)


def test_a_rejected_refund_ships(session) -> None:
    wh = warehouse(session)
    order, waybill = printed_order(session, wh)
    order.lines[0].refund_status = "rejected"
    session.flush()
    assert scan(session, code=waybill.tracking_no, actor=ACTOR).kind == "shipped"


def test_allocated_without_a_label(session) -> None:
    wh = warehouse(session)
    order = allocated_order(session, wh)
    result = scan(session, code=order.order_no, actor=ACTOR)
    assert result.kind == "not_printed"
    _says(result, "未打面单，请先打印面单", "No label yet: print the label first")


def test_a_voided_label_names_the_new_one(session) -> None:
    wh = warehouse(session)
    order, old = printed_order(session, wh)
    void(session, old)
    transition(session, order, lc.ALLOCATED, actor=ACTOR, reason="reprint")
    new = issue(session, order)
    transition(session, order, lc.LABEL_PRINTED, actor=ACTOR)
    result = scan(session, code=old.tracking_no, actor=ACTOR)
    assert (result.kind, result.tracking_no) == ("voided_waybill", new.tracking_no)
    _says(result, f"面单已作废，请用新面单 {new.tracking_no}",
          f"Voided label: use the new label {new.tracking_no}")
    session.refresh(order)
    assert order.status == lc.LABEL_PRINTED, "the old label does not ship the order"
    assert scan(session, code=new.tracking_no, actor=ACTOR).kind == "shipped"


def test_a_voided_label_without_a_new_one_asks_for_a_reprint(session) -> None:
    wh = warehouse(session)
    order, old = printed_order(session, wh)
    void(session, old)
    transition(session, order, lc.ALLOCATED, actor=ACTOR, reason="reprint")
    result = scan(session, code=old.tracking_no, actor=ACTOR)
    assert result.kind == "voided_waybill"
    _says(result, "面单已作废，请重新打印面单", "Voided label: reprint the label")


@pytest.mark.parametrize(("status", "zh", "en"), [
    ("paid", "还不能发货：已付款", "Not ready to ship: Paid"),
    ("pending_payment", "还不能发货：待付款", "Not ready to ship: Awaiting payment"),
    ("awaiting_stock", "还不能发货：缺货待发", "Not ready to ship: Awaiting stock"),
])
def test_orders_not_ready_to_ship(session, status: str, zh: str, en: str) -> None:
    order = paid_order(session, status="pending_payment" if status == "pending_payment" else "paid")
    if status == "awaiting_stock":
        transition(session, order, lc.AWAITING_STOCK, actor=ACTOR)
    result = scan(session, code=order.order_no, actor=ACTOR)
    assert (result.kind, result.status) == ("not_ready", status)
    _says(result, zh, en)


def test_a_printed_order_without_reserved_stock_does_not_ship(session) -> None:
    order = paid_order(session)
    transition(session, order, lc.ALLOCATED, actor=ACTOR)
    waybill = issue(session, order)
    transition(session, order, lc.LABEL_PRINTED, actor=ACTOR)
    result = scan(session, code=waybill.tracking_no, actor=ACTOR)
    assert result.kind == "not_ready"
    _says(result, "未占用库存，不能发货", "No stock reserved, cannot ship")
    session.refresh(order)
    assert order.status == lc.LABEL_PRINTED and not _events(session, "order.shipped", order.id)


def test_a_platform_id_of_two_shops_is_ambiguous(session) -> None:
    wh = warehouse(session)
    a, _ = printed_order(session, wh, shop="taobao-a", platform_order_id="3301")
    b, _ = printed_order(session, wh, shop="jd-b", platform_order_id="3301")
    result = scan(session, code="3301", actor=ACTOR)
    assert result.kind == "ambiguous"
    assert [c["order_no"] for c in result.candidates] == [a.order_no, b.order_no]
    _says(result, f"2 个订单匹配，请扫快递单号：{a.order_no} (taobao-a), {b.order_no} (jd-b)",
          f"2 orders match, scan the tracking number: {a.order_no} (taobao-a), {b.order_no} (jd-b)")
    assert levels(session, SKU, wh) == (10, 2), "nothing shipped"


def test_recent_scans_of_a_station(session) -> None:
    for i in range(3):
        scan(session, code=f"NOPE{i}", actor=ACTOR, station="door-1")
    scan(session, code="NOPE9", actor=ACTOR, station="door-2")
    assert [r.code for r in recent_scans(session, station="door-1", limit=2)] == ["NOPE2", "NOPE1"]
    assert len(recent_scans(session, actor="tester")) == 4
    assert result_dict(scan(session, code="", actor=ACTOR), "en")["message"] == "Nothing scanned"


def test_every_kind_has_its_words_in_both_languages() -> None:
    for kind in KINDS:
        assert all(MESSAGES[f"scan.kind.{kind}"])
    keys = [k for k in MESSAGES if k.startswith("scan.msg.")]
    assert {k.removeprefix("scan.msg.") for k in keys} >= set(KINDS) - {"voided_waybill"}
    assert all(zh and en for zh, en in (MESSAGES[k] for k in keys))
