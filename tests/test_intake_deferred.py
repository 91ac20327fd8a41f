"""Pulled pages: new orders are stored at once and checked and routed by the worker later, with
the outcome the per-order path gives, exactly once however often the event comes; a push
racing the page is absorbed (PostgreSQL); a change arriving before the worker runs the pending
intake first."""

from __future__ import annotations

import copy
import threading
import time
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from orderhub import intake_tasks, pipeline
from orderhub.core import worker
from orderhub.core.actor import Actor
from orderhub.core.db import unit_of_work
from orderhub.core.models import HandledEvent, OutboxEvent
from orderhub.demo import seed_demo
from orderhub.inventory.catalog import warehouses
from orderhub.inventory.service import availability
from orderhub.orders import bulk
from orderhub.orders.holds import open_holds
from orderhub.orders.models import Order, Shop
from orderhub.orders.schemas import OrderIn
from orderhub.plugins import load_plugins
from orderhub.rules.models import RuleFiring
from orderhub.rules.pack import install_default_pack
from orderhub.sim.own_store import OwnStore
from tests.builders import TEST_ACTOR, ensure_shop

load_plugins()
PULL = Actor.system("pull:webhook:own-store")
SKU = "MY-CASH-GRY"


def _setup(session: Session) -> None:
    ensure_shop(session)
    seed_demo(session)
    install_default_pack(session, actor=TEST_ACTOR)


def _plain(store: OwnStore, *, paid: bool = True) -> dict[str, Any]:
    order = store.new_order(paid=paid)
    order["lines"] = [{"platform_sku": SKU, "title": "t", "quantity": 1, "unit_price": "159.00",
                       "discount": "0.00"}]
    order["total"], order["shipping_fee"], order["buyer_remark"] = "159.00", "0.00", ""
    order["receiver"].update(province="浙江省", city="杭州市", district="西湖区",
                             address="文三路90号3幢201室", phone="13800138000")
    return order


def _payloads() -> list[dict[str, Any]]:
    store = OwnStore(seed=31)
    return [_plain(store), store.odd_order("vague_address"), _plain(store, paid=False),
            store.odd_order("bad_phone")]


def _items(payloads: list[dict[str, Any]]) -> list[tuple[OrderIn, dict[str, Any]]]:
    return [(OrderIn.model_validate(p), p) for p in payloads]


def _page(session: Session, payloads: list[dict[str, Any]]) -> list[Any]:
    return pipeline.receive_page(session, shop_name="own-store", items=_items(payloads),
                                 source="pull:webhook", actor=PULL)


def _outcome(session: Session, order: Order) -> dict[str, Any]:
    session.flush()
    fired = session.execute(select(RuleFiring.rule_id, RuleFiring.trigger)
                            .where(RuleFiring.order_id == order.id)).all()
    return {"status": order.status, "holds": sorted(h.reason_code for h in open_holds(order)),
            "fired": sorted(map(tuple, fired)),
            "warehouse": order.attributes.get("allocated_warehouse"),
            "routing": order.attributes.get("routing"), "skus": [l.sku for l in order.lines]}


def _pending_events(session: Session, order_ids: list[int]) -> list[OutboxEvent]:
    return list(session.scalars(select(OutboxEvent).where(
        OutboxEvent.topic == pipeline.PENDING_TOPIC,
        OutboxEvent.aggregate_id.in_([str(i) for i in order_ids])).order_by(OutboxEvent.id)))


def _hz_available(session: Session) -> int:
    hz = next(w for w in warehouses(session) if w.code == "HZ")
    return availability(session, skus=[SKU], warehouse_ids=[hz.id]).get((SKU, hz.id), 0)


def _writes(session: Session) -> tuple[int, int]:
    session.flush()
    return (session.scalar(select(func.count()).select_from(OutboxEvent)),
            session.scalar(select(func.count()).select_from(RuleFiring)))


def test_a_page_is_stored_now_and_checked_later_as_the_per_order_path_would(session) -> None:
    _setup(session)
    payloads = _payloads()
    stock_before = _hz_available(session)
    # What the per-order path does with these orders, then undone (the same buyers twice would
    # be held as duplicates).
    trial = session.begin_nested()
    expected = [_outcome(session, pipeline.receive(session, data=d, raw=r, source="push",
                                                   actor=PULL).order) for d, r in _items(payloads)]
    trial.rollback()

    results = _page(session, payloads)
    assert [r.created for r in results] == [True] * len(payloads)
    orders = [session.get(Order, r.id) for r in results]
    # Stored, SKUs mapped, nothing checked or routed yet: the intake is pending.
    for order, payload in zip(orders, payloads, strict=True):
        assert order.status == ("paid" if payload["status"] == "paid" else "pending_payment")
        assert order.lines[0].sku is not None
        assert not open_holds(order) and "routing" not in order.attributes
        assert order.attributes[pipeline.PENDING][0] == "order.created"
    assert orders[0].attributes[pipeline.PENDING] == ["order.created", "order.paid"]
    assert orders[2].attributes[pipeline.PENDING] == ["order.created"]
    events = _pending_events(session, [o.id for o in orders])
    assert [e.payload["triggers"] for e in events] == [o.attributes[pipeline.PENDING] for o in orders]
    assert _hz_available(session) == stock_before

    for event in events:
        intake_tasks.on_intake_pending(session, event)
    after = [_outcome(session, o) for o in orders]
    assert after == expected
    assert after[0]["status"] == "allocated" and after[0]["warehouse"] == "HZ"
    assert after[1]["status"] == "on_hold" and "address_check" in after[1]["holds"]
    assert after[2]["routing"] == "reserved_unpaid"
    assert all(pipeline.PENDING not in o.attributes for o in orders)
    stock_after, writes = _hz_available(session), _writes(session)
    assert stock_after == stock_before - 2  # the paid order and the unpaid one's reservation

    for event in events:  # delivered again: nothing happens twice
        intake_tasks.on_intake_pending(session, event)
    assert [_outcome(session, o) for o in orders] == after
    assert _hz_available(session) == stock_after and _writes(session) == writes


def test_a_change_arriving_before_the_worker_runs_the_pending_intake_first(session) -> None:
    """An unpaid order with a vague address is paid before the worker checked it: the payment's
    `receive` runs the pending created-rules first, so it is held, not allocated unchecked."""
    _setup(session)
    unpaid = OwnStore(seed=32).odd_order("vague_address")
    unpaid |= {"status": "pending_payment", "paid_at": None}
    [created] = _page(session, [unpaid])
    paid = copy.deepcopy(unpaid) | {"status": "paid", "paid_at": unpaid["created_at"]}
    received = pipeline.receive(session, data=OrderIn.model_validate(paid), raw=paid,
                                source="pull:webhook", actor=PULL)
    order = received.order
    assert order.id == created.id and not received.created
    assert pipeline.PENDING not in order.attributes
    assert order.status == "on_hold" and "address_check" in [h.reason_code for h in open_holds(order)]
    fired = {t for (t,) in session.execute(select(RuleFiring.trigger)
                                           .where(RuleFiring.order_id == order.id))}
    assert "order.created" in fired
    writes = _writes(session)
    [event] = _pending_events(session, [order.id])
    intake_tasks.on_intake_pending(session, event)  # the worker comes late: nothing left to do
    assert _writes(session) == writes and order.status == "on_hold"


def test_a_vague_address_is_held_by_the_worker_and_allocation_happens_once(committed) -> None:
    """Through the real worker, then once more with every marker of the first run removed."""
    payloads = _payloads()[:2]
    with unit_of_work(committed) as s:
        _setup(s)
        stock_before = _hz_available(s)
        ids = [r.id for r in _page(s, payloads)]
    worker.run(burst=True, engine=committed)
    with unit_of_work(committed) as s:
        orders = [s.get(Order, i) for i in ids]
        first = [_outcome(s, o) for o in orders]
        stock, writes = _hz_available(s), _writes(s)
    assert first[0]["status"] == "allocated" and stock == stock_before - 1
    assert first[1]["status"] == "on_hold" and first[1]["holds"] == ["address_check"]

    with unit_of_work(committed) as s:  # redeliver as if the worker had never recorded them
        event_ids = [e.id for e in _pending_events(s, ids)]
        s.execute(delete(HandledEvent).where(HandledEvent.event_id.in_(event_ids)))
        s.execute(update(OutboxEvent).where(OutboxEvent.id.in_(event_ids))
                  .values(status="pending", attempts=0, available_at=OutboxEvent.created_at))
    worker.run(burst=True, engine=committed)
    with unit_of_work(committed) as s:
        assert [_outcome(s, s.get(Order, i)) for i in ids] == first
        assert _hz_available(s) == stock and _writes(s) == writes
        assert s.scalar(select(func.count()).select_from(OutboxEvent).where(
            OutboxEvent.id.in_(event_ids), OutboxEvent.status == "done")) == len(event_ids)


def test_a_push_racing_the_page_sends_the_page_the_per_order_way(postgres_only, committed) -> None:
    """The push's copy is inserted (uncommitted) after the page found it missing: the page's
    INSERT waits on the key, fails when the push commits, and the page goes order by order."""
    store = OwnStore(seed=33)
    racing, other = _plain(store), _plain(store)
    racing["receiver"]["name"], other["receiver"]["phone"] = "先到的", "13900139000"
    with unit_of_work(committed) as s:
        _setup(s)
    push = Session(bind=committed.connect())
    shop = push.scalar(select(Shop).where(Shop.name == "own-store"))
    bulk.create_orders(push, shop=shop, items=_items([racing]), source="push", actor=PULL)
    outcome: dict[str, Any] = {}

    def pull() -> None:
        try:
            with unit_of_work(committed) as s:
                results = _page(s, [racing, other])
                outcome["created"] = [r.created for r in results]
        except Exception as exc:  # noqa: BLE001 — reported below
            outcome["error"] = exc

    thread = threading.Thread(target=pull)
    thread.start()
    time.sleep(1.0)
    assert thread.is_alive(), outcome  # the page waits on the push's uncommitted key
    push.commit()
    push.close()
    thread.join(timeout=30)
    assert "error" not in outcome, outcome
    assert outcome["created"] == [False, True]
    with unit_of_work(committed) as s:
        stored = {o.platform_order_id: o for o in s.scalars(select(Order))}
        assert set(stored) == {racing["platform_order_id"], other["platform_order_id"]}
        # The page's copies went through `receive`: checked and routed at once, no pending.
        assert all(pipeline.PENDING not in o.attributes for o in stored.values())
        assert stored[other["platform_order_id"]].status == "allocated"
        assert s.scalar(select(func.count()).select_from(OutboxEvent).where(
            OutboxEvent.topic == "order.created")) == 2


def test_history_rules_see_only_orders_that_had_arrived(session) -> None:
    """Two copies of one purchase in one page: the per-order path holds only the second as a
    duplicate (the first had nothing before it); the deferred check must do the same."""
    _setup(session)
    store = OwnStore(seed=34)
    first = _plain(store)
    second = copy.deepcopy(first) | {"platform_order_id": first["platform_order_id"] + "-2"}
    ids = [r.id for r in _page(session, [first, second])]
    for event in _pending_events(session, ids):
        intake_tasks.on_intake_pending(session, event)
    held = [[h.reason_code for h in open_holds(session.get(Order, i))] for i in ids]
    assert "duplicate" in held[1]
    assert "duplicate" not in held[0]
