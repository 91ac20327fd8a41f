"""The backorder queue on receipt (FIFO by paid time, VIP first, all-or-nothing per order) and
the event handlers, each delivered twice to prove it idempotent."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from orderhub.core import outbox, worker
from orderhub.core.db import unit_of_work
from orderhub.core.models import OutboxEvent
from orderhub.inventory import service as inventory
from orderhub.orders import lifecycle as lc
from orderhub.orders.holds import add_hold, resolve_hold
from orderhub.orders.service import cancel_order, get_order, transition
from orderhub.routing import config, decisions, queue, service, tasks
from tests.builders import TEST_ACTOR
from tests.routing.helpers import available, events, order, put_stock, seed
from tests.support.fixtures import FakeClock


def receive(session: Session, ids: dict[str, int], code: str, sku: str, qty: int) -> OutboxEvent:
    """Goods arrive; the stock.received event is handed to routing's handler as the worker would."""
    inventory.receive(session, sku=sku, warehouse_id=ids[code], quantity=qty, actor=TEST_ACTOR)
    event = events(session, "stock.received")[-1]
    tasks.on_stock_received(session, event)
    return event


def backordered(session: Session, **kw) -> object:
    o = order(session, **kw)
    assert service.allocate(session, order=o, actor=TEST_ACTOR).outcome == "awaiting_stock"
    return o


def test_receipt_activates_waiting_orders_fifo_by_paid_time_vip_first(session: Session) -> None:
    ids = seed(session)
    first = backordered(session, paid_at="2026-11-23T10:00:00+08:00")
    second = backordered(session, paid_at="2026-11-23T10:05:00+08:00")
    vip_late = backordered(session, paid_at="2026-11-23T11:00:00+08:00", tags=["vip"])
    priority_later = backordered(session, paid_at="2026-11-23T12:00:00+08:00", priority=5)
    order_of_queue = [o.id for _, o in queue.waiting(session, sku="A")]
    assert order_of_queue == [vip_late.id, priority_later.id, first.id, second.id]

    receive(session, ids, "HZ", "A", 3)
    assert [o.status for o in (vip_late, priority_later, first, second)] == [
        lc.ALLOCATED, lc.ALLOCATED, lc.ALLOCATED, lc.AWAITING_STOCK]
    allocated = [e.aggregate_id for e in events(session, "order.allocated")]
    assert allocated == [str(vip_late.id), str(priority_later.id), str(first.id)]
    assert queue.entry_for(session, second.id).status == "waiting"
    assert queue.entry_for(session, first.id).status == "activated"

    receive(session, ids, "GZ", "A", 1)
    assert second.status == lc.ALLOCATED and available(session, ids, "GZ", "A") == 0
    assert decisions.latest(session, second.id).details["from_backorder"] is True


def test_an_order_that_still_cannot_be_covered_does_not_block_smaller_ones(session: Session) -> None:
    ids = seed(session)
    big = backordered(session, lines=[("A", 5)], paid_at="2026-11-23T10:00:00+08:00")
    small = backordered(session, lines=[("A", 2)], paid_at="2026-11-23T10:30:00+08:00")
    receive(session, ids, "HZ", "A", 3)
    assert (big.status, small.status) == (lc.AWAITING_STOCK, lc.ALLOCATED)
    assert available(session, ids, "HZ", "A") == 1  # the big one took nothing


def test_bundles_wait_for_every_component(session: Session) -> None:
    ids = seed(session)
    kit = backordered(session, lines=[("KIT", 1)])
    assert queue.entry_for(session, kit.id).skus == {"A": 1, "B": 2}
    receive(session, ids, "HZ", "A", 1)
    assert kit.status == lc.AWAITING_STOCK
    receive(session, ids, "HZ", "B", 2)
    assert kit.status == lc.ALLOCATED
    assert available(session, ids, "HZ", "A") == 0 and available(session, ids, "HZ", "B") == 0


def test_the_same_receipt_delivered_twice_activates_nothing_more(session: Session) -> None:
    ids = seed(session)
    first = backordered(session, paid_at="2026-11-23T10:00:00+08:00")
    second = backordered(session, paid_at="2026-11-23T10:05:00+08:00")
    event = receive(session, ids, "HZ", "A", 1)
    tasks.on_stock_received(session, event)
    assert (first.status, second.status) == (lc.ALLOCATED, lc.AWAITING_STOCK)
    assert len(inventory.active_reservations(session, first.id)) == 1
    assert len(events(session, "order.allocated")) == 1


def test_a_held_backorder_is_skipped_and_tries_again_when_released(session: Session) -> None:
    ids = seed(session)
    held = backordered(session, paid_at="2026-11-23T10:00:00+08:00")
    hold = add_hold(session, order_no=held.order_no, reason_code="manual", reason="", actor=TEST_ACTOR)
    later = backordered(session, paid_at="2026-11-23T10:05:00+08:00")
    receive(session, ids, "HZ", "A", 2)
    assert (held.status, later.status) == (lc.ON_HOLD, lc.ALLOCATED)
    resolve_hold(session, order_no=held.order_no, hold_id=hold.id, resolution="ok", actor=TEST_ACTOR)
    released = events(session, "order.released", held.id)[-1]
    assert held.status == lc.AWAITING_STOCK
    tasks.on_released(session, released)
    tasks.on_released(session, released)
    assert held.status == lc.ALLOCATED and available(session, ids, "HZ", "A") == 0
    assert len(events(session, "order.allocated", held.id)) == 1


def test_paid_and_released_events_allocate_once(session: Session) -> None:
    ids = seed(session)
    put_stock(session, ids, {"HZ": {"A": 5}})
    o = order(session, status="unpaid")
    hold = add_hold(session, order_no=o.order_no, reason_code="manual", reason="", actor=TEST_ACTOR)
    o.paid_at = o.created_at
    service_transition_paid_while_held(session, o)
    paid = events(session, "order.paid", o.id)[-1]
    tasks.on_paid(session, paid)  # still on hold: nothing
    assert o.status == lc.ON_HOLD and available(session, ids, "HZ", "A") == 5
    resolve_hold(session, order_no=o.order_no, hold_id=hold.id, resolution="ok", actor=TEST_ACTOR)
    released = events(session, "order.released", o.id)[-1]
    for _ in range(2):
        tasks.on_released(session, released)
        tasks.on_paid(session, paid)
    assert o.status == lc.ALLOCATED and available(session, ids, "HZ", "A") == 4
    assert len(events(session, "order.allocated", o.id)) == 1


def service_transition_paid_while_held(session: Session, o) -> None:
    """What the order service does when a held unpaid order gets paid: held_from becomes paid
    and order.paid is announced (see orders.service._follow_platform_status)."""
    o.held_from = lc.PAID
    outbox.emit(session, "order.paid", aggregate_type="order", aggregate_id=o.id, actor=TEST_ACTOR,
                payload={"order_no": o.order_no, "while_on_hold": True})
    session.flush()


def test_cancel_releases_the_stock_and_leaves_the_queues(session: Session) -> None:
    ids = seed(session)
    put_stock(session, ids, {"HZ": {"A": 1}})
    allocated = order(session)
    service.allocate(session, order=allocated, actor=TEST_ACTOR)
    waiting = backordered(session)
    manual = order(session, lines=[(None, 1)])
    service.allocate(session, order=manual, actor=TEST_ACTOR)
    for o in (allocated, waiting, manual):
        cancel_order(session, order_no=o.order_no, actor=TEST_ACTOR, reason="buyer asked")
        event = events(session, "order.cancelled", o.id)[-1]
        tasks.on_cancelled(session, event)
        tasks.on_cancelled(session, event)
    assert available(session, ids, "HZ", "A") == 1
    assert inventory.active_reservations(session, allocated.id) == []
    assert queue.entry_for(session, waiting.id).status == "cancelled"
    assert decisions.open_manual(session, manual.id) is None


def test_closing_an_unpaid_order_releases_its_ttl_reservation(session: Session) -> None:
    ids = seed(session)
    put_stock(session, ids, {"HZ": {"A": 2}})
    o = order(session, status="unpaid")
    service.allocate(session, order=o, actor=TEST_ACTOR)
    assert available(session, ids, "HZ", "A") == 1
    transition(session, o, lc.CLOSED, actor=TEST_ACTOR, reason="unpaid timeout")
    event = events(session, "order.closed", o.id)[-1]
    tasks.on_closed(session, event)
    tasks.on_closed(session, event)
    assert available(session, ids, "HZ", "A") == 2


def test_expiry_leaves_no_half_reserved_split(session: Session, fake_clock: FakeClock) -> None:
    ids = seed(session)
    put_stock(session, ids, {"HZ": {"A": 1}, "GZ": {"B": 1}})
    config.update_config(session, actor=TEST_ACTOR, allow_split=True)
    o = order(session, lines=[("A", 1), ("B", 1)], status="unpaid")
    assert service.allocate(session, order=o, actor=TEST_ACTOR).outcome == "reserved_unpaid"
    assert len(inventory.active_reservations(session, o.id)) == 2
    # One warehouse's rows lapse first (say, made firm elsewhere late): the handler clears the rest.
    inventory.release(session, order_id=o.id, actor=TEST_ACTOR, reason="simulated partial lapse")
    inventory.reserve(session, order_id=o.id, warehouse_id=ids["GZ"], lines=[("B", 1)],
                      actor=TEST_ACTOR, expires_at=None)
    event = outbox.emit(session, "reservation.expired", aggregate_type="order", aggregate_id=o.id,
                        actor=TEST_ACTOR, payload={"order_id": o.id, "units": 1})
    session.flush()
    tasks.on_reservation_expired(session, event)
    tasks.on_reservation_expired(session, event)
    assert inventory.active_reservations(session, o.id) == []
    assert available(session, ids, "HZ", "A") == 1 and available(session, ids, "GZ", "B") == 1


def test_expiry_of_a_paid_orders_reservation_routes_it_again(session: Session,
                                                             fake_clock: FakeClock) -> None:
    ids = seed(session)
    put_stock(session, ids, {"HZ": {"A": 1}})
    o = order(session, status="unpaid")
    service.allocate(session, order=o, actor=TEST_ACTOR)
    transition(session, o, lc.PAID, actor=TEST_ACTOR, reason="paid")  # order.paid not handled yet
    fake_clock.advance(16 * 60)
    inventory.expire_due(session, actor=TEST_ACTOR)
    tasks.on_reservation_expired(session, events(session, "reservation.expired", o.id)[-1])
    assert o.status == lc.ALLOCATED and available(session, ids, "HZ", "A") == 0
    tasks.on_paid(session, events(session, "order.paid", o.id)[-1])
    assert len(events(session, "order.allocated", o.id)) == 1


def test_firm_reservations_are_left_alone_on_expiry_events(session: Session) -> None:
    ids = seed(session)
    put_stock(session, ids, {"HZ": {"A": 1}})
    o = order(session)
    service.allocate(session, order=o, actor=TEST_ACTOR)
    event = outbox.emit(session, "reservation.expired", aggregate_type="order", aggregate_id=o.id,
                        actor=TEST_ACTOR, payload={"order_id": o.id})
    session.flush()
    tasks.on_reservation_expired(session, event)
    assert available(session, ids, "HZ", "A") == 0 and o.status == lc.ALLOCATED


def test_handlers_ignore_events_about_orders_that_do_not_exist(session: Session) -> None:
    for handler, topic in ((tasks.on_paid, "order.paid"), (tasks.on_cancelled, "order.cancelled"),
                           (tasks.on_reservation_expired, "reservation.expired")):
        event = outbox.emit(session, topic, aggregate_type="order", aggregate_id=999999999,
                            actor=TEST_ACTOR, payload={"order_id": 999999999})
        session.flush()
        handler(session, event)
    assert decisions.latest(session, 999999999) is None
    assert inventory.active_reservations(session, 999999999) == []


def test_the_worker_activates_backorders_once_the_receipt_commits(committed: Engine) -> None:
    with unit_of_work() as session:
        ids = seed(session)
        first = backordered(session, paid_at="2026-11-23T10:00:00+08:00").order_no
        second = backordered(session, paid_at="2026-11-23T10:01:00+08:00").order_no
    with unit_of_work() as session:
        inventory.receive(session, sku="A", warehouse_id=ids["CD"], quantity=1, actor=TEST_ACTOR)
        inventory.receive(session, sku="A", warehouse_id=ids["HZ"], quantity=1, actor=TEST_ACTOR)
    worker.run(burst=True, engine=committed)
    with unit_of_work() as session:
        one, two = get_order(session, first), get_order(session, second)
        assert (one.status, two.status) == (lc.ALLOCATED, lc.AWAITING_STOCK)
        assert one.attributes["allocated_warehouse"] == "HZ"  # CD does not serve Zhejiang
