"""End to end: a scanned parcel's tracking number reaches the platform simulator over real HTTP
through the outbox worker; a platform that keeps failing is retried every 15 minutes with
backoff (fake clock) and after the 5th failed try raises `channel.ship_confirm_failed` (and
an alert) instead of a dead letter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import Engine, select

from orderhub.alerts.models import Alert
from orderhub.core import worker
from orderhub.core.db import unit_of_work
from orderhub.core.models import OutboxEvent
from orderhub.fulfilment.outbound.service import scan
from orderhub.orders.service import get_order
from tests.fulfilment.outbound.support import ACTOR, printed_order, warehouse
from tests.support.fixtures import FakeClock

SHIP = "channel.ship_confirm_requested"


def _sim_order(sim: Any) -> str:
    """A paid sim order without a refund: one the platform accepts a shipment for."""
    now = datetime.now(UTC)
    made = sim.generate(6, start=now - timedelta(hours=2), end=now - timedelta(minutes=1),
                        unpaid_share=0)
    return next(o.order_id for o in made
                if o.status == "paid" and all(line.refund == "none" for line in o.lines))


def _printed_for(engine: Engine, shop: str, platform_order_id: str) -> tuple[str, str]:
    with unit_of_work(engine) as session:
        order, waybill = printed_order(session, warehouse(session), shop=shop,
                                       platform_order_id=platform_order_id)
        return order.order_no, waybill.tracking_no


def _ship_events(engine: Engine) -> list[OutboxEvent]:
    with unit_of_work(engine) as session:
        rows = list(session.scalars(select(OutboxEvent).where(OutboxEvent.topic == SHIP)))
        session.expunge_all()
        return rows


def _topics(engine: Engine) -> list[str]:
    with unit_of_work(engine) as session:
        return list(session.scalars(select(OutboxEvent.topic).order_by(OutboxEvent.id)))


def test_the_scanned_tracking_number_reaches_the_platform(make_sim, add_shop, committed) -> None:
    sim = make_sim("taobao")
    add_shop("taobao", sim, name="tb-shop")
    platform_id = _sim_order(sim)
    order_no, tracking_no = _printed_for(committed, "tb-shop", platform_id)
    with unit_of_work(committed) as session:
        assert scan(session, code=tracking_no + "\n", actor=ACTOR, station="door-1").ok
    worker.run(burst=True, engine=committed)
    [shipment] = sim.book.shipments
    assert shipment["order_id"] == platform_id and shipment["tracking_no"] == tracking_no
    assert sim.book.orders[platform_id].status == "shipped"
    [event] = _ship_events(committed)
    assert event.status == "done" and event.attempts <= 1
    assert "channel.ship_confirmed" in _topics(committed)
    with unit_of_work(committed) as session:
        assert get_order(session, order_no).status == "shipped"


def test_a_failing_platform_is_retried_every_15_minutes_then_alerts(
        make_sim, add_shop, committed, fake_clock: FakeClock) -> None:
    # Shopify's API has no timestamp window, so the fake clock can run ahead of the real one.
    fake_clock.set(datetime.now(UTC).replace(microsecond=0))
    sim = make_sim("shopify")
    add_shop("shopify", sim, name="sp-shop")
    platform_id = _sim_order(sim)
    _, tracking_no = _printed_for(committed, "sp-shop", platform_id)
    faults = httpx.post(f"{sim.url}/_sim/faults", json={"errors": 1000}, timeout=5)
    assert faults.status_code == 200 and faults.json()["errors"] == 1000
    with unit_of_work(committed) as session:
        assert scan(session, code=tracking_no, actor=ACTOR).ok

    waits = []
    for attempt in range(1, 6):
        worker.run(burst=True, engine=committed)
        [event] = _ship_events(committed)
        assert event.attempts == attempt
        if attempt < 5:
            assert event.status == "pending" and "502" in (event.last_error or "")
            wait = event.available_at - fake_clock.now
            waits.append(wait)
            fake_clock.advance(wait.total_seconds() - 60)
            worker.run(burst=True, engine=committed)  # a minute early: not tried yet
            assert _ship_events(committed)[0].attempts == attempt
            fake_clock.advance(60)
    assert waits == [timedelta(minutes=m) for m in (15, 30, 60, 120)]
    assert event.status == "done", "the last failure is an alert, not a dead letter"
    assert sim.book.shipments == []
    worker.run(burst=True, engine=committed)  # the alert handler runs on the failure event
    with unit_of_work(committed) as session:
        failed = session.scalars(select(OutboxEvent).where(
            OutboxEvent.topic == "channel.ship_confirm_failed")).all()
        assert len(failed) == 1 and failed[0].payload["tracking_no"] == tracking_no
        assert failed[0].payload["attempts"] == 5
        dead = session.scalars(select(OutboxEvent.topic).where(OutboxEvent.status == "dead")).all()
        assert dead == []
        alerts = session.scalars(select(Alert).where(Alert.kind == "ship_confirm_failed")).all()
        assert len(alerts) == 1 and tracking_no in alerts[0].body
