"""Sellable stock per channel and the coalesced stock.sellable_changed sweep; the scheduled jobs."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from orderhub.core import outbox
from orderhub.core.models import ScheduledJob
from orderhub.inventory import sellable, service, tasks
from tests.inventory.helpers import ACTOR, events, make_sku, make_warehouse, stocked


def test_sellable_is_available_minus_safety_times_share_over_serving_warehouses(session):
    hz, gz = make_warehouse(session, "HZ"), make_warehouse(session, "GZ")
    stocked(session, "A", hz, 50, safety=10)
    stocked(session, "A", gz, 30, safety=5)
    stocked(session, "B", hz, 9)
    make_sku(session, "KIT")
    service.set_bundle(session, code="KIT", parts=[("A", 2), ("B", 1)], actor=ACTOR)
    service.reserve(session, order_id=1, warehouse_id=hz.id, lines=[("A", 10)], actor=ACTOR)
    sellable.upsert_channel_rule(session, shop="tmall", warehouse_codes=["HZ"], share_pct=50, actor=ACTOR)
    sellable.upsert_channel_rule(session, shop="own-store", warehouse_codes=[], share_pct=100, actor=ACTOR)
    # HZ only: (50 - 10 reserved - 10 safety) x 50 % = 15; KIT = min(30 // 2, 9) x 50 % = 4
    assert sellable.sellable(session, shop="tmall") == {"A": 15, "B": 4, "KIT": 4}
    # all warehouses: 30 + 25 = 55; KIT = min(55 // 2, 9) = 9
    assert sellable.sellable(session, shop="own-store") == {"A": 55, "B": 9, "KIT": 9}


def test_sweep_announces_only_changes_once_per_shop(session, fake_clock):
    hz = make_warehouse(session)
    stocked(session, "A", hz, 20)
    stocked(session, "B", hz, 20)
    sellable.upsert_channel_rule(session, shop="tmall", warehouse_codes=[], share_pct=100, actor=ACTOR)
    first = sellable.sync_sellable(session, actor=ACTOR)
    assert first == {"tmall": {"A": 20, "B": 20}}
    fake_clock.advance(60)
    assert sellable.sync_sellable(session, actor=ACTOR) == {}  # nothing moved
    for order_id in range(1, 6):  # five reservations of A: one coalesced announcement
        service.reserve(session, order_id=order_id, warehouse_id=hz.id, lines=[("A", 1)], actor=ACTOR)
    fake_clock.advance(60)
    assert sellable.sync_sellable(session, actor=ACTOR) == {"tmall": {"A": 15}}
    fake_clock.advance(60)
    assert sellable.sync_sellable(session, actor=ACTOR) == {}  # overlap re-read, no change
    pushed = events(session, "stock.sellable_changed")
    assert [e.payload for e in pushed] == [{"shop": "tmall", "changes": {"A": 20, "B": 20}},
                                           {"shop": "tmall", "changes": {"A": 15}}]


def test_jobs_are_scheduled_and_registered(session, fake_clock):
    tasks.schedule_jobs(session)
    names = set(session.scalars(select(ScheduledJob.name)))
    assert {"inventory.expire_reservations", "inventory.sync_sellable"} <= names
    hz = make_warehouse(session)
    stocked(session, "A", hz, 5)
    service.reserve(session, order_id=1, warehouse_id=hz.id, lines=[("A", 2)], actor=ACTOR,
                    expires_at=service.default_expiry(session))
    fake_clock.advance(timedelta(minutes=16).total_seconds())
    outbox.get_task("inventory.expire_reservations")(session)
    assert service.availability(session, skus=["A"]) == {("A", hz.id): 5}
    assert events(session, "reservation.expired")[0].payload["order_id"] == 1
