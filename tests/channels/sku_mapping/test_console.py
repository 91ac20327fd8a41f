"""商品对应 in the console: the waiting list with a SKU picker, mapping releases the orders,
mappings listed and deleted, a mapping file imported; Chinese and English; CSRF and roles."""

from __future__ import annotations

from fastapi.testclient import TestClient

from orderhub.core.db import unit_of_work
from orderhub.orders import lifecycle as lc
from orderhub.orders.service import get_order
from tests.channels.sku_mapping.helpers import receive, setup
from tests.web.conftest import csrf_from, log_in

URL = "/sku-mapping"


def _held(platform_sku: str = "KS-31") -> str:
    with unit_of_work() as session:
        setup(session)
        return receive(session, lines=[(platform_sku, 1)]).order_no


def test_the_page_lists_what_waits_and_mapping_releases_the_order(client: TestClient) -> None:
    number = _held()
    log_in(client, "mei", role="ops")
    page = client.get(URL)
    assert page.status_code == 200
    waiting = page.text.split('id="waiting"')[1].split('id="mappings"')[0]
    assert "待匹配商品（1）" in waiting and "KS-31" in waiting and "平台商品 KS-31" in waiting
    assert 'list="sku-options"' in waiting and 'hx-get="/sku-mapping/skus"' in waiting
    assert '<option value="A">商品 A</option>' in page.text  # the picker's first choices
    assert 'href="/sku-mapping"' in page.text and "商品对应" in page.text  # nav entry
    picker = client.get(URL + "/skus", params={"sku": "KI"}, headers={"HX-Request": "true"})
    assert picker.status_code == 200 and '<option value="KIT">' in picker.text and 'value="A"' not in picker.text

    token = csrf_from(client, URL)
    refused = client.post(URL + "/map", data={"csrf_token": token, "platform_sku": "KS-31",
                                              "shop": "own-store", "sku": "NOPE"})
    assert refused.status_code == 422 and "no SKU with code &#39;NOPE&#39;" in refused.text
    done = client.post(URL + "/map", follow_redirects=True,
                       data={"csrf_token": token, "platform_sku": "KS-31", "shop": "own-store",
                             "scope": "shop", "sku": "A"})
    assert done.status_code == 200 and "已将 KS-31 对应到 A：补全 1 行，放行 1 个订单。" in done.text
    with unit_of_work() as session:
        order = get_order(session, number)
        assert order.status == lc.PAID and order.lines[0].sku == "A"
    assert "没有等待对应的平台商品。" in done.text
    mappings = done.text.split('id="mappings"')[1]
    assert "KS-31" in mappings and "own-store" in mappings and "商品 A" in mappings

    client.cookies.set("orderhub_lang", "en")
    english = client.get(URL).text
    assert "SKU mapping" in english and "No platform SKU is waiting for a mapping." in english
    mapping_id = english.split('data-mapping="')[1].split('"')[0]
    gone = client.post(f"{URL}/{mapping_id}/delete", data={"csrf_token": token}, follow_redirects=True)
    assert "Mapping deleted" in gone.text and "No mappings yet." in gone.text


def test_every_shop_scope_and_the_form_at_the_foot(client: TestClient) -> None:
    _held("KS-40")
    log_in(client, "mei", role="ops")
    token = csrf_from(client, URL)
    client.post(URL + "/map", data={"csrf_token": token, "platform_sku": "KS-40", "shop": "own-store",
                                    "scope": "all", "sku": "B"})
    client.post(URL + "/map", data={"csrf_token": token, "platform_sku": "KS-41", "shop": "", "sku": "C"})
    mappings = client.get(URL).text.split('id="mappings"')[1]
    assert mappings.count("所有店铺") >= 2 and "KS-40" in mappings and "KS-41" in mappings


def test_import_on_the_page(client: TestClient) -> None:
    number = _held("KS-50")
    log_in(client, "mei", role="ops")
    token = csrf_from(client, URL)
    bad = client.post(URL + "/import", data={"csrf_token": token},
                      files={"file": ("map.csv", "平台SKU,商品编码\nKS-50,NOPE\n".encode(), "text/csv")})
    assert bad.status_code == 422 and 'data-line="2"' in bad.text
    good = client.post(URL + "/import", data={"csrf_token": token}, follow_redirects=True,
                       files={"file": ("map.csv", "平台SKU,商品编码\nKS-50,A\n".encode(), "text/csv")})
    assert "导入完成：对应 1 条" in good.text
    with unit_of_work() as session:
        assert get_order(session, number).status == lc.PAID


def test_roles_and_csrf(client: TestClient) -> None:
    _held()
    log_in(client, "lin", role="cs")
    page = client.get(URL)
    assert page.status_code == 200 and 'action="/sku-mapping/map"' not in page.text  # read only
    token = csrf_from(client, "/orders")
    refused = client.post(URL + "/map", data={"csrf_token": token, "platform_sku": "KS-31", "sku": "A"})
    assert refused.status_code == 403
    client.cookies.clear()
    log_in(client, "mei", role="ops")
    stale = client.post(URL + "/map", data={"csrf_token": "wrong", "platform_sku": "KS-31", "sku": "A"})
    assert stale.status_code == 403
