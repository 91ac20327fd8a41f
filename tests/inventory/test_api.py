"""The inventory REST routes: master data, stock, receipts, replenishment CSV, stocktake with
supervisor approval, and clear errors for bad input."""

from __future__ import annotations

from tests.api.helpers import error_of


def _setup(api) -> None:
    r = api.post("/api/v1/warehouses", {"code": "HZ", "name": "杭州仓", "province": "浙江省",
                                        "daily_capacity": 800, "serves_provinces": ["浙江省"],
                                        "delivery_days": {"浙江省": 1}})
    assert r.status_code == 201, r.text
    for code in ("COAT", "GLOVE"):
        assert api.post("/api/v1/skus", {"code": code, "name": code}).status_code == 201
    r = api.post("/api/v1/skus", {"code": "SET", "name": "套装",
                                  "components": [{"sku": "COAT", "ratio": 1}, {"sku": "GLOVE", "ratio": 2}]})
    assert r.status_code == 201 and r.json()["components"] == [{"sku": "COAT", "ratio": 1},
                                                             {"sku": "GLOVE", "ratio": 2}]


def test_master_data_stock_and_replenishment(api):
    _setup(api)
    r = api.post("/api/v1/stock/set", {"sku": "COAT", "warehouse": "HZ", "on_hand": 3, "safety_stock": 5},
                 role="warehouse")
    assert r.status_code == 200, r.text
    assert (r.json()["available"], r.json()["state"]) == (3, "low")
    r = api.post("/api/v1/stock/receive", {"sku": "COAT", "warehouse": "HZ", "quantity": 1}, key="rcv-1")
    again = api.post("/api/v1/stock/receive", {"sku": "COAT", "warehouse": "HZ", "quantity": 1}, key="rcv-1")
    assert r.json()["on_hand"] == again.json()["on_hand"] == 4  # the key made it happen once
    items = api.get("/api/v1/stock", role="viewer", params={"state": "low"}).json()["items"]
    assert [(i["sku"], i["warehouse"], i["on_hand"]) for i in items] == [("COAT", "HZ", 4)]
    csv = api.get("/api/v1/stock/replenishment", params={"format": "csv"})
    assert csv.headers["content-type"].startswith("text/csv") and "COAT,COAT,HZ,4,5" in csv.text
    whs = api.get("/api/v1/warehouses").json()["items"]
    assert whs[0]["code"] == "HZ" and whs[0]["load"]["daily_capacity"] == 800
    assert [s["code"] for s in api.get("/api/v1/skus", params={"q": "O"}).json()["items"]] == ["COAT", "GLOVE"]


def test_bad_input_and_roles(api):
    _setup(api)
    assert api.post("/api/v1/stock/receive", {"sku": "COAT", "warehouse": "HZ", "quantity": 1},
                    role="cs").status_code == 403
    r = api.post("/api/v1/stock/receive", {"sku": "NOPE", "warehouse": "HZ", "quantity": 1})
    assert r.status_code == 422 and error_of(r)["code"] == "unknown_sku"
    r = api.post("/api/v1/stock/receive", {"sku": "COAT", "warehouse": "XX", "quantity": 1})
    assert r.status_code == 404 and error_of(r)["code"] == "unknown_warehouse"
    r = api.post("/api/v1/stock/receive", {"sku": "COAT", "warehouse": "HZ", "quantity": -1})
    assert r.status_code == 422
    r = api.post("/api/v1/warehouses", {"code": "X", "name": "x", "serves_provinces": ["火星"]})
    assert r.status_code == 422 and "火星" in str(error_of(r)["details"])
    r = api.post("/api/v1/skus", {"code": "BAD", "name": "b", "components": [{"sku": "NOPE", "ratio": 1}]})
    assert r.status_code == 422
    assert api.get("/api/v1/skus", params={"q": "BAD"}).json()["items"] == []  # rolled back


def test_stocktake_needs_a_supervisor(api):
    _setup(api)
    api.post("/api/v1/stock/set", {"sku": "COAT", "warehouse": "HZ", "on_hand": 10})
    take = api.post("/api/v1/stocktakes", {"warehouse": "HZ"}, role="warehouse").json()
    path = f"/api/v1/stocktakes/{take['id']}"
    r = api.post(f"{path}/counts", {"counts": [{"sku": "COAT", "counted": 9, "reason": "破损"}]},
                 role="warehouse")
    assert r.json()["lines"][0]["difference"] == -1
    assert api.post(f"{path}/submit", {}, role="warehouse").json()["status"] == "submitted"
    assert api.post(f"{path}/approve", {}, role="warehouse").status_code == 403
    r = api.post(f"{path}/approve", {"comment": "同意"}, role="supervisor")
    assert r.status_code == 200 and r.json()["status"] == "approved"
    stock = api.get("/api/v1/stock", params={"sku": "COAT"}).json()["items"][0]
    assert stock["on_hand"] == 9
    r = api.post(f"{path}/reject", {"comment": "晚了"}, role="supervisor")
    assert r.status_code == 409 and error_of(r)["code"] == "stocktake_state"
