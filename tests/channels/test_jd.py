"""JD connector against the JD JOS simulator over real HTTP (no database)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from orderhub.channels import _jd_map as mapping
from orderhub.channels._top import sign
from orderhub.channels.base import (
    AuthFailed,
    Credentials,
    Rejected,
    StockLevel,
    Throttled,
    Unavailable,
    windows,
)
from orderhub.channels.jd import JdConnector
from orderhub.orders.schemas import OrderIn
from orderhub.sim.jd import JdSim
from orderhub.sim.platform import SimLine, SimOrder

SAMPLE = Path("/work/shared/fixtures/platforms/jd_orders_sample.json")
BEIJING = timezone(timedelta(hours=8))


@pytest.fixture
def sim() -> Iterator[JdSim]:
    s = JdSim(seed=4)
    s.start()
    yield s
    s.stop()


def connect(sim: JdSim, *, cls: type[JdConnector] = JdConnector, client: httpx.Client | None = None,
            extra: dict[str, str] | None = None, **overrides: str) -> JdConnector:
    fields = {"app_key": sim.app_key, "app_secret": sim.app_secret,
              "access_token": sim.access_token, "base_url": sim.url}
    return cls(Credentials(**(fields | overrides), extra=extra or {}), client=client)


def pull_span(conn: JdConnector, start: datetime, end: datetime) -> list:
    return [page for a, b in windows(start, end, conn.max_window) for page in conn.pull(a, b)]


def day() -> tuple[datetime, datetime]:
    now = datetime.now(UTC)
    return now - timedelta(hours=25), now + timedelta(seconds=1)


def recent() -> tuple[datetime, datetime]:
    end = datetime.now(UTC)
    return end - timedelta(minutes=5), end


def ids(pages: list) -> list[str]:
    return [o.order["platform_order_id"] for page in pages for o in page.orders]


def shown(sim: JdSim) -> set[str]:
    return set(sim.book.truth()["orders"])


class SmallPages(JdConnector):
    page_size = 4


# --- signing ---------------------------------------------------------------------------------

def test_sign_is_tops_md5_over_the_raw_param_json() -> None:
    # JOS publishes no worked example. Recipe: every parameter but `sign`, empty values dropped,
    # keys in ASCII order ("360buy_param_json" sorts first), key+value joined with nothing between,
    # wrapped in the secret on both sides, MD5, upper-case hex.
    params = {"method": "jingdong.pop.order.search", "app_key": "APPKEY", "access_token": "TOKEN",
              "timestamp": "2024-05-18 10:00:00.000+0800", "v": "2.0", "format": "",
              "360buy_param_json": '{"page":"1","page_size":"50"}'}
    text = ('SECRET360buy_param_json{"page":"1","page_size":"50"}access_tokenTOKENapp_keyAPPKEY'
            'methodjingdong.pop.order.searchtimestamp2024-05-18 10:00:00.000+0800v2.0SECRET')
    expected = hashlib.md5(text.encode()).hexdigest().upper()
    assert expected == "9021180129D59E01112E8D183EC7A5A4"
    assert sign(params, "SECRET") == expected


@pytest.mark.parametrize("stamp", ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M:%S.000+0800",
                                   "%Y-%m-%d %H:%M:%S.%f+0800"])
def test_the_simulator_accepts_the_three_timestamp_formats(sim: JdSim, stamp: str) -> None:
    now = datetime.now(BEIJING)
    text = now.strftime(stamp.replace("%f", f"{now.microsecond // 1000:03d}"))
    params = {"method": "jingdong.sku.read.searchSkuList", "app_key": sim.app_key,
              "access_token": sim.access_token, "timestamp": text, "v": "2.0",
              "360buy_param_json": json.dumps({"outId": "MY-CASH-GRY"})}
    params["sign"] = sign(params, sim.app_secret)
    body = httpx.post(sim.url + "/routerjson", data=params).json()
    assert body["jingdong_sku_read_searchSkuList_responce"]["page"]["totalItem"] == 1
    stale = params | {"timestamp": (now - timedelta(minutes=7)).strftime("%Y-%m-%d %H:%M:%S")}
    stale["sign"] = sign(stale, sim.app_secret)
    assert httpx.post(sim.url, data=stale).json()["error_response"]["code"] == "8"


def test_a_wrong_secret_or_tampered_json_is_invalid_signature(sim: JdSim) -> None:
    with pytest.raises(AuthFailed) as caught:
        list(connect(sim, app_secret="not-the-secret").pull(*recent()))
    assert caught.value.platform_code == "12" and sim.refused["bad_signature"] == 1
    params = {"method": "jingdong.pop.order.get", "app_key": sim.app_key, "v": "2.0",
              "access_token": sim.access_token, "timestamp": datetime.now(BEIJING).strftime("%Y-%m-%d %H:%M:%S"),
              "360buy_param_json": '{"order_id":"1"}'}
    params["sign"] = sign(params, sim.app_secret)
    params["360buy_param_json"] = '{"order_id":"2"}'
    assert httpx.post(sim.url, data=params).json()["error_response"] == {
        "code": "12", "zh_desc": "无效签名", "en_desc": "Invalid Signature"}


def test_a_bad_token_is_auth_failed(sim: JdSim) -> None:
    with pytest.raises(AuthFailed) as caught:
        list(connect(sim, access_token="expired").pull(*recent()))
    assert caught.value.platform_code == "19"


# --- pulling ---------------------------------------------------------------------------------

def test_a_full_day_is_pulled_exactly_once_and_every_order_validates(sim: JdSim) -> None:
    made = sim.generate(300)
    span = day()
    pages = pull_span(connect(sim), *span)
    assert sorted(ids(pages)) == sorted(shown(sim))
    # JD lists an online order once it is paid: the never-paid ones are not in the truth.
    assert shown(sim) == {o.order_id for o in made if o.paid}
    assert len(shown(sim)) < len(made)
    assert sim.calls["jingdong.pop.order.search"] == len(list(windows(*span, JdConnector.max_window)))
    for page in pages:
        assert not page.bad
        for pulled in page.orders:
            OrderIn(**pulled.order, shop="jd")


def test_duplicates_across_pages_still_give_the_true_set(sim: JdSim) -> None:
    now = datetime.now(UTC)
    sim.generate(100, start=now - timedelta(hours=2), end=now, unpaid_share=0)
    sim.faults.update({"duplicates": True})
    conn = connect(sim, cls=SmallPages)
    first, second = (conn._search(now - timedelta(hours=1), now, page) for page in (1, 2))
    assert second["orderInfoList"][0] == first["orderInfoList"][-1]  # the fault repeats rows
    seen = ids(pull_span(conn, *day()))
    assert sorted(seen) == sorted(shown(sim))  # each once: repeats are dropped


def test_a_walk_that_sees_the_total_move_is_walked_again(sim: JdSim) -> None:
    end = datetime.now(UTC) - timedelta(minutes=40)
    made = sim.generate(12, start=end - timedelta(minutes=25), end=end, unpaid_share=0)
    pager = connect(sim, cls=SmallPages).pull(end - timedelta(minutes=30), end)
    first = next(pager)  # page 1: the oldest four
    # One of them changes now and leaves the window: every later row moves up one place, and
    # the row that slides onto page 1 would be skipped by a single forward walk.
    gone = first.orders[0].order["platform_order_id"]
    sim.modify("remark", order_id=gone)
    rest = list(pager)
    assert {o.order_id for o in made} - {gone} <= set(ids([first, *rest]))
    assert sim.calls["jingdong.pop.order.search"] > 3  # the window was walked a second time


def test_modified_after_payment_comes_back_changed_on_the_next_pull(sim: JdSim) -> None:
    sim.generate(60, end=datetime.now(UTC) - timedelta(hours=1), unpaid_share=0)
    start = datetime.now(UTC) - timedelta(seconds=2)
    changed = {kind: sim.modify(kind, count=1)[0] for kind in ("address", "remark", "refund", "cancel")}
    pages = pull_span(connect(sim), start, datetime.now(UTC) + timedelta(seconds=1))
    got = {o.order["platform_order_id"]: o.order for page in pages for o in page.orders}
    assert set(got) == {o.order_id for o in changed.values()}
    assert got[changed["address"].order_id]["receiver"]["address"].endswith("室***")
    assert got[changed["remark"].order_id]["buyer_remark"] == "麻烦改成周末送货，谢谢"
    refund = got[changed["refund"].order_id]
    assert refund["status"] == "paid" and refund["lines"][0]["refund_status"] == "requested"
    cancelled = got[changed["cancel"].order_id]
    assert cancelled["status"] == "closed" and cancelled["lines"][0]["refund_status"] == "refunded"


def test_an_order_missing_a_field_is_a_bad_payload_and_the_page_goes_on(sim: JdSim) -> None:
    made = sim.generate(10, unpaid_share=0)
    sim.broken[made[6].order_id] = "itemInfoList"
    pages = pull_span(connect(sim), *day())
    bad = [b for page in pages for b in page.bad]
    assert [b.platform_order_id for b in bad] == [made[6].order_id]
    assert "itemInfoList" in bad[0].reason and "consigneeInfo" in bad[0].raw
    assert set(ids(pages)) == shown(sim) - {made[6].order_id}
    item = {"skuId": "1", "outerSkuId": "A-1", "skuName": "补录", "jdPrice": "9.90", "itemTotal": "1"}
    fixed = bad[0].raw | {"itemInfoList": [item]}  # a person fills the field in
    assert connect(sim).map_order(fixed)["lines"][0]["platform_sku"] == "A-1"


# --- faults ----------------------------------------------------------------------------------

def test_throttling_502_and_timeouts(sim: JdSim) -> None:
    sim.faults.update({"throttle": 1})
    with pytest.raises(Throttled) as caught:
        list(connect(sim).pull(*recent()))
    assert caught.value.platform_code == "2"
    sim.faults.update({"errors": 1})
    with pytest.raises(Unavailable):
        list(connect(sim).pull(*recent()))
    sim.faults.update({"timeouts": 1, "hang_seconds": 1.0})
    with pytest.raises(Unavailable):
        list(connect(sim, client=httpx.Client(timeout=0.3)).pull(*recent()))


def test_api_result_false_inside_http_200_is_an_error(sim: JdSim) -> None:
    conn = connect(sim)
    with pytest.raises(Rejected) as window:  # two months: JD allows one
        conn._search(datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC), 1)
    assert "一个月" in window.value.message
    with pytest.raises(Rejected):
        conn.fetch("1")  # no such order
    with pytest.raises(Rejected) as unknown:
        conn.call("jingdong.no.such.method", {})
    assert unknown.value.platform_code == "9"
    with pytest.raises(ValueError):
        list(conn.pull(datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC)))


# --- mapping ---------------------------------------------------------------------------------

def test_the_documented_sample_maps_exactly() -> None:
    info = json.loads(SAMPLE.read_text())["jingdong_pop_order_search_responce"][
        "searchorderinfo_result"]["orderInfoList"][0]
    order = mapping.to_order(info)
    assert order["platform_order_id"] == "285917364021" and order["status"] == "paid"
    assert order["paid_at"] == datetime(2024, 5, 18, 1, 13, 2, tzinfo=UTC)
    assert order["total"] == "188.00" and order["shipping_fee"] == "0.00"
    [line] = order["lines"]
    assert (line["platform_sku"], line["quantity"], line["unit_price"], line["discount"]) == \
        ("ZB-KETTLE-17-WHT", 2, "109.00", "30.00")
    receiver = order["receiver"]
    assert (receiver["province"], receiver["city"], receiver["district"], receiver["street"]) == \
        ("广东", "深圳市", "南山区", "粤海街道")
    assert receiver["address"] == "科技园南区***" and receiver["phone"] == "138****6721"
    assert order["buyer_remark"] == "麻烦用纸箱包装" and order["seller_memo"] == "赠品已备"
    OrderIn(**order, shop="jd")


def test_cancelled_locked_and_repeated_skus_map_sensibly() -> None:
    info = json.loads(SAMPLE.read_text())["jingdong_pop_order_search_responce"][
        "searchorderinfo_result"]["orderInfoList"][0]
    item = info["itemInfoList"][0]
    twice = info | {"itemInfoList": [item, item | {"itemTotal": "1"}],
                    "couponDetailList": info["couponDetailList"] + [
                        {"skuId": "", "couponType": "20-满减", "couponPrice": "5.00"}]}
    lines = mapping.to_order(twice)["lines"]
    assert [line["platform_line_id"] for line in lines] == ["100038475621", "100038475621-2"]
    assert sum(Decimal(line["discount"]) for line in lines) == Decimal("35.00")
    assert mapping.to_order(info | {"orderState": "TRADE_CANCELED"})["status"] == "closed"
    assert mapping.to_order(info | {"orderState": "TRADE_CANCELED", "paymentConfirmTime": ""})[
        "status"] == "cancelled"
    locked = mapping.to_order(info | {"orderState": "LOCKED"})
    assert locked["status"] == "paid" and locked["lines"][0]["refund_status"] == "requested"
    with pytest.raises(ValueError):
        mapping.to_order(info | {"orderState": "SOMETHING_NEW"})


def test_a_simulated_order_round_trips_with_units_times_and_masks(sim: JdSim) -> None:
    created = datetime(2026, 11, 20, 16, 30, 5, tzinfo=UTC)
    order = SimOrder(
        order_id=sim.new_id(999, created), status="paid", created=created,
        paid=created + timedelta(seconds=40), modified=created + timedelta(seconds=41),
        buyer_id="1234567890", buyer_nick="jd_zhangxm",
        receiver={"name": "张小明", "phone": "13812345678", "province": "湖北省", "city": "",
                  "district": "仙桃市", "street": "干河街道", "detail": "钱沟路18号2栋301室", "zip": ""},
        lines=[SimLine(line_id="a", sku_id="4000000013", outer_code="YD-2026-BLK-M", title="羽绒服",
                       quantity=2, unit_price=Decimal("399.00"), discount=Decimal("39.90")),
               SimLine(line_id="b", sku_id="4000009012", outer_code="GIFT-SOCKS-3P", title="袜子",
                       quantity=3, unit_price=Decimal("29.90"))],
        shipping_fee=Decimal("8.00"), presale=True)
    sim.book.add(order)
    got = connect(sim).fetch(order.order_id).order
    assert got["created_at"] == created and got["created_at"].utcoffset() == timedelta(hours=8)
    assert got["presale"] is True and got["status"] == "paid"
    assert got["receiver"]["province"] == "湖北" and got["receiver"]["city"] == "仙桃市"
    assert got["receiver"]["address"] == "钱*路**号*栋***室" and got["receiver"]["name"] == "张**"
    assert got["receiver"]["phone"] == "138****5678"
    coat, socks = got["lines"]
    assert (coat["platform_sku"], coat["discount"], socks["quantity"], socks["unit_price"]) == \
        ("YD-2026-BLK-M", "39.90", 3, "29.90")
    assert got["total"] == "855.80" and got["shipping_fee"] == "8.00"
    OrderIn(**got, shop="jd")


# --- write-back and stock --------------------------------------------------------------------

def test_confirm_shipment_is_recorded_with_the_jd_carrier_id(sim: JdSim) -> None:
    made = [o for o in sim.generate(20, unpaid_share=0) if o.lines[0].refund == "none"]
    conn = connect(sim, extra={"carrier_codes": "JTSD:5001"})
    conn.confirm_shipment(made[0].order_id, carrier="ZTO", tracking_no="75123456789012")
    assert sim.book.shipments[-1] == {"order_id": made[0].order_id, "carrier": "1499",
                                      "tracking_no": "75123456789012"}
    with pytest.raises(Rejected) as again:
        conn.confirm_shipment(made[0].order_id, carrier="ZTO", tracking_no="75123456789012")
    assert "不允许" in again.value.message
    with pytest.raises(Rejected):  # the sim knows no 5001 unless told: JD refuses the id
        conn.confirm_shipment(made[1].order_id, carrier="JTSD", tracking_no="JT000123")
    with pytest.raises(Rejected):
        connect(sim).confirm_shipment(made[1].order_id, carrier="JTSD", tracking_no="JT000123")
    with pytest.raises(Rejected):
        conn.confirm_shipment(made[1].order_id, carrier="SF", tracking_no="SF1", line_ids=["x"])
    assert sim.calls["jingdong.pop.order.shipment"] == 3  # the last two never left


def test_push_stock_looks_up_the_sku_id_once_and_sets_the_quantity(sim: JdSim) -> None:
    conn = connect(sim)
    with pytest.raises(Rejected) as caught:
        conn.push_stock([StockLevel("YD-2026-BLK-M", 12), StockLevel("GIFT-SOCKS-3P", 0),
                         StockLevel("NOT-A-CODE", 1)])
    assert "NOT-A-CODE" in caught.value.message
    assert sim.book.stock == {"YD-2026-BLK-M": 12, "GIFT-SOCKS-3P": 0}
    conn.push_stock([StockLevel("YD-2026-BLK-M", 3)])
    assert sim.book.stock["YD-2026-BLK-M"] == 3
    assert sim.calls["jingdong.sku.read.searchSkuList"] == 3
    assert sim.calls["jingdong.stock.write.updateSkuStock"] == 3


def test_a_day_under_every_fault_ends_with_the_true_set_when_windows_are_retried(sim: JdSim) -> None:
    sim.generate(200, unpaid_share=0.2)
    sim.faults.update({"duplicates": True, "throttle_every": 7, "errors": 2, "timeouts": 1,
                       "hang_seconds": 0.6})
    conn = connect(sim, cls=SmallPages, client=httpx.Client(timeout=0.3))
    seen, failures = set(), []
    for a, b in windows(*day(), conn.max_window):
        for _attempt in range(5):  # as the scheduler does after its backoff
            try:
                seen |= set(ids(list(conn.pull(a, b))))
                break
            except (Throttled, Unavailable) as exc:
                failures.append(type(exc).__name__)
    assert seen == shown(sim)
    assert {"Throttled", "Unavailable"} <= set(failures)
