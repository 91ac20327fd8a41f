"""The demo's page of what the messaging simulators received."""

from __future__ import annotations

import httpx
from fastapi.testclient import TestClient

from orderhub.alerts.demo import RUNNING
from orderhub.channels.registry import simulator_class
from orderhub.sim.wecom import WeComSim
from tests.support.app import shared_app
from tests.web.conftest import log_in


def test_the_page_shows_what_each_simulator_received(committed) -> None:
    sim = WeComSim()
    sim.start()
    RUNNING["wecom"] = sim
    try:
        sent = httpx.post(f"{sim.url}/cgi-bin/webhook/send?key={sim.key}",
                          json={"msgtype": "text", "text": {"content": "订单 2611240KA64500010000 超时"}})
        assert sent.json()["errcode"] == 0
        with TestClient(shared_app()) as client:
            log_in(client, "ops-lead", "ops")
            page = client.get("/simulators")
        assert page.status_code == 200
        assert 'data-simulator="wecom"' in page.text and "订单 2611240KA64500010000 超时" in page.text
    finally:
        RUNNING.clear()
        sim.stop()


def test_without_simulators_the_page_says_so(committed) -> None:
    with TestClient(shared_app()) as client:
        log_in(client, "viewer-1", "viewer")
        page = client.get("/simulators")
    assert page.status_code == 200 and "orderhub demo" in page.text


def test_a_platform_simulator_shows_the_tracking_numbers_written_back(committed) -> None:
    sim = simulator_class("jd")(seed=3)
    [made] = sim.generate(1)
    sim.book.ship(made.order_id, carrier="2087", tracking_no="JDX000123456789")
    RUNNING["jd"] = sim
    try:
        with TestClient(shared_app()) as client:
            log_in(client, "ops-lead", "ops")
            page = client.get("/simulators")
        assert 'data-simulator="jd"' in page.text and "JDX000123456789" in page.text
        assert "京东 发货回传" in page.text or "JD shipment write-backs" in page.text
    finally:
        RUNNING.clear()
