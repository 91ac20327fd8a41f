"""Transfer requests between warehouses: requested -> shipped -> received, the ledger and events."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from orderhub.core import clock
from orderhub.core.errors import InvalidInput
from orderhub.core.models import AuditEntry
from orderhub.inventory import service, transfers
from orderhub.inventory.errors import InsufficientStock
from orderhub.inventory.models import StockMovement
from tests.inventory.helpers import ACTOR, events, make_warehouse, stocked


def _level(session, code, wh):
    level = service.level_of(session, code, wh.id)
    return level.on_hand, level.reserved, level.in_transit


def test_request_ship_receive_moves_stock_and_keeps_the_ledger_right(session):
    hz, cd = make_warehouse(session, "HZ"), make_warehouse(session, "CD")
    stocked(session, "A", hz, 40)
    stocked(session, "A", cd, 0)
    when = clock.now() + timedelta(days=3)
    req = transfers.request_transfer(session, sku="A", from_warehouse="HZ", to_warehouse="CD",
                                     quantity=15, expected_at=when, actor=ACTOR, note="补成都仓")
    assert req.status == "requested" and _level(session, "A", hz) == (40, 0, 0)  # nothing moved yet
    transfers.ship(session, transfer_id=req.id, actor=ACTOR)
    assert _level(session, "A", hz) == (25, 0, 0)
    assert _level(session, "A", cd) == (0, 0, 15)
    assert service.level_of(session, "A", cd.id).in_transit_expected_at == when
    assert service.verify(session) == []
    transfers.receive(session, transfer_id=req.id, actor=ACTOR)
    assert _level(session, "A", cd) == (15, 0, 0)
    assert service.level_of(session, "A", cd.id).in_transit_expected_at is None
    assert service.verify(session) == []
    kinds = [(m.kind, m.warehouse_id, m.on_hand_delta, m.in_transit_delta) for m in session.scalars(
        select(StockMovement).where(StockMovement.reference == f"transfer#{req.id}").order_by(StockMovement.id))]
    assert kinds == [("transfer_out", hz.id, -15, 0), ("transfer_in", cd.id, 0, 15),
                     ("transfer_in", cd.id, 15, -15)]
    received = events(session, "stock.received")[-1]
    assert received.payload == {"sku": "A", "warehouse_id": cd.id, "quantity": 15}
    assert [e.topic for e in events(session, "transfer.shipped")] == ["transfer.shipped"]
    actions = set(session.scalars(select(AuditEntry.action).where(AuditEntry.entity_type == "transfer")))
    assert actions == {"transfer.requested", "transfer.shipped", "transfer.received"}
    assert transfers.row(session, req.id).status == "received"


def test_ship_is_refused_when_the_source_has_too_few_available(session):
    hz, cd = make_warehouse(session, "HZ"), make_warehouse(session, "CD")
    stocked(session, "A", hz, 10)
    service.reserve(session, order_id=7, warehouse_id=hz.id, lines=[("A", 6)], actor=ACTOR)
    req = transfers.request_transfer(session, sku="A", from_warehouse=hz.id, to_warehouse=cd.id,
                                     quantity=5, expected_at=clock.now() + timedelta(days=1), actor=ACTOR)
    # the savepoint stands in for the use case's transaction, rolled back by the error
    with pytest.raises(InsufficientStock, match="4 of A available"), session.begin_nested():
        transfers.ship(session, transfer_id=req.id, actor=ACTOR)
    assert transfers.get(session, req.id).status == "requested"
    assert _level(session, "A", hz) == (10, 6, 0)
    assert service.verify(session) == []


def test_state_machine_refuses_steps_out_of_order(session):
    hz = make_warehouse(session, "HZ")
    make_warehouse(session, "CD")
    stocked(session, "A", hz, 10)
    when = clock.now() + timedelta(days=1)
    req = transfers.request_transfer(session, sku="A", from_warehouse="HZ", to_warehouse="CD",
                                     quantity=2, expected_at=when, actor=ACTOR)
    with pytest.raises(transfers.TransferStateError, match="is requested, not shipped"):
        transfers.receive(session, transfer_id=req.id, actor=ACTOR)
    transfers.cancel(session, transfer_id=req.id, actor=ACTOR)
    with pytest.raises(transfers.TransferStateError, match="is cancelled"):
        transfers.ship(session, transfer_id=req.id, actor=ACTOR)
    assert _level(session, "A", hz) == (10, 0, 0)
    with pytest.raises(transfers.TransferNotFound):
        transfers.ship(session, transfer_id=req.id + 99, actor=ACTOR)
    assert [r.status for r in transfers.listing(session, status="open")] == []
    assert [r.status for r in transfers.listing(session, status="cancelled")] == ["cancelled"]


@pytest.mark.parametrize("kwargs, message", [
    ({"quantity": 0}, "quantity must be a whole number above 0"),
    ({"to_warehouse": "HZ"}, "two different warehouses"),
    ({"expected_at": "tomorrow"}, "expected_at is a date and time"),
    ({"expected_days": -1}, "in the past"),
    ({"sku": "NOPE"}, "unknown SKU"),
])
def test_bad_requests_get_a_clear_error(session, kwargs, message):
    make_warehouse(session, "HZ"), make_warehouse(session, "CD")
    stocked(session, "A", service.find_warehouse(session, "HZ"), 10)
    args = {"sku": "A", "from_warehouse": "HZ", "to_warehouse": "CD", "quantity": 1,
            "expected_at": clock.now() + timedelta(days=kwargs.pop("expected_days", 1))}
    with pytest.raises(InvalidInput, match=message):
        transfers.request_transfer(session, actor=ACTOR, **{**args, **kwargs})


def test_two_transfers_in_transit_to_one_warehouse_receive_separately(session):
    hz, gz, cd = make_warehouse(session, "HZ"), make_warehouse(session, "GZ"), make_warehouse(session, "CD")
    stocked(session, "A", hz, 10)
    stocked(session, "A", gz, 10)
    soon, later = clock.now() + timedelta(days=1), clock.now() + timedelta(days=4)
    one = transfers.request_transfer(session, sku="A", from_warehouse="HZ", to_warehouse="CD",
                                     quantity=3, expected_at=soon, actor=ACTOR)
    two = transfers.request_transfer(session, sku="A", from_warehouse="GZ", to_warehouse="CD",
                                     quantity=4, expected_at=later, actor=ACTOR)
    transfers.ship(session, transfer_id=one.id, actor=ACTOR)
    transfers.ship(session, transfer_id=two.id, actor=ACTOR)
    assert _level(session, "A", cd) == (0, 0, 7)
    transfers.receive(session, transfer_id=one.id, actor=ACTOR)
    assert _level(session, "A", cd) == (3, 0, 4)
    assert service.level_of(session, "A", cd.id).in_transit_expected_at == later
    transfers.receive(session, transfer_id=two.id, actor=ACTOR)
    assert _level(session, "A", cd) == (7, 0, 0)
    assert service.verify(session) == []
