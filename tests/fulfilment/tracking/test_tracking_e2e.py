"""Shipped → subscribed at the Kuaidi100 simulator → signed pushes over real HTTP → delivered,
returned, refused; all against the real database and the real worker."""

from __future__ import annotations

import json

import httpx
import pytest
from sqlalchemy import Engine

from orderhub.core.db import unit_of_work
from orderhub.core.errors import Conflict, InvalidInput
from orderhub.fulfilment.tracking import service
from orderhub.fulfilment.tracking.kuaidi100 import PUSH_REPLY
from orderhub.orders import lifecycle as lc
from orderhub.sim.kuaidi100 import Kuaidi100Sim
from tests.builders import TEST_ACTOR
from tests.fulfilment.tracking.helpers import (
    count_scans,
    drain,
    event_rows,
    events,
    order_status,
    quarantined,
    scans,
    shipment,
    shipped_order,
)


def test_shipped_order_is_tracked_to_delivered(committed: Engine, kuaidi100: Kuaidi100Sim,
                                               live_api: str) -> None:
    order_id, order_no = shipped_order(carrier="ZTO", tracking_no="ZT7300000001")
    drain(committed)

    subscribed = [r for r in kuaidi100.received if r["kind"] == "subscribe"]
    assert subscribed == [{"kind": "subscribe", "company": "zhongtong", "number": "ZT7300000001",
                           "callbackurl": f"{live_api}/api/v1/tracking/kuaidi100/callback",
                           "salt_set": True}]
    assert shipment("ZT7300000001").subscription == "active"

    answer = kuaidi100.advance("ZT7300000001", "collect", area="杭州市")
    assert answer is not None and answer.status_code == 200
    assert answer.json() == PUSH_REPLY
    assert scans("ZT7300000001") == ["【杭州市】快件已被揽收"]
    first = events("tracking.first_scan")
    assert [(e["order_id"], e["order_no"]) for e in first] == [(order_id, order_no)]

    # Kuaidi100 pushes the same record again: nothing is stored twice, no second first scan.
    assert kuaidi100.push("ZT7300000001").json() == PUSH_REPLY
    assert scans("ZT7300000001") == ["【杭州市】快件已被揽收"]
    assert len(events("tracking.first_scan")) == 1
    assert order_status(order_no) == lc.SHIPPED

    kuaidi100.advance("ZT7300000001", "transit", area="上海市")
    kuaidi100.advance("ZT7300000001", "deliver", area="上海市")
    assert len(scans("ZT7300000001")) == 3
    assert order_status(order_no) == lc.DELIVERED
    parcel = shipment("ZT7300000001")
    assert parcel.state == "3" and parcel.delivered_at is not None
    assert kuaidi100.pushes[-1]["status"] == "shutdown"
    assert events("tracking.exception") == []


def test_returned_parcel_raises_one_exception(committed: Engine, kuaidi100: Kuaidi100Sim) -> None:
    order_id, order_no = shipped_order(carrier="YTO", tracking_no="YT9100000002")
    drain(committed)
    kuaidi100.advance("YT9100000002", "collect")
    kuaidi100.advance("YT9100000002", "return")
    kuaidi100.push("YT9100000002")  # repeated: still one exception

    raised = events("tracking.exception")
    assert len(raised) == 1
    assert raised[0]["order_id"] == order_id and raised[0]["order_no"] == order_no
    assert "退回" in raised[0]["reason"] and "YT9100000002" in raised[0]["reason"]
    assert order_status(order_no) == lc.SHIPPED
    assert shipment("YT9100000002").exception_reason == raised[0]["reason"]
    drain(committed)  # the alerts capability takes the exception without failing
    assert [e["status"] for e in event_rows("tracking.exception")] == ["done"]


def test_simulator_is_driven_over_its_control_endpoint(committed: Engine,
                                                       kuaidi100: Kuaidi100Sim) -> None:
    _, order_no = shipped_order(carrier="ZTO", tracking_no="ZT7300000005")
    drain(committed)
    for kind in ("collect", "deliver"):
        answer = httpx.post(f"{kuaidi100.url}/_sim/advance",
                            json={"number": "ZT7300000005", "kind": kind})
        assert answer.json() == {"pushed": True, "answer_status": 200}
    assert httpx.get(f"{kuaidi100.url}/_sim/parcels").json()["ZT7300000005"]["state"] == "3"
    assert order_status(order_no) == lc.DELIVERED


def test_rejected_by_buyer_is_an_exception(committed: Engine, kuaidi100: Kuaidi100Sim) -> None:
    shipped_order(carrier="SF", tracking_no="SF1400000003")
    drain(committed)
    kuaidi100.advance("SF1400000003", "reject")
    assert ["拒签" in e["reason"] for e in events("tracking.exception")] == [True]
    assert kuaidi100.received[0]["company"] == "shunfeng"


def test_wrong_signature_is_refused_and_nothing_stored(committed: Engine,
                                                       kuaidi100: Kuaidi100Sim) -> None:
    shipped_order(carrier="ZTO", tracking_no="ZT7300000004")
    drain(committed)
    kuaidi100.advance("ZT7300000004", "collect", push=False)

    refused = kuaidi100.push("ZT7300000004", sign="0" * 32)
    assert refused.status_code == 401
    assert refused.json().get("result") is not True
    assert count_scans() == 0
    assert events("tracking.first_scan") == []
    kept = quarantined("push:kuaidi100")
    assert [q.reason_code for q in kept] == ["bad_signature"]
    assert "ZT7300000004" in kept[0].raw

    # A signed push of the same record is then taken.
    assert kuaidi100.push("ZT7300000004").status_code == 200
    assert count_scans() == 1


def test_unknown_parcel_and_garbage_are_quarantined(committed: Engine, live_api: str) -> None:
    url = f"{live_api}/api/v1/tracking/kuaidi100/callback"
    param = json.dumps({"status": "polling", "lastResult": {"nu": "NOSUCH0001", "data": []}})
    unknown = httpx.post(url, data={"param": param, "sign": "X"})
    garbage = httpx.post(url, data={"param": "{not json", "sign": "X"})
    assert unknown.status_code == 401
    assert garbage.status_code == 422
    assert sorted(q.reason_code for q in quarantined("push:kuaidi100")) == \
        ["bad_push", "unknown_parcel"]
    assert count_scans() == 0


def test_shipped_without_parcel_in_payload_reads_order_attributes(
        committed: Engine, kuaidi100: Kuaidi100Sim) -> None:
    shipped_order(tracking_no=None, attributes={"carrier": "YUNDA", "tracking_no": "YD5500000005"})
    shipped_order(tracking_no=None)  # no parcel named anywhere: not tracked
    drain(committed)
    assert [r["number"] for r in kuaidi100.received] == ["YD5500000005"]
    assert shipment("YD5500000005").company == "yunda"


def test_start_tracking_refuses_bad_input(committed: Engine) -> None:
    order_id, _ = shipped_order(tracking_no=None)
    other_id, _ = shipped_order(tracking_no=None)
    with unit_of_work() as session:
        with pytest.raises(InvalidInput):
            service.start_tracking(session, order_id=order_id, carrier="DHL",
                                   tracking_no="ZT1234567", actor=TEST_ACTOR)
        with pytest.raises(InvalidInput):
            service.start_tracking(session, order_id=order_id, carrier="ZTO",
                                   tracking_no="bad no!", actor=TEST_ACTOR)
        first = service.start_tracking(session, order_id=order_id, carrier="zto",
                                       tracking_no="ZT1234567", actor=TEST_ACTOR)
        again = service.start_tracking(session, order_id=order_id, carrier="ZTO",
                                       tracking_no="ZT1234567", actor=TEST_ACTOR)
        assert again.id == first.id
        with pytest.raises(Conflict):
            service.start_tracking(session, order_id=other_id, carrier="ZTO",
                                   tracking_no="ZT1234567", actor=TEST_ACTOR)
