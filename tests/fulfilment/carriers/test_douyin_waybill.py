"""Douyin e-waybills over real HTTP from the Douyin waybill simulator: a douyin order takes its
number through Douyin (signed as the shop connector signs), wrong secret is Douyin's refusal,
Douyin down means retrying, cancel voids the number."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import Engine, select

from orderhub.core.db import unit_of_work
from orderhub.core.models import OutboxEvent
from orderhub.fulfilment.carriers import accounts, breaker, tasks  # noqa: F401  (retry handler)
from orderhub.fulfilment.carriers.models import CarrierAccount, WaybillWait
from orderhub.fulfilment.carriers.rules import create_rule
from orderhub.fulfilment.carriers.service import (
    RETRY_TOPIC,
    current_waybill,
    request_waybills,
    void_waybill,
)
from orderhub.orders.models import Order
from orderhub.sim.douyin_waybill import DouyinWaybillSim
from tests.fulfilment.carriers.support import SENDER, order


@pytest.fixture
def sim(committed: Engine) -> Iterator[DouyinWaybillSim]:
    breaker.reset_all()
    running = DouyinWaybillSim(seed=4)
    running.start()
    yield running
    running.stop()
    breaker.reset_all()


def _setup(engine: Engine, sim: DouyinWaybillSim, *, secret: str | None = None,
           channels: tuple[str, ...] = ("douyin",)) -> list[int]:
    with unit_of_work(engine) as session:
        create_rule(session, name="default → ZTO", carrier="ZTO", is_default=True)
        accounts.create_account(
            session, name="ZTO-douyin", carrier="ZTO", source="douyin", base_url=sim.url,
            app_key=sim.app_key, secrets={"app_secret": secret or sim.app_secret,
                                          "access_token": sim.access_token},
            sender=SENDER, monthly_account="0571000123")
        return [order(session, channel=channel).id for channel in channels]


def test_douyin_order_takes_its_waybill_through_douyin(sim: DouyinWaybillSim, committed: Engine) -> None:
    ids = _setup(committed, sim, channels=("douyin", "douyin"))
    report = request_waybills(committed, order_ids=ids)
    assert set(report.issued) == set(ids) and not report.refused and not report.waiting
    with unit_of_work(committed) as session:
        for order_id in ids:
            waybill = current_waybill(session, order_id)
            assert waybill is not None and waybill.carrier == "ZTO"
            assert waybill.tracking_no[:2] in ("75", "78") and len(waybill.tracking_no) == 14
            assert waybill.tracking_no in sim.book.issued  # exactly the number Douyin issued
            assert waybill.sort_code.startswith("571-")  # 浙江 sorting centre
            assert waybill.print_data["data"]["routingInfo"]["sortation"]["name"] == waybill.sort_code
            assert waybill.print_data["source"] == "douyin"
    with unit_of_work(committed) as session:
        sent = {(o.platform_order_id, o.order_no) for o in session.scalars(select(Order).where(Order.id.in_(ids)))}
    # Douyin gets its own order id and our order number as the parcel's pack_id
    assert {(r["order_id"], r["pack_id"]) for r in sim.received
            if r["api"] == "logistics.newCreateOrder"} == sent
    assert sim.refused == {}


def test_non_douyin_order_does_not_use_the_douyin_account(sim: DouyinWaybillSim, committed: Engine) -> None:
    ids = _setup(committed, sim, channels=("webhook",))
    report = request_waybills(committed, order_ids=ids)
    assert "no active direct or cainiao account for ZTO" in report.refused[ids[0]]
    assert sim.calls == 0


def test_wrong_secret_is_refused_with_douyins_error(sim: DouyinWaybillSim, committed: Engine) -> None:
    ids = _setup(committed, sim, secret="wrong-secret")
    report = request_waybills(committed, order_ids=ids)
    assert not report.issued and not report.waiting
    assert "40004" in report.refused[ids[0]] and "isv.signature-invalid" in report.refused[ids[0]]
    assert sim.refused["bad_sign"] == 1 and sim.received == []
    with unit_of_work(committed) as session:
        wait = session.get(WaybillWait, ids[0])
        assert wait is not None and wait.kind == "refused" and "签名校验失败" in wait.reason
        assert "isv.signature-invalid" in session.scalar(select(CarrierAccount.last_error))
        assert session.scalars(select(OutboxEvent).where(OutboxEvent.topic == RETRY_TOPIC)).all() == []


@pytest.mark.parametrize("fault", ["errors", "throttle"])
def test_douyin_down_or_throttling_is_retrying(sim: DouyinWaybillSim, committed: Engine, fault: str) -> None:
    ids = _setup(committed, sim)
    setattr(sim.faults, fault, 10_000)
    report = request_waybills(committed, order_ids=ids, client=httpx.Client(timeout=2))
    assert set(report.waiting) == set(ids) and not report.issued and not report.refused
    with unit_of_work(committed) as session:
        wait = session.get(WaybillWait, ids[0])
        assert wait is not None and wait.kind == "retrying" and wait.reason.startswith("ZTO down, retrying")
        events = session.scalars(select(OutboxEvent).where(OutboxEvent.topic == RETRY_TOPIC)).all()
        assert [int(e.payload["order_id"]) for e in events] == ids
    sim.faults.errors = sim.faults.throttle = 0  # back up: the next request issues
    breaker.reset_all()
    again = request_waybills(committed, order_ids=ids)
    assert set(again.issued) == set(ids)


def test_cancel_voids_the_number_at_douyin(sim: DouyinWaybillSim, committed: Engine) -> None:
    ids = _setup(committed, sim)
    first = request_waybills(committed, order_ids=ids)
    number = first.issued[ids[0]]
    with unit_of_work(committed) as session:
        voided = void_waybill(session, order_id=ids[0])
    assert voided.status == "void" and sim.book.cancelled == {number}
    assert {"api": "logistics.cancelOrder", "track_no": number} in sim.received
    fresh = request_waybills(committed, order_ids=ids)
    assert fresh.issued[ids[0]] != number


def test_simulator_checks_douyin_request_rules(sim: DouyinWaybillSim) -> None:
    """Unsigned or mis-addressed calls get Douyin's envelope errors, never a number."""
    unsigned = httpx.post(f"{sim.url}/logistics/newCreateOrder", params={"method": "logistics.newCreateOrder"},
                          content=b"{}")
    assert unsigned.json()["code"] == 40001 and "缺少参数" in unsigned.json()["sub_msg"]
    wrong_path = httpx.post(f"{sim.url}/order/searchList", content=b"{}")
    assert wrong_path.json()["sub_code"] == "isv.method-not-exist"
    assert sim.received == []
