"""Bulk creation writes exactly the rows receive_order writes, and a copy stored meanwhile by
someone else fails the page cleanly (nothing of it left) so the caller can go order by order."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from orderhub.core.actor import Actor
from orderhub.core.errors import InvalidInput
from orderhub.core.models import AuditEntry, OutboxEvent
from orderhub.orders import bulk
from orderhub.orders.models import Order, OrderLine, RawPayload, Shop
from orderhub.orders.schemas import OrderIn
from orderhub.orders.service import receive_order
from orderhub.sim.own_store import OwnStore
from tests.builders import ensure_shop, order_payload

ACTOR = Actor.system("pull:own-store")
# Columns that differ by nature between two creations of the same input.
VOLATILE = {"id", "order_id", "order_no", "received_at", "updated_at", "at", "entity_id",
            "created_at_event", "aggregate_id", "available_at"}


def _inputs() -> list[tuple[OrderIn, dict[str, Any]]]:
    """Paid and unpaid, one to three lines, a given SKU, tags, presale, no total, a coupon."""
    store = OwnStore(seed=21)
    payloads = [store.new_order(paid=True), store.new_order(paid=False),
                store.odd_order("presale"), store.odd_order("remark_keyword"),
                order_payload(tags=["vip", "vip", "gift"], priority=3, seller_memo="加急"),
                order_payload(total=None, status="unpaid", paid_at=None),
                order_payload(total="350.00")]
    payloads[0]["lines"][0]["sku"] = "OUR-SKU-1"
    return [(OrderIn.model_validate(p), p) for p in payloads]


def _rows(session: Session, order_ids: list[int]) -> dict[str, Any]:
    """Everything an order's creation wrote, keyed by platform order id, without volatile columns."""
    session.flush()
    orders = {o.id: o for o in session.scalars(select(Order).where(Order.id.in_(order_ids)))}
    pid = {order_id: o.platform_order_id for order_id, o in orders.items()}
    nos = {o.order_no: o.platform_order_id for o in orders.values()}
    out: dict[str, Any] = {p: {} for p in pid.values()}

    def plain(table: Any, row: Any, drop: set[str] = frozenset()) -> dict[str, Any]:
        return {c.name: row._mapping[c.name] for c in table.c if c.name not in VOLATILE | drop}

    for row in session.execute(select(Order.__table__).where(Order.id.in_(order_ids))):
        out[pid[row.id]]["order"] = plain(Order.__table__, row)
    for table, key in ((OrderLine.__table__, "lines"), (RawPayload.__table__, "raw")):
        for row in session.execute(select(table).where(table.c.order_id.in_(order_ids))
                                   .order_by(table.c.id)):
            out[pid[row.order_id]].setdefault(key, []).append(plain(table, row))
    audit = AuditEntry.__table__
    # SQL NULL and JSON null read back alike: compare which one was stored, too.
    for row in session.execute(select(audit, audit.c.before.is_(None).label("null_before"))
                               .where(audit.c.entity_type == "order",
                                      audit.c.entity_id.in_(list(nos)))):
        entry = plain(audit, row) | {"null_before": bool(row.null_before)}
        out[nos[row.entity_id]].setdefault("audit", []).append(entry)
    events = OutboxEvent.__table__
    for row in session.execute(select(events, events.c.actor.is_(None).label("null_actor")).where(
            events.c.aggregate_type == "order",
            events.c.aggregate_id.in_([str(i) for i in order_ids])).order_by(events.c.id)):
        event = plain(events, row, {"created_at"})
        event["payload"] = {k: v for k, v in event["payload"].items() if k != "order_no"}
        event["null_actor"] = bool(row.null_actor)
        out[pid[int(row.aggregate_id)]].setdefault("events", []).append(event)
    return out


def _forget(session: Session, order_ids: list[int]) -> None:
    """Remove what the first creation wrote, so the same inputs can be created again."""
    nos = list(session.scalars(select(Order.order_no).where(Order.id.in_(order_ids))))
    session.execute(delete(OutboxEvent).where(OutboxEvent.aggregate_id.in_([str(i) for i in order_ids])))
    session.execute(delete(AuditEntry).where(AuditEntry.entity_id.in_(nos)))
    for model in (RawPayload, OrderLine):
        session.execute(delete(model).where(model.order_id.in_(order_ids)))
    session.execute(delete(Order).where(Order.id.in_(order_ids)))
    session.expunge_all()


def test_bulk_rows_are_the_rows_receive_order_writes(session: Session) -> None:
    shop = ensure_shop(session)
    items = _inputs()
    one_by_one = [receive_order(session, data=d, raw=r, source="pull:test", actor=ACTOR).order.id
                  for d, r in items]
    expected = _rows(session, one_by_one)
    _forget(session, one_by_one)

    shop = session.scalar(select(Shop).where(Shop.id == shop.id))
    created = bulk.create_orders(session, shop=shop, items=items, source="pull:test", actor=ACTOR)

    assert [c.platform_order_id for c in created] == [d.platform_order_id for d, _ in items]
    got = _rows(session, [c.id for c in created])
    assert got == expected
    # Each part is really there (an empty comparison would prove nothing).
    assert all(set(rows) == {"order", "lines", "raw", "audit", "events"} for rows in got.values())
    assert len(got[items[0][0].platform_order_id]["lines"]) == len(items[0][0].lines)
    # Order numbers are real ones, fresh and distinct.
    numbers = [c.order_no for c in created]
    assert len(set(numbers)) == len(numbers) and all(len(n) == 20 for n in numbers)


def test_mapped_skus_fill_only_lines_without_one_and_the_audit_keeps_what_came(session) -> None:
    shop = ensure_shop(session)
    payload = order_payload(lines=[
        {"platform_sku": "P-1", "title": "a", "quantity": 1, "unit_price": "10.00"},
        {"platform_sku": "P-2", "sku": "KEPT", "title": "b", "quantity": 2, "unit_price": "5.00"},
        {"platform_sku": "P-3", "title": "c", "quantity": 1, "unit_price": "1.00"}], total=None)
    [created] = bulk.create_orders(
        session, shop=shop, items=[(OrderIn.model_validate(payload), payload)], source="pull:test",
        actor=ACTOR, line_skus={"P-1": "OURS-1", "P-2": "OURS-2"},
        attributes={payload["platform_order_id"]: {"marker": ["x"]}})
    order = session.get(Order, created.id)
    assert [line.sku for line in order.lines] == ["OURS-1", "KEPT", None]
    assert order.attributes == {"marker": ["x"]}
    entry = session.scalar(select(AuditEntry).where(AuditEntry.entity_id == order.order_no))
    assert [line["sku"] for line in entry.after["lines"]] == [None, "KEPT", None]


def test_follow_up_records_are_written_with_the_page(session) -> None:
    shop = ensure_shop(session)
    payload = order_payload()

    def note(sink: Any, created: bulk.Created) -> None:
        from orderhub.core import outbox
        outbox.emit(sink, "order.test_noted", aggregate_type="order", aggregate_id=created.id,
                    payload={"pid": created.platform_order_id})

    [created] = bulk.create_orders(session, shop=shop, items=[(OrderIn.model_validate(payload), payload)],
                                   source="pull:test", actor=ACTOR, follow_up=note)
    topics = list(session.scalars(select(OutboxEvent.topic).where(
        OutboxEvent.aggregate_id == str(created.id)).order_by(OutboxEvent.id)))
    assert topics == ["order.created", "order.test_noted"]


def test_an_order_stored_meanwhile_fails_the_page_and_leaves_nothing_of_it(session) -> None:
    shop = ensure_shop(session)
    first, racing = order_payload(), order_payload()
    receive_order(session, data=OrderIn.model_validate(racing), raw=racing, source="push",
                  actor=ACTOR)
    orders_before = session.scalar(select(Order.id).order_by(Order.id.desc()).limit(1))
    with pytest.raises(bulk.AlreadyStored):
        bulk.create_orders(session, shop=shop, source="pull:test", actor=ACTOR,
                           items=[(OrderIn.model_validate(p), p) for p in (first, racing)])
    # The savepoint took the page back; the transaction goes on (the per-order path's turn).
    assert session.scalar(select(Order.id).where(
        Order.platform_order_id == first["platform_order_id"])) is None
    assert session.scalar(select(Order.id).order_by(Order.id.desc()).limit(1)) == orders_before
    again = receive_order(session, data=OrderIn.model_validate(first), raw=first, source="pull:test",
                          actor=ACTOR)
    assert again.created


def test_an_order_that_does_not_convert_refuses_the_page(session) -> None:
    shop = ensure_shop(session)
    good, bad = order_payload(), order_payload(lines=[
        {"platform_sku": "X", "title": "x", "quantity": 1, "unit_price": "10.00", "discount": "11.00"}])
    with pytest.raises(InvalidInput):
        bulk.create_orders(session, shop=shop, source="pull:test", actor=ACTOR,
                           items=[(OrderIn.model_validate(p), p) for p in (good, bad)])
    assert session.scalar(select(Order.id).where(
        Order.platform_order_id == good["platform_order_id"])) is None


def test_an_empty_page_writes_nothing(session) -> None:
    assert bulk.create_orders(session, shop=ensure_shop(session), items=[], source="pull:test",
                              actor=ACTOR) == []
