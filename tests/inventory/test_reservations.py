"""Reservation use cases on one database session (the concurrency proofs are in test_concurrency)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from orderhub.core import clock
from orderhub.core.errors import InvalidInput
from orderhub.inventory import service
from orderhub.inventory.errors import NothingReserved, UnknownSku
from orderhub.inventory.models import Reservation
from tests.inventory.helpers import (
    ACTOR,
    events,
    levels,
    make_sku,
    make_warehouse,
    stocked,
)


def test_reserve_takes_the_quantity_and_writes_reservation_and_ledger(session):
    hz = make_warehouse(session)
    stocked(session, "A", hz, 10)
    assert service.reserve(session, order_id=1, warehouse_id=hz.id, lines=[("A", 3)], actor=ACTOR)
    assert levels(session, "A", hz) == (10, 3)
    assert service.availability(session, skus=["A"]) == {("A", hz.id): 7}
    [res] = service.active_reservations(session, 1)
    assert (res.quantity, res.status, res.expires_at) == (3, "active", None)
    assert service.verify(session) == []


def test_reserve_is_all_or_nothing_across_lines(session):
    hz = make_warehouse(session)
    stocked(session, "A", hz, 10)
    stocked(session, "B", hz, 1)
    stocked(session, "C", hz, 10)
    ok = service.reserve(session, order_id=2, warehouse_id=hz.id,
                         lines=[("C", 2), ("A", 5), ("B", 2)], actor=ACTOR)
    assert ok is False
    assert [levels(session, c, hz) for c in "ABC"] == [(10, 0), (1, 0), (10, 0)]
    assert service.active_reservations(session, 2) == []
    assert session.scalar(select(Reservation).where(Reservation.order_id == 2)) is None
    assert service.verify(session) == []


def test_all_or_nothing_when_the_first_row_is_short_and_the_later_ones_are_not(session):
    # On PostgreSQL the rows' statements go out together (one pipeline): the later rows are
    # taken and given back in the same transaction, leaving no trace.
    hz = make_warehouse(session)
    stocked(session, "A", hz, 1)
    stocked(session, "B", hz, 10)
    stocked(session, "C", hz, 10)
    ok = service.reserve(session, order_id=4, warehouse_id=hz.id,
                         lines=[("B", 2), ("A", 2), ("C", 3)], actor=ACTOR)
    assert ok is False
    assert [levels(session, c, hz) for c in "ABC"] == [(1, 0), (10, 0), (10, 0)]
    assert session.scalar(select(Reservation).where(Reservation.order_id == 4)) is None
    assert service.verify(session) == []
    assert service.reserve(session, order_id=4, warehouse_id=hz.id,
                           lines=[("B", 2), ("A", 1), ("C", 3)], actor=ACTOR)
    assert [levels(session, c, hz) for c in "ABC"] == [(1, 1), (10, 2), (10, 3)]
    assert service.verify(session) == []


def test_missing_stock_row_in_the_warehouse_is_not_covered(session):
    hz, gz = make_warehouse(session), make_warehouse(session, "GZ")
    stocked(session, "A", hz, 10)
    assert service.reserve(session, order_id=3, warehouse_id=gz.id, lines=[("A", 1)], actor=ACTOR) is False
    assert service.availability(session, skus=["A"], warehouse_ids=[gz.id]) == {}


def test_bundles_reserve_components_by_ratio(session):
    hz = make_warehouse(session)
    stocked(session, "COAT", hz, 10)
    stocked(session, "GLOVE", hz, 10)
    make_sku(session, "SET")
    service.set_bundle(session, code="SET", parts=[("COAT", 1), ("GLOVE", 2)], actor=ACTOR)
    assert service.expand(session, [("SET", 2), ("GLOVE", 1), ("X", 1)]) == [
        ("COAT", 2), ("GLOVE", 5), ("X", 1)]
    info = service.sku_info(session, ["SET", "COAT", "NOPE"])
    assert set(info) == {"SET", "COAT"} and info["SET"].is_bundle and not info["COAT"].is_bundle
    assert service.reserve(session, order_id=4, warehouse_id=hz.id, lines=[("SET", 3), ("GLOVE", 1)],
                           actor=ACTOR)
    assert levels(session, "COAT", hz) == (10, 3)
    assert levels(session, "GLOVE", hz) == (10, 7)
    assert service.availability(session, skus=["SET"]) == {("COAT", hz.id): 7, ("GLOVE", hz.id): 3}
    assert service.reserve(session, order_id=5, warehouse_id=hz.id, lines=[("SET", 2)], actor=ACTOR) is False


def test_reserve_is_idempotent_per_order_and_warehouse(session):
    hz = make_warehouse(session)
    stocked(session, "A", hz, 10)
    for _ in range(3):
        assert service.reserve(session, order_id=6, warehouse_id=hz.id, lines=[("A", 4)], actor=ACTOR)
    assert levels(session, "A", hz) == (10, 4)


def test_bad_lines_are_refused(session):
    hz = make_warehouse(session)
    stocked(session, "A", hz, 10)
    with pytest.raises(UnknownSku):
        service.reserve(session, order_id=7, warehouse_id=hz.id, lines=[("A", 1), ("NOPE", 1)], actor=ACTOR)
    for bad in (0, -1, 1.5, True):
        with pytest.raises(InvalidInput):
            service.reserve(session, order_id=7, warehouse_id=hz.id, lines=[("A", bad)], actor=ACTOR)
    with pytest.raises(InvalidInput):
        service.reserve(session, order_id=7, warehouse_id=hz.id, lines=[], actor=ACTOR)
    assert levels(session, "A", hz) == (10, 0)


def test_release_confirm_consume(session):
    hz = make_warehouse(session)
    stocked(session, "A", hz, 10)
    service.reserve(session, order_id=8, warehouse_id=hz.id, lines=[("A", 4)], actor=ACTOR,
                    expires_at=clock.now() + timedelta(minutes=15))
    service.confirm(session, order_id=8, actor=ACTOR)
    assert service.active_reservations(session, 8)[0].expires_at is None
    service.consume(session, order_id=8, actor=ACTOR)
    assert levels(session, "A", hz) == (6, 0)
    with pytest.raises(NothingReserved):
        service.consume(session, order_id=8, actor=ACTOR)
    service.reserve(session, order_id=9, warehouse_id=hz.id, lines=[("A", 5)], actor=ACTOR)
    assert service.release(session, order_id=9, actor=ACTOR, reason="cancelled") == 5
    assert service.release(session, order_id=9, actor=ACTOR, reason="cancelled") == 0
    assert levels(session, "A", hz) == (6, 0)
    kinds = [m for m in service.rebuild(session).values()]
    assert kinds == [(6, 0, 0)]
    assert service.verify(session) == []


def test_ttl_expiry_releases_only_expired_unpaid_reservations(session, fake_clock):
    hz = make_warehouse(session)
    stocked(session, "A", hz, 10)
    assert service.ttl_minutes(session) == 15
    service.reserve(session, order_id=10, warehouse_id=hz.id, lines=[("A", 2)], actor=ACTOR,
                    expires_at=service.default_expiry(session))
    service.reserve(session, order_id=11, warehouse_id=hz.id, lines=[("A", 3)], actor=ACTOR,
                    expires_at=service.default_expiry(session))
    service.confirm(session, order_id=11, actor=ACTOR)  # paid in time
    fake_clock.advance(14 * 60)
    assert service.expire_due(session, actor=ACTOR) == []
    fake_clock.advance(61)
    assert service.expire_due(session, actor=ACTOR) == [10]
    assert levels(session, "A", hz) == (10, 3)
    [event] = events(session, "reservation.expired")
    assert event.payload == {"order_id": 10, "units": 2}


def test_ttl_setting_is_bounded(session):
    service.set_ttl_minutes(session, minutes=30, actor=ACTOR)
    assert service.ttl_minutes(session) == 30
    for bad in (0, 31, "10"):
        with pytest.raises(InvalidInput):
            service.set_ttl_minutes(session, minutes=bad, actor=ACTOR)


def test_receive_emits_stock_received_and_low_stock_on_crossing(session):
    hz = make_warehouse(session)
    stocked(session, "A", hz, 10, safety=5)
    level = service.receive(session, sku="A", warehouse_id=hz.id, quantity=4, actor=ACTOR)
    assert level.on_hand == 14
    [received] = events(session, "stock.received")
    assert received.payload == {"sku": "A", "warehouse_id": hz.id, "quantity": 4}
    service.reserve(session, order_id=12, warehouse_id=hz.id, lines=[("A", 9)], actor=ACTOR)
    assert events(session, "stock.low") == []  # available 5, not below 5
    service.reserve(session, order_id=13, warehouse_id=hz.id, lines=[("A", 1)], actor=ACTOR)
    service.reserve(session, order_id=14, warehouse_id=hz.id, lines=[("A", 1)], actor=ACTOR)
    [low] = events(session, "stock.low")  # once, on the crossing
    assert low.payload["sku"] == "A" and low.payload["available"] == 4
    with pytest.raises(InvalidInput):
        service.receive(session, sku="A", warehouse_id=hz.id, quantity=0, actor=ACTOR)


def test_set_level_cannot_go_below_reserved(session):
    hz = make_warehouse(session)
    stocked(session, "A", hz, 10)
    service.reserve(session, order_id=15, warehouse_id=hz.id, lines=[("A", 6)], actor=ACTOR)
    with pytest.raises(Exception) as err:
        service.set_level(session, sku="A", warehouse_id=hz.id, on_hand=5, actor=ACTOR)
    assert "reserved" in str(err.value)
    service.set_level(session, sku="A", warehouse_id=hz.id, on_hand=6, actor=ACTOR)
    assert levels(session, "A", hz) == (6, 6)
    assert service.verify(session) == []


def test_warehouses_lists_active_ones(session):
    a, b = make_warehouse(session, "HZ"), make_warehouse(session, "GZ")
    service.upsert_warehouse(session, code="GZ", actor=ACTOR, active=False)
    assert [w.code for w in service.warehouses(session)] == ["HZ"]
    assert a.id != b.id


def test_transfer_moves_available_units_into_transit_then_receipt(session):
    hz, gz = make_warehouse(session, "HZ"), make_warehouse(session, "GZ")
    stocked(session, "A", hz, 10)
    service.reserve(session, order_id=20, warehouse_id=hz.id, lines=[("A", 7)], actor=ACTOR)
    when = clock.now() + timedelta(days=2)
    assert service.transfer(session, sku="A", from_warehouse_id=hz.id, to_warehouse_id=gz.id,
                            quantity=4, expected_at=when, actor=ACTOR) is False  # only 3 free
    assert service.transfer(session, sku="A", from_warehouse_id=hz.id, to_warehouse_id=gz.id,
                            quantity=3, expected_at=when, actor=ACTOR)
    assert levels(session, "A", hz) == (7, 7)
    arriving = service.level_of(session, "A", gz.id)
    assert (arriving.on_hand, arriving.in_transit, arriving.in_transit_expected_at) == (0, 3, when)
    service.receive(session, sku="A", warehouse_id=gz.id, quantity=3, actor=ACTOR, from_transit=True)
    arrived = service.level_of(session, "A", gz.id)
    assert (arrived.on_hand, arrived.in_transit, arrived.in_transit_expected_at) == (3, 0, None)
    assert service.verify(session) == []
    with pytest.raises(InvalidInput):
        service.transfer(session, sku="A", from_warehouse_id=gz.id, to_warehouse_id=gz.id,
                         quantity=1, expected_at=None, actor=ACTOR)
