"""Waybills over real HTTP from the three carrier simulators: concurrency, a carrier down and
back (breaker and outbox), reuse, void, wrong credentials."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import Engine, select

from orderhub.core import worker
from orderhub.core.db import unit_of_work
from orderhub.core.errors import Conflict
from orderhub.core.models import OutboxEvent
from orderhub.fulfilment.carriers import breaker, tasks  # noqa: F401  (registers the retry handler)
from orderhub.fulfilment.carriers.models import CarrierAccount, Waybill, WaybillWait
from orderhub.fulfilment.carriers.rules import create_rule
from orderhub.fulfilment.carriers.service import (
    RETRY_TOPIC,
    current_waybill,
    request_waybills,
    void_waybill,
)
from orderhub.sim.carrier_direct import NUMBER_FORMATS
from tests.fulfilment.carriers.support import Sims, add_account, order
from tests.support.fixtures import FakeClock, fake_clock  # noqa: F401

LATENCY = 0.2


@pytest.fixture
def sims(committed: Engine) -> Iterator[Sims]:
    breaker.reset_all()
    with Sims() as running:
        yield running
    breaker.reset_all()


def _setup(engine: Engine, sims: Sims, *, per_channel: int) -> dict[str, list[int]]:
    """Taobao orders -> ZTO via Cainiao, PDD orders -> YTO via PDD, own-store -> SF direct."""
    with unit_of_work(engine) as session:
        create_rule(session, name="default → ZTO", carrier="ZTO", is_default=True)
        create_rule(session, name="pdd → YTO", priority=1, carrier="YTO", channels=["pdd"])
        create_rule(session, name="own → SF", priority=2, carrier="SF", channels=["webhook"])
        add_account(session, sims, carrier="ZTO", source="cainiao")
        add_account(session, sims, carrier="YTO", source="pdd")
        add_account(session, sims, carrier="SF", source="direct")
        return {channel: [order(session, channel=channel).id for _ in range(per_channel)]
                for channel in ("taobao", "pdd", "webhook")}


def _waybills(engine: Engine) -> dict[int, Waybill]:
    with unit_of_work(engine) as session:
        return {w.order_id: w for w in session.scalars(select(Waybill).where(Waybill.status == "issued"))}


def test_fifty_orders_concurrently_over_three_simulators(sims: Sims, committed: Engine) -> None:
    ids = _setup(committed, sims, per_channel=17)  # 51 orders
    for sim in (sims.cainiao, sims.pdd, sims.direct):
        sim.faults.slow_seconds = LATENCY
    every = [i for group in ids.values() for i in group]
    started = time.perf_counter()
    report = request_waybills(committed, order_ids=every)
    elapsed = time.perf_counter() - started
    assert len(report.issued) == len(every) and not report.waiting and not report.refused
    # Sequentially this is len(every) x LATENCY = 10.2 s; concurrently about one latency plus
    # the database work. A third of the sum leaves room for a busy 2-core machine.
    assert elapsed < len(every) * LATENCY / 3, f"{elapsed:.2f}s is not concurrent"
    stored = _waybills(committed)
    formats = {"ZTO": ("75", "78"), "YTO": ("YT",), "SF": ("SF",)}
    for channel, carrier, sim in (("taobao", "ZTO", sims.cainiao), ("pdd", "YTO", sims.pdd),
                                  ("webhook", "SF", sims.direct)):
        for order_id in ids[channel]:
            waybill = stored[order_id]
            assert waybill.carrier == carrier
            assert waybill.tracking_no.startswith(formats[carrier])
            assert len(waybill.tracking_no) == len(NUMBER_FORMATS[carrier][0]) + NUMBER_FORMATS[carrier][1]
            assert waybill.tracking_no in sim.book.issued  # the simulator issued exactly this number
            assert waybill.sort_code.startswith("571-")  # 浙江 sorting centre
            assert waybill.print_data["data"]["waybillCode"] == waybill.tracking_no


def test_reuse_on_re_request_and_void(sims: Sims, committed: Engine) -> None:
    ids = _setup(committed, sims, per_channel=1)
    every = [i for group in ids.values() for i in group]
    first = request_waybills(committed, order_ids=every)
    calls = sims.cainiao.calls + sims.pdd.calls + sims.direct.calls
    again = request_waybills(committed, order_ids=every)
    assert again.reused == first.issued and not again.issued
    assert sims.cainiao.calls + sims.pdd.calls + sims.direct.calls == calls  # no carrier asked

    for order_id in every:
        with unit_of_work(committed) as session:
            voided = void_waybill(session, order_id=order_id)
        assert voided.status == "void"
    assert sims.cainiao.book.cancelled == {first.issued[ids["taobao"][0]]}
    assert sims.pdd.book.cancelled == {first.issued[ids["pdd"][0]]}
    assert sims.direct.book.cancelled == {first.issued[ids["webhook"][0]]}
    with unit_of_work(committed) as session, pytest.raises(Conflict, match="no waybill"):
        void_waybill(session, order_id=every[0])
    fresh = request_waybills(committed, order_ids=every)  # after a void, a new number is taken
    assert set(fresh.issued) == set(every) and set(fresh.issued.values()).isdisjoint(first.issued.values())


@pytest.mark.parametrize("fault", ["errors", "timeouts"])
def test_one_carrier_down_others_issue_then_outbox_completes(
        sims: Sims, committed: Engine, fake_clock: FakeClock, fault: str) -> None:  # noqa: F811
    ids = _setup(committed, sims, per_channel=6)
    setattr(sims.pdd.faults, fault, 10_000)  # PDD's waybill service is down
    sims.pdd.faults.hang_seconds = 1.5
    client = httpx.Client(timeout=0.5)
    every = [i for group in ids.values() for i in group]
    report = request_waybills(committed, order_ids=every, client=client)

    assert set(report.issued) == set(ids["taobao"]) | set(ids["webhook"])
    assert set(report.waiting) == set(ids["pdd"])
    with unit_of_work(committed) as session:
        waits = {w.order_id: w for w in session.scalars(select(WaybillWait))}
        assert set(waits) == set(ids["pdd"])
        assert all(w.kind == "retrying" and w.reason.startswith("YTO down, retrying") for w in waits.values())
        events = session.scalars(select(OutboxEvent).where(OutboxEvent.topic == RETRY_TOPIC)).all()
        assert sorted(int(e.payload["order_id"]) for e in events) == sorted(ids["pdd"])
    pdd_account = _account_id(committed, "YTO-pdd")
    assert breaker.for_account(pdd_account).state == "open"

    worker.run(burst=True, engine=committed)  # still down: the breaker refuses, events back off
    assert all(current_waybill_of(committed, i) is None for i in ids["pdd"])

    sims.pdd.faults.errors = sims.pdd.faults.timeouts = 0  # PDD comes back
    fake_clock.advance(breaker.settings["reset_seconds"] + 60)  # past the breaker and the backoff
    assert breaker.for_account(pdd_account).state == "half-open"
    worker.run(burst=True, engine=committed)
    assert breaker.for_account(pdd_account).state == "closed"
    for order_id in ids["pdd"]:
        waybill = current_waybill_of(committed, order_id)
        assert waybill is not None and waybill.tracking_no.startswith("YT")
    with unit_of_work(committed) as session:
        assert session.scalars(select(WaybillWait)).all() == []
        assert {e.status for e in session.scalars(select(OutboxEvent).where(
            OutboxEvent.topic == RETRY_TOPIC))} == {"done"}


def test_wrong_credentials_are_a_clear_recorded_refusal(sims: Sims, committed: Engine) -> None:
    with unit_of_work(committed) as session:
        create_rule(session, name="default → ZTO", carrier="ZTO", is_default=True)
        add_account(session, sims, carrier="ZTO", source="cainiao", secret="wrong-secret")
        add_account(session, sims, carrier="ZTO", source="pdd", secret="wrong-secret")
        add_account(session, sims, carrier="ZTO", source="direct", secret="wrong-secret")
        ids = [order(session, channel=c).id for c in ("taobao", "pdd", "webhook")]
    report = request_waybills(committed, order_ids=ids)
    assert not report.issued and not report.waiting
    assert "Invalid signature" in report.refused[ids[0]]
    assert "签名验证失败" in report.refused[ids[1]]
    assert "AUTH_FAILED" in report.refused[ids[2]]
    with unit_of_work(committed) as session:
        waits = {w.order_id: w for w in session.scalars(select(WaybillWait))}
        assert {w.kind for w in waits.values()} == {"refused"}
        assert "ZTO refused" in waits[ids[0]].reason
        assert all(a.last_error for a in session.scalars(select(CarrierAccount)))
        assert session.scalars(select(OutboxEvent).where(OutboxEvent.topic == RETRY_TOPIC)).all() == []
    assert sims.cainiao.refused["bad_sign"] == 1 and sims.pdd.refused["bad_sign"] == 1


def _account_id(engine: Engine, name: str) -> int:
    with unit_of_work(engine) as session:
        return session.scalar(select(CarrierAccount.id).where(CarrierAccount.name == name))


def current_waybill_of(engine: Engine, order_id: int) -> Waybill | None:
    with unit_of_work(engine) as session:
        return current_waybill(session, order_id)
