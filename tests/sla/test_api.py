"""The SLA REST API: rules, people and teams, an order's deadline, reassignment, the queue."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

import orderhub.sla.tasks  # noqa: F401
from tests.api.helpers import Api, error_of, make_api
from tests.sla.helpers import drain, install_defaults
from tests.support.app import shared_app


@pytest.fixture
def api(committed, fake_clock) -> Iterator[Api]:
    with TestClient(shared_app()) as client:
        yield make_api(client)


def test_rules_can_be_listed_added_and_refused(api: Api) -> None:
    install_defaults()
    listed = api.get("/api/v1/sla/rules", role="viewer").json()
    assert listed["warn_share"] == 0.75
    assert [r["note"] for r in listed["items"] if r["stage"] == "accept"] == [
        "vip 60 min", "high_value 60 min", "default 240 min"]
    assert next(r for r in listed["items"] if r["kind"] == "high_value")["min_total"] == "1000.00"
    made = api.post("/api/v1/sla/rules", {"stage": "ship", "kind": "channel", "match": "douyin",
                                          "minutes": 2880})
    assert made.status_code == 201 and made.json()["note"] == "channel douyin 2880 min"
    bad = api.post("/api/v1/sla/rules", {"stage": "ship", "kind": "category", "minutes": 60})
    assert bad.status_code == 422 and "match" in error_of(bad)["details"]
    assert api.post("/api/v1/sla/rules", {"stage": "ship", "kind": "default", "minutes": 5},
                    role="cs").status_code == 403
    assert api.client.put("/api/v1/sla/settings", json={"warn_share": 0.8},
                          headers=api.headers()).json() == {"warn_share": 0.8}


def test_order_deadline_reassign_and_queue(api: Api, committed, fake_clock) -> None:
    install_defaults()
    team = api.post("/api/v1/sla/teams", {"name": "客服组", "stages": ["accept"]}).json()
    first = api.post("/api/v1/sla/people", {"name": "阿兰", "team_id": team["id"]}).json()
    other = api.post("/api/v1/sla/people", {"name": "宝玉", "phone": "13800138000"}).json()
    order = api.create_order()
    drain(committed)
    sla = api.get(f"/api/v1/orders/{order['order_no']}/sla", role="viewer").json()["sla"]
    assert (sla["stage"], sla["person_id"], sla["policy"]) == ("accept", first["id"],
                                                               "default 240 min")
    assert sla["seconds_left"] == 4 * 3600
    moved = api.post(f"/api/v1/orders/{order['order_no']}/sla/reassign",
                     {"person_id": other["id"], "reason": "休假"}, role="supervisor")
    assert moved.status_code == 200 and moved.json()["sla"]["person_id"] == other["id"]
    assert api.post(f"/api/v1/orders/{order['order_no']}/sla/reassign",
                    {"person_id": other["id"]}, role="cs").status_code == 403
    queue = api.get(f"/api/v1/sla/queue?person_id={other['id']}").json()["items"]
    assert [q["order_no"] for q in queue] == [order["order_no"]]
