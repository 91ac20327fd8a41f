"""/api/v1/sku-mappings: list, waiting list, create (releases orders), delete; errors in the
one error body; roles as declared in tests/api/test_security.py."""

from __future__ import annotations

from orderhub.core.db import unit_of_work
from orderhub.orders import lifecycle as lc
from orderhub.orders.service import get_order
from tests.api.helpers import Api, error_of
from tests.channels.sku_mapping.helpers import receive, setup

URL = "/api/v1/sku-mappings"


def test_map_through_the_api(api: Api) -> None:
    with unit_of_work() as session:
        setup(session)
        number = receive(session, lines=[("DY-55", 3)]).order_no
    [waiting] = api.get(URL + "/unmapped").json()["items"]
    assert waiting | {"oldest": None} == {"platform_sku": "DY-55", "shop": "own-store", "title": "平台商品 DY-55",
                                          "orders": 1, "lines": 1, "oldest": None}
    created = api.post(URL, {"platform_sku": "DY-55", "sku": "A"}, key="map-dy-55")
    assert created.status_code == 201, created.text
    body = created.json()
    assert body | {"id": 0} == {"id": 0, "platform_sku": "DY-55", "shop": None, "sku": "A", "created": True,
                                "lines_mapped": 1, "orders_released": [number]}
    repeat = api.post(URL, {"platform_sku": "DY-55", "sku": "A"}, key="map-dy-55")
    assert repeat.status_code == 201 and repeat.json() == body  # the stored answer, not a second run
    with unit_of_work() as session:
        order = get_order(session, number)
        assert order.status == lc.PAID and order.lines[0].sku == "A"
    assert api.get(URL + "/unmapped").json()["items"] == []
    [row] = api.get(URL, params={"q": "DY"}).json()["items"]
    assert (row["platform_sku"], row["shop"], row["sku"], row["sku_name"]) == ("DY-55", None, "A", "商品 A")
    assert api.get(URL, params={"q": "nothing-like-it"}).json()["items"] == []
    changed = api.post(URL, {"platform_sku": "DY-55", "sku": "B"})
    assert changed.status_code == 200 and changed.json()["created"] is False
    deleted = api.client.delete(f"{URL}/{row['id']}", headers=api.headers())
    assert deleted.status_code == 200 and deleted.json() == {"deleted": row["id"]}
    assert api.get(URL).json()["items"] == []
    missing = api.client.delete(f"{URL}/{row['id']}", headers=api.headers())
    assert missing.status_code == 404 and error_of(missing)["code"] == "not_found"


def test_bad_requests_are_refused_clearly(api: Api) -> None:
    with unit_of_work() as session:
        setup(session)
    unknown = api.post(URL, {"platform_sku": "DY-55", "sku": "NOT-OURS"})
    assert unknown.status_code == 422 and error_of(unknown)["code"] == "unknown_sku"
    assert error_of(unknown)["details"]["sku"] == "NOT-OURS"
    shop = api.post(URL, {"platform_sku": "DY-55", "sku": "A", "shop": "nope"})
    assert shop.status_code == 422 and error_of(shop)["code"] == "unknown_shop"
    extra = api.post(URL, {"platform_sku": "DY-55", "sku": "A", "color": "red"})
    assert extra.status_code == 422
    empty = api.post(URL, {"platform_sku": " ", "sku": "A"})
    assert empty.status_code == 422
    assert api.get(URL).json()["items"] == []


def test_roles(api: Api) -> None:
    with unit_of_work() as session:
        setup(session)
    assert api.get(URL, role="viewer").status_code == 200
    refused = api.post(URL, {"platform_sku": "DY-55", "sku": "A"}, role="cs")
    assert refused.status_code == 403 and error_of(refused)["code"] == "forbidden"
    assert api.post(URL, {"platform_sku": "DY-55", "sku": "A"}, role="warehouse").status_code == 201
