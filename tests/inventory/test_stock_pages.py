"""Console pages of sellable stock per channel and of transfer requests; the stocktake CSV upload."""

from __future__ import annotations

from datetime import timedelta

from orderhub.core import clock
from orderhub.core.db import unit_of_work
from orderhub.inventory import sellable, service, stocktake, transfers
from tests.builders import TEST_ACTOR
from tests.web.conftest import csrf_from, log_in


def _stock() -> None:
    with unit_of_work() as session:
        for code, name in (("HZ", "杭州仓"), ("CD", "成都仓")):
            service.upsert_warehouse(session, code=code, name=name, actor=TEST_ACTOR)
        for code in ("COAT", "GLOVE"):
            service.upsert_sku(session, code=code, name=f"商品{code}", actor=TEST_ACTOR)
        hz, cd = service.find_warehouse(session, "HZ"), service.find_warehouse(session, "CD")
        service.set_level(session, sku="COAT", warehouse_id=hz.id, on_hand=40, safety_stock=10, actor=TEST_ACTOR)
        service.set_level(session, sku="COAT", warehouse_id=cd.id, on_hand=20, actor=TEST_ACTOR)
        service.set_level(session, sku="GLOVE", warehouse_id=cd.id, on_hand=7, actor=TEST_ACTOR)


def test_sellable_page_shows_figures_and_edits_rules(client):
    _stock()
    log_in(client, "ops1", "ops")
    token = csrf_from(client, "/inventory/sellable")
    r = client.post("/inventory/sellable", follow_redirects=True,
                    data={"shop": "tmall-flagship", "share_pct": "50", "warehouses": ["HZ"],
                          "use_safety_stock": "on", "active": "on", "csrf_token": token})
    assert "店铺 tmall-flagship 的库存规则已保存" in r.text
    assert 'data-shop="tmall-flagship" data-sku="COAT">15<' in r.text  # (40 - 10) x 50 %
    r = client.post("/inventory/sellable", follow_redirects=True,
                    data={"shop": "douyin", "share_pct": "100", "active": "on", "use_safety_stock": "on",
                          "csrf_token": token})
    assert 'data-shop="douyin" data-sku="COAT">50<' in r.text  # all warehouses: 30 + 20
    assert 'data-shop="douyin" data-sku="GLOVE">7<' in r.text
    r = client.post("/inventory/sellable", follow_redirects=True,
                    data={"shop": "tmall-flagship", "share_pct": "50", "warehouses": ["HZ"],
                          "active": "on", "csrf_token": token})  # safety stock sold too now
    assert 'data-shop="tmall-flagship" data-sku="COAT">20<' in r.text
    bad = client.post("/inventory/sellable", follow_redirects=True,
                      data={"shop": "jd", "share_pct": "150", "csrf_token": token})
    assert "message-error" in bad.text and "share_pct is a whole percentage" in bad.text
    bad = client.post("/inventory/sellable", follow_redirects=True,
                      data={"shop": "jd", "share_pct": "x", "csrf_token": token})
    assert "share: &#39;x&#39; is not a whole percentage" in bad.text
    searched = client.get("/inventory/sellable", params={"q": "GLOVE"})
    assert 'data-sku="GLOVE"' in searched.text and 'data-sku="COAT"' not in searched.text
    client.cookies.set("orderhub_lang", "en")
    assert "Channel stock rules" in client.get("/inventory/sellable").text
    with unit_of_work() as session:
        assert sellable.channel_rule(session, "tmall-flagship").use_safety_stock is False


def test_sellable_page_permission_and_csrf(client):
    _stock()
    log_in(client, "cs1", "cs")
    page = client.get("/inventory/sellable")
    assert page.status_code == 200 and "rule-editor" not in page.text
    token = csrf_from(client, "/inventory/sellable")
    data = {"shop": "jd", "share_pct": "100", "csrf_token": token}
    assert client.post("/inventory/sellable", data=data).status_code == 403
    client.cookies.clear()
    log_in(client, "ops1", "ops")
    assert client.post("/inventory/sellable", data=data | {"csrf_token": "forged"}).status_code == 403
    with unit_of_work() as session:
        assert sellable.channel_rules(session) == []


def test_transfer_pages_request_ship_receive(client):
    _stock()
    log_in(client, "wh1", "warehouse")
    token = csrf_from(client, "/inventory/transfers")
    when = (clock.now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    form = {"sku": "COAT", "from_warehouse": "HZ", "to_warehouse": "CD", "quantity": "12",
            "expected_at": when, "note": "双十二备货", "csrf_token": token}
    r = client.post("/inventory/transfers", data=form, follow_redirects=True)
    assert "已提交调拨申请" in r.text and 'data-status="requested"' in r.text and "双十二备货" in r.text
    with unit_of_work() as session:
        tid = transfers.listing(session)[0].id
    r = client.post(f"/inventory/transfers/{tid}/ship", data={"csrf_token": token}, follow_redirects=True)
    assert f"调拨单 #{tid} 已发出" in r.text and 'data-status="shipped"' in r.text
    r = client.post(f"/inventory/transfers/{tid}/ship", data={"csrf_token": token}, follow_redirects=True)
    assert "message-error" in r.text and "is shipped, not requested" in r.text
    r = client.post(f"/inventory/transfers/{tid}/receive", data={"csrf_token": token}, follow_redirects=True)
    assert f"调拨单 #{tid} 已收货入库" in r.text
    assert 'data-status="received"' in client.get("/inventory/transfers", params={"status": "received"}).text
    with unit_of_work() as session:
        cd = service.find_warehouse(session, "CD")
        assert service.level_of(session, "COAT", cd.id).on_hand == 32
        assert service.verify(session) == []
    client.cookies.set("orderhub_lang", "en")
    assert "Expected arrival" in client.get("/inventory/transfers?status=").text


def test_transfer_page_errors_permission_and_csrf(client):
    _stock()
    log_in(client, "wh1", "warehouse")
    token = csrf_from(client, "/inventory/transfers")
    when = (clock.now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    form = {"sku": "COAT", "from_warehouse": "HZ", "to_warehouse": "HZ", "quantity": "5",
            "expected_at": when, "csrf_token": token}
    r = client.post("/inventory/transfers", data=form, follow_redirects=True)
    assert "message-error" in r.text and "two different warehouses" in r.text
    r = client.post("/inventory/transfers", data=form | {"to_warehouse": "CD", "quantity": "五"},
                    follow_redirects=True)
    assert "is not a whole number above 0" in r.text
    r = client.post("/inventory/transfers", data=form | {"to_warehouse": "CD", "expected_at": "明天"},
                    follow_redirects=True)
    assert "is not a date and time" in r.text
    r = client.post("/inventory/transfers", data=form | {"to_warehouse": "CD", "quantity": "500"},
                    follow_redirects=True)
    with unit_of_work() as session:
        tid = transfers.listing(session)[0].id
    r = client.post(f"/inventory/transfers/{tid}/ship", data={"csrf_token": token}, follow_redirects=True)
    assert "message-error" in r.text and "the transfer needs 500" in r.text
    assert client.post(f"/inventory/transfers/{tid}/cancel", data={"csrf_token": "forged"}).status_code == 403
    client.cookies.clear()
    log_in(client, "viewer1", "viewer")
    page = client.get("/inventory/transfers")
    assert page.status_code == 200 and "transfer-request" not in page.text
    token = csrf_from(client, "/inventory/transfers")
    assert client.post(f"/inventory/transfers/{tid}/cancel", data={"csrf_token": token}).status_code == 403
    with unit_of_work() as session:
        assert transfers.get(session, tid).status == "requested"


def test_stocktake_counts_from_an_uploaded_csv(client):
    _stock()
    log_in(client, "wh1", "warehouse")
    with unit_of_work() as session:
        take = stocktake.start(session, warehouse="CD", actor=TEST_ACTOR, note="")
    url = f"/inventory/stocktakes/{take.id}"
    token = csrf_from(client, url)
    r = client.post(f"{url}/counts", data={"csrf_token": token}, follow_redirects=True,
                    files={"file": ("counts.csv", "sku,counted,reason\nGLOVE,5,破损\n".encode(), "text/csv")})
    assert 'data-difference="-2"' in r.text
