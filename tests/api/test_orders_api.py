"""The order routes: receive (create / upsert), search with every filter and cursor, detail,
cancel, and holds."""

from __future__ import annotations

import copy

import pytest

from orderhub.core.db import unit_of_work
from tests.api.helpers import Api, changed, counts, error_of
from tests.builders import ensure_shop, order_payload


def test_new_order_is_201_and_the_same_order_again_is_200(api: Api) -> None:
    payload = order_payload()
    first = api.post("/api/v1/orders", payload)
    assert first.status_code == 201, first.text
    created = first.json()
    assert created["status"] == "paid" and created["total"] == "379.00"
    assert created["receiver"]["province"] == "浙江省" and created["buyer"]["nick"] == "小鹿"
    # No warehouse is set up in this test database: routing hands the order to a person.
    assert [e["topic"] for e in created["events"]] == ["order.created", "order.routing_manual"]

    again = copy.deepcopy(payload)
    again["buyer_remark"] = "改成工作日送"
    second = api.post("/api/v1/orders", again)
    assert second.status_code == 200, second.text
    assert second.json()["order_no"] == created["order_no"]
    assert second.json()["buyer_remark"] == "改成工作日送"
    assert second.json()["changes"] == ["order.remark_changed"]
    assert counts()["orders"] == 1


def test_detail_has_lines_holds_events_and_audit(api: Api) -> None:
    order = api.create_order()
    detail = api.get(f"/api/v1/orders/{order['order_no']}").json()
    assert detail["lines"][0] | {"unit_price": "399.00", "discount": "20.00", "quantity": 1} \
        == detail["lines"][0]
    assert detail["lines"][0]["platform_sku"] == "YD-2026-BLK-M"
    assert [e["topic"] for e in detail["events"]] == ["order.created", "order.routing_manual"]
    assert [a["action"] for a in detail["audit"]] == ["order.created", "routing.decided"]
    assert detail["audit"][0]["actor"] == {"kind": "api_key", "name": "admin-key",
                                           "id": detail["audit"][0]["actor"]["id"]}
    assert detail["all_holds"] == []


def test_detail_is_found_by_platform_order_id_too(api: Api) -> None:
    order = api.create_order()
    by_platform = api.get(f"/api/v1/orders/{order['platform_order_id']}")
    assert by_platform.status_code == 200 and by_platform.json()["order_no"] == order["order_no"]


def test_unknown_order_is_404(api: Api) -> None:
    response = api.get("/api/v1/orders/NOPE")
    assert response.status_code == 404 and error_of(response)["code"] == "order_not_found"


def test_viewer_sees_masked_phone_and_address(api: Api) -> None:
    order = api.create_order()
    seen = api.get(f"/api/v1/orders/{order['order_no']}", role="viewer").json()
    assert seen["receiver"]["phone"] == "138****8000" and seen["receiver"]["address"] == "****"


# --- search -----------------------------------------------------------------------------------

@pytest.fixture
def catalogue(api: Api) -> dict[str, dict]:
    """Four orders that differ in one filterable property each."""
    with unit_of_work() as session:
        ensure_shop(session, "tmall-flagship", "taobao")
    receiver = dict(order_payload()["receiver"], phone="13912345678")
    return {
        "plain": api.create_order(),
        "unpaid": api.create_order(status="pending_payment", paid_at=None),
        "tmall": api.create_order(shop="tmall-flagship"),
        "other_phone_older": api.create_order(receiver=receiver,
                                              created_at="2026-10-01T09:00:00+08:00"),
    }


def _search(api: Api, **params: str) -> list[str]:
    response = api.get("/api/v1/orders", params=params)
    assert response.status_code == 200, response.text
    return [o["order_no"] for o in response.json()["items"]]


@pytest.mark.parametrize("params, expected", [
    ({}, ["other_phone_older", "tmall", "unpaid", "plain"]),
    ({"status": "pending_payment"}, ["unpaid"]),
    ({"channel": "taobao"}, ["tmall"]),
    ({"shop": "own-store"}, ["other_phone_older", "unpaid", "plain"]),
    ({"phone_tail": "5678"}, ["other_phone_older"]),
    ({"created_to": "2026-11-01T00:00:00+08:00"}, ["other_phone_older"]),
    ({"created_from": "2026-11-01T00:00:00"}, ["tmall", "unpaid", "plain"]),  # no zone: Shanghai
])
def test_search_filters(api: Api, catalogue: dict[str, dict], params: dict, expected: list) -> None:
    assert _search(api, **params) == [catalogue[name]["order_no"] for name in expected]


def test_search_by_order_no_and_platform_order_id(api: Api, catalogue: dict[str, dict]) -> None:
    tmall = catalogue["tmall"]
    assert _search(api, order_no=tmall["order_no"]) == [tmall["order_no"]]
    assert _search(api, platform_order_id=tmall["platform_order_id"]) == [tmall["order_no"]]


@pytest.mark.parametrize("params, field", [
    ({"status": "lost"}, "status"), ({"limit": "0"}, "limit"), ({"limit": "201"}, "limit"),
    ({"phone_tail": "12a4"}, "phone_tail"), ({"created_from": "yesterday"}, "created_from"),
])
def test_search_refuses_bad_filters(api: Api, params: dict, field: str) -> None:
    response = api.get("/api/v1/orders", params=params)
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "validation_failed"
    assert error["details"]["errors"][0] | {"in": "query", "field": field} \
        == error["details"]["errors"][0]


def test_search_refuses_a_forged_cursor(api: Api) -> None:
    response = api.get("/api/v1/orders", params={"cursor": "bm90LWEtY3Vyc29y"})
    assert response.status_code == 422 and error_of(response)["code"] == "invalid_input"


def test_cursor_walks_every_page_once(api: Api) -> None:
    made = [api.create_order()["order_no"] for _ in range(7)]
    seen: list[str] = []
    pages, cursor = 0, None
    while True:
        params = {"limit": "3", **({"cursor": cursor} if cursor else {})}
        body = api.get("/api/v1/orders", params=params).json()
        seen += [o["order_no"] for o in body["items"]]
        pages, cursor = pages + 1, body["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert seen == list(reversed(made))  # newest first, no duplicates, nothing missed


# --- cancel and holds ------------------------------------------------------------------------

def test_cancel_then_cancel_again_is_illegal(api: Api) -> None:
    order_no = api.create_order()["order_no"]
    cancelled = api.post(f"/api/v1/orders/{order_no}/cancel", {"reason": "buyer asked"}, role="cs")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["events"][-1]["topic"] == "order.cancelled"
    before = counts()
    again = api.post(f"/api/v1/orders/{order_no}/cancel", {"reason": "twice"})
    assert again.status_code == 409
    error = error_of(again)
    assert error["code"] == "illegal_transition" and error["details"]["from"] == "cancelled"
    assert changed(before, counts()) == {}


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "ok", "reson": "typo"}])
def test_cancel_needs_a_reason(api: Api, body: dict) -> None:
    order_no = api.create_order()["order_no"]
    response = api.post(f"/api/v1/orders/{order_no}/cancel", body)
    assert response.status_code == 422 and error_of(response)["code"] == "validation_failed"
    assert api.get(f"/api/v1/orders/{order_no}").json()["status"] == "paid"


def test_hold_then_resolve_returns_the_order_to_where_it_was(api: Api) -> None:
    order_no = api.create_order(status="pending_payment", paid_at=None)["order_no"]
    held = api.post(f"/api/v1/orders/{order_no}/holds",
                    {"reason_code": "address_check", "reason": "地址不全"}, role="supervisor")
    assert held.status_code == 201, held.text
    hold = held.json()["hold"]
    assert hold["status"] == "open" and hold["raised_by"] == "supervisor-key"
    assert held.json()["order"]["status"] == "on_hold"

    resolved = api.post(f"/api/v1/orders/{order_no}/holds/{hold['id']}/resolve",
                        {"resolution": "called the buyer"})
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["hold"]["status"] == "resolved"
    assert resolved.json()["order"]["status"] == "pending_payment"

    again = api.post(f"/api/v1/orders/{order_no}/holds/{hold['id']}/resolve",
                     {"resolution": "again"})
    assert again.status_code == 409 and error_of(again)["code"] == "hold_not_open"
    unknown = api.post(f"/api/v1/orders/{order_no}/holds/999999/resolve", {"resolution": "x"})
    assert unknown.status_code == 404 and error_of(unknown)["code"] == "not_found"


def test_order_stays_held_until_its_last_hold_is_resolved(api: Api) -> None:
    order_no = api.create_order()["order_no"]
    ids = [api.post(f"/api/v1/orders/{order_no}/holds", {"reason_code": code}).json()["hold"]["id"]
           for code in ("risk", "stock")]
    first = api.post(f"/api/v1/orders/{order_no}/holds/{ids[0]}/resolve", {"resolution": "ok"})
    assert first.json()["order"]["status"] == "on_hold"
    last = api.post(f"/api/v1/orders/{order_no}/holds/{ids[1]}/resolve", {"resolution": "ok"})
    assert last.json()["order"]["status"] == "paid"


def test_a_cancelled_order_cannot_be_held(api: Api) -> None:
    order_no = api.create_order(status="cancelled")["order_no"]
    response = api.post(f"/api/v1/orders/{order_no}/holds", {"reason_code": "risk"})
    assert response.status_code == 409 and error_of(response)["code"] == "illegal_transition"
