"""Exactly the rows an allocation writes: the order's new status, version, time and attributes,
its two audit rows in order, the order.allocated event, the decision and today's load. On
PostgreSQL they are written in one statement (decisions.record_allocated), on SQLite through the
ORM (transition + record + count_allocation): the same assertions hold for both, and nothing is
written twice when the session flushes afterwards."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from orderhub.core import audit
from orderhub.core.models import AuditEntry, OutboxEvent
from orderhub.inventory import service as inventory
from orderhub.orders import lifecycle as lc
from orderhub.orders.models import Order
from orderhub.routing import config, decisions, service
from orderhub.routing.models import DailyLoad, RoutingDecision
from orderhub.routing.situation import today
from tests.builders import TEST_ACTOR
from tests.routing.helpers import events, order, put_stock, seed
from tests.support.fixtures import FakeClock


def _audit(session: Session, order_no: str) -> list[tuple]:
    return [tuple(r) for r in session.execute(
        select(AuditEntry.action, AuditEntry.before, AuditEntry.after, AuditEntry.before.is_(None),
               AuditEntry.actor_kind, AuditEntry.actor_id, AuditEntry.actor_name, AuditEntry.at)
        .where(AuditEntry.entity_type == "order", AuditEntry.entity_id == order_no)
        .order_by(AuditEntry.id))]


def _reload(session: Session, order_id: int) -> Order:
    session.flush()
    session.expire_all()
    return session.get(Order, order_id)


def _null_as_stored(session: Session) -> bool:
    """How audit.record stores `before=None` (SQL NULL or JSON null): the reference."""
    entry = audit.record(session, actor=TEST_ACTOR, entity_type="probe", entity_id="x", action="probe")
    session.flush()
    return session.scalar(select(AuditEntry.before.is_(None)).where(AuditEntry.id == entry.id))


def test_the_rows_of_an_allocation(session: Session, fake_clock: FakeClock) -> None:
    ids = seed(session)
    put_stock(session, ids, {"HZ": {"A": 5}})
    o = order(session, lines=[("A", 2)])
    session.flush()
    version, attributes, before = o.version, dict(o.attributes or {}), _audit(session, o.order_no)
    fake_clock.advance(60)
    at = fake_clock.now
    result = service.allocate(session, order=o, actor=TEST_ACTOR)
    assert result.outcome == "allocated"
    stored = _reload(session, o.id)
    assert (stored.status, stored.version, stored.updated_at) == (lc.ALLOCATED, version + 1, at)
    assert stored.attributes == {**attributes, "routing": "allocated", "allocated_warehouse": "HZ"}
    actor = (TEST_ACTOR.kind, TEST_ACTOR.id, TEST_ACTOR.name)
    summary = {"outcome": "allocated", "policy": "region_rule", "reason": "region_rule",
               "warehouse": "HZ"}
    assert _audit(session, o.order_no)[len(before):] == [
        ("order.status_changed", {"status": "paid"},
         {"status": "allocated", "reason": "routing: region_rule"}, False, *actor, at),
        ("routing.decided", None, summary, _null_as_stored(session), *actor, at),
    ]
    [event] = events(session, "order.allocated", o.id)
    assert (event.aggregate_type, event.aggregate_id, event.status, event.attempts) == (
        "order", str(o.id), "pending", 0)
    assert (event.created_at, event.available_at, event.actor) == (at, at, TEST_ACTOR.as_dict())
    assert (event.locked_by, event.locked_until, event.last_error, event.processed_at) == (None,) * 4
    assert event.payload == {"order_no": o.order_no, "from": "paid", "to": "allocated",
                             "reason": "routing: region_rule", "warehouse": "HZ",
                             "warehouses": ["HZ"], "policy": "region_rule"}
    [decision] = session.scalars(select(RoutingDecision).where(RoutingDecision.order_id == o.id))
    assert decision.id == result.decision.id
    assert (decision.outcome, decision.policy, decision.warehouse_code, decision.created_at) == (
        "allocated", "region_rule", "HZ", at)
    assert (decision.actor_kind, decision.actor_name) == (TEST_ACTOR.kind, TEST_ACTOR.name)
    assert [(s["warehouse"], s["warehouse_id"]) for s in decision.shipments] == [("HZ", ids["HZ"])]
    for name in ("shipments", "candidates", "weights", "details", "reason"):
        assert getattr(decision, name) == getattr(result.decision, name)
    load = session.scalar(select(DailyLoad.allocated).where(
        DailyLoad.warehouse_code == "HZ", DailyLoad.day == today(), DailyLoad.shard == o.id % 8))
    assert load == 1


def test_a_split_allocation_counts_both_warehouses_once(session: Session, fake_clock: FakeClock) -> None:
    ids = seed(session)
    put_stock(session, ids, {"HZ": {"A": 1}, "GZ": {"B": 2}})
    config.update_config(session, actor=TEST_ACTOR, allow_split=True)
    first = order(session, lines=[("A", 1), ("B", 2)])
    service.allocate(session, order=first, actor=TEST_ACTOR)
    put_stock(session, ids, {"HZ": {"A": 2}, "GZ": {"B": 4}})
    second = order(session, lines=[("A", 1), ("B", 2)], platform_order_id="SPLIT-2")
    service.allocate(session, order=second, actor=TEST_ACTOR)
    stored = _reload(session, second.id)
    assert stored.attributes["split_warehouses"] == ["GZ", "HZ"]
    assert stored.attributes["allocated_warehouse"] == "GZ"
    decided = [row for row in _audit(session, second.order_no) if row[0] == "routing.decided"]
    assert [row[2]["shipments"] for row in decided] == [["GZ", "HZ"]]
    [event] = events(session, "order.allocated", second.id)
    assert (event.payload["warehouses"], event.payload["policy"]) == (["GZ", "HZ"], "split")
    loads = {code: session.scalar(select(DailyLoad.allocated).where(
        DailyLoad.warehouse_code == code, DailyLoad.day == today(),
        DailyLoad.shard == second.id % 8)) for code in ("GZ", "HZ")}
    same_shard = first.id % 8 == second.id % 8
    assert loads == {"GZ": 2 if same_shard else 1, "HZ": 2 if same_shard else 1}


def test_an_event_of_the_reservation_keeps_its_place_before_order_allocated(
        session: Session, fake_clock: FakeClock) -> None:
    ids = seed(session)
    put_stock(session, ids, {"HZ": {"A": 5}})
    inventory.set_level(session, sku="A", warehouse_id=ids["HZ"], safety_stock=4, actor=TEST_ACTOR)
    o = order(session, lines=[("A", 2)])
    service.allocate(session, order=o, actor=TEST_ACTOR)
    session.flush()
    topics = list(session.scalars(select(OutboxEvent.topic).where(
        OutboxEvent.topic.in_(["stock.low", "order.allocated"])).order_by(OutboxEvent.id)))
    assert topics == ["stock.low", "order.allocated"]


def test_an_order_changed_before_allocation_keeps_that_change(session: Session,
                                                              fake_clock: FakeClock) -> None:
    ids = seed(session)
    put_stock(session, ids, {"HZ": {"A": 5}})
    o = order(session, lines=[("A", 1)])
    o.seller_memo = "gift wrap"  # pending in the session when allocation starts
    o.attributes = {**(o.attributes or {}), "note": "kept"}
    service.allocate(session, order=o, actor=TEST_ACTOR)
    fake_clock.advance(timedelta(minutes=1).total_seconds())
    stored = _reload(session, o.id)
    assert (stored.seller_memo, stored.attributes["note"], stored.status) == (
        "gift wrap", "kept", lc.ALLOCATED)
    assert decisions.latest(session, o.id).outcome == "allocated"
