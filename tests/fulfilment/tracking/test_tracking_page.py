"""The order page shows the parcel's scans, newest first."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from orderhub.sim.kuaidi100 import Kuaidi100Sim
from tests.fulfilment.tracking.helpers import drain, shipped_order
from tests.support.app import shared_app
from tests.support.fixtures import FakeClock
from tests.web.conftest import log_in


def test_order_page_lists_tracking_events(committed: Engine, kuaidi100: Kuaidi100Sim,
                                          fake_clock: FakeClock) -> None:
    _, order_no = shipped_order(carrier="ZTO", tracking_no="ZT7300000077")
    drain(committed)
    with TestClient(shared_app()) as client:
        log_in(client, "mei")
        assert "暂无物流信息" in client.get(f"/orders/{order_no}").text
        kuaidi100.advance("ZT7300000077", "collect", area="杭州市")
        fake_clock.advance(3600)
        kuaidi100.advance("ZT7300000077", "transit", area="嘉兴市")
        page = client.get(f"/orders/{order_no}").text
    assert "物流跟踪" in page and "ZT7300000077" in page
    assert page.index("【嘉兴市】快件已到达转运中心") < page.index("【杭州市】快件已被揽收")
    assert "2026-11-23 10:00" in page  # the first scan at 02:00 UTC, shown in Beijing time
