"""The demo's warehouse side: carrier accounts and rules on the simulators, Kuaidi100 wired to
OrderHub over real HTTP, and the courier walking a parcel to delivered (or back to the sender)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, select

from orderhub.core.db import unit_of_work
from orderhub.fulfilment import demo
from orderhub.fulfilment.carriers import rules
from orderhub.fulfilment.carriers.models import CarrierAccount
from orderhub.fulfilment.carriers.service import request_waybills
from orderhub.orders import lifecycle as lc
from tests.fulfilment.carriers.support import order
from tests.fulfilment.tracking.helpers import drain, order_status, scans, shipped_order


@pytest.fixture
def sims(live_api: str) -> Iterator[dict[str, Any]]:
    running = demo.start_carrier_simulators(seed=5)
    with unit_of_work() as session:
        demo.connect_carriers(session, running)
    yield running
    demo.stop_carrier_simulators(running)


def test_connect_makes_accounts_and_rules_and_follows_new_addresses(sims: dict[str, Any]) -> None:
    with unit_of_work() as session:
        accounts = session.scalars(select(CarrierAccount)).all()
        assert {(a.carrier, a.source) for a in accounts} == {
            (c, s) for c in demo.DEMO_CARRIERS for s in ("direct", "cainiao", "pdd", "douyin")}
        zhejiang = order(session, province="浙江省", total="99.00")
        guangdong = order(session, province="广东省", total="99.00")
        dear = order(session, province="广东省", total="1999.00")
        elsewhere = order(session, province="四川省", total="99.00")
        chosen = [rules.choose_carrier(session, o).carrier
                  for o in (zhejiang, guangdong, dear, elsewhere)]
        assert chosen == ["ZTO", "YUNDA", "SF", "YTO"]
    # A restart: new simulators on new ports; the same accounts now point at them.
    again = demo.start_carrier_simulators(seed=6)
    try:
        with unit_of_work() as session:
            demo.connect_carriers(session, again)
            urls = {a.source: a.base_url for a in session.scalars(select(CarrierAccount))}
            assert urls["direct"] == again["carrier_direct"].url
            assert urls["cainiao"] == again["cainiao"].url
            assert len(session.scalars(select(CarrierAccount)).all()) == 4 * len(demo.DEMO_CARRIERS)
    finally:
        demo.stop_carrier_simulators(again)


def test_waybills_come_from_the_demo_simulators(committed: Engine, sims: dict[str, Any]) -> None:
    with unit_of_work() as session:
        ids = [order(session, channel=channel).id
               for channel in ("webhook", "taobao", "pdd", "douyin")]
    report = request_waybills(committed, order_ids=ids)
    assert len(report.issued) == 4, report
    assert len(sims["carrier_direct"].received) == 1
    assert len(sims["cainiao"].received) == 1 and len(sims["pdd_waybill"].received) == 1
    assert len(sims["douyin_waybill"].received) == 1


def test_courier_walks_a_parcel_to_delivered(committed: Engine, sims: dict[str, Any]) -> None:
    _, order_no = shipped_order(carrier="ZTO", tracking_no="ZT7300000077")
    drain(committed)  # subscribes at the Kuaidi100 simulator
    assert sims["kuaidi100"].numbers() == ["ZT7300000077"]
    courier = demo.Courier(sims["kuaidi100"], seed=1)
    courier.seen["ZT7300000077"] = (0.0, 0, False)  # not the one in twelve sent back

    assert courier.tick(now=10) == []
    assert courier.tick(now=61) == [("ZT7300000077", "collect"), ("ZT7300000077", "transit")]
    assert order_status(order_no) == lc.SHIPPED
    assert courier.tick(now=200) == [("ZT7300000077", "dispatch"), ("ZT7300000077", "deliver")]
    assert courier.tick(now=400) == []  # nothing twice
    assert len(scans("ZT7300000077")) == 4
    assert order_status(order_no) == lc.DELIVERED


def test_a_returned_parcel_is_sent_back_instead_of_delivered(committed: Engine,
                                                              sims: dict[str, Any]) -> None:
    _, order_no = shipped_order(carrier="YTO", tracking_no="YT9100000078")
    drain(committed)
    courier = demo.Courier(sims["kuaidi100"])
    courier.seen["YT9100000078"] = (0.0, 0, True)
    courier.tick(now=1000)
    assert "退回" in scans("YT9100000078")[-1]
    assert order_status(order_no) == lc.SHIPPED
