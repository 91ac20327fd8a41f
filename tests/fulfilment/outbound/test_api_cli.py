"""The scan over the REST API (a wrong scan is a 200 answer, a malformed body a 422, the
warehouse may scan and customer service may not) and from the `orderhub scan` command."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from typer.testing import CliRunner

from orderhub.cli import app as cli
from orderhub.core.db import unit_of_work
from orderhub.orders.service import get_order
from tests.api.helpers import Api, error_of, make_api
from tests.fulfilment.outbound.support import printed_order, warehouse
from tests.support.app import shared_app


@pytest.fixture
def api(committed: Engine) -> Iterator[Api]:
    with TestClient(shared_app()) as client:
        yield make_api(client)


def _printed() -> tuple[str, str]:
    with unit_of_work() as session:
        order, waybill = printed_order(session, warehouse(session))
        return order.order_no, waybill.tracking_no


def test_scan_over_the_api(api: Api) -> None:
    order_no, tracking_no = _printed()
    good = api.post("/api/v1/outbound/scan", {"code": f"{tracking_no}\n", "station": "door-1"},
                    role="warehouse")
    assert good.status_code == 200, good.text
    body = good.json()
    assert (body["ok"], body["kind"], body["order_no"], body["tracking_no"], body["carrier"]) == (
        True, "shipped", order_no, tracking_no, "ZTO")
    assert body["message"] == f"发货成功 {order_no} · ZTO {tracking_no}"
    assert body["messages"]["en"] == f"Shipped {order_no} · ZTO {tracking_no}"
    assert body["receiver"] == "张*" and body["items"] == "冬季加厚羽绒服 黑色 M ×1"

    twice = api.post("/api/v1/outbound/scan", {"code": tracking_no, "station": "door-1"},
                     role="warehouse")
    assert twice.status_code == 200 and twice.json()["kind"] == "already_shipped"
    assert twice.json()["message"].startswith("重复扫描：")
    wrong = api.post("/api/v1/outbound/scan", {"code": "NOSUCH1", "station": "door-2"})
    assert wrong.status_code == 200
    assert (wrong.json()["ok"], wrong.json()["kind"]) == (False, "unknown")
    empty = api.post("/api/v1/outbound/scan", {"code": ""}, role="warehouse")
    assert empty.status_code == 200 and empty.json()["kind"] == "empty"
    garbage = api.post("/api/v1/outbound/scan", {"code": "x" * 900}, role="warehouse")
    assert garbage.status_code == 200 and garbage.json()["kind"] == "invalid"

    recent = api.get("/api/v1/outbound/scans?limit=2", role="warehouse").json()["items"]
    assert [r["kind"] for r in recent] == ["invalid", "empty"]
    door1 = api.get("/api/v1/outbound/scans?station=door-1", role="viewer")
    assert door1.status_code == 403
    door1 = api.get("/api/v1/outbound/scans?station=door-1", role="warehouse").json()["items"]
    assert [(r["kind"], r["code"], r["order_no"]) for r in door1] == [
        ("already_shipped", tracking_no, order_no), ("shipped", tracking_no, order_no)]


@pytest.mark.parametrize(("body", "field"), [
    ({}, "code"), ({"code": 75000001}, "code"), ({"code": "x", "extra": 1}, "extra"),
    ({"code": "x" * 1001}, "code"), ({"code": "x", "station": "s" * 61}, "station"),
])
def test_a_malformed_body_is_422(api: Api, body: dict, field: str) -> None:
    response = api.post("/api/v1/outbound/scan", body, role="warehouse")
    assert response.status_code == 422, response.text
    assert field in str(error_of(response)["details"])


def test_only_warehouse_and_ops_roles_scan(api: Api) -> None:
    order_no, tracking_no = _printed()
    refused = api.post("/api/v1/outbound/scan", {"code": tracking_no}, role="cs")
    assert refused.status_code == 403 and error_of(refused)["code"] == "forbidden"
    with unit_of_work() as session:
        assert get_order(session, order_no).status == "label_printed"


def test_the_scan_command(committed: Engine) -> None:
    order_no, tracking_no = _printed()
    runner = CliRunner()
    shipped = runner.invoke(cli, ["scan", tracking_no, "--station", "pc-1", "--lang", "en"])
    assert shipped.exit_code == 0, shipped.output
    assert f"Shipped {order_no} · ZTO {tracking_no}" in shipped.output
    again = runner.invoke(cli, ["scan", order_no, "--lang", "en"])
    assert again.exit_code == 1 and "already_shipped" in again.output
    assert "Scanned twice" in again.output
    unknown = runner.invoke(cli, ["scan", "NOPE"])
    assert unknown.exit_code == 1 and "查无此单：NOPE" in unknown.output
    with unit_of_work() as session:
        assert get_order(session, order_no).status == "shipped"
