"""Routing in the console: the decision on the order page, the queues page with a person's pick,
region rules and weights — in Chinese and English, with CSRF and role checks."""

from __future__ import annotations

from fastapi.testclient import TestClient

from orderhub.core.db import unit_of_work
from orderhub.orders.service import get_order
from orderhub.routing import config, regions, service
from tests.builders import TEST_ACTOR
from tests.routing.helpers import order, put_stock, seed
from tests.web.conftest import csrf_from, log_in

CARD = {"HX-Request": "true", "HX-Target": "routing"}


def _order(**kw) -> str:
    with unit_of_work() as session:
        ids = seed(session)
        put_stock(session, ids, kw.pop("stock", {"HZ": {"A": 5}, "GZ": {"A": 5}}))
        o = order(session, **kw)
        service.allocate(session, order=o, actor=TEST_ACTOR)
        return o.order_no


def test_the_order_page_loads_the_routing_decision(client: TestClient) -> None:
    no = _order()
    log_in(client, "mei")
    page = client.get(f"/orders/{no}").text
    assert f'hx-get="/orders/{no}/routing"' in page and "分仓决策" in page
    card = client.get(f"/orders/{no}/routing", headers=CARD)
    assert card.status_code == 200 and card.text.lstrip().startswith("{#") is False
    text = card.text
    assert '<section class="card routing" id="routing">' in text and "<html" not in text
    assert "匹配区域规则" in text and "江浙沪" in text and "库存满足度" in text
    assert "HZ ✓" in text and "GZ" in text and "0.999" in text  # HZ: 1s but for 1 % errors
    full = client.get(f"/orders/{no}/routing")
    assert "<html" in full.text and "区域规则" in full.text
    client.cookies.set("orderhub_lang", "en")
    english = client.get(f"/orders/{no}/routing", headers=CARD).text
    assert "Matched a region rule" in english and "Stock coverage" in english


def test_a_person_picks_a_warehouse_from_the_queue_page(client: TestClient) -> None:
    no = _order(province="黑龙江省", stock={"HZ": {"A": 5}})
    log_in(client, "wang", role="warehouse")
    page = client.get("/routing").text
    assert no in page and "没有仓库覆盖该省份" in page and "黑龙江省" in page
    token = csrf_from(client, "/routing")
    short = client.post(f"/routing/orders/{no}/assign", follow_redirects=True,
                        data={"csrf_token": token, "warehouse": "GZ", "back": "/routing"})
    assert "仓库 GZ 库存不足" in short.text
    done = client.post(f"/routing/orders/{no}/assign", follow_redirects=False,
                       data={"csrf_token": token, "warehouse": "HZ", "back": "https://evil.example/"})
    assert done.status_code == 303 and done.headers["location"] == "/orders"  # no open redirect
    with unit_of_work() as session:
        assert get_order(session, no).status == "allocated"
    queue_page = client.get("/routing").text
    assert "已指定 HZ 发货" in queue_page  # the flash
    manual = queue_page.split('id="manual-queue"')[1].split('id="backorders"')[0]
    assert no not in manual and "没有待人工分仓的订单" in manual


def test_the_queue_page_lists_backorders_vip_first(client: TestClient) -> None:
    with unit_of_work() as session:
        seed(session)
        plain = order(session, paid_at="2026-11-23T09:00:00+08:00")
        vip = order(session, paid_at="2026-11-23T11:00:00+08:00", tags=["vip"])
        for o in (plain, vip):
            service.allocate(session, order=o, actor=TEST_ACTOR)
        numbers = (vip.order_no, plain.order_no)
    log_in(client, "mei")
    section = client.get("/routing").text.split('id="backorders"')[1]
    assert section.index(numbers[0]) < section.index(numbers[1]) and "VIP" in section
    assert "A×1" in section


def test_region_rules_and_weights_are_edited_in_the_console(client: TestClient) -> None:
    _order()
    log_in(client, "ops1", role="ops")
    token = csrf_from(client, "/routing/rules")
    created = client.post("/routing/rules", follow_redirects=True, data={
        "csrf_token": token, "name": "西南", "priority": "30", "warehouse_code": "CD",
        "provinces": ["四川省", "重庆市"]})
    assert "区域规则已保存" in created.text and "四川省、重庆市" in created.text
    with unit_of_work() as session:
        rule = next(r for r in regions.list_rules(session) if r.name == "西南")
        rule_id = rule.id
    page = client.get("/routing/rules").text
    # the page's own forms: the switch posts the opposite state, the delete asks first
    assert f'action="/routing/rules/{rule_id}"' in page and 'name="enabled" value="off"' in page
    assert f'action="/routing/rules/{rule_id}/delete"' in page and "data-confirm=" in page
    client.post(f"/routing/rules/{rule_id}", data={"csrf_token": token, "enabled": "off"})
    with unit_of_work() as session:
        assert regions.get_rule(session, rule_id).enabled is False
    bad = client.post("/routing/settings", follow_redirects=True, data={
        "csrf_token": token, "stock": "0.5", "delivery": "0.5", "load": "0.2", "error": "0.1",
        "transfer_days": "2"})
    assert "weights must sum to 1" in bad.text
    good = client.post("/routing/settings", follow_redirects=True, data={
        "csrf_token": token, "stock": "0.4", "delivery": "0.4", "load": "0.1", "error": "0.1",
        "allow_split": "on", "transfer_days": "3"})
    assert "分仓设置已保存" in good.text
    with unit_of_work() as session:
        saved = config.load_config(session)
    assert saved.weights["delivery"] == 0.4 and saved.allow_split and saved.transfer_days == 3
    client.post(f"/routing/rules/{rule_id}/delete", data={"csrf_token": token})
    with unit_of_work() as session:
        assert [r.name for r in regions.list_rules(session)] == ["江浙沪", "偏远地区"]


def test_roles_without_the_permission_see_but_cannot_change(client: TestClient) -> None:
    _order()
    log_in(client, "cs1", role="cs")
    page = client.get("/routing/rules").text
    assert "江浙沪" in page and 'action="/routing/rules"' not in page
    token = csrf_from(client, "/routing/rules")
    refused = client.post("/routing/rules", data={"csrf_token": token, "name": "x"},
                          follow_redirects=False)
    assert refused.status_code == 403
    forged = client.post("/routing/orders/X/retry", data={"csrf_token": "forged"},
                         follow_redirects=False)
    assert forged.status_code == 403
