"""Receiving orders: create, dedup, upsert with change detection, audit before/after."""

from __future__ import annotations

import copy

import pytest
from sqlalchemy import func, select

from orderhub.core.errors import InvalidInput, UnknownShop
from orderhub.core.models import OutboxEvent, QuarantinedInput  # noqa: F401
from orderhub.orders.models import Order, RawPayload
from orderhub.orders.queries import order_audit, order_events
from orderhub.orders.schemas import OrderIn
from orderhub.orders.service import receive_order
from tests.builders import TEST_ACTOR, ensure_shop, make_order, order_payload


def _receive(session, payload):
    return receive_order(session, data=OrderIn.model_validate(payload), raw=payload, source="test",
                         actor=TEST_ACTOR)


def _topics(session, order):
    return [e.topic for e in order_events(session, order)]


def test_spec_example_lands_as_canonical_order(session):
    order = make_order(session)
    assert order.status == "paid"
    assert len(order.order_no) == 20 and order.order_no.isalnum() and order.order_no.upper() == order.order_no
    assert order.total == 37900 and order.goods_total == 39900 and order.discount_total == 2000
    assert order.currency == "CNY"
    assert order.receiver_province == "浙江省" and order.receiver_detail == "文三路90号东部软件园3号楼"
    assert order.receiver_phone_tail == "8000"
    assert order.created_at.isoformat() == "2026-11-23T02:02:11+00:00"  # stored in UTC
    assert order.lines[0].unit_price == 39900 and order.lines[0].discount == 2000
    assert _topics(session, order) == ["order.created"]
    raw = session.scalars(select(RawPayload).where(RawPayload.order_id == order.id)).all()
    assert raw[0].payload["buyer"]["nick"] == "小鹿"


def test_same_shop_and_platform_id_is_one_order(session):
    payload = order_payload()
    ensure_shop(session)
    first = _receive(session, payload)
    second = _receive(session, copy.deepcopy(payload))
    assert first.created and not second.created
    assert first.order.id == second.order.id
    assert second.changes == []
    assert session.scalar(select(func.count()).select_from(Order)) == 1
    assert _topics(session, first.order) == ["order.created"]


def test_same_platform_id_in_two_shops_is_two_orders(session):
    ensure_shop(session, "tmall-flagship", "taobao")
    a = make_order(session, platform_order_id="P1")
    b = make_order(session, platform_order_id="P1", shop="tmall-flagship")
    assert a.id != b.id and a.order_no != b.order_no


@pytest.mark.parametrize("mutate, expected", [
    (lambda p: p["receiver"].update(address="文三路100号"), ["order.address_changed"]),
    (lambda p: p["receiver"].update(phone="13900139000"), ["order.address_changed"]),
    (lambda p: p.update(buyer_remark="要发票"), ["order.remark_changed"]),
    (lambda p: p.update(seller_memo="送小样"), ["order.remark_changed"]),
    (lambda p: p["lines"][0].update(refund_status="requested"), ["order.refund_changed"]),
    (lambda p: p.update(status="cancelled"), ["order.cancelled"]),
    (lambda p: (p["receiver"].update(city="宁波市"), p.update(buyer_remark="改地址")),
     ["order.address_changed", "order.remark_changed"]),
    (lambda p: p["lines"][0].update(quantity=2, discount="0.00"), ["order.lines_changed"]),
    (lambda p: p.update(tags=["vip"]), []),
])
def test_upsert_emits_exactly_the_change_events(session, mutate, expected):
    ensure_shop(session)
    payload = order_payload()
    order = _receive(session, payload).order
    changed = copy.deepcopy(payload)
    mutate(changed)
    result = _receive(session, changed)
    assert result.changes == expected
    assert _topics(session, order) == ["order.created", *expected]


def test_payment_after_creation_is_a_transition(session):
    ensure_shop(session)
    payload = order_payload(status="pending_payment", paid_at=None)
    order = _receive(session, payload).order
    assert order.status == "pending_payment"
    paid = copy.deepcopy(payload) | {"status": "paid", "paid_at": "2026-11-23T10:05:00+08:00"}
    result = _receive(session, paid)
    assert result.changes == ["order.paid"]
    assert order.status == "paid" and order.paid_at is not None


def test_platform_never_moves_an_order_backwards(session):
    ensure_shop(session)
    payload = order_payload(status="cancelled")
    order = _receive(session, payload).order
    result = _receive(session, copy.deepcopy(payload) | {"status": "paid"})
    assert order.status == "cancelled"
    assert result.changes == ["order.platform_status_ignored"]


def test_stale_copy_does_not_overwrite_newer(session):
    ensure_shop(session)
    newer = order_payload(modified_at="2026-11-23T12:00:00+08:00")
    order = _receive(session, newer).order
    older = copy.deepcopy(newer) | {"modified_at": "2026-11-23T11:00:00+08:00", "buyer_remark": "旧"}
    result = _receive(session, older)
    assert result.stale and order.buyer_remark == newer["buyer_remark"]


def test_audit_rows_carry_before_and_after(session):
    ensure_shop(session)
    payload = order_payload()
    order = _receive(session, payload).order
    changed = copy.deepcopy(payload)
    changed["receiver"]["address"] = "文三路100号"
    _receive(session, changed)
    entries = order_audit(session, order)
    assert [e.action for e in entries] == ["order.created", "order.updated"]
    update = entries[1]
    assert update.before == {"receiver_detail": "文三路90号东部软件园3号楼"}
    assert update.after == {"receiver_detail": "文三路100号"}
    assert update.actor_kind == "user" and update.actor_name == "tester"


def test_unknown_shop_is_refused_with_known_shops(session):
    ensure_shop(session)
    with pytest.raises(UnknownShop) as err:
        _receive(session, order_payload(shop="no-such-shop"))
    assert "own-store" in err.value.details["known"]


@pytest.mark.parametrize("field, value", [
    ("total", "12.345"), ("total", "-1.00"), ("shipping_fee", "abc"), ("total", "NaN"),
])
def test_bad_money_is_refused(session, field, value):
    ensure_shop(session)
    with pytest.raises(InvalidInput):
        make_order(session, **{field: value})


def test_discount_larger_than_line_is_refused(session):
    ensure_shop(session)
    lines = [{"platform_sku": "A", "quantity": 1, "unit_price": "10.00", "discount": "11.00"}]
    with pytest.raises(InvalidInput):
        make_order(session, lines=lines)


def test_order_level_coupon_is_the_difference_to_the_platform_total(session):
    ensure_shop(session)
    order = make_order(session, total="350.00", shipping_fee="10.00")
    assert order.total == 35000 and order.discount_total == 39900 + 1000 - 35000


def test_repull_keeps_the_internal_sku_mapped_before(session):
    ensure_shop(session)
    payload = order_payload()
    order = _receive(session, payload).order
    order.lines[0].sku = "YD-2026-BLK-M"  # mapped after intake
    result = _receive(session, copy.deepcopy(payload))
    assert result.changes == [] and order.lines[0].sku == "YD-2026-BLK-M"
    changed = copy.deepcopy(payload)
    changed["lines"][0]["platform_sku"] = "OTHER-SKU"
    result = _receive(session, changed)
    assert result.changes == ["order.lines_changed"] and order.lines[0].sku is None
