"""The order list (filters, HTMX fragment, paging, masking) and one order's page with its forms."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from orderhub.core.db import unit_of_work
from orderhub.orders.holds import add_hold
from orderhub.web.pages import orders as order_pages
from tests.builders import TEST_ACTOR
from tests.web.conftest import add_order, csrf_from, log_in

FRAGMENT = {"HX-Request": "true", "HX-Target": "order-results"}


def _receiver(name: str, phone: str) -> dict[str, str]:
    return {"name": name, "phone": phone, "province": "浙江省", "city": "杭州市",
            "district": "西湖区", "address": "文三路90号"}


def test_list_shows_orders_with_their_columns(client: TestClient) -> None:
    no = add_order(platform_order_id="MP-LIST-1")
    log_in(client, "mei")
    page = client.get("/orders").text
    assert no in page and "MP-LIST-1" in page
    assert "own-store" in page and "自营商城" in page
    assert "已付款" in page and "¥379.00" in page and "张三" in page
    assert "13800138000" in page
    assert "2026-11-23 10:02" in page  # 02:02 UTC shown in Asia/Shanghai


@pytest.mark.parametrize("query, shown, hidden", [
    ("status=on_hold", ["held"], ["paid", "old"]),
    ("phone_tail=5678", ["paid"], ["held", "old"]),
    ("platform_order_id=MP-F-OLD", ["old"], ["paid", "held"]),
    ("shop=own-store&channel=webhook", ["paid", "held", "old"], []),
    ("channel=taobao", [], ["paid", "held", "old"]),
    ("created_from=2026-11-23", ["paid", "held"], ["old"]),
    ("created_to=2026-11-20", ["old"], ["paid", "held"]),
    ("created_from=2026-11-20&created_to=2026-11-20&status=paid", ["old"], ["paid", "held"]),
])
def test_filters_show_and_hide_orders(client: TestClient, query: str, shown: list[str],
                                      hidden: list[str]) -> None:
    numbers = {
        "paid": add_order(platform_order_id="MP-F-PAID", receiver=_receiver("甲", "13912345678")),
        "held": add_order(platform_order_id="MP-F-HELD",
                          created_at="2026-11-23T00:30:00+08:00"),  # still the 23rd in Shanghai
        "old": add_order(platform_order_id="MP-F-OLD", created_at="2026-11-20T23:59:00+08:00"),
    }
    with unit_of_work() as session:
        add_hold(session, order_no=numbers["held"], reason_code="manual", reason="", actor=TEST_ACTOR)
    log_in(client, "mei")
    page = client.get(f"/orders?{query}").text
    for name in shown:
        assert numbers[name] in page, f"{name} missing for {query}"
    for name in hidden:
        assert numbers[name] not in page, f"{name} shown for {query}"
    if not shown:
        assert "没有符合条件的订单" in page


def test_order_number_filter_and_form_keeps_what_was_typed(client: TestClient) -> None:
    no = add_order()
    other = add_order()
    log_in(client, "mei")
    page = client.get(f"/orders?order_no={no.lower()}&status=paid").text
    assert no in page and other not in page
    assert f'name="order_no" value="{no.lower()}"' in page
    assert '<option value="paid" selected>' in page


def test_htmx_gets_only_the_results_fragment(client: TestClient) -> None:
    no = add_order()
    log_in(client, "mei")
    response = client.get("/orders?phone_tail=8000", headers=FRAGMENT)
    assert response.status_code == 200
    assert "<html" not in response.text and "<table" in response.text and no in response.text
    assert "HX-Request" in response.headers["vary"]
    restore = client.get("/orders", headers=FRAGMENT | {"HX-History-Restore-Request": "true"})
    assert "<html" in restore.text


def test_next_page_link_follows_the_cursor_and_keeps_filters(client: TestClient,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(order_pages, "PAGE_SIZE", 2)
    numbers = [add_order() for _ in range(3)]
    log_in(client, "mei")
    first = client.get("/orders?status=paid").text
    assert numbers[2] in first and numbers[1] in first and numbers[0] not in first
    link = re.search(r'href="(/orders\?status=paid&amp;cursor=[^"]+)"', first)
    assert link, "no next-page link"
    second = client.get(link.group(1).replace("&amp;", "&")).text
    assert numbers[0] in second and numbers[1] not in second
    assert "下一页" not in second and "回到第一页" in second


def test_bad_filter_input_gets_a_friendly_message(client: TestClient) -> None:
    log_in(client, "mei")
    bad_date = client.get("/orders?created_from=23/11/2026")
    assert bad_date.status_code == 422 and "日期格式" in bad_date.text
    bad_cursor = client.get("/orders?cursor=garbage!", headers=FRAGMENT)
    assert bad_cursor.status_code == 422 and "<html" not in bad_cursor.text
    assert "message-error" in bad_cursor.text
    assert client.get("/orders?phone_tail=abcd").status_code == 422


@pytest.mark.parametrize("role", ["viewer", "finance"])
def test_phone_and_address_are_masked_for_roles_that_do_not_need_them(client: TestClient,
                                                                      role: str) -> None:
    no = add_order()
    log_in(client, "reader", role)
    listing = client.get("/orders").text
    assert "138****8000" in listing and "13800138000" not in listing
    detail = client.get(f"/orders/{no}").text
    assert "138****8000" in detail and "13800138000" not in detail
    assert "文三路90号" not in detail
    assert "当前角色不可查看" in detail  # audit values can carry the phone too


def test_order_page_shows_header_lines_timeline_and_audit(client: TestClient) -> None:
    no = add_order(platform_order_id="MP-D-1", buyer_remark="请周末不要送货",
                   seller_memo="VIP 客户")
    log_in(client, "mei")
    page = client.get(f"/orders/{no}")
    assert page.status_code == 200
    html = page.text
    for text in (no, "MP-D-1", "自营商城", "小鹿", "张三", "13800138000", "浙江省 杭州市 西湖区",
                 "文三路90号东部软件园3号楼", "请周末不要送货", "VIP 客户", "¥399.00", "−¥20.00",
                 "¥379.00", "冬季加厚羽绒服 黑色 M", "YD-2026-BLK-M"):
        assert text in html, text
    timeline = html[html.index('id="timeline"'):html.index('id="audit"')]
    assert "订单已接入" in timeline and "tester" in timeline
    audit = html[html.index('id="audit"'):]
    assert "创建订单" in audit and "tester" in audit


def test_order_page_finds_orders_by_platform_id_and_404s_politely(client: TestClient) -> None:
    no = add_order(platform_order_id="MP-BY-PLATFORM")
    log_in(client, "mei")
    assert no in client.get("/orders/MP-BY-PLATFORM").text
    missing = client.get("/orders/NOPE404")
    assert missing.status_code == 404
    assert "找不到订单 NOPE404" in missing.text and "Traceback" not in missing.text


def test_markup_in_order_data_is_shown_as_text(client: TestClient) -> None:
    attack = "<script>alert(1)</script>"
    no = add_order(buyer_remark=attack, receiver=_receiver('<img src=x onerror="alert(2)">',
                                                           "13800138000"))
    log_in(client, "mei")
    for path in ("/orders", f"/orders/{no}"):
        html = client.get(path).text
        assert attack not in html and "<img src=x" not in html
    detail = client.get(f"/orders/{no}").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in detail


def test_add_and_release_a_hold_through_the_forms(client: TestClient) -> None:
    no = add_order()
    log_in(client, "mei", "cs")
    token = csrf_from(client, f"/orders/{no}")
    added = client.post(f"/orders/{no}/holds", follow_redirects=False,
                        data={"csrf_token": token, "reason_code": "address_check",
                              "reason": "买家来电改地址"})
    assert added.status_code == 303 and added.headers["location"] == f"/orders/{no}"
    page = client.get(f"/orders/{no}").text
    assert "已挂起订单" in page  # the flash message, shown once
    holds = page[page.index('id="holds"'):page.index('id="timeline"')]
    assert "地址待核实" in holds and "买家来电改地址" in holds and "未解除" in holds
    assert "添加挂起" in page[page.index('id="timeline"'):]
    assert "已挂起订单" not in client.get(f"/orders/{no}").text

    hold_id = re.search(rf'action="/orders/{no}/holds/(\d+)/resolve"', page).group(1)
    client.post(f"/orders/{no}/holds/{hold_id}/resolve",
                data={"csrf_token": token, "resolution": "已与买家确认"})
    page = client.get(f"/orders/{no}").text
    holds = page[page.index('id="holds"'):page.index('id="timeline"')]
    assert "已解除" in holds and "已与买家确认" in holds and "mei" in holds
    assert 'class="badge status-paid"' in page

    again = client.post(f"/orders/{no}/holds/{hold_id}/resolve", follow_redirects=True,
                        data={"csrf_token": token, "resolution": "twice"})
    assert "该挂起已被解除" in again.text


def test_forms_without_the_csrf_token_are_refused(client: TestClient) -> None:
    no = add_order()
    log_in(client, "mei", "cs")
    for data in ({}, {"csrf_token": "forged"}):
        refused = client.post(f"/orders/{no}/holds", data=data | {"reason_code": "manual"})
        assert refused.status_code == 403
    refused = client.post(f"/orders/{no}/cancel", data={"reason": "x"})
    assert refused.status_code == 403
    page = client.get(f"/orders/{no}").text
    assert "没有挂起记录" in page and 'class="badge status-paid"' in page


def test_cancel_then_a_second_cancel_is_explained_not_crashed(client: TestClient) -> None:
    no = add_order()
    log_in(client, "boss", "supervisor")
    token = csrf_from(client, f"/orders/{no}")
    done = client.post(f"/orders/{no}/cancel", data={"csrf_token": token, "reason": "买家不要了"})
    assert done.status_code == 200 and "订单已取消。" in done.text
    assert 'class="badge status-cancelled"' in done.text
    assert f'action="/orders/{no}/cancel"' not in done.text  # nothing left to cancel
    assert "买家不要了" in done.text  # on the timeline
    again = client.post(f"/orders/{no}/cancel", data={"csrf_token": token, "reason": "again"})
    assert "不能变为“已取消”" in again.text and "message-error" in again.text


def test_roles_see_only_the_buttons_they_may_use(client: TestClient) -> None:
    no = add_order()
    log_in(client, "packer", "warehouse")
    page = client.get(f"/orders/{no}").text
    assert f'action="/orders/{no}/holds"' not in page
    assert f'action="/orders/{no}/cancel"' not in page
    token = csrf_from(client, f"/orders/{no}")
    refused = client.post(f"/orders/{no}/holds", data={"csrf_token": token, "reason_code": "x"})
    assert refused.status_code == 403 and "仓库" in refused.text
