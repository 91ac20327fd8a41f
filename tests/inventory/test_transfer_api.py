"""REST routes of transfer requests and of the per-shop sellable stock rules."""

from __future__ import annotations

from datetime import timedelta

from orderhub.core import clock
from tests.api.helpers import error_of


def _warehouses_and_stock(api) -> None:
    for code, name in (("HZ", "杭州仓"), ("CD", "成都仓")):
        assert api.post("/api/v1/warehouses", {"code": code, "name": name}).status_code == 201
    assert api.post("/api/v1/skus", {"code": "COAT", "name": "羽绒服"}).status_code == 201
    r = api.post("/api/v1/stock/set", {"sku": "COAT", "warehouse": "HZ", "on_hand": 20, "safety_stock": 4})
    assert r.status_code == 200, r.text


def test_transfer_request_ship_receive_over_the_api(api):
    _warehouses_and_stock(api)
    when = (clock.now() + timedelta(days=2)).isoformat()
    body = {"sku": "COAT", "from_warehouse": "HZ", "to_warehouse": "CD", "quantity": 8,
            "expected_at": when, "note": "双十二备货"}
    assert api.post("/api/v1/transfers", body, role="viewer").status_code == 403
    r = api.post("/api/v1/transfers", body, role="warehouse")
    assert r.status_code == 201, r.text
    tid = r.json()["id"]
    assert (r.json()["status"], r.json()["from_code"], r.json()["to_code"]) == ("requested", "HZ", "CD")
    r = api.post(f"/api/v1/transfers/{tid}/ship", key=f"ship-{tid}")
    again = api.post(f"/api/v1/transfers/{tid}/ship", key=f"ship-{tid}")
    assert r.status_code == again.status_code == 200 and r.json()["status"] == "shipped"
    levels = {i["warehouse"]: i for i in api.get("/api/v1/stock", params={"sku": "COAT"}).json()["items"]}
    assert (levels["HZ"]["on_hand"], levels["CD"]["in_transit"]) == (12, 8)
    r = api.post(f"/api/v1/transfers/{tid}/ship")
    assert r.status_code == 409 and error_of(r)["code"] == "transfer_state"
    assert api.post(f"/api/v1/transfers/{tid}/receive").json()["status"] == "received"
    levels = {i["warehouse"]: i for i in api.get("/api/v1/stock", params={"sku": "COAT"}).json()["items"]}
    assert (levels["CD"]["on_hand"], levels["CD"]["in_transit"]) == (8, 0)
    assert [i["id"] for i in api.get("/api/v1/transfers", role="viewer").json()["items"]] == [tid]
    assert api.get("/api/v1/transfers", params={"status": "open"}).json()["items"] == []
    assert api.get(f"/api/v1/transfers/{tid + 1}").status_code == 404


def test_transfer_bad_input_and_short_stock(api):
    _warehouses_and_stock(api)
    when = (clock.now() + timedelta(days=2)).isoformat()
    r = api.post("/api/v1/transfers", {"sku": "COAT", "from_warehouse": "HZ", "to_warehouse": "CD",
                                       "quantity": 8, "expected_at": "2026-12-01T10:00:00"})
    assert r.status_code == 422  # no time zone
    r = api.post("/api/v1/transfers", {"sku": "COAT", "from_warehouse": "HZ", "to_warehouse": "CD",
                                       "quantity": 21, "expected_at": when})
    tid = r.json()["id"]
    r = api.post(f"/api/v1/transfers/{tid}/ship")
    assert r.status_code == 409 and error_of(r)["code"] == "insufficient_stock"
    assert api.get(f"/api/v1/transfers/{tid}").json()["status"] == "requested"  # rolled back
    assert api.post(f"/api/v1/transfers/{tid}/cancel").json()["status"] == "cancelled"


def test_channel_stock_rules_and_sellable_figures(api):
    _warehouses_and_stock(api)
    rule = {"shop": "tmall-flagship", "warehouse_codes": ["HZ"], "share_pct": 50, "use_safety_stock": True}
    assert api.post("/api/v1/channel-stock", rule, role="cs").status_code == 403
    r = api.post("/api/v1/channel-stock", rule)
    assert r.status_code == 200 and r.json()["warehouse_codes"] == ["HZ"]
    got = api.get("/api/v1/channel-stock/tmall-flagship", role="viewer").json()
    assert got["sellable"] == {"COAT": 8}  # (20 - 4 safety) x 50 %
    api.post("/api/v1/channel-stock", rule | {"use_safety_stock": False})
    assert api.get("/api/v1/channel-stock/tmall-flagship", params={"sku": "COAT"}).json()["sellable"] == {"COAT": 10}
    assert [i["shop"] for i in api.get("/api/v1/channel-stock").json()["items"]] == ["tmall-flagship"]
    r = api.post("/api/v1/channel-stock", rule | {"warehouse_codes": ["XX"]})
    assert r.status_code == 422 and "unknown warehouse XX" in error_of(r)["message"]
    assert api.get("/api/v1/channel-stock/nope").status_code == 404
