"""Recording a batch in bulk: each order moved to label_printed gets the audit row and the
`order.label_printed` event `orders.service.transition` writes, and a batch costs the same
number of statements for 3 orders as for 12."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, event, select

from orderhub.core.db import unit_of_work
from orderhub.core.models import AuditEntry, OutboxEvent
from orderhub.fulfilment.carriers.models import Waybill
from orderhub.fulfilment.labels import service
from orderhub.orders import lifecycle as lc
from orderhub.orders.models import Order
from orderhub.orders.service import get_order, transition
from tests.fulfilment.carriers.support import Sims
from tests.fulfilment.labels.support import ACTOR, allocated

AUDIT = ("actor_kind", "actor_id", "actor_name", "entity_type", "entity_id", "action", "before", "after")
EVENT = ("topic", "aggregate_type", "aggregate_id", "payload", "actor", "status", "attempts")


def _rows(order: Order) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The order's label_printed audit rows and events, as plain values."""
    with unit_of_work() as session:
        audits = session.scalars(select(AuditEntry).where(
            AuditEntry.entity_id == order.order_no, AuditEntry.action == "order.status_changed")
            .order_by(AuditEntry.id)).all()
        events = session.scalars(select(OutboxEvent).where(
            OutboxEvent.aggregate_id == str(order.id), OutboxEvent.topic == "order.label_printed")
            .order_by(OutboxEvent.id)).all()
        assert all(e.available_at == e.created_at for e in events)
        return ([{k: getattr(a, k) for k in AUDIT} for a in audits if a.after["status"] == lc.LABEL_PRINTED],
                [{k: getattr(e, k) for k in EVENT} for e in events])


def test_bulk_rows_are_the_rows_transition_writes(sims: Sims, committed: Engine) -> None:
    with unit_of_work() as session:
        printed = [allocated(session, channel=c) for c in ("taobao", "pdd", "webhook")]
        by_hand = allocated(session, channel="webhook")
        versions = {o.id: o.version for o in [*printed, by_hand]}
    result = service.print_labels(committed, order_nos=[o.order_no for o in printed], actor=ACTOR)
    assert sorted(result.printed) == sorted(o.order_no for o in printed)
    tracking = {w["order_no"]: w for w in _entries(result.batch_id)}
    for order in printed:
        with unit_of_work() as session:
            stored = get_order(session, order.order_no)
            assert stored.status == lc.LABEL_PRINTED and stored.version == versions[order.id] + 1
        audits, events = _rows(order)
        reason = f"label batch {result.batch_id}"
        assert audits == [{"actor_kind": ACTOR.kind, "actor_id": ACTOR.id, "actor_name": ACTOR.name,
                           "entity_type": "order", "entity_id": order.order_no,
                           "action": "order.status_changed", "before": {"status": lc.ALLOCATED},
                           "after": {"status": lc.LABEL_PRINTED, "reason": reason}}]
        entry = tracking[order.order_no]
        assert events == [{"topic": "order.label_printed", "aggregate_type": "order",
                           "aggregate_id": str(order.id), "actor": ACTOR.as_dict(), "status": "pending",
                           "attempts": 0,
                           "payload": {"order_no": order.order_no, "from": lc.ALLOCATED,
                                       "to": lc.LABEL_PRINTED, "reason": reason,
                                       "batch_id": result.batch_id, "carrier": entry["carrier"],
                                       "tracking_no": entry["tracking_no"]}}]

    # The same move through transition(), one order: the same rows but for the order's own values.
    with unit_of_work() as session:
        order = get_order(session, by_hand.order_no)
        transition(session, order, lc.LABEL_PRINTED, actor=ACTOR, reason="label batch 0",
                   payload={"batch_id": 0, "carrier": "SF", "tracking_no": "SF0"})
    audits, events = _rows(by_hand)
    bulk_audits, bulk_events = _rows(printed[2])
    assert [set(a) for a in audits] == [set(a) for a in bulk_audits]
    assert [set(e["payload"]) for e in events] == [set(e["payload"]) for e in bulk_events]
    assert events[0]["actor"] == bulk_events[0]["actor"] and events[0]["topic"] == bulk_events[0]["topic"]


def _entries(batch_id: int) -> list[dict[str, Any]]:
    with unit_of_work() as session:
        batch = service.get_batch(session, batch_id)
        carriers_by_id = dict(session.execute(select(Waybill.id, Waybill.carrier)).all())
        return [{**e, "carrier": carriers_by_id[e["waybill_id"]]} for e in batch.entries]


def _statements(engine: Engine, order_nos: list[str]) -> tuple[service.PrintResult, int]:
    seen: list[str] = []

    def count(conn, cursor, statement, *rest) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        return service.print_labels(engine, order_nos=order_nos, actor=ACTOR), len(seen)
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_a_batch_costs_the_same_statements_for_3_orders_as_for_12(sims: Sims, committed: Engine) -> None:
    counts = {}
    for size in (3, 12):
        with unit_of_work() as session:
            numbers = [allocated(session, channel=("taobao", "pdd", "webhook")[n % 3]).order_no
                       for n in range(size)]
        result, first = _statements(committed, numbers)
        assert len(result.printed) == size
        again, reprint = _statements(committed, numbers)  # waybills reused, orders stay
        assert len(again.reprinted) == size
        counts[size] = (first, reprint)
    assert counts[3] == counts[12], counts
    assert counts[12][0] <= 40, counts
