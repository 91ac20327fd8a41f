"""The address change API over real HTTP (the live_api fixture): change, history, refusals
with their error codes, permissions, and the void-and-reprint path against the simulator."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import Engine

from orderhub.core.db import unit_of_work
from orderhub.orders import lifecycle as lc
from tests.api.helpers import Api, error_of, make_api
from tests.fulfilment.carriers.support import Sims
from tests.fulfilment.changes.support import (
    NEW_ADDRESS,
    at_minutes_after_creation,
    carrier_setup,
    new_order,
    print_label,
    snapshot,
    to_status,
)
from tests.support.fixtures import FakeClock


@pytest.fixture
def api(live_api: str) -> Iterator[Api]:
    with httpx.Client(base_url=live_api, timeout=30) as client:
        yield make_api(client)  # type: ignore[arg-type]  (an httpx client speaks the same)


def _body(**extra: object) -> dict[str, object]:
    return {"address": NEW_ADDRESS, "reason": "买家来电改地址", **extra}


def test_change_history_and_refusals_over_http(api: Api, committed: Engine, fake_clock: FakeClock) -> None:
    order_no = new_order(committed)
    at_minutes_after_creation(committed, fake_clock, order_no, 3)
    path = f"/api/v1/orders/{order_no}/address"

    view = api.get(f"/api/v1/orders/{order_no}/address-changes", role="cs").json()
    assert view["now"]["allowed"] is True and view["now"]["kind"] == "in_window" and view["items"] == []

    assert api.post(path, _body(), role="warehouse").status_code == 403
    bad = api.post(path, {"address": {**NEW_ADDRESS, "phone": "123"}, "reason": "x"}, role="cs")
    assert bad.status_code == 422 and error_of(bad)["details"]["field"] == "address.phone"
    unknown = api.post(path, {"address": {**NEW_ADDRESS, "country": "US"}, "reason": "x"}, role="cs")
    assert unknown.status_code == 422  # extra fields are refused, not ignored
    missing = api.post("/api/v1/orders/NOPE/address", _body(), role="cs")
    assert missing.status_code == 404 and error_of(missing)["code"] == "order_not_found"

    done = api.post(path, _body(compensation={"amount": 500, "note": "运费补偿"}), role="cs")
    assert done.status_code == 201, done.text
    change = done.json()
    assert change["kind"] == "in_window" and change["after"]["receiver_name"] == "李四"
    assert change["compensation"] == {"amount": 500, "currency": "CNY", "display": "5.00", "note": "运费补偿"}
    assert change["actor"]["name"] == "cs-key"

    fake_clock.advance(20 * 60)  # the window closed
    late = api.post(path, {**_body(), "address": {**NEW_ADDRESS, "name": "王五"}}, role="cs")
    assert late.status_code == 409 and error_of(late)["code"] == "address_change_window_closed"
    assert "supervisor" in error_of(late)["message"]
    assert api.post(path, {**_body(), "address": {**NEW_ADDRESS, "name": "王五"}},
                    role="supervisor").json()["kind"] == "override"

    listed = api.get(f"/api/v1/orders/{order_no}/address-changes", role="viewer").json()
    assert [c["kind"] for c in listed["items"]] == ["override", "in_window"]
    assert listed["items"][1]["after"]["receiver_phone"] == "139****9000"  # masked for viewers
    assert listed["now"]["allowed"] is False


def test_after_the_label_over_http_the_waybill_is_voided(api: Api, sims: Sims, committed: Engine,
                                                         fake_clock: FakeClock) -> None:
    with unit_of_work(committed) as session:
        carrier_setup(session, sims)
    order_no = new_order(committed)
    at_minutes_after_creation(committed, fake_clock, order_no, 2)
    number = print_label(committed, order_no)
    answer = api.post(f"/api/v1/orders/{order_no}/address", _body(), role="cs")
    assert answer.status_code == 201, answer.text
    assert answer.json()["voided_waybill"] == {"carrier": "SF", "tracking_no": number}
    assert number in sims.direct.book.cancelled
    assert snapshot(committed, order_no)[0].status == lc.ALLOCATED

    reprinted = print_label(committed, order_no)  # a new number for the new address
    assert reprinted != number
    to_status(committed, order_no, lc.SHIPPED)
    refused = api.post(f"/api/v1/orders/{order_no}/address",
                       {**_body(), "address": {**NEW_ADDRESS, "name": "赵六"}}, role="supervisor")
    assert refused.status_code == 409 and error_of(refused)["code"] == "address_change_refused"
    assert "after-sales" in error_of(refused)["message"]
