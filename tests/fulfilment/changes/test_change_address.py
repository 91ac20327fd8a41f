"""Address changes through the use case, against the direct-carrier simulator over real HTTP:
the window, a supervisor's override, void-and-reprint after the label, a carrier refusing the
void, shipped orders, and every kind of bad input."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select

from orderhub.core.audit import history
from orderhub.core.db import unit_of_work
from orderhub.core.errors import InvalidInput
from orderhub.core.models import OutboxEvent
from orderhub.fulfilment.carriers.service import request_waybills
from orderhub.fulfilment.changes import policy
from orderhub.fulfilment.changes.models import AddressChange
from orderhub.fulfilment.changes.policy import ChangeRefused, WindowClosed
from orderhub.fulfilment.changes.service import change_address
from orderhub.orders import lifecycle as lc
from tests.builders import TEST_ACTOR
from tests.fulfilment.carriers.support import Sims
from tests.fulfilment.carriers.support import order as carrier_order
from tests.fulfilment.changes.support import (
    CS,
    NEW_ADDRESS,
    SUPERVISOR,
    at_minutes_after_creation,
    carrier_setup,
    new_order,
    print_label,
    snapshot,
    to_status,
)
from tests.support.fixtures import FakeClock


def _changes(engine: Engine, order_no: str) -> list[AddressChange]:
    with unit_of_work(engine) as session:
        return list(session.scalars(select(AddressChange).where(AddressChange.order_no == order_no)))


def _events(engine: Engine, topic: str) -> list[OutboxEvent]:
    with unit_of_work(engine) as session:
        return list(session.scalars(select(OutboxEvent).where(OutboxEvent.topic == topic)
                                    .order_by(OutboxEvent.id)))


def test_inside_the_window_the_address_is_changed_in_place(committed: Engine, fake_clock: FakeClock) -> None:
    order_no = new_order(committed)
    at_minutes_after_creation(committed, fake_clock, order_no, 14)
    with unit_of_work(committed) as session:
        change = change_address(session, order_no=order_no, address=NEW_ADDRESS, actor=CS,
                                reason="买家来电改地址")
    assert change.kind == "in_window" and change.voided_tracking_no is None
    assert change.before["receiver_name"] == "张三" and change.after["receiver_province"] == "江苏省"
    order, _, _ = snapshot(committed, order_no)
    assert (order.receiver_name, order.receiver_phone, order.receiver_province, order.receiver_city,
            order.receiver_detail, order.receiver_zip) == ("李四", "139 0013 9000", "江苏省", "南京市",
                                                           "中山北路30号5栋502", "210008")
    assert order.receiver_phone_tail == "9000" and order.status == lc.PAID
    [event] = _events(committed, "order.address_changed")
    # The payload the channels' change detection sends, so the rules re-run on it.
    assert event.payload["order_no"] == order_no
    assert event.payload["before"]["receiver_detail"] == "文三路90号3号楼"
    assert event.payload["after"]["receiver_detail"] == "中山北路30号5栋502"
    with unit_of_work(committed) as session:
        audit = [e for e in history(session, "order", order_no) if e.action == "order.address_changed"]
    assert audit[0].actor_name == "客服小王" and audit[0].after["reason"] == "买家来电改地址"
    assert audit[0].before["receiver_name"] == "张三"


def test_after_the_window_cs_is_refused_and_a_supervisor_overrides(committed: Engine,
                                                                    fake_clock: FakeClock) -> None:
    order_no = new_order(committed)
    at_minutes_after_creation(committed, fake_clock, order_no, 16)
    with unit_of_work(committed) as session, pytest.raises(WindowClosed) as refused:
        change_address(session, order_no=order_no, address=NEW_ADDRESS, actor=CS, reason="改地址")
    # The order was created 10:02:11 Shanghai time: the window closed 15 minutes later.
    assert "closed at 2026-11-23 10:17" in refused.value.message and "supervisor" in refused.value.message
    assert _changes(committed, order_no) == [] and _events(committed, "order.address_changed") == []

    with unit_of_work(committed) as session:
        change = change_address(session, order_no=order_no, address=NEW_ADDRESS, actor=SUPERVISOR,
                                reason="客户投诉，主管批准")
    assert change.kind == "override" and change.actor_name == "主管老李"
    assert snapshot(committed, order_no)[0].receiver_name == "李四"


def test_the_window_is_a_setting(committed: Engine, fake_clock: FakeClock) -> None:
    order_no = new_order(committed)
    with unit_of_work(committed) as session:
        policy.set_window_minutes(session, minutes=30, actor=TEST_ACTOR)
        with pytest.raises(InvalidInput, match="1 to 1440 minutes"):
            policy.set_window_minutes(session, minutes=0, actor=TEST_ACTOR)
    at_minutes_after_creation(committed, fake_clock, order_no, 25)
    with unit_of_work(committed) as session:
        assert change_address(session, order_no=order_no, address=NEW_ADDRESS, actor=CS,
                              reason="改地址").kind == "in_window"


def test_after_the_label_the_waybill_is_voided_and_the_order_goes_back_for_a_reprint(
        sims: Sims, committed: Engine, fake_clock: FakeClock) -> None:
    with unit_of_work(committed) as session:
        carrier_setup(session, sims)
    order_no = new_order(committed)
    at_minutes_after_creation(committed, fake_clock, order_no, 60)
    old_number = print_label(committed, order_no)
    assert snapshot(committed, order_no)[0].status == lc.LABEL_PRINTED

    with unit_of_work(committed) as session:
        change = change_address(session, order_no=order_no, address=NEW_ADDRESS, actor=SUPERVISOR,
                                reason="买家改地址，已打单需重打",
                                compensation={"amount": 500, "note": "运费补偿 ¥5"})
    assert sims.direct.book.cancelled == {old_number}  # voided at the carrier
    assert (change.voided_carrier, change.voided_tracking_no) == ("SF", old_number)
    assert (change.compensation_amount, change.compensation_currency, change.compensation_note) == (
        500, "CNY", "运费补偿 ¥5")
    assert change.status_at_change == lc.LABEL_PRINTED and change.kind == "override"
    order, current, waybills = snapshot(committed, order_no)
    assert order.status == lc.ALLOCATED and current is None
    assert [(w.tracking_no, w.status) for w in waybills] == [(old_number, "void")]
    [back] = [e for e in _events(committed, "order.allocated") if e.payload.get("voided_tracking_no")]
    assert back.payload["from"] == lc.LABEL_PRINTED and back.payload["voided_tracking_no"] == old_number

    report = request_waybills(committed, order_ids=[order.id])  # the reprint takes a new number
    new_number = report.issued[order.id]
    assert new_number != old_number and new_number in sims.direct.book.issued
    # ... for the new address: the carrier got the new recipient.
    assert snapshot(committed, order_no)[1].print_data["data"]["recipient"]["province"] == "江苏省"


def test_a_waybill_taken_but_not_printed_is_voided_too(sims: Sims, committed: Engine,
                                                       fake_clock: FakeClock) -> None:
    with unit_of_work(committed) as session:
        carrier_setup(session, sims)
    order_no = new_order(committed)
    at_minutes_after_creation(committed, fake_clock, order_no, 5)
    to_status(committed, order_no, lc.ALLOCATED)
    order, _, _ = snapshot(committed, order_no)
    number = request_waybills(committed, order_ids=[order.id]).issued[order.id]
    with unit_of_work(committed) as session:
        change = change_address(session, order_no=order_no, address=NEW_ADDRESS, actor=CS, reason="改地址")
    assert change.kind == "in_window" and change.voided_tracking_no == number
    assert sims.direct.book.cancelled == {number}
    order, current, _ = snapshot(committed, order_no)
    assert order.status == lc.ALLOCATED and current is None


def test_a_carrier_refusing_the_void_leaves_everything_unchanged(sims: Sims, committed: Engine,
                                                                 fake_clock: FakeClock) -> None:
    with unit_of_work(committed) as session:
        carrier_setup(session, sims)
    order_no = new_order(committed)
    at_minutes_after_creation(committed, fake_clock, order_no, 60)
    number = print_label(committed, order_no)
    sims.direct.book.cancel(number)  # the courier collected it: the carrier no longer cancels it
    before_events = len(_events(committed, "order.allocated"))

    with unit_of_work(committed) as session, pytest.raises(ChangeRefused) as refused:
        change_address(session, order_no=order_no, address=NEW_ADDRESS, actor=SUPERVISOR,
                       reason="改地址", compensation={"amount": 500, "note": "补偿"})
    assert "was not changed" in refused.value.message and "NOT_CANCELLABLE" in refused.value.message
    assert refused.value.details["tracking_no"] == number
    order, current, _ = snapshot(committed, order_no)
    assert order.status == lc.LABEL_PRINTED and order.receiver_name == "张三"
    assert current is not None and current.tracking_no == number
    assert _changes(committed, order_no) == [] and _events(committed, "order.address_changed") == []
    assert len(_events(committed, "order.allocated")) == before_events


def test_the_carrier_down_refuses_the_change_and_nothing_changes(sims: Sims, committed: Engine,
                                                                 fake_clock: FakeClock) -> None:
    with unit_of_work(committed) as session:
        carrier_setup(session, sims)
    order_no = new_order(committed)
    at_minutes_after_creation(committed, fake_clock, order_no, 1)
    number = print_label(committed, order_no)
    sims.direct.faults.errors = 5
    with unit_of_work(committed) as session, pytest.raises(ChangeRefused, match="HTTP 502"):
        change_address(session, order_no=order_no, address=NEW_ADDRESS, actor=CS, reason="改地址")
    order, current, _ = snapshot(committed, order_no)
    assert order.status == lc.LABEL_PRINTED and current.tracking_no == number and not sims.direct.book.cancelled


@pytest.mark.parametrize("status", [lc.SHIPPED, lc.CANCELLED])
def test_shipped_and_cancelled_orders_are_refused(sims: Sims, committed: Engine, fake_clock: FakeClock,
                                                  status: str) -> None:
    with unit_of_work(committed) as session:
        carrier_setup(session, sims)
    order_no = new_order(committed)
    at_minutes_after_creation(committed, fake_clock, order_no, 1)
    print_label(committed, order_no)
    to_status(committed, order_no, status)
    with unit_of_work(committed) as session, pytest.raises(ChangeRefused) as refused:
        change_address(session, order_no=order_no, address=NEW_ADDRESS, actor=SUPERVISOR, reason="改地址")
    expected = "after-sales matter" if status == lc.SHIPPED else "is cancelled"
    assert expected in refused.value.message
    assert snapshot(committed, order_no)[0].receiver_name == "张三"


BAD_INPUT = [
    ({"name": "  "}, None, "", "address.name is required"),
    ({"phone": "12345"}, None, "", "address.phone '12345' is not a valid phone number"),
    ({"phone": "138****8000"}, None, "", "not a valid phone number (masked)"),
    ({"province": "火星省"}, None, "", "address.province '火星省' is not a province of China"),
    ({"city": "杭州市"}, None, "", "address.city '杭州市' is not in 江苏省"),
    ({"detail": ""}, None, "", "address.detail is required"),
    ({"zip": "21000"}, None, "", "not a 6-digit postcode"),
    ({"detail": "x" * 501}, None, "", "address.detail is longer than 500 characters"),
    ({}, None, "empty", "reason is required"),
    ({}, {"amount": -5, "note": ""}, "", "compensation.amount is a whole number"),
    ({}, {"amount": "5.00", "note": ""}, "", "compensation.amount is a whole number"),
    ({}, {"amount": 500, "note": "x" * 201}, "", "compensation.note is longer than 200"),
]


@pytest.mark.parametrize(("fields", "compensation", "reason", "message"), BAD_INPUT)
def test_bad_input_gets_a_clear_error(session, fake_clock: FakeClock, fields, compensation, reason,
                                      message: str) -> None:
    order = carrier_order(session)
    fake_clock.set(order.created_at)
    with pytest.raises(InvalidInput) as error:
        change_address(session, order_no=order.order_no, address={**NEW_ADDRESS, **fields}, actor=CS,
                       reason="" if reason == "empty" else "改地址", compensation=compensation)
    assert message in error.value.message
    assert error.value.details["field"].split(".")[0] in ("address", "reason", "compensation")
    assert order.receiver_name == "张三"


def test_the_same_address_again_is_refused(session, fake_clock: FakeClock) -> None:
    order = carrier_order(session)
    fake_clock.set(order.created_at)
    same = {"name": "张三", "phone": "13800138000", "province": "浙江省", "city": "某市",
            "district": "某区", "detail": "文三路90号3号楼"}
    with pytest.raises(InvalidInput, match="same as the current one"):
        change_address(session, order_no=order.order_no, address=same, actor=CS, reason="改地址")
