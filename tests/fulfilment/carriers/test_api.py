"""The carriers API: accounts (secrets never shown), rules edited and audited, waybills for
orders over real HTTP to a simulator, an order's waybill view, void, permissions."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from orderhub.core.audit import history
from orderhub.core.db import unit_of_work
from orderhub.fulfilment.carriers import breaker
from orderhub.sim.carrier_direct import CarrierDirectSim
from tests.api.helpers import Api, error_of, make_api
from tests.fulfilment.carriers.support import SENDER, order
from tests.support.app import shared_app


@pytest.fixture
def api(committed: Engine) -> Iterator[Api]:
    breaker.reset_all()
    with TestClient(shared_app()) as client:
        yield make_api(client)


def test_accounts_rules_waybills_and_void_over_the_api(api: Api) -> None:
    with CarrierDirectSim(seed=9) as sim:
        created = api.post("/api/v1/carriers/accounts", {
            "name": "顺丰月结", "carrier": "SF", "source": "direct", "base_url": sim.url,
            "app_key": sim.partner_id, "secrets": {"app_secret": sim.secret}, "sender": SENDER,
            "monthly_account": "0571000123", "branch": "杭州余杭网点"})
        assert created.status_code == 201, created.text
        account = created.json()
        assert account["secrets_set"] is True and "secrets" not in account and sim.secret not in created.text
        bad = api.post("/api/v1/carriers/accounts", {"name": "x", "carrier": "UPS", "source": "direct"})
        assert bad.status_code == 422 and error_of(bad)["details"]["field"] == "carrier"

        rule = api.post("/api/v1/carriers/rules", {"name": "default → SF", "carrier": "SF", "is_default": True})
        assert rule.status_code == 201, rule.text
        patched = api.client.patch(f"/api/v1/carriers/rules/{rule.json()['id']}", json={"priority": 7},
                                   headers=api.headers())
        assert patched.status_code == 200 and patched.json()["priority"] == 7
        assert api.post("/api/v1/carriers/rules", {"name": "y", "carrier": "SF"}, role="cs").status_code == 403
        with unit_of_work() as session:
            made = order(session)
            order_no = made.order_no
            actions = [e.action for e in history(session, "carrier_rule", rule.json()["id"])]
        assert actions == ["carriers.rule_created", "carriers.rule_changed"]

        taken = api.post("/api/v1/carriers/waybills", {"order_nos": [order_no]}, role="warehouse")
        assert taken.status_code == 200, taken.text
        number = taken.json()["issued"][order_no]
        assert number.startswith("SF") and number in sim.book.issued
        again = api.post("/api/v1/carriers/waybills", {"order_nos": [order_no]})
        assert again.json()["reused"] == {order_no: number}

        view = api.get(f"/api/v1/carriers/orders/{order_no}/waybill").json()
        assert view["waybill"]["tracking_no"] == number and view["waybill"]["sort_code"].startswith("571-")
        assert view["choice"]["carrier"] == "SF" and view["waiting"] is None

        voided = api.post(f"/api/v1/carriers/orders/{order_no}/waybill/void", None)
        assert voided.status_code == 200 and voided.json()["status"] == "void"
        assert sim.book.cancelled == {number}
        twice = api.post(f"/api/v1/carriers/orders/{order_no}/waybill/void", None)
        assert twice.status_code == 409 and error_of(twice)["code"] == "no_waybill"
        missing = api.client.patch("/api/v1/carriers/accounts/999999", json={"branch": "x"},
                                   headers=api.headers())
        assert missing.status_code == 404 and error_of(missing)["code"] == "carrier_account_not_found"
