"""What the worker does for channels, against each simulator over real HTTP: scheduled pulls,
tracking write-back and stock push through the outbox (retried when the platform fails)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select, update

from orderhub.channels.service import pull_job_name
from orderhub.channels.tasks import request_ship_confirmation
from orderhub.core import outbox, worker
from orderhub.core.db import unit_of_work
from orderhub.core.models import OutboxEvent, ScheduledJob
from tests.builders import TEST_ACTOR
from tests.channels.conftest import ALL_PLATFORMS, stored_orders


def _run_worker(engine: Engine) -> None:
    worker.run(burst=True, engine=engine)


def _due_now(engine: Engine, topic: str) -> None:
    """Let the retry come now instead of waiting its backoff."""
    with unit_of_work(engine) as session:
        session.execute(update(OutboxEvent).where(OutboxEvent.topic == topic)
                        .values(available_at=datetime.now(UTC) - timedelta(seconds=1)))


@pytest.mark.parametrize("channel", ALL_PLATFORMS)
def test_the_scheduled_pull_brings_the_orders_in(channel, make_sim, add_shop, committed) -> None:
    sim = make_sim(channel)
    now = datetime.now(UTC)
    sim.generate(15, start=now - timedelta(hours=3), end=now - timedelta(seconds=5))
    shop_id = add_shop(channel, sim, name="scheduled-shop", pull_interval_seconds=60)
    with unit_of_work(committed) as session:
        job = session.scalar(select(ScheduledJob).where(
            ScheduledJob.name == pull_job_name("scheduled-shop")))
        assert job.interval_seconds == 60 and job.args == {"shop_id": shop_id}
    _run_worker(committed)
    assert set(stored_orders(committed, shop_id)) == set(sim.book.orders)
    with unit_of_work(committed) as session:
        job = session.scalar(select(ScheduledJob).where(
            ScheduledJob.name == pull_job_name("scheduled-shop")))
        assert job.last_status == "ok" and job.next_run_at > datetime.now(UTC)


@pytest.mark.parametrize("channel", ALL_PLATFORMS)
def test_a_throttled_scheduled_pull_comes_back_after_the_backoff(channel, make_sim, add_shop,
                                                                 committed) -> None:
    sim = make_sim(channel)
    sim.generate(3)
    add_shop(channel, sim, name="busy-shop", pull_interval_seconds=600)
    sim.faults.update({"throttle": 1})
    before = datetime.now(UTC)
    _run_worker(committed)
    with unit_of_work(committed) as session:
        job = session.scalar(select(ScheduledJob).where(ScheduledJob.name == pull_job_name("busy-shop")))
        wait = (job.next_run_at - before).total_seconds()
    assert 29 <= wait < 600, "the retry comes at the backoff, not the next regular pull"


@pytest.mark.parametrize("channel", ALL_PLATFORMS)
def test_tracking_reaches_the_platform_and_a_failure_is_retried(channel, make_sim, add_shop,
                                                                committed) -> None:
    sim = make_sim(channel)
    now = datetime.now(UTC)
    sim.generate(4, start=now - timedelta(hours=2), end=now - timedelta(seconds=5), unpaid_share=0)
    shop_id = add_shop(channel, sim, name="ship-shop")
    _run_worker(committed)
    # Platforms refuse to ship orders under risk control or with a refund running.
    order = next(o for o in stored_orders(committed, shop_id).values()
                 if o.status not in ("on_hold",) and "risk_control" not in (o.tags or [])
                 and all(line.refund_status == "none" for line in o.lines))
    with unit_of_work(committed) as session:
        request_ship_confirmation(session, shop_id=shop_id, order_id=order.id,
                                  platform_order_id=order.platform_order_id, carrier="SF",
                                  tracking_no="SF1402385567812", actor=TEST_ACTOR)
    sim.faults.update({"errors": 1})
    _run_worker(committed)
    assert sim.book.shipments == []
    with unit_of_work(committed) as session:
        event = session.scalar(select(OutboxEvent).where(
            OutboxEvent.topic == "channel.ship_confirm_requested"))
        assert event.status == "pending" and event.attempts == 1 and "502" in event.last_error
    _due_now(committed, "channel.ship_confirm_requested")
    _run_worker(committed)
    [shipment] = sim.book.shipments
    assert shipment["order_id"] == order.platform_order_id
    assert "SF1402385567812" in str(shipment.values())
    with unit_of_work(committed) as session:
        topics = session.scalars(select(OutboxEvent.topic).where(
            OutboxEvent.aggregate_id == str(order.id))).all()
    assert "channel.ship_confirmed" in topics
    _run_worker(committed)
    assert len(sim.book.shipments) == 1, "sent once"


@pytest.mark.parametrize("channel", ALL_PLATFORMS)
def test_sellable_stock_changes_are_pushed_to_the_platform(channel, make_sim, add_shop,
                                                           committed) -> None:
    sim = make_sim(channel)
    add_shop(channel, sim, name="stock-shop")
    with unit_of_work(committed) as session:
        outbox.emit(session, "stock.sellable_changed", aggregate_type="shop",
                    aggregate_id="stock-shop", actor=TEST_ACTOR,
                    payload={"shop": "stock-shop",
                             "changes": {"YD-2026-BLK-M": 37, "MY-CASH-GRY": 0}})
    _run_worker(committed)
    assert sim.book.stock_pushes, "nothing reached the platform"
    pushed = {}
    for push in sim.book.stock_pushes:
        pushed.update(push)
    assert pushed == {"YD-2026-BLK-M": 37, "MY-CASH-GRY": 0}
