"""Retries through the outbox, the 48-hour no-scan watch, and the query fallback (API)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from orderhub.core.db import unit_of_work
from orderhub.core.models import OutboxEvent
from orderhub.fulfilment.tracking import service, tasks
from orderhub.fulfilment.tracking.kuaidi100 import Kuaidi100Client, Kuaidi100Error
from orderhub.orders import lifecycle as lc
from orderhub.sim.kuaidi100 import Kuaidi100Sim
from tests.api.helpers import make_api
from tests.builders import TEST_ACTOR
from tests.fulfilment.tracking.helpers import (
    drain,
    events,
    order_status,
    scans,
    shipment,
    shipped_order,
)
from tests.support.app import shared_app
from tests.support.fixtures import FakeClock


def _subscription_event() -> OutboxEvent:
    with unit_of_work() as session:
        event = session.scalar(select(OutboxEvent)
                               .where(OutboxEvent.topic == service.SUBSCRIBE_TOPIC))
        assert event is not None
        session.expunge(event)
        return event


def test_simulator_down_subscription_retried_through_outbox(
        committed: Engine, kuaidi100: Kuaidi100Sim, fake_clock: FakeClock) -> None:
    kuaidi100.faults.errors = 2  # Kuaidi100 answers 502 twice
    shipped_order(carrier="JD", tracking_no="JD0012345601")
    drain(committed)
    assert kuaidi100.received == [] and kuaidi100.refused["error"] == 1
    failed = _subscription_event()
    assert failed.status == "pending" and failed.attempts == 1
    assert "502" in (failed.last_error or "")
    assert shipment("JD0012345601").subscription == "pending"

    fake_clock.advance(31)  # first backoff: 30 s
    drain(committed)
    assert kuaidi100.refused["error"] == 2 and _subscription_event().attempts == 2

    fake_clock.advance(91)  # then 90 s; Kuaidi100 is back
    drain(committed)
    assert [r["number"] for r in kuaidi100.received] == ["JD0012345601"]
    assert _subscription_event().status == "done"
    assert shipment("JD0012345601").subscription == "active"


def test_wrong_key_is_refused_by_kuaidi100_and_retried(
        committed: Engine, kuaidi100: Kuaidi100Sim, fake_clock: FakeClock) -> None:
    with unit_of_work() as session:
        service.configure_kuaidi100(session, base_url=kuaidi100.url, customer=kuaidi100.customer,
                                    key="wrong-key", actor=TEST_ACTOR)
    shipped_order(carrier="EMS", tracking_no="EM1000000001")
    drain(committed)
    assert kuaidi100.refused["bad_key"] == 1 and kuaidi100.received == []
    assert "600" in (_subscription_event().last_error or "")


def test_no_scan_for_48_hours_raises_one_exception(
        committed: Engine, kuaidi100: Kuaidi100Sim, fake_clock: FakeClock) -> None:
    with unit_of_work() as session:
        tasks.ensure_jobs(session)
    order_id, order_no = shipped_order(carrier="STO", tracking_no="ST2200000001")
    moving_id, _ = shipped_order(carrier="STO", tracking_no="ST2200000002")
    drain(committed)

    fake_clock.advance(47 * 3600)
    kuaidi100.advance("ST2200000002", "collect")  # this one moves: 48 h count from its scan
    drain(committed)
    assert events("tracking.exception") == []

    fake_clock.advance(2 * 3600)  # 49 h after shipping, 2 h after the other's scan
    drain(committed)
    raised = events("tracking.exception")
    assert [(e["order_id"], e["order_no"]) for e in raised] == [(order_id, order_no)]
    assert "48 小时" in raised[0]["reason"]

    fake_clock.advance(3600)  # the watch runs again: no second exception
    drain(committed)
    assert len(events("tracking.exception")) == 1

    fake_clock.advance(47 * 3600)  # the moving parcel now is quiet for 48 h too
    drain(committed)
    assert [e["order_id"] for e in events("tracking.exception")] == [order_id, moving_id]


def test_refresh_queries_kuaidi100_when_pushes_are_missing(
        committed: Engine, kuaidi100: Kuaidi100Sim) -> None:
    _, order_no = shipped_order(carrier="ZTO", tracking_no="ZT7300000009")
    drain(committed)
    kuaidi100.advance("ZT7300000009", "collect", push=False)
    kuaidi100.advance("ZT7300000009", "deliver", push=False)
    assert scans("ZT7300000009") == []

    with TestClient(shared_app()) as client:
        api = make_api(client)
        refreshed = api.post(f"/api/v1/tracking/orders/{order_no}/refresh", {}, role="warehouse")
        assert refreshed.status_code == 200, refreshed.text
        assert refreshed.json()["items"] == [{"tracking_no": "ZT7300000009", "new_scans": 2,
                                              "first_scan": True, "delivered": True,
                                              "exception": None}]
        shown = api.get(f"/api/v1/tracking/orders/{order_no}", role="viewer").json()
    assert [r["kind"] for r in kuaidi100.received] == ["subscribe", "query"]
    assert order_status(order_no) == lc.DELIVERED
    assert shown["shipments"][0]["state_name"] == "签收"
    assert [e["status"] for e in shown["events"]] == ["签收", "揽收"]
    assert len(events("tracking.first_scan")) == 1


def test_quiet_parcels_are_queried_by_the_job(
        committed: Engine, kuaidi100: Kuaidi100Sim, fake_clock: FakeClock) -> None:
    with unit_of_work() as session:
        tasks.ensure_jobs(session)
    _, order_no = shipped_order(carrier="YTO", tracking_no="YT9100000010")
    drain(committed)
    kuaidi100.advance("YT9100000010", "collect", push=False)
    fake_clock.advance(13 * 3600)
    drain(committed)
    assert scans("YT9100000010") == ["【上海市】快件已被揽收"]
    assert order_status(order_no) == lc.SHIPPED


def test_query_sign_is_checked_by_kuaidi100(committed: Engine, kuaidi100: Kuaidi100Sim) -> None:
    shipped_order(carrier="ZTO", tracking_no="ZT7300000011")
    drain(committed)
    kuaidi100.advance("ZT7300000011", "collect", push=False)
    good = Kuaidi100Client(base_url=kuaidi100.url, customer=kuaidi100.customer, key=kuaidi100.key)
    assert good.query(company="zhongtong", number="ZT7300000011").state == "1"
    wrong = Kuaidi100Client(base_url=kuaidi100.url, customer=kuaidi100.customer, key="nope")
    with pytest.raises(Kuaidi100Error, match="503"):
        wrong.query(company="zhongtong", number="ZT7300000011")
    assert kuaidi100.refused["bad_sign"] == 1
