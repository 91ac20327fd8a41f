"""Shopify connector against the Shopify simulator over real HTTP (no database)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from orderhub.channels.base import (
    AuthFailed,
    Credentials,
    Rejected,
    StockLevel,
    Throttled,
    Unavailable,
    windows,
)
from orderhub.channels.shopify import ShopifyConnector, webhook_signature
from orderhub.orders.schemas import OrderIn
from orderhub.sim.shopify import ShopifySim


@pytest.fixture
def sim() -> Iterator[ShopifySim]:
    s = ShopifySim(seed=11)
    s.start()
    yield s
    s.stop()


def connect(sim: ShopifySim, **changes: str) -> ShopifyConnector:
    values = {"app_key": sim.app_key, "app_secret": sim.app_secret,
              "access_token": sim.access_token, "base_url": sim.url, **changes}
    return ShopifyConnector(Credentials(**values))


def day() -> tuple[datetime, datetime]:
    now = datetime.now(UTC)
    return now - timedelta(hours=25), now + timedelta(seconds=2)


def pull_all(conn: ShopifyConnector, start: datetime, end: datetime) -> list:
    return [page for a, b in windows(start, end, conn.max_window) for page in conn.pull(a, b)]


def ids_of(pages: list) -> list[str]:
    return [o.order["platform_order_id"] for p in pages for o in p.orders]


# --- configuration -------------------------------------------------------------------------

def test_base_url_comes_from_the_shop_name() -> None:
    conn = ShopifyConnector(Credentials(access_token="t", extra={"shop": "ganzhou-oranges"}))
    assert conn.url("orders.json") == \
        "https://ganzhou-oranges.myshopify.com/admin/api/2024-10/orders.json"
    with pytest.raises(ValueError):
        ShopifyConnector(Credentials(access_token="t"))


# --- webhooks ------------------------------------------------------------------------------

def test_webhook_hmac_against_a_hand_computed_vector() -> None:
    # Recipe: Base64(HMAC-SHA256(key=app secret, message=raw body bytes)), computed outside
    # Python:  printf '%s' '<body>' | openssl dgst -sha256 -hmac 'shpss_hush' -binary | base64
    body = b'{"id":5600000001000,"name":"#1001","financial_status":"paid"}'
    assert webhook_signature("shpss_hush", body) == "dWfwr90VojYqcliDiExXkdkR0BrArnIXcUUXCXRkV40="
    conn = ShopifyConnector(Credentials(app_secret="shpss_hush", base_url="http://x"))
    good = {"x-shopify-hmac-sha256": "dWfwr90VojYqcliDiExXkdkR0BrArnIXcUUXCXRkV40="}
    assert conn.verify_webhook(good, body)
    assert not conn.verify_webhook(good, body.replace(b"paid", b"pending"))
    assert not conn.verify_webhook({}, body)
    assert not conn.verify_webhook({"X-Shopify-Hmac-Sha256": "AAAA"}, body)


class Inbox:
    """A real HTTP endpoint that keeps what the simulator posts to it."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        inbox = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                inbox.received.append((dict(self.headers.items()), body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/shopify"


def test_simulator_sends_signed_webhooks_the_connector_verifies_and_maps(sim: ShopifySim) -> None:
    order = sim.generate(3, unpaid_share=0.0)[0]
    inbox = Inbox()
    try:
        assert sim.send_webhook(inbox.url, "orders/paid", order.order_id).status_code == 200
        sim.send_webhook(inbox.url, "orders/paid", order.order_id, secret="not-the-secret")
    finally:
        inbox.server.shutdown()
    conn = connect(sim)
    (headers, body), (forged_headers, forged_body) = inbox.received
    assert conn.verify_webhook(headers, body)
    assert not conn.verify_webhook(forged_headers, forged_body)
    page = conn.parse_webhook(headers, body)
    assert [o.order["platform_order_id"] for o in page.orders] == [order.order_id]
    assert page.orders[0].order["status"] == "paid"
    with pytest.raises(Rejected):
        conn.parse_webhook({"X-Shopify-Topic": "app/uninstalled"}, body)
    broken = conn.parse_webhook({"X-Shopify-Topic": "orders/create"}, b"{not json")
    assert not broken.orders and broken.bad[0].raw == {"body": "{not json"}


# --- pulling -------------------------------------------------------------------------------

def test_full_day_pulled_exactly_once_through_link_paging(sim: ShopifySim) -> None:
    sim.generate(300)
    pages = pull_all(connect(sim), *day())
    ids = ids_of(pages)
    assert len(ids) == len(set(ids)) == 300
    assert set(ids) == set(sim.book.orders)
    assert sim.calls["GET orders"] == 2  # 250 a page, the second reached by the Link header
    for pulled in (o for p in pages for o in p.orders):
        OrderIn(**pulled.order, shop="shopify-shop")


def test_adjacent_windows_never_overlap(sim: ShopifySim) -> None:
    sim.generate(100)
    conn = connect(sim)
    ids = ids_of([p for a, b in windows(*day(), timedelta(hours=1)) for p in conn.pull(a, b)])
    assert len(ids) == len(set(ids)) == 100


def test_duplicates_fault_repeats_rows_but_the_set_is_the_truth(sim: ShopifySim) -> None:
    sim.generate(600)
    sim.faults.duplicates = True
    ids = ids_of(pull_all(connect(sim), *day()))
    assert len(ids) > 600 and set(ids) == set(sim.book.orders)


def test_page_info_refuses_other_filters_like_shopify(sim: ShopifySim) -> None:
    sim.generate(30)
    headers = {"X-Shopify-Access-Token": sim.access_token}
    first = httpx.get(f"{sim.url}/admin/api/2024-10/orders.json",
                      params={"status": "any", "limit": 10}, headers=headers)
    next_url = first.links["next"]["url"]
    assert "page_info=" in next_url and "status" not in next_url
    assert httpx.get(next_url, headers=headers).status_code == 200
    refused = httpx.get(next_url + "&status=any", headers=headers)
    assert refused.status_code == 400 and "page_info" in refused.json()["errors"]
    assert httpx.get(f"{sim.url}/admin/api/2024-10/orders.json", params={"limit": 251},
                     headers=headers).status_code == 400


# --- faults --------------------------------------------------------------------------------

def test_leaky_bucket_answers_429_with_retry_after() -> None:
    with ShopifySim(seed=1, extra={"bucket_size": "5", "leak_rate": "0.5"}) as sim:
        order = sim.generate(1)[0]
        conn = connect(sim)
        conn.bucket_margin = -100  # do not pace ourselves: run into the limit on purpose
        with pytest.raises(Throttled) as err:
            for _ in range(8):
                conn.fetch(order.order_id)
        assert err.value.retry_after == 2.0 and sim.refused["throttled"] == 1


def test_pacing_on_the_call_limit_header_avoids_429() -> None:
    with ShopifySim(seed=1, extra={"bucket_size": "8", "leak_rate": "8"}) as sim:
        order = sim.generate(1)[0]
        conn = connect(sim)
        for _ in range(12):
            conn.fetch(order.order_id)
        assert sim.refused["throttled"] == 0


def test_throttle_5xx_timeout_and_bad_token(sim: ShopifySim) -> None:
    sim.generate(5)
    conn = connect(sim)
    start, end = day()
    sim.faults.throttle = 1
    with pytest.raises(Throttled) as err:
        list(conn.pull(start, end))
    assert err.value.retry_after == 2.0
    sim.faults.errors = 1
    with pytest.raises(Unavailable):
        list(conn.pull(start, end))
    sim.faults.update({"timeouts": 1, "hang_seconds": 1.5})
    quick = ShopifyConnector(conn.credentials, client=httpx.Client(timeout=0.3))
    with pytest.raises(Unavailable):
        list(quick.pull(start, end))
    with pytest.raises(AuthFailed) as err:
        list(connect(sim, access_token="shpat_wrong").pull(start, end))
    assert err.value.platform_code == "401" and sim.refused["bad_token"] == 1
    assert len(ids_of(list(conn.pull(start, end)))) == 5  # and it recovers


def test_unknown_order_is_rejected(sim: ShopifySim) -> None:
    with pytest.raises(Rejected) as err:
        connect(sim).fetch("1")
    assert err.value.platform_code == "404"


# --- changes and mapping -------------------------------------------------------------------

def test_orders_modified_after_payment_come_back_changed(sim: ShopifySim) -> None:
    sim.generate(60, unpaid_share=0.0)
    conn = connect(sim)
    start, end = day()
    before = {o.order["platform_order_id"]: o.order for p in conn.pull(start, end)
              for o in p.orders}
    changed = {kind: sim.modify(kind)[0].order_id for kind in ("address", "refund", "cancel",
                                                               "remark")}
    later = datetime.now(UTC) + timedelta(seconds=2)
    seen = {o.order["platform_order_id"]: o.order for a, b in windows(start, later, conn.max_window)
            for p in conn.pull(a, b) for o in p.orders}
    oid = changed["address"]
    assert seen[oid]["receiver"]["address"] != before[oid]["receiver"]["address"]
    assert seen[changed["refund"]]["lines"][0]["refund_status"] == "refunded"
    assert seen[changed["cancel"]]["status"] == "closed"
    assert seen[changed["remark"]]["buyer_remark"] == "麻烦改成周末送货，谢谢"


def test_mapping_money_times_addresses_and_lines_usd_shop(sim: ShopifySim) -> None:
    sim.generate(120)
    truth = {o.order_id: o for o in sim.book.orders.values()}
    pulled = {o.order["platform_order_id"]: o for p in pull_all(connect(sim), *day())
              for o in p.orders}
    assert any(len(o.lines) > 1 for o in truth.values())
    for oid, order in truth.items():
        got = pulled[oid].order
        assert got["currency"] == "USD" and Decimal(got["total"]) == order.total
        assert [Decimal(li["unit_price"]) for li in got["lines"]] == \
            [li.unit_price for li in order.lines]
        assert [Decimal(li["discount"]) for li in got["lines"]] == [li.discount for li in order.lines]
        assert Decimal(got["shipping_fee"]) == order.shipping_fee
        assert got["created_at"] == order.created.replace(microsecond=0)
        assert got["created_at"].utcoffset() in (timedelta(hours=-5), timedelta(hours=-4))
        assert got["receiver"]["country"] != "CN" and got["receiver"]["zip"]
        assert got["status"] == ("paid" if order.paid else "pending_payment")
        assert [li["platform_sku"] for li in got["lines"]] == [li.outer_code for li in order.lines]
    assert pulled[oid].raw["total_price"] == str(order.total)  # strings on the wire


def test_cny_shop_has_chinese_addresses_and_provinces() -> None:
    with ShopifySim(seed=3, extra={"currency": "CNY"}) as sim:
        sim.generate(20)
        orders = [o.order for p in pull_all(connect(sim), *day()) for o in p.orders]
        truth = {o.order_id: o for o in sim.book.orders.values()}
    for got in orders:
        order = truth[got["platform_order_id"]]
        assert got["currency"] == "CNY" and got["receiver"]["country"] == "CN"
        assert got["receiver"]["province"] == order.receiver["province"]  # from province_code
        assert got["receiver"]["city"] == order.receiver["city"]
        assert got["created_at"].utcoffset() == timedelta(hours=8)


def test_a_payload_missing_a_field_becomes_bad_payload_and_the_page_goes_on(sim: ShopifySim) -> None:
    made = sim.generate(10)
    sim.break_order(made[4].order_id, "line_items.0.price")
    pages = list(connect(sim).pull(*day()))
    assert len(ids_of(pages)) == 9
    bad = [b for p in pages for b in p.bad]
    assert len(bad) == 1 and bad[0].platform_order_id == made[4].order_id
    assert "price" in bad[0].reason


# --- write-back and stock ------------------------------------------------------------------

def test_confirm_shipment_through_fulfillment_orders(sim: ShopifySim) -> None:
    sim.generate(40, unpaid_share=0.0)
    order = next(o for o in sim.book.orders.values() if len(o.lines) > 1)
    conn = connect(sim)
    first = order.lines[0].line_id
    conn.confirm_shipment(order.order_id, carrier="SF", tracking_no="SF1234567890",
                          line_ids=[first])
    assert conn.fetch(order.order_id).raw["fulfillment_status"] == "partial"
    conn.confirm_shipment(order.order_id, carrier="SF", tracking_no="SF1234567890")
    conn.confirm_shipment(order.order_id, carrier="SF", tracking_no="SF1234567890")  # a retry
    shipments = [s for s in sim.book.shipments if s["order_id"] == order.order_id]
    assert len(shipments) == 2
    assert shipments[0]["carrier"] == "SF Express" and shipments[0]["tracking_no"] == "SF1234567890"
    assert shipments[0]["lines"] == first
    assert "kuaidi100.com" in shipments[0]["url"]
    assert conn.fetch(order.order_id).order["status"] == "shipped"
    cancelled = sim.modify("cancel")[0]
    with pytest.raises(Rejected):
        conn.confirm_shipment(cancelled.order_id, carrier="ZTO", tracking_no="7800")


def test_push_stock_through_inventory_levels(sim: ShopifySim) -> None:
    conn = connect(sim)
    conn.push_stock([StockLevel("YD-2026-BLK-M", 12), StockLevel("NEW-2027-CAP-RED", 0)])
    assert sim.book.stock == {"YD-2026-BLK-M": 12, "NEW-2027-CAP-RED": 0}
    assert sim.calls["POST inventory_levels/set"] == 2
    assert sim.calls["GET locations"] == 1
    with pytest.raises(Rejected):
        conn.push_stock([StockLevel("NOPE", 1), StockLevel("MY-CASH-GRY", 4)])
    assert sim.book.stock["MY-CASH-GRY"] == 4
