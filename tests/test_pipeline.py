"""The order pipeline end to end: address completion, SKU mapping, rules, allocation, and what
happens after intake (payment, hold release, stock arriving) through the worker."""

from __future__ import annotations

import copy

from orderhub import pipeline
from orderhub.core import worker
from orderhub.core.db import unit_of_work
from orderhub.demo import seed_demo
from orderhub.inventory.catalog import warehouses
from orderhub.inventory.demo import HOT_SKU
from orderhub.inventory.service import availability, receive
from orderhub.orders.holds import open_holds, resolve_hold
from orderhub.orders.schemas import OrderIn
from orderhub.orders.service import cancel_order, get_order
from orderhub.plugins import load_plugins
from orderhub.rules.pack import install_default_pack
from orderhub.sim.own_store import OwnStore
from tests.builders import TEST_ACTOR, ensure_shop

load_plugins()


def _setup(session):
    ensure_shop(session)
    seed_demo(session)
    install_default_pack(session, actor=TEST_ACTOR)


def _receive(session, payload):
    return pipeline.receive(session, data=OrderIn.model_validate(payload), raw=payload,
                            source="test", actor=TEST_ACTOR)


def _plain(store, sku="MY-CASH-GRY", quantity=1, **overrides):
    order = store.new_order(paid=True)
    order["lines"] = [{"platform_sku": sku, "title": "t", "quantity": quantity,
                       "unit_price": "159.00", "discount": "0.00"}]
    order["total"], order["shipping_fee"], order["buyer_remark"] = f"{159 * quantity}.00", "0.00", ""
    order["receiver"].update(province="浙江省", city="杭州市", district="西湖区",
                             address="文三路90号3幢201室", phone="13800138000")
    return order | overrides


def test_a_plain_paid_order_is_allocated_in_the_region_warehouse(session):
    _setup(session)
    order = _receive(session, _plain(OwnStore(seed=1))).order
    assert order.status == "allocated", [h.reason_code for h in open_holds(order)]
    assert order.lines[0].sku == "MY-CASH-GRY"  # own-store SKU codes map to themselves
    assert order.attributes["allocated_warehouse"] == "HZ"


def test_a_one_line_address_is_split_into_divisions(session):
    _setup(session)
    payload = _plain(OwnStore(seed=2))
    payload["receiver"].update(province="", city="", district="",
                               address="广东省深圳市南山区科技园南路18号2栋301室")
    order = _receive(session, payload).order
    assert (order.receiver_province, order.receiver_city, order.receiver_district) == \
        ("广东省", "深圳市", "南山区")
    assert "科技园南路18号" in order.receiver_street + order.receiver_detail


def test_odd_orders_are_held_by_the_default_rules_and_not_allocated(session):
    _setup(session)
    store = OwnStore(seed=3)
    for kind in ("vague_address", "bad_phone", "high_value"):
        order = _receive(session, store.odd_order(kind)).order
        assert order.status == "on_hold", kind
        assert open_holds(order), kind
        assert "allocated_warehouse" not in order.attributes


def test_unknown_sku_is_held_never_dropped(session):
    _setup(session)
    order = _receive(session, _plain(OwnStore(seed=4), sku="NOT-IN-CATALOG")).order
    assert order.status == "on_hold" and order.lines[0].sku is None


def test_unpaid_order_holds_stock_then_payment_allocates(session):
    _setup(session)
    payload = _plain(OwnStore(seed=5), status="pending_payment", paid_at=None)
    order = _receive(session, payload).order
    assert order.status == "pending_payment" and order.attributes.get("routing") == "reserved_unpaid"
    paid = copy.deepcopy(payload) | {"status": "paid", "paid_at": payload["created_at"]}
    _receive(session, paid)
    assert order.status == "allocated"


def _hot_available_in_hangzhou(session) -> int:
    """Buyers here are in Zhejiang, which only the Hangzhou warehouse serves."""
    hz = next(w for w in warehouses(session) if w.code == "HZ")
    return availability(session, skus=[HOT_SKU], warehouse_ids=[hz.id])[(HOT_SKU, hz.id)]


def test_hot_sku_backorder_is_served_when_stock_arrives(committed):
    """Through the real worker: the backorder waits, a receipt wakes it, a cancel frees stock."""
    store = OwnStore(seed=6)
    with unit_of_work() as s:
        _setup(s)
        left = _hot_available_in_hangzhou(s)
    numbers = []
    for n in range(left + 1):
        payload = _plain(store, sku=HOT_SKU)  # different buyers: the SKU is purchase-limited
        payload["receiver"].update(name=f"买家{n}", phone=f"1390000{n:04d}",
                                   address=f"文三路{n + 1}号")
        with unit_of_work() as s:
            numbers.append(_receive(s, payload).order.order_no)
    with unit_of_work() as s:
        statuses = [get_order(s, n).status for n in numbers]
    assert statuses.count("allocated") == left and statuses[-1] == "awaiting_stock", statuses
    with unit_of_work() as s:
        hz = next(w for w in warehouses(s) if w.code == "HZ")
        receive(s, sku=HOT_SKU, warehouse_id=hz.id, quantity=1, actor=TEST_ACTOR)
    worker.run(burst=True)
    with unit_of_work() as s:
        assert get_order(s, numbers[-1]).status == "allocated"
        cancel_order(s, order_no=numbers[0], actor=TEST_ACTOR, reason="买家取消")
    worker.run(burst=True)
    with unit_of_work() as s:
        assert _hot_available_in_hangzhou(s) == 1  # the cancelled order's unit is back


def test_resolving_the_last_hold_lets_the_order_go_on(committed):
    store = OwnStore(seed=7)
    with unit_of_work() as s:
        _setup(s)
        order = _receive(s, store.odd_order("bad_phone")).order
        number, holds = order.order_no, [h.id for h in open_holds(order)]
    with unit_of_work() as s:
        for hold_id in holds:
            resolve_hold(s, order_no=number, hold_id=hold_id, resolution="已电话确认",
                         actor=TEST_ACTOR)
    worker.run(burst=True)
    with unit_of_work() as s:
        assert get_order(s, number).status == "allocated"
