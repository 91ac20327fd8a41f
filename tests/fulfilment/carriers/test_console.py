"""Carriers in the console: accounts with the waiting orders and why, rules added, toggled and
deleted through the forms (CSRF, roles), in Chinese and English."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from orderhub.core.db import unit_of_work
from orderhub.fulfilment.carriers import breaker
from orderhub.fulfilment.carriers.models import CarrierRule
from orderhub.fulfilment.carriers.rules import create_rule
from orderhub.fulfilment.carriers.service import request_waybills
from tests.fulfilment.carriers.support import Sims, add_account, order
from tests.support.app import shared_app
from tests.web.conftest import csrf_from, log_in


@pytest.fixture
def client(committed: Engine) -> Iterator[TestClient]:
    breaker.reset_all()
    with TestClient(shared_app()) as test_client:
        yield test_client


def test_accounts_page_shows_accounts_and_why_orders_wait(client: TestClient, committed: Engine) -> None:
    with Sims() as sims:
        with unit_of_work() as session:
            create_rule(session, name="默认中通", carrier="ZTO", is_default=True)
            add_account(session, sims, carrier="ZTO", source="direct", secret="wrong-secret-xyz")
            ids = [order(session).id, order(session, channel="douyin").id]
        report = request_waybills(committed, order_ids=ids)
    assert set(report.refused) == set(ids)
    log_in(client, "ops1", role="ops")
    page = client.get("/carriers").text
    assert "ZTO-direct" in page and "0571000123" in page and "杭州余杭网点" in page
    assert "douyin e-waybill account" in page and "AUTH_FAILED" in page and "被拒绝" in page
    assert "wrong-secret-xyz" not in page  # secrets never shown
    client.cookies.set("orderhub_lang", "en")
    assert "Orders waiting for a waybill" in client.get("/carriers").text


def test_rules_are_added_toggled_and_deleted_in_the_console(client: TestClient) -> None:
    log_in(client, "ops2", role="ops")
    token = csrf_from(client, "/carriers/rules")
    added = client.post("/carriers/rules", data={
        "csrf_token": token, "name": "广东走韵达", "carrier": "YUNDA", "priority": "20",
        "provinces": ["广东省"], "channels": "taobao, pdd", "min_value": "99.50"}, follow_redirects=True)
    assert added.status_code == 200 and "规则已保存" in added.text and "广东走韵达" in added.text
    with unit_of_work() as session:
        rule = session.scalar(select(CarrierRule))
        assert (rule.provinces, rule.channels, rule.min_value) == (["广东省"], ["taobao", "pdd"], 9950)
        rule_id = rule.id
    page = client.get("/carriers/rules").text
    assert f'action="/carriers/rules/{rule_id}"' in page and 'name="active" value="off"' in page
    assert f'action="/carriers/rules/{rule_id}/delete"' in page and "广东走韵达" in page
    bad = client.post("/carriers/rules", data={"csrf_token": token, "name": "x", "carrier": "UPS"},
                      follow_redirects=True)
    assert "unknown carrier" in bad.text
    client.post(f"/carriers/rules/{rule_id}", data={"csrf_token": token, "active": "off"})
    with unit_of_work() as session:
        assert session.get(CarrierRule, rule_id).active is False
    client.post(f"/carriers/rules/{rule_id}/delete", data={"csrf_token": token})
    with unit_of_work() as session:
        assert session.get(CarrierRule, rule_id) is None


def test_viewers_see_rules_but_cannot_change_them(client: TestClient) -> None:
    log_in(client, "viewer1", role="viewer")
    page = client.get("/carriers/rules")
    assert page.status_code == 200 and 'action="/carriers/rules"' not in page.text
    token = csrf_from(client, "/carriers/rules") if 'name="csrf_token"' in page.text else "x"
    refused = client.post("/carriers/rules", data={"csrf_token": token, "name": "x", "carrier": "SF"},
                          follow_redirects=False)
    assert refused.status_code in (303, 403) and refused.headers.get("location", "") != "/carriers/rules"
