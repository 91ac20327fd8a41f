"""Stocktake with supervisor approval; replenishment suggestions; demo seed."""

from __future__ import annotations

from datetime import timedelta

import pytest

from orderhub.core.actor import Actor
from orderhub.core.errors import InvalidInput, PermissionDenied
from orderhub.inventory import demo, replenishment, service, stocktake
from orderhub.inventory.errors import StocktakeStateError
from tests.inventory.helpers import ACTOR, events, levels, make_warehouse, stocked

CLERK = Actor(kind="user", name="clerk", id=7, role="warehouse")
BOSS = Actor(kind="user", name="boss", id=8, role="supervisor")


def test_counts_differences_reasons_and_approval(session):
    hz = make_warehouse(session)
    stocked(session, "A", hz, 10)
    stocked(session, "B", hz, 5)
    service.reserve(session, order_id=1, warehouse_id=hz.id, lines=[("A", 3)], actor=ACTOR)
    take = stocktake.start(session, warehouse="HZ", actor=CLERK)
    counts = stocktake.parse_counts_csv("sku,counted,reason\nA,8,破损2件\nB,5,\n".encode("utf-8-sig"))
    stocktake.record_counts(session, stocktake_id=take.id, counts=counts, actor=CLERK)
    assert [(c.sku, c.difference) for c in stocktake.lines(session, take.id)] == [("A", -2), ("B", 0)]
    with pytest.raises(StocktakeStateError):
        stocktake.approve(session, stocktake_id=take.id, actor=BOSS)  # still a draft
    stocktake.submit(session, stocktake_id=take.id, actor=CLERK)
    with pytest.raises(PermissionDenied):
        stocktake.approve(session, stocktake_id=take.id, actor=CLERK)
    # Meanwhile the reserved units ship: the count's system figure was taken before that.
    service.consume(session, order_id=1, actor=ACTOR)
    stocktake.approve(session, stocktake_id=take.id, actor=BOSS, comment="ok")
    assert levels(session, "A", hz) == (5, 0)  # 10 - 3 shipped - 2 broken
    assert levels(session, "B", hz) == (5, 0)
    assert service.verify(session) == []
    assert [e.topic for e in events(session, "stocktake.approved")] == ["stocktake.approved"]
    with pytest.raises(StocktakeStateError):
        stocktake.approve(session, stocktake_id=take.id, actor=BOSS)


def test_differences_need_reasons_and_rejection_needs_a_comment(session):
    hz = make_warehouse(session)
    stocked(session, "A", hz, 10)
    take = stocktake.start(session, warehouse=hz.id, actor=CLERK)
    stocktake.record_counts(session, stocktake_id=take.id, counts=[("A", 12, "")], actor=CLERK)
    with pytest.raises(InvalidInput) as err:
        stocktake.submit(session, stocktake_id=take.id, actor=CLERK)
    assert err.value.details["skus"] == ["A"]
    stocktake.record_counts(session, stocktake_id=take.id, counts=[("A", 12, "上次漏点")], actor=CLERK)
    stocktake.submit(session, stocktake_id=take.id, actor=CLERK)
    with pytest.raises(InvalidInput):
        stocktake.reject(session, stocktake_id=take.id, actor=BOSS, comment=" ")
    stocktake.reject(session, stocktake_id=take.id, actor=BOSS, comment="重点")
    assert levels(session, "A", hz) == (10, 0)
    for bad in (b"sku,qty\nA,1\n", b"sku,counted\nA,one\n", b"\xff\xfe"):
        with pytest.raises(InvalidInput):
            stocktake.parse_counts_csv(bad)


def test_replenishment_suggests_from_velocity(session, fake_clock):
    hz = make_warehouse(session)
    stocked(session, "A", hz, 100, safety=20)
    stocked(session, "B", hz, 100, safety=5)
    for day in range(20):  # 4 units of A sold a day for 20 days
        service.reserve(session, order_id=100 + day, warehouse_id=hz.id, lines=[("A", 4)], actor=ACTOR)
        service.consume(session, order_id=100 + day, actor=ACTOR)
        fake_clock.advance(timedelta(days=1).total_seconds())
    assert replenishment.suggestions(session) == []  # available 20, not below 20
    service.reserve(session, order_id=999, warehouse_id=hz.id, lines=[("A", 2)], actor=ACTOR)
    service.reserve(session, order_id=998, warehouse_id=hz.id, lines=[("B", 1)], actor=ACTOR)
    service.reserve(session, order_id=997, warehouse_id=hz.id, lines=[("B", 1)], actor=ACTOR)
    service.release(session, order_id=997, actor=ACTOR, reason="cancel")  # not a sale
    [row] = replenishment.suggestions(session)
    # 14 days: 13 x 4 + 2 = 58 -> 58/14 a day beats 30 days' 82/30; 21 days of lead + cover.
    assert (row.sku, row.available, row.sold_14d, row.sold_30d) == ("A", 18, 58, 82)
    assert row.suggested == 87 + 20 - 18
    csv_text = replenishment.to_csv([row])
    assert csv_text.splitlines()[0].startswith("sku,name,warehouse") and ",89" in csv_text
    b = next(r for r in replenishment.suggestions(session, only_low=False) if r.sku == "B")
    assert (b.sold_14d, b.suggested) == (1, 0)


def test_demo_seed_is_idempotent(session):
    demo.seed_demo_stock(session, actor=ACTOR)
    demo.seed_demo_stock(session, actor=ACTOR)
    codes = {w.code: w.id for w in service.warehouses(session)}
    assert set(codes) == {"HZ", "GZ", "CD"}
    hot = service.availability(session, skus=[demo.HOT_SKU])
    assert sum(hot.values()) == 5
    assert service.expand(session, [(demo.BUNDLE, 1)]) == [
        ("MY-CASH-GRY", 1), ("ST-GLOVE-TOUCH", 1), ("YD-2026-BLK-L", 1)]
    for wh in service.warehouses(session):
        assert len(wh.delivery_days) == 31 and set(wh.delivery_days.values()) <= {1, 2, 3, 4, 5}
    assert service.verify(session) == []
