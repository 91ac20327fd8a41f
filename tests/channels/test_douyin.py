"""Douyin shop connector against the Douyin simulator over real HTTP (no database)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

import orderhub.sim.douyin as douyin_sim
from orderhub.channels.base import (
    AuthFailed,
    Credentials,
    Rejected,
    StockLevel,
    Throttled,
    Unavailable,
    windows,
)
from orderhub.channels.douyin import (
    COMPANY_CODES,
    DouyinConnector,
    param_json,
    push_sign,
    sign,
)
from orderhub.channels.douyin_map import to_order
from orderhub.orders.schemas import OrderIn
from orderhub.sim.douyin import DouyinSim
from orderhub.sim.platform import mask_name

SAMPLE = Path("/work/shared/fixtures/platforms/douyin_orders_sample.json")
BEIJING = timedelta(hours=8)


@pytest.fixture
def sim() -> Iterator[DouyinSim]:
    s = DouyinSim(seed=11)
    s.start()
    yield s
    s.stop()


def connect(sim: DouyinSim, *, secret: str | None = None, timeout: float | None = None,
            **extra: str) -> DouyinConnector:
    creds = Credentials(app_key=sim.app_key, app_secret=secret or sim.app_secret,
                        access_token=sim.access_token, base_url=sim.url, extra=extra)
    client = httpx.Client(timeout=timeout) if timeout else None
    return DouyinConnector(creds, client=client)


def day() -> tuple[datetime, datetime]:
    end = datetime.now(UTC).replace(microsecond=0)
    return end - timedelta(hours=24), end


def pull_ids(conn: DouyinConnector, start: datetime, end: datetime) -> tuple[list[str], list]:
    ids, orders = [], []
    for a, b in windows(start, end + timedelta(seconds=1), conn.max_window):
        for page in conn.pull(a, b):
            assert not page.bad, page.bad
            ids += [p.order["platform_order_id"] for p in page.orders]
            orders += page.orders
    return ids, orders


# --- signing -------------------------------------------------------------------------------

def test_sign_matches_a_hand_computed_vector() -> None:
    # Recipe (official SDK SignUtil): pattern = secret + "app_key"K + "method"M + "param_json"P
    # + "timestamp"T + "v2" + secret, i.e. here
    # dy-secret-0001app_key6839320000000000000methodorder.searchList
    #   param_json{"page":0,"size":20}timestamp1700000000v2dy-secret-0001
    # MD5 of it (printf '%s' "$pattern" | md5sum) and HMAC-SHA256 keyed with the secret
    # (openssl dgst -sha256 -hmac dy-secret-0001), lower-case hex.
    args = {"app_key": "6839320000000000000", "app_secret": "dy-secret-0001",
            "method": "order.searchList", "param_json": '{"page":0,"size":20}',
            "timestamp": "1700000000"}
    assert sign(**args) == "968fc0334874e7bed4793bc960ff4660"
    assert sign(**args, sign_method="hmac-sha256") == \
        "5301a0f8f252b5f5e0649db85e2aa7de1243dcb692897781cfb60b3237d08de0"


def test_param_json_sorts_keys_at_every_depth_and_keeps_chinese() -> None:
    assert param_json({"b": 1, "a": {"d": [{"z": 1, "y": 2}], "c": "中<&>"}}) == \
        '{"a":{"c":"中<&>","d":[{"y":2,"z":1}]},"b":1}'


def test_push_sign_is_md5_of_app_key_body_secret() -> None:
    # printf '%s' 'app-1[{"tag":"101"}]secret-1' | md5sum
    assert push_sign("app-1", b'[{"tag":"101"}]', "secret-1") == "1d78fcda8aa5a6c434a09218b302e92b"


def test_wrong_secret_is_auth_failed_with_the_platform_code(sim: DouyinSim) -> None:
    sim.generate(3)
    with pytest.raises(AuthFailed) as err:
        list(connect(sim, secret="not-the-secret").pull(*day()))
    assert err.value.platform_code == "40004"
    assert sim.refused["bad_sign"] == 1


def test_hmac_sha256_sign_method_is_accepted(sim: DouyinSim) -> None:
    sim.generate(5)
    ids, _ = pull_ids(connect(sim, sign_method="hmac-sha256"), *day())
    assert set(ids) == set(sim.book.orders)


def raw_call(sim: DouyinSim, params: dict, *, timestamp: str, body: str | None = None,
             in_query: bool = False) -> dict:
    text = param_json(params)
    query = {"app_key": sim.app_key, "method": "order.searchList", "v": "2",
             "timestamp": timestamp, "access_token": sim.access_token,
             "sign": sign(app_key=sim.app_key, app_secret=sim.app_secret,
                          method="order.searchList", param_json=text, timestamp=timestamp)}
    if in_query:
        query["param_json"] = text
        content = b""
    else:
        content = (body if body is not None else text).encode()
    return httpx.post(f"{sim.url}/order/searchList", params=query, content=content).json()


def test_sim_accepts_seconds_milliseconds_datetime_and_param_json_in_the_query(sim: DouyinSim) -> None:
    now = datetime.now(UTC)
    params = {"page": 0, "size": 10}
    for stamp in (str(int(now.timestamp())), str(int(now.timestamp() * 1000)),
                  (now + BEIJING).strftime("%Y-%m-%d %H:%M:%S")):
        assert raw_call(sim, params, timestamp=stamp)["code"] == 10000, stamp
    assert raw_call(sim, params, timestamp=str(int(now.timestamp())), in_query=True)["code"] == 10000
    stale = raw_call(sim, params, timestamp=str(int(now.timestamp()) - 3600))
    assert stale["code"] != 10000 and "timestamp" in stale["sub_code"]


def test_a_tampered_parameter_gets_the_invalid_sign_body(sim: DouyinSim) -> None:
    stamp = str(int(datetime.now(UTC).timestamp()))
    answer = raw_call(sim, {"page": 0, "size": 10}, timestamp=stamp, body='{"page":0,"size":99}')
    assert answer["code"] == 40004 and answer["sub_code"] == "isv.signature-invalid"


# --- pulling -------------------------------------------------------------------------------

def test_a_full_day_is_pulled_exactly_once_and_every_order_validates(sim: DouyinSim) -> None:
    start, end = day()
    sim.generate(300, start=start, end=end)
    ids, orders = pull_ids(connect(sim), start, end)
    assert len(ids) == len(set(ids)) == 300
    assert set(ids) == set(sim.book.orders)
    for pulled in orders:
        OrderIn(**pulled.order, shop="douyin-shop")
    assert sim.calls["order.searchList"] >= 24  # one window per hour, a probe page each


def test_backward_paging_reads_the_first_page_then_last_to_first(sim: DouyinSim) -> None:
    _, end = day()
    sim.generate(250, start=end - timedelta(minutes=50), end=end)
    conn = connect(sim)
    seen_pages = []
    original = sim.search_list

    def spy(params: dict):
        seen_pages.append(params["page"])
        return original(params)

    sim.search_list = spy  # type: ignore[method-assign]
    ids = [p.order["platform_order_id"] for page in conn.pull(end - timedelta(minutes=59),
                                                              end + timedelta(seconds=1))
           for p in page.orders]
    assert seen_pages == [0, 2, 1, 0]
    assert set(ids) == set(sim.book.orders) and len(ids) == 250


def test_duplicates_fault_repeats_rows_but_the_set_is_the_truth(sim: DouyinSim) -> None:
    start, end = day()
    sim.generate(300, start=end - timedelta(minutes=55), end=end)
    sim.faults.duplicates = True
    ids, _ = pull_ids(connect(sim), start, end)
    assert set(ids) == set(sim.book.orders)


def test_throttle_5xx_timeout_and_error_bodies_raise_the_right_errors(sim: DouyinSim) -> None:
    start, end = day()
    sim.generate(5, start=start, end=end)
    conn = connect(sim)
    sim.faults.throttle = 1
    with pytest.raises(Throttled) as throttled:
        list(conn.pull(end - timedelta(hours=1), end))
    assert throttled.value.platform_code == "90000"
    sim.faults.errors = 1
    with pytest.raises(Unavailable) as bad_gateway:
        list(conn.pull(end - timedelta(hours=1), end))
    assert bad_gateway.value.platform_code == "502"
    sim.faults.update({"timeouts": 1, "hang_seconds": 1.5})
    with pytest.raises(Unavailable):
        list(connect(sim, timeout=0.3).pull(end - timedelta(hours=1), end))
    # HTTP 200 with an error body: a window longer than the platform allows, an unknown method.
    with pytest.raises(Rejected) as too_long:
        conn.call("order.searchList", {"page": 0, "size": 10, "update_time_start": 0,
                                       "update_time_end": int(end.timestamp())})
    assert too_long.value.platform_code == "40002"
    with pytest.raises(Rejected):
        conn.call("order.noSuchThing", {})
    ids, _ = pull_ids(conn, start, end)  # and it recovers
    assert set(ids) == set(sim.book.orders)


def test_orders_modified_after_payment_come_back_changed(sim: DouyinSim) -> None:
    start, end = day()
    sim.generate(60, start=start, end=end, unpaid_share=0)
    conn = connect(sim)
    pull_ids(conn, start, end)
    changed = {kind: sim.modify(kind)[0].order_id for kind in ("address", "refund", "cancel", "remark")}
    now = datetime.now(UTC)
    _, orders = pull_ids(conn, now - timedelta(minutes=5), now)
    by_id = {p.order["platform_order_id"]: p.order for p in orders}
    assert set(changed.values()) <= set(by_id)
    truth = sim.book.get(changed["address"])
    assert by_id[changed["address"]]["receiver"]["address"].endswith("（改）")
    assert by_id[changed["address"]]["receiver"]["encrypted"]["detail"] != ""
    assert truth is not None
    assert by_id[changed["refund"]]["lines"][0]["refund_status"] == "requested"
    assert by_id[changed["cancel"]]["status"] == "cancelled"
    assert by_id[changed["remark"]]["buyer_remark"] == "麻烦改成周末送货，谢谢"


# --- mapping -------------------------------------------------------------------------------

def test_mapping_units_times_masking_lines_and_presale(sim: DouyinSim) -> None:
    start, end = day()
    sim.generate(200, start=start, end=end)
    _, orders = pull_ids(connect(sim), start, end)
    by_id = {p.order["platform_order_id"]: p for p in orders}
    for oid, truth in sim.book.orders.items():
        order = by_id[oid].order
        assert order["total"] == str(truth.total.quantize(Decimal("0.01")))
        assert order["shipping_fee"] == str(truth.shipping_fee)
        assert order["created_at"].utcoffset() == BEIJING
        assert order["created_at"] == truth.created.replace(microsecond=0)
        assert order["status"] == ("pending_payment" if truth.paid is None else "paid")
        assert len(order["lines"]) == len(truth.lines)
        for line, sim_line in zip(order["lines"], truth.lines, strict=True):
            assert line["platform_sku"] == sim_line.outer_code
            assert line["platform_line_id"] == sim_line.line_id
            assert Decimal(line["unit_price"]) == sim_line.unit_price
            assert Decimal(line["discount"]) == sim_line.discount
            assert line["refund_status"] == sim_line.refund
        receiver = order["receiver"]
        assert receiver["name"] == mask_name(truth.receiver["name"]) != truth.receiver["name"]
        assert "*" in receiver["phone"] and truth.receiver["phone"] not in receiver["phone"]
        assert receiver["encrypted"]["phone"].startswith("#")
        assert (receiver["province"], receiver["city"], receiver["district"]) == (
            truth.receiver["province"], truth.receiver["city"], truth.receiver["district"])
        assert order["presale"] is truth.presale
        if truth.presale:
            assert order["promised_ship_at"] == truth.promised_ship_at.replace(microsecond=0)
    assert any(len(t.lines) > 1 for t in sim.book.orders.values())
    assert any(t.presale for t in sim.book.orders.values())
    by_id_raw = by_id[next(iter(sim.book.orders))].raw
    assert isinstance(by_id_raw["pay_amount"], int)  # fen on the wire


def test_the_published_sample_maps() -> None:
    raw = json.loads(SAMPLE.read_text())["data"]["shop_order_list"][0]
    order = to_order(raw)
    OrderIn(**order, shop="sample")
    assert order["status"] == "paid"
    assert order["total"] == "248.00" and order["shipping_fee"] == "0.00"
    assert order["created_at"] == datetime(2024, 5, 18, 10, 21, 33, tzinfo=timezone(BEIJING))
    assert order["receiver"]["name"] == "陈**" and order["receiver"]["phone"] == "1********82"
    assert order["receiver"]["address"] == "五四路***号****"
    assert order["receiver"]["street"] == "温泉街道"
    assert order["receiver"]["encrypted"]["open_address_id"] == raw["open_address_id"]
    assert order["lines"] == [{"platform_sku": "SJ-LJ-250", "platform_line_id": "6921587341958203142",
                               "title": "山间茶舍 明前龙井 250g 罐装", "quantity": 2,
                               "unit_price": "129.00", "discount": "10.00", "refund_status": "none"}]
    assert order["promised_ship_at"] == datetime.fromtimestamp(1716171725, UTC)


def test_status_and_after_sale_codes() -> None:
    raw = json.loads(SAMPLE.read_text())["data"]["shop_order_list"][0]
    for code, status in ((1, "pending_payment"), (105, "paid"), (2, "paid"), (101, "shipped"),
                         (3, "shipped"), (4, "cancelled"), (5, "completed")):
        assert to_order({**raw, "order_status": code})["status"] == status
    line = raw["sku_order_list"][0]
    for after_sale, refund in ((6, "requested"), (7, "refunding"), (12, "refunded"), (27, "rejected")):
        changed = {**line, "after_sale_info": {"after_sale_status": after_sale, "refund_status": 0}}
        assert to_order({**raw, "sku_order_list": [changed]})["lines"][0]["refund_status"] == refund
    with pytest.raises(ValueError):
        to_order({**raw, "order_status": 42})


def test_a_payload_with_a_missing_field_is_a_bad_payload_and_the_page_goes_on(
        sim: DouyinSim, monkeypatch: pytest.MonkeyPatch) -> None:
    _, end = day()
    sim.generate(10, start=end - timedelta(minutes=30), end=end)
    broken = sorted(sim.book.orders)[3]
    real_render = douyin_sim.render

    def render(order, *, now):  # the platform leaves a field out of one order
        rendered = real_render(order, now=now)
        if order.order_id == broken:
            del rendered["sku_order_list"][0]["item_num"]
        return rendered

    monkeypatch.setattr(douyin_sim, "render", render)
    pages = list(connect(sim).pull(end - timedelta(hours=1), end + timedelta(seconds=1)))
    good = {p.order["platform_order_id"] for page in pages for p in page.orders}
    bad = [b for page in pages for b in page.bad]
    assert [b.platform_order_id for b in bad] == [broken]
    assert "item_num" in bad[0].reason and bad[0].raw["order_id"] == broken
    assert good == set(sim.book.orders) - {broken}


# --- write-back, stock, pushes -------------------------------------------------------------

def test_confirm_shipment_is_recorded_with_douyin_company_code(sim: DouyinSim) -> None:
    sim.generate(20, unpaid_share=0)
    conn = connect(sim)
    order_id = min(sim.book.orders)
    conn.confirm_shipment(order_id, carrier="ZTO", tracking_no="ZT7788990011")
    shipment = sim.book.shipments[-1]
    assert (shipment["order_id"], shipment["carrier"], shipment["tracking_no"]) == (
        order_id, COMPANY_CODES["ZTO"], "ZT7788990011")
    assert COMPANY_CODES["ZTO"] == "zhongtong"
    assert conn.fetch(order_id).order["status"] == "shipped"
    with pytest.raises(Rejected):  # already shipped
        conn.confirm_shipment(order_id, carrier="ZTO", tracking_no="ZT7788990011")


def test_partial_shipment_is_refused_whole_order_by_line_ids_is_fine(sim: DouyinSim) -> None:
    sim.generate(40, unpaid_share=0)
    conn = connect(sim)
    multi = next(o for o in sim.book.orders.values() if len(o.lines) > 1)
    with pytest.raises(Rejected):
        conn.confirm_shipment(multi.order_id, carrier="SF", tracking_no="SF1",
                              line_ids=[multi.lines[0].line_id])
    conn.confirm_shipment(multi.order_id, carrier="SF", tracking_no="SF1",
                          line_ids=[line.line_id for line in multi.lines])
    assert sim.book.shipments[-1]["carrier"] == "shunfeng"


def test_push_stock_is_recorded_and_an_unknown_sku_is_rejected(sim: DouyinSim) -> None:
    conn = connect(sim)
    conn.push_stock([StockLevel("YD-2026-BLK-M", 130), StockLevel("MY-CASH-GRY", 0)])
    assert sim.book.stock == {"YD-2026-BLK-M": 130, "MY-CASH-GRY": 0}
    assert sim.calls["sku.syncStock"] == 2
    with pytest.raises(Rejected):
        conn.push_stock([StockLevel("NO-SUCH-SKU", 1)])


def test_webhook_is_verified_and_parsed_by_fetching_the_order(sim: DouyinSim) -> None:
    sim.generate(5)
    conn = connect(sim)
    order_id = sorted(sim.book.orders)[2]
    headers, body = sim.message(order_id)
    assert conn.verify_webhook(headers, body)
    assert not conn.verify_webhook(headers, body.replace(b"101", b"102"))
    assert not connect(sim, secret="other").verify_webhook(headers, body)
    assert not conn.verify_webhook({k: v for k, v in headers.items() if k != "event-sign"}, body)
    page = conn.parse_webhook(headers, body)
    assert [p.order["platform_order_id"] for p in page.orders] == [order_id]
    assert page.requests == 1 and sim.calls["order.orderDetail"] == 1


def test_a_skewed_client_clock_is_refused_by_the_platform(sim: DouyinSim) -> None:
    creds = Credentials(app_key=sim.app_key, app_secret=sim.app_secret,
                        access_token=sim.access_token, base_url=sim.url)
    late = DouyinConnector(creds, now=lambda: datetime.now(UTC) - timedelta(minutes=11))
    with pytest.raises(Rejected) as err:
        list(late.pull(*day()))
    assert "timestamp" in err.value.message
