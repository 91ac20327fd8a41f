"""The pipeline step: allocate() on paid and unpaid orders, every policy, with the real stock pool
(each test rolled back)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from orderhub.core import clock
from orderhub.core.errors import InvalidInput
from orderhub.inventory import service as inventory
from orderhub.inventory.demo import seed_demo_stock
from orderhub.inventory.errors import InsufficientStock
from orderhub.inventory.provinces import PROVINCES
from orderhub.orders import lifecycle as lc
from orderhub.orders.holds import add_hold
from orderhub.orders.service import transition
from orderhub.routing import config, decisions, queue, service
from orderhub.routing.demo import seed_demo_rules
from orderhub.routing.models import DailyLoad, ManualRouting
from tests.builders import TEST_ACTOR
from tests.routing.helpers import available, events, order, put_stock, seed
from tests.support.fixtures import FakeClock


def test_paid_order_is_reserved_and_allocated_in_the_region_rules_warehouse(session: Session) -> None:
    ids = seed(session)
    put_stock(session, ids, {"HZ": {"A": 5}, "GZ": {"A": 5}})
    o = order(session, lines=[("A", 2)])
    result = service.allocate(session, order=o, actor=TEST_ACTOR)
    assert (result.outcome, result.warehouse, o.status) == ("allocated", "HZ", lc.ALLOCATED)
    assert available(session, ids, "HZ", "A") == 3 and available(session, ids, "GZ", "A") == 5
    decision = decisions.latest(session, o.id)
    assert (decision.policy, decision.reason, decision.warehouse_code) == ("region_rule", "region_rule", "HZ")
    assert decision.details["rule"] == "江浙沪"
    assert {c["warehouse"] for c in decision.candidates} == {"HZ", "GZ"}
    hz = next(c for c in decision.candidates if c["warehouse"] == "HZ")
    assert set(hz["factors"]) == {"stock", "delivery", "load", "error"} and hz["covers"]
    assert decision.weights == {"stock": 0.4, "delivery": 0.3, "load": 0.2, "error": 0.1}
    assert o.attributes["allocated_warehouse"] == "HZ"
    allocated = events(session, "order.allocated", o.id)
    assert len(allocated) == 1 and allocated[0].payload["warehouse"] == "HZ"
    load = session.scalar(select(func.sum(DailyLoad.allocated)).where(DailyLoad.warehouse_code == "HZ"))
    assert load == 1


def test_allocate_twice_does_nothing_the_second_time(session: Session) -> None:
    ids = seed(session)
    put_stock(session, ids, {"HZ": {"A": 5}})
    o = order(session)
    service.allocate(session, order=o, actor=TEST_ACTOR)
    again = service.allocate(session, order=o, actor=TEST_ACTOR)
    assert again.outcome == "skipped"
    assert available(session, ids, "HZ", "A") == 4
    assert len(decisions.history(session, o.id)) == 1


@pytest.mark.parametrize("stock, province, attributes, expected, policy", [
    ({"HZ": {"A": 0}, "GZ": {"A": 5}}, "浙江省", {}, "GZ", "score"),
    ({"HZ": {"A": 5}, "CD": {"A": 5}}, "浙江省", {"warehouse": "CD"}, "CD", "rule"),
    ({"HZ": {"A": 5}, "CD": {"A": 0}}, "浙江省", {"warehouse": "CD"}, "HZ", "region_rule"),
    ({"GZ": {"A": 5}, "HZ": {"A": 5}}, "新疆维吾尔自治区", {}, "GZ", "region_rule"),
    ({"GZ": {"A": 0}, "CD": {"A": 5}}, "西藏自治区", {}, "CD", "score"),
    ({"GZ": {"A": 5}, "CD": {"A": 5}}, "四川省", {}, "CD", "score"),
])
def test_where_paid_orders_go(session: Session, stock, province, attributes, expected,
                              policy) -> None:
    ids = seed(session)
    put_stock(session, ids, stock)
    o = order(session, province=province)
    o.attributes = attributes
    result = service.allocate(session, order=o, actor=TEST_ACTOR)
    assert (result.outcome, result.warehouse) == ("allocated", expected)
    assert result.decision.policy == policy
    assert available(session, ids, expected, "A") == stock[expected]["A"] - 1


def test_weights_are_configurable_and_change_the_choice(session: Session) -> None:
    ids = seed(session)
    put_stock(session, ids, {"GZ": {"A": 5}, "CD": {"A": 5}})
    inventory.upsert_warehouse(session, code="CD", actor=TEST_ACTOR, error_rate=0.9)
    first = order(session, province="四川省")
    assert service.allocate(session, order=first, actor=TEST_ACTOR).warehouse == "CD"
    config.update_config(session, actor=TEST_ACTOR,
                         weights={"stock": 0.1, "delivery": 0.1, "load": 0.1, "error": 0.7})
    second = order(session, province="四川省")
    result = service.allocate(session, order=second, actor=TEST_ACTOR)
    assert result.warehouse == "GZ"
    assert result.decision.weights == {"stock": 0.1, "delivery": 0.1, "load": 0.1, "error": 0.7}


def test_bundles_reserve_their_components(session: Session) -> None:
    ids = seed(session)
    put_stock(session, ids, {"HZ": {"A": 5, "B": 3}})
    o = order(session, lines=[("KIT", 1), ("B", 1)])
    assert service.allocate(session, order=o, actor=TEST_ACTOR).outcome == "allocated"
    assert available(session, ids, "HZ", "A") == 4 and available(session, ids, "HZ", "B") == 0


@pytest.mark.parametrize("lines, province, reason", [
    ([("A", 1), (None, 1)], "浙江省", "unmapped_sku"),
    ([("NOT-IN-CATALOGUE", 1)], "浙江省", "unknown_sku"),
    ([("A", 1)], "", "no_province"),
    ([("A", 1)], "黑龙江省", "no_warehouse"),
])
def test_undecidable_orders_go_to_the_manual_queue_once(session: Session, lines, province,
                                                        reason) -> None:
    ids = seed(session)
    put_stock(session, ids, {"HZ": {"A": 5}, "GZ": {"A": 5}, "CD": {"A": 5}})
    o = order(session, lines=lines, province=province)
    result = service.allocate(session, order=o, actor=TEST_ACTOR)
    assert (result.outcome, o.status) == ("manual", lc.PAID)
    entry = decisions.open_manual(session, o.id)
    assert entry is not None and entry.reason == reason
    assert [e.payload["reason"] for e in events(session, "order.routing_manual", o.id)] == [reason]
    assert service.allocate(session, order=o, actor=TEST_ACTOR).outcome == "manual"
    assert len(events(session, "order.routing_manual", o.id)) == 1
    assert session.scalar(select(func.count()).select_from(ManualRouting)) == 1


def test_a_person_picks_the_warehouse_from_the_manual_queue(session: Session) -> None:
    ids = seed(session)
    put_stock(session, ids, {"HZ": {"A": 5}, "GZ": {"A": 0}})
    o = order(session, province="黑龙江省")
    assert service.allocate(session, order=o, actor=TEST_ACTOR).outcome == "manual"
    with pytest.raises(InsufficientStock) as refused:
        service.assign(session, order_no=o.order_no, warehouse_code="GZ", actor=TEST_ACTOR)
    assert refused.value.details["short"] == {"A": 1}
    result = service.assign(session, order_no=o.order_no, warehouse_code="HZ", actor=TEST_ACTOR)
    assert (result.outcome, result.warehouse, o.status) == ("allocated", "HZ", lc.ALLOCATED)
    assert result.decision.policy == "manual_pick"
    assert decisions.open_manual(session, o.id) is None
    assert available(session, ids, "HZ", "A") == 4


def test_manual_pick_refuses_unmapped_lines_and_wrong_states(session: Session) -> None:
    ids = seed(session)
    put_stock(session, ids, {"HZ": {"A": 5}})
    unmapped = order(session, lines=[(None, 1)])
    service.allocate(session, order=unmapped, actor=TEST_ACTOR)
    with pytest.raises(InvalidInput):
        service.assign(session, order_no=unmapped.order_no, warehouse_code="HZ", actor=TEST_ACTOR)
    unpaid = order(session, status="unpaid")
    with pytest.raises(service.RoutingRefused):
        service.assign(session, order_no=unpaid.order_no, warehouse_code="HZ", actor=TEST_ACTOR)


def test_no_stock_anywhere_backorders_the_order(session: Session) -> None:
    seed(session)
    o = order(session, lines=[("A", 2)])
    result = service.allocate(session, order=o, actor=TEST_ACTOR)
    assert (result.outcome, o.status) == ("awaiting_stock", lc.AWAITING_STOCK)
    entry = queue.entry_for(session, o.id)
    assert entry.status == "waiting" and entry.skus == {"A": 2}
    assert len(events(session, "order.backordered", o.id)) == 1


def test_stock_in_another_warehouse_means_a_transfer_with_a_promised_date(
        session: Session, fake_clock: FakeClock) -> None:
    ids = seed(session)
    put_stock(session, ids, {"HZ": {"A": 1}, "CD": {"B": 2}})
    o = order(session, lines=[("A", 1), ("B", 2)])
    result = service.allocate(session, order=o, actor=TEST_ACTOR)
    assert (result.outcome, result.warehouse, result.decision.policy) == ("awaiting_stock", "HZ", "transfer")
    # 10:00 in Shanghai on 23 Nov: 2 days to move the stock, 1 day to Zhejiang.
    assert o.attributes["promised_date"] == "2026-11-26"
    assert queue.entry_for(session, o.id).promised_date.isoformat() == "2026-11-26"
    moves = events(session, "order.transfer_requested", o.id)[0].payload
    assert moves["to"] == "HZ" and moves["moves"] == [
        {"sku": "B", "quantity": 2, "from": "CD", "in_transit": False, "ready": "2026-11-25"}]
    assert available(session, ids, "HZ", "A") == 1  # nothing held while it waits


def test_stock_in_transit_promises_its_arrival(session: Session, fake_clock: FakeClock) -> None:
    ids = seed(session)
    inventory.set_level(session, sku="A", warehouse_id=ids["HZ"], on_hand=0, in_transit=20,
                        in_transit_expected_at=clock.now() + timedelta(days=4), actor=TEST_ACTOR)
    o = order(session)
    result = service.allocate(session, order=o, actor=TEST_ACTOR)
    assert result.decision.policy == "transfer" and o.status == lc.AWAITING_STOCK
    assert o.attributes["promised_date"] == "2026-11-28"


def test_split_when_allowed_reserves_in_each_warehouse(session: Session) -> None:
    ids = seed(session)
    put_stock(session, ids, {"HZ": {"A": 1}, "GZ": {"B": 2}})
    config.update_config(session, actor=TEST_ACTOR, allow_split=True)
    o = order(session, lines=[("A", 1), ("B", 2)])
    result = service.allocate(session, order=o, actor=TEST_ACTOR)
    assert (result.outcome, result.decision.policy) == ("allocated", "split")
    assert [s["warehouse"] for s in result.decision.shipments] == ["GZ", "HZ"]
    assert available(session, ids, "HZ", "A") == 0 and available(session, ids, "GZ", "B") == 0
    assert o.attributes["split_warehouses"] == ["GZ", "HZ"]


def test_a_split_is_all_or_nothing(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    ids = seed(session)
    put_stock(session, ids, {"HZ": {"A": 1}, "GZ": {"B": 2}})
    config.update_config(session, actor=TEST_ACTOR, allow_split=True)
    real = inventory.reserve

    def hz_refuses(session: Session, **kw):
        return False if kw["warehouse_id"] == ids["HZ"] else real(session, **kw)

    monkeypatch.setattr(service.inventory, "reserve", hz_refuses)
    o = order(session, lines=[("A", 1), ("B", 2)])
    result = service.allocate(session, order=o, actor=TEST_ACTOR)
    assert (result.outcome, result.decision.reason) == ("awaiting_stock", "reserve_refused")
    assert available(session, ids, "GZ", "B") == 2  # GZ's part was rolled back
    assert inventory.active_reservations(session, o.id) == []


def test_a_refused_reservation_falls_back_to_the_next_best_warehouse(
        session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    ids = seed(session)
    put_stock(session, ids, {"HZ": {"A": 5}, "GZ": {"A": 5}})
    real = inventory.reserve
    monkeypatch.setattr(service.inventory, "reserve", lambda session, **kw: (
        False if kw["warehouse_id"] == ids["HZ"] else real(session, **kw)))
    o = order(session)
    assert service.allocate(session, order=o, actor=TEST_ACTOR).warehouse == "GZ"


def test_unpaid_order_holds_stock_for_the_ttl_then_payment_makes_it_firm(
        session: Session, fake_clock: FakeClock) -> None:
    ids = seed(session)
    put_stock(session, ids, {"HZ": {"A": 3}})
    o = order(session, status="unpaid")
    result = service.allocate(session, order=o, actor=TEST_ACTOR)
    assert (result.outcome, result.warehouse, o.status) == ("reserved_unpaid", "HZ", lc.PENDING_PAYMENT)
    [held] = inventory.active_reservations(session, o.id)
    assert held.expires_at == clock.now() + timedelta(minutes=15)
    assert service.allocate(session, order=o, actor=TEST_ACTOR).outcome == "skipped"
    assert available(session, ids, "HZ", "A") == 2
    fake_clock.advance(600)
    pay(session, o)
    paid = service.allocate(session, order=o, actor=TEST_ACTOR)
    assert (paid.outcome, paid.warehouse, o.status) == ("allocated", "HZ", lc.ALLOCATED)
    assert paid.decision.reason == "payment_confirmed"
    session.expire_all()  # confirm() updates the rows with a Core statement
    [firm] = inventory.active_reservations(session, o.id)
    assert firm.expires_at is None and available(session, ids, "HZ", "A") == 2
    fake_clock.advance(3600)
    assert inventory.expire_due(session, actor=TEST_ACTOR) == []


def test_ttl_follows_the_inventory_setting(session: Session, fake_clock: FakeClock) -> None:
    ids = seed(session)
    put_stock(session, ids, {"HZ": {"A": 3}})
    inventory.set_ttl_minutes(session, minutes=30, actor=TEST_ACTOR)
    o = order(session, status="unpaid")
    service.allocate(session, order=o, actor=TEST_ACTOR)
    [held] = inventory.active_reservations(session, o.id)
    assert held.expires_at == clock.now() + timedelta(minutes=30)


def test_a_lapsed_unpaid_reservation_is_routed_again_on_payment(
        session: Session, fake_clock: FakeClock) -> None:
    ids = seed(session)
    put_stock(session, ids, {"HZ": {"A": 1}, "GZ": {"A": 1}})
    o = order(session, status="unpaid")
    service.allocate(session, order=o, actor=TEST_ACTOR)
    fake_clock.advance(16 * 60)
    assert inventory.expire_due(session, actor=TEST_ACTOR) == [o.id]
    lapsed = service.allocate(session, order=o, actor=TEST_ACTOR)  # e.g. a re-pull, still unpaid
    assert (lapsed.outcome, lapsed.note) == ("skipped", "reservation lapsed")
    assert inventory.active_reservations(session, o.id) == []
    other = order(session)  # takes HZ's unit meanwhile
    assert service.allocate(session, order=other, actor=TEST_ACTOR).warehouse == "HZ"
    pay(session, o)
    result = service.allocate(session, order=o, actor=TEST_ACTOR)
    assert (result.outcome, result.warehouse) == ("allocated", "GZ")
    assert available(session, ids, "HZ", "A") == 0 and available(session, ids, "GZ", "A") == 0


def test_unpaid_order_that_cannot_be_covered_holds_nothing(session: Session) -> None:
    seed(session)
    o = order(session, status="unpaid")
    first = service.allocate(session, order=o, actor=TEST_ACTOR)
    assert (first.outcome, first.note, o.status) == ("skipped", "backorder", lc.PENDING_PAYMENT)
    service.allocate(session, order=o, actor=TEST_ACTOR)
    assert len(decisions.history(session, o.id)) == 1
    assert queue.entry_for(session, o.id) is None


def test_orders_on_hold_or_past_allocation_are_skipped(session: Session) -> None:
    ids = seed(session)
    put_stock(session, ids, {"HZ": {"A": 5}})
    held = order(session)
    add_hold(session, order_no=held.order_no, reason_code="manual", reason="", actor=TEST_ACTOR)
    assert service.allocate(session, order=held, actor=TEST_ACTOR).outcome == "skipped"
    cancelled = order(session, status="cancelled")
    assert service.allocate(session, order=cancelled, actor=TEST_ACTOR).outcome == "skipped"
    assert available(session, ids, "HZ", "A") == 5


def test_refunded_lines_are_not_reserved(session: Session) -> None:
    ids = seed(session)
    put_stock(session, ids, {"HZ": {"A": 5, "B": 5}})
    o = order(session, lines=[("A", 1), ("B", 2)])
    o.lines[1].refund_status = "refunded"
    service.allocate(session, order=o, actor=TEST_ACTOR)
    assert available(session, ids, "HZ", "A") == 4 and available(session, ids, "HZ", "B") == 5


def pay(session: Session, o) -> None:
    o.paid_at = clock.now()
    transition(session, o, lc.PAID, actor=TEST_ACTOR, reason="paid")


def test_demo_rules_route_every_province_somewhere(session: Session) -> None:
    seed_demo_stock(session, actor=TEST_ACTOR)
    assert seed_demo_rules(session, actor=TEST_ACTOR) == 3
    assert seed_demo_rules(session, actor=TEST_ACTOR) == 0
    undecided = []
    for province in PROVINCES:
        o = order(session, lines=[("MY-CASH-GRY", 1)], province=province)
        if service.allocate(session, order=o, actor=TEST_ACTOR).outcome != "allocated":
            undecided.append(province)
    assert undecided == []
