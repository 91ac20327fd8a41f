"""Every connector against its simulator over real HTTP, into the real database: a day of orders
lands exactly once whatever the platform throws at it, later changes update orders in place, a
killed pull loses and duplicates nothing, and bad credentials touch no data."""

from __future__ import annotations

import signal
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from orderhub.channels import sync
from orderhub.channels.models import ChannelAccount, PullRun
from orderhub.channels.registry import PLATFORMS, connector_class
from orderhub.core.db import unit_of_work
from orderhub.core.models import OutboxEvent, QuarantinedInput
from orderhub.orders.models import Order
from tests.channels.conftest import ALL_PLATFORMS, available, stored_orders
from tests.support.processes import finish, start_worker


def day_of_orders(sim: Any, count: int) -> list[Any]:
    now = datetime.now(UTC)
    return sim.generate(count, start=now - timedelta(hours=23), end=now - timedelta(seconds=5))


def pull_until_done(engine: Engine, shop_id: int, tries: int = 12) -> list[sync.PullReport]:
    """Pull again whenever the platform pushed back (the scheduler would wait the backoff)."""
    reports = []
    for _ in range(tries):
        reports.append(sync.pull_shop(engine, shop_id=shop_id))
        if reports[-1].outcome == "ok":
            return reports
    raise AssertionError(f"never finished: {[(r.outcome, r.error) for r in reports]}")


def assert_matches_truth(engine: Engine, shop_id: int, sim: Any) -> dict[str, Order]:
    truth = sim.book.truth()["orders"]
    stored = stored_orders(engine, shop_id)
    assert set(stored) == set(truth)
    with unit_of_work(engine) as session:
        created = Counter(session.scalars(select(OutboxEvent.aggregate_id)
                                          .where(OutboxEvent.topic == "order.created")).all())
    assert all(created[str(o.id)] == 1 for o in stored.values()), "an order was created twice"
    return stored


@pytest.mark.parametrize("channel", ALL_PLATFORMS)
def test_a_day_of_orders_lands_exactly_once_under_every_fault(channel, make_sim, add_shop,
                                                              committed, monkeypatch) -> None:
    monkeypatch.setattr(connector_class(channel), "timeout", 1.0)
    sim = make_sim(channel)
    day_of_orders(sim, 150)
    shop_id = add_shop(channel, sim)
    sim.faults.update({"duplicates": True, "throttle": 1, "errors": 1, "timeouts": 1,
                       "hang_seconds": 1.5})
    reports = pull_until_done(committed, shop_id)
    outcomes = [r.outcome for r in reports]
    assert {"throttled", "unavailable"} <= set(outcomes), outcomes
    assert_matches_truth(committed, shop_id, sim)
    with unit_of_work(committed) as session:
        account = session.get(ChannelAccount, shop_id)
        assert account.failures == 0 and account.retry_at is None and account.healthy
        assert account.checkpoint is not None
    # A second pull over the same span finds nothing new and changes nothing.
    again = sync.pull_shop(committed, shop_id=shop_id)
    assert again.outcome == "ok" and again.stored.created == 0 and again.stored.updated == 0


@pytest.mark.parametrize("channel", ALL_PLATFORMS)
def test_changes_after_payment_update_orders_in_place(channel, make_sim, add_shop,
                                                      committed) -> None:
    sim = make_sim(channel)
    day_of_orders(sim, 40)
    shop_id = add_shop(channel, sim)
    pull_until_done(committed, shop_id)
    before = stored_orders(committed, shop_id)
    changed = {kind: sim.modify(kind, count=1)[0].order_id
               for kind in ("address", "remark", "refund", "cancel")}
    time.sleep(1.1)  # platforms query whole seconds: changes this second show up after it
    report = pull_until_done(committed, shop_id)[-1]
    assert report.stored.created == 0 and report.stored.updated >= 4
    after = assert_matches_truth(committed, shop_id, sim)
    assert len(after) == len(before)
    with unit_of_work(committed) as session:
        def topics(platform_order_id: str) -> set[str]:
            order_id = str(after[platform_order_id].id)
            return set(session.scalars(select(OutboxEvent.topic)
                                       .where(OutboxEvent.aggregate_id == order_id)).all())
        assert "order.address_changed" in topics(changed["address"])
        assert "order.remark_changed" in topics(changed["remark"])
        assert "order.refund_changed" in topics(changed["refund"])
    assert after[changed["cancel"]].status in ("cancelled", "closed")
    assert after[changed["address"]].id == before[changed["address"]].id


@pytest.mark.parametrize("channel", ALL_PLATFORMS)
def test_late_writes_inside_a_pulled_window_are_caught_by_the_overlap(channel, make_sim, add_shop,
                                                                      committed) -> None:
    sim = make_sim(channel)
    day_of_orders(sim, 20)
    shop_id = add_shop(channel, sim)
    pull_until_done(committed, shop_id)
    now = datetime.now(UTC)
    # Written late: their modified time lies inside the span the last pull already covered.
    late = sim.generate(3, start=now - timedelta(seconds=120), end=now - timedelta(seconds=60),
                        unpaid_share=0)
    time.sleep(1.1)
    pull_until_done(committed, shop_id)
    assert {o.order_id for o in late} <= set(stored_orders(committed, shop_id))
    assert_matches_truth(committed, shop_id, sim)


@pytest.mark.parametrize("channel", ALL_PLATFORMS)
def test_wrong_secret_marks_the_shop_unhealthy_and_touches_no_data(channel, make_sim, add_shop,
                                                                   committed) -> None:
    sim = make_sim(channel)
    day_of_orders(sim, 10)
    wrong = {"app_secret": "not-the-secret", "access_token": "not-the-token"}
    shop_id = add_shop(channel, sim, **wrong)
    report = sync.pull_shop(committed, shop_id=shop_id)
    assert report.outcome == "auth_failed", report.error
    assert stored_orders(committed, shop_id) == {}
    with unit_of_work(committed) as session:
        account = session.get(ChannelAccount, shop_id)
        assert not account.healthy and account.unhealthy_reason
        assert account.checkpoint is None
        assert session.scalar(select(func.count()).select_from(OutboxEvent)
                              .where(OutboxEvent.topic == "channel.shop_unhealthy")) == 1
    # Unhealthy shops are not pulled again until someone fixes the credentials.
    assert sync.pull_shop(committed, shop_id=shop_id).outcome == "skipped"


@pytest.mark.parametrize("channel", ALL_PLATFORMS)
def test_a_worker_killed_mid_pull_and_restarted_loses_and_duplicates_nothing(
        channel, make_sim, add_shop, committed) -> None:
    """A real `orderhub worker` process runs the scheduled pull and is killed (SIGKILL) after
    some pages are committed; a new worker takes the job over once the lease runs out."""
    sim = make_sim(channel)
    day_of_orders(sim, 260)  # more than one page on every platform (Shopify pages 250)
    shop_id = add_shop(channel, sim, name="killed-shop")
    released = _one_page_then_hold(sim)
    lease = {"ORDERHUB_OUTBOX_LEASE_SECONDS": "2"}
    first = start_worker(burst=False, name="doomed", **lease)
    deadline = time.monotonic() + 180
    try:
        while not _count(committed, shop_id):  # wait until the page is committed
            assert first.poll() is None, first.communicate()[0]
            assert time.monotonic() < deadline, "the worker never stored a page"
            time.sleep(0.05)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        released.set()
    partial = _count(committed, shop_id)
    time.sleep(2.5)  # the dead worker's lease on the job runs out
    finish(start_worker(burst=True, name="successor", **lease), timeout=300)
    assert 0 < partial < len(sim.book.truth()["orders"])
    assert_matches_truth(committed, shop_id, sim)


@pytest.mark.parametrize("channel", ALL_PLATFORMS)
def test_throttling_backs_off_30_90_270_seconds(channel, make_sim, add_shop, committed) -> None:
    sim = make_sim(channel)
    day_of_orders(sim, 5)
    shop_id = add_shop(channel, sim)
    sim.faults.update({"throttle": 3})
    delays = []
    for _ in range(3):
        started = datetime.now(UTC)
        report = sync.pull_shop(committed, shop_id=shop_id)
        assert report.outcome == "throttled"
        delays.append((report.retry_at - started).total_seconds())
    assert delays[0] == pytest.approx(30, abs=3) or delays[0] >= 30
    assert delays[1] >= 90 and delays[2] >= 270
    assert pull_until_done(committed, shop_id)[-1].outcome == "ok"
    with unit_of_work(committed) as session:
        outcomes = session.scalars(select(PullRun.outcome).where(PullRun.shop_id == shop_id)
                                   .order_by(PullRun.id)).all()
    assert outcomes == ["throttled", "throttled", "throttled", "ok"]


def test_an_order_that_does_not_map_is_quarantined_once_and_the_rest_land(make_sim, add_shop,
                                                                          committed) -> None:
    channel = next((c for c in PLATFORMS if available(c)), None)
    if channel is None:
        pytest.skip("no platform built")
    sim = make_sim(channel)
    orders = day_of_orders(sim, 12)
    broken = orders[3]
    with sim.book.lock:
        sim.book.orders[broken.order_id].lines[0].quantity = 0  # no platform sells 0 pieces
    shop_id = add_shop(channel, sim)
    pull_until_done(committed, shop_id)
    pull_until_done(committed, shop_id)  # the overlap reads it again: still one quarantine row
    stored = stored_orders(committed, shop_id)
    assert broken.order_id not in stored and len(stored) == 11
    with unit_of_work(committed) as session:
        rows = session.scalars(select(QuarantinedInput)
                               .where(QuarantinedInput.reason_code == "unmappable_order")).all()
        assert len(rows) == 1 and broken.order_id in rows[0].source
        assert "quantity" in rows[0].reason


def _shop_id(engine: Engine, name: str) -> int:
    from orderhub.orders.models import Shop
    with unit_of_work(engine) as session:
        return session.scalar(select(Shop.id).where(Shop.name == name))


def _count(engine: Engine, shop_id: int) -> int:
    with unit_of_work(engine) as session:
        return session.scalar(select(func.count()).select_from(Order).where(Order.shop_id == shop_id))


def _one_page_then_hold(sim: Any) -> threading.Event:
    """The platform answers one call that carries orders, then holds every later answer until
    the returned event is set: the kill lands between two pages however fast or slow this
    machine stores a page (a timed delay did not: a slow machine stored both before the kill)."""
    released, lock, answered = threading.Event(), threading.Lock(), []
    ids = [oid.encode() for oid in sim.book.orders]
    real_handle = sim.handle

    def handle(request: Any) -> Any:
        response = real_handle(request)
        if not released.is_set():
            body = response.encoded()[0]
            with lock:
                hold = bool(answered)
                if not hold and any(oid in body for oid in ids):
                    answered.append(request.path)
            if hold:
                released.wait(300)
        return response

    sim.handle = handle
    return released
