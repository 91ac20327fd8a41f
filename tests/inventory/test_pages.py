"""Console pages of the stock pool: board, replenishment (with CSV), stocktake with approval."""

from __future__ import annotations

from orderhub.core.db import unit_of_work
from orderhub.inventory import demo, service, stocktake
from tests.builders import TEST_ACTOR
from tests.web.conftest import csrf_from, log_in


def _seed() -> None:
    with unit_of_work() as session:
        demo.seed_demo_stock(session, actor=TEST_ACTOR)
        hz = service.find_warehouse(session, "HZ")
        service.reserve(session, order_id=1, warehouse_id=hz.id, lines=[(demo.HOT_SKU, 3)], actor=TEST_ACTOR)


def test_board_in_both_languages(client):
    _seed()
    log_in(client, "viewer1", "viewer")
    page = client.get("/inventory")
    assert page.status_code == 200
    assert "库存看板" in page.text and "杭州仓" in page.text and demo.HOT_SKU in page.text
    assert 'data-state="out"' in page.text  # the hot SKU: 3 on hand, 3 reserved in HZ
    assert page.text.index('data-state="out"') < page.text.index('data-state="ok"')  # alerts first
    out = client.get("/inventory", params={"state": "out", "warehouse": "HZ"})
    assert 'data-state="out"' in out.text and 'data-state="ok"' not in out.text
    client.cookies.set("orderhub_lang", "en")
    english = client.get("/inventory")
    assert "Inventory board" in english.text and "Warehouse load" in english.text
    assert client.get("/inventory/replenishment").status_code == 200
    csv = client.get("/inventory/replenishment.csv")
    assert csv.headers["content-type"].startswith("text/csv") and csv.text.startswith("\ufeffsku,")


def test_stocktake_flow_in_the_console(client):
    _seed()
    log_in(client, "packer", "warehouse")
    token = csrf_from(client, "/inventory/stocktakes")
    r = client.post("/inventory/stocktakes", data={"warehouse": "CD", "note": "月末盘点", "csrf_token": token},
                    follow_redirects=True)
    assert "已新建盘点单" in r.text
    with unit_of_work() as session:
        take_id = stocktake.recent(session)[0].id
    url = f"/inventory/stocktakes/{take_id}"
    r = client.post(f"{url}/counts", data={"counts": "GIFT-SOCKS-3P,255,少了5双\nBX-THERM-2P,180,",
                                           "csrf_token": token}, follow_redirects=True)
    assert 'data-difference="-5"' in r.text
    r = client.post(f"{url}/submit", data={"csrf_token": token}, follow_redirects=True)
    assert "已提交审批" in r.text and "批准并调整库存" not in r.text  # a packer cannot approve
    assert client.post(f"{url}/approve", data={"csrf_token": token}).status_code == 403
    client.cookies.clear()
    log_in(client, "boss", "supervisor")
    token = csrf_from(client, url)
    r = client.post(f"{url}/approve", data={"comment": "同意", "csrf_token": token}, follow_redirects=True)
    assert "已批准" in r.text
    with unit_of_work() as session:
        cd = service.find_warehouse(session, "CD")
        assert service.level_of(session, "GIFT-SOCKS-3P", cd.id).on_hand == 255
        assert service.verify(session) == []
