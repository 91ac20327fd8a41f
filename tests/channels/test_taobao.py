"""Taobao connector against the Taobao TOP simulator over real HTTP (no database)."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from orderhub.channels import _taobao_map as mapping
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
from orderhub.channels.taobao import TaobaoConnector
from orderhub.orders.schemas import OrderIn
from orderhub.sim.platform import SimLine, SimOrder
from orderhub.sim.taobao import TaobaoSim

SAMPLE = Path("/work/shared/fixtures/platforms/taobao_orders_sample.json")
BEIJING = timezone(timedelta(hours=8))


@pytest.fixture
def sim() -> Iterator[TaobaoSim]:
    s = TaobaoSim(seed=3, extra={"ban_seconds": "4"})
    s.start()
    yield s
    s.stop()


def connect(sim: TaobaoSim, *, cls: type[TaobaoConnector] = TaobaoConnector,
            client: httpx.Client | None = None, **overrides: str) -> TaobaoConnector:
    fields = {"app_key": sim.app_key, "app_secret": sim.app_secret,
              "access_token": sim.access_token, "base_url": sim.url}
    extra = {"sign_method": overrides.pop("sign_method")} if "sign_method" in overrides else {}
    return cls(Credentials(**(fields | overrides), extra=extra), client=client)


def pull_span(conn: TaobaoConnector, start: datetime, end: datetime) -> list:
    return [page for a, b in windows(start, end, conn.max_window) for page in conn.pull(a, b)]


def day() -> tuple[datetime, datetime]:
    now = datetime.now(UTC)
    return now - timedelta(hours=25), now + timedelta(seconds=1)


def ids(pages: list) -> list[str]:
    return [o.order["platform_order_id"] for page in pages for o in page.orders]


class SmallPages(TaobaoConnector):
    page_size = 4


# --- signing ---------------------------------------------------------------------------------

def test_md5_sign_reproduces_the_worked_example_in_the_top_documentation() -> None:
    # TOP's "API调用方法详解" signs taobao.item.seller.get with secret "helloworld" to this value.
    params = {"method": "taobao.item.seller.get", "app_key": "12345678", "session": "test",
              "timestamp": "2016-01-01 12:00:00", "format": "json", "v": "2.0",
              "sign_method": "md5", "fields": "num_iid,title,nick,price,num", "num_iid": "11223344"}
    assert sign(params, "helloworld", "md5") == "66987CB115214E59E6EC978214934FB8"


def test_hmac_variants_sign_the_concatenation_without_wrapping_it_in_the_secret() -> None:
    # Recipe: drop `sign` and empty values, sort keys, join key+value; HMAC keyed by the secret
    # over that string alone (md5 wraps it in the secret, the HMACs do not); upper-case hex.
    params = {"b": "2", "a": "1", "sign": "x", "empty": "", "foo_bar": "3"}
    concat = b"a1b2foo_bar3"
    assert sign(params, "s3cret", "hmac") == hmac.new(b"s3cret", concat, "md5").hexdigest().upper()
    assert sign(params, "s3cret", "hmac-sha256") == \
        hmac.new(b"s3cret", concat, "sha256").hexdigest().upper()
    assert sign(params, "s3cret", "md5") == \
        hashlib.md5(b"s3cret" + concat + b"s3cret").hexdigest().upper()
    with pytest.raises(ValueError):
        sign(params, "s3cret", "sha1")


@pytest.mark.parametrize("method", ["md5", "hmac", "hmac-sha256"])
def test_the_simulator_accepts_each_sign_method(sim: TaobaoSim, method: str) -> None:
    sim.generate(5)
    pages = pull_span(connect(sim, sign_method=method), *day())
    assert len(set(ids(pages))) == 5
    assert not sim.refused


def test_a_wrong_secret_gets_tops_invalid_signature_as_auth_failed(sim: TaobaoSim) -> None:
    conn = connect(sim, app_secret="not-the-secret")
    end = datetime.now(UTC)
    with pytest.raises(AuthFailed) as caught:
        list(conn.pull(end - timedelta(minutes=5), end))
    assert caught.value.platform_code.startswith("25")
    assert sim.refused["bad_signature"] == 1


def test_a_tampered_parameter_breaks_the_signature(sim: TaobaoSim) -> None:
    params = {"method": "taobao.trade.fullinfo.get", "app_key": sim.app_key,
              "session": sim.access_token, "timestamp": datetime.now(BEIJING).strftime("%Y-%m-%d %H:%M:%S"),
              "format": "json", "v": "2.0", "sign_method": "md5", "tid": "1", "fields": "tid"}
    params["sign"] = sign(params, sim.app_secret)
    params["tid"] = "2"
    body = httpx.post(sim.url + "/router/rest", data=params).json()
    assert body["error_response"]["code"] == 25


def test_wrong_session_and_app_key_are_auth_failures(sim: TaobaoSim) -> None:
    end = datetime.now(UTC)
    with pytest.raises(AuthFailed) as session:
        list(connect(sim, access_token="expired").pull(end - timedelta(minutes=5), end))
    assert session.value.platform_code.startswith("27")
    with pytest.raises(AuthFailed) as app_key:
        list(connect(sim, app_key="other-app").pull(end - timedelta(minutes=5), end))
    assert app_key.value.platform_code == "29"


def test_a_skewed_clock_gets_invalid_timestamp(sim: TaobaoSim) -> None:
    conn = TaobaoConnector(Credentials(app_key=sim.app_key, app_secret=sim.app_secret,
                                       access_token=sim.access_token, base_url=sim.url),
                           now=lambda: datetime.now(UTC) - timedelta(minutes=11))
    end = datetime.now(UTC)
    with pytest.raises(Rejected) as caught:
        list(conn.pull(end - timedelta(minutes=5), end))
    assert caught.value.platform_code.startswith("31")


# --- pulling ---------------------------------------------------------------------------------

def test_a_full_day_is_pulled_exactly_once_and_every_order_validates(sim: TaobaoSim) -> None:
    made = sim.generate(300)
    conn = connect(sim)
    span = day()
    pages = pull_span(conn, *span)
    assert sorted(ids(pages)) == sorted(o.order_id for o in made)  # each once
    # one call per 30-minute window: each fits one page of 50
    assert sim.calls["taobao.trades.sold.increment.get"] == len(pages) == \
        len(list(windows(*span, conn.max_window)))
    assert sim.calls["taobao.trade.fullinfo.get"] == 0  # the list carries every field we map
    for page in pages:
        assert not page.bad
        for pulled in page.orders:
            OrderIn(**pulled.order, shop="tb")


def test_duplicates_across_pages_still_give_the_true_set(sim: TaobaoSim) -> None:
    now = datetime.now(UTC)
    made = sim.generate(120, start=now - timedelta(hours=2), end=now)
    sim.faults.update({"duplicates": True})
    conn = connect(sim, cls=SmallPages)
    first, second = (conn._list(now - timedelta(minutes=30), now, page) for page in (1, 2))
    assert second["trades"]["trade"][0] == first["trades"]["trade"][-1]  # the fault repeats rows
    seen = ids(pull_span(conn, *day()))
    assert sorted(seen) == sorted(o.order_id for o in made)  # each once: repeats are dropped


def test_pages_go_backwards_so_an_order_modified_meanwhile_costs_no_other_order(sim: TaobaoSim) -> None:
    end = datetime.now(UTC) - timedelta(minutes=40)
    made = sim.generate(12, start=end - timedelta(minutes=25), end=end)
    conn = connect(sim, cls=SmallPages)
    pager = conn.pull(end - timedelta(minutes=30), end)
    first = next(pager)  # page 1 (newest first) tells the total
    assert sim.calls["taobao.trades.sold.increment.get"] == 1
    # The newest trade changes now: it leaves the window and every row behind it moves up one
    # place, so the fifth newest slides onto page 1. Reading on forwards would skip it; the
    # connector reads pages 3, 2 and then 1 again.
    newest = max(made, key=lambda o: o.modified)
    sim.modify("remark", order_id=newest.order_id)
    rest = list(pager)
    seen = set(ids([first, *rest]))
    assert {o.order_id for o in made} - {newest.order_id} <= seen


def test_modified_after_payment_comes_back_changed_on_the_next_pull(sim: TaobaoSim) -> None:
    sim.generate(60, end=datetime.now(UTC) - timedelta(hours=1), unpaid_share=0)
    start = datetime.now(UTC) - timedelta(seconds=2)
    changed = {kind: sim.modify(kind, count=1)[0] for kind in ("address", "remark", "refund", "cancel")}
    pages = pull_span(connect(sim), start, datetime.now(UTC) + timedelta(seconds=1))
    got = {o.order["platform_order_id"]: o.order for page in pages for o in page.orders}
    assert set(got) == {o.order_id for o in changed.values()}
    address = got[changed["address"].order_id]["receiver"]["address"]
    assert address.endswith("室***")  # "…室（改）", masked like the rest of the detail
    assert got[changed["remark"].order_id]["buyer_remark"] == "麻烦改成周末送货，谢谢"
    assert got[changed["refund"].order_id]["lines"][0]["refund_status"] == "requested"
    cancelled = got[changed["cancel"].order_id]
    assert cancelled["status"] == "closed"
    assert {line["refund_status"] for line in cancelled["lines"]} == {"refunded"}


def test_a_list_without_the_fields_we_need_falls_back_to_fullinfo() -> None:
    with TaobaoSim(seed=5, extra={"list_omits": "orders,receiver_address"}) as sim:
        made = sim.generate(8)
        pages = pull_span(connect(sim), *day())
        assert sim.calls["taobao.trade.fullinfo.get"] == 8
        assert sum(page.requests for page in pages) == len(pages) + 8
        got = {o.order["platform_order_id"]: o for page in pages for o in page.orders}
        assert set(got) == {o.order_id for o in made}
        assert all(o.order["lines"] and o.raw["orders"] for o in got.values())


def test_an_order_missing_a_field_is_a_bad_payload_and_the_page_goes_on(sim: TaobaoSim) -> None:
    made = sim.generate(10)
    sim.broken[made[4].order_id] = "created"
    pages = pull_span(connect(sim), *day())
    bad = [b for page in pages for b in page.bad]
    assert [b.platform_order_id for b in bad] == [made[4].order_id]
    assert "created" in bad[0].reason and bad[0].raw["tid"] == int(made[4].order_id)
    assert set(ids(pages)) == {o.order_id for o in made} - {made[4].order_id}
    fixed = bad[0].raw | {"created": "2026-11-20 10:00:00"}  # a person fills the field in
    assert connect(sim).map_order(fixed)["platform_order_id"] == made[4].order_id


# --- faults ----------------------------------------------------------------------------------

def test_throttling_is_throttled_with_the_ban_seconds(sim: TaobaoSim) -> None:
    sim.faults.update({"throttle": 1})
    end = datetime.now(UTC)
    with pytest.raises(Throttled) as caught:
        list(connect(sim).pull(end - timedelta(minutes=5), end))
    assert caught.value.retry_after == 4
    assert caught.value.platform_code.startswith("7/accesscontrol")


def test_502_and_timeouts_are_unavailable(sim: TaobaoSim) -> None:
    end = datetime.now(UTC)
    sim.faults.update({"errors": 1})
    with pytest.raises(Unavailable):
        list(connect(sim).pull(end - timedelta(minutes=5), end))
    sim.faults.update({"timeouts": 1, "hang_seconds": 1.0})
    with pytest.raises(Unavailable):
        list(connect(sim, client=httpx.Client(timeout=0.3)).pull(end - timedelta(minutes=5), end))


def test_error_bodies_inside_http_200_are_errors(sim: TaobaoSim) -> None:
    conn = connect(sim)
    with pytest.raises(Rejected) as window:  # two days: TOP allows one
        conn.call("taobao.trades.sold.increment.get", fields="tid",
                  start_modified="2026-01-01 00:00:00", end_modified="2026-01-03 00:00:00")
    assert window.value.platform_code.startswith("41")
    with pytest.raises(Rejected) as unknown:
        conn.call("taobao.no.such.method")
    assert unknown.value.platform_code.startswith("22")
    with pytest.raises(Rejected):
        conn.fetch("123")  # no such trade: isv.trade-not-exist
    with pytest.raises(ValueError):
        list(conn.pull(datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC)))


# --- mapping ---------------------------------------------------------------------------------

def test_the_documented_sample_maps_exactly() -> None:
    trades = json.loads(SAMPLE.read_text())["trades_sold_get_response"]["trades"]["trade"]
    first, presale = (mapping.to_order(t) for t in trades)
    assert first["platform_order_id"] == "2287346510938217"
    assert first["status"] == "paid" and not first["presale"]
    assert first["created_at"] == datetime(2024, 5, 18, 2, 21, 33, tzinfo=UTC)
    assert first["total"] == "257.00" and first["shipping_fee"] == "10.00"
    pillow, case = first["lines"]
    assert (pillow["platform_sku"], pillow["quantity"], pillow["unit_price"], pillow["discount"]) == \
        ("YQ-PILLOW-01-GRY", 2, "129.00", "21.00")
    assert (case["platform_sku"], case["refund_status"]) == ("YQ-CASE-02", "requested")
    lines_total = sum(Decimal(line["unit_price"]) * line["quantity"] - Decimal(line["discount"])
                      for line in first["lines"])
    assert lines_total + Decimal(first["shipping_fee"]) == Decimal(first["total"])
    assert first["receiver"]["name"] == "李**" and first["receiver"]["phone"] == "*******5521"
    assert first["receiver"]["encrypted"] == {"oaid": trades[0]["oaid"]}
    assert presale["presale"] and presale["status"] == "paid" and presale["total"] == "399.00"
    for order in (first, presale):
        OrderIn(**order, shop="tb")


def test_presale_with_final_payment_due_is_pending_and_county_cities_fall_back() -> None:
    trade = json.loads(SAMPLE.read_text())["trades_sold_get_response"]["trades"]["trade"][1]
    trade = trade | {"step_trade_status": "FRONT_PAID_FINAL_NOPAID", "status": "WAIT_SELLER_SEND_GOODS",
                     "receiver_city": "", "receiver_district": "仙桃市"}
    order = mapping.to_order(trade)
    assert order["status"] == "pending_payment"
    assert order["receiver"]["city"] == "仙桃市" == order["receiver"]["district"]


def test_a_simulated_order_round_trips_with_units_times_and_masks(sim: TaobaoSim) -> None:
    created = datetime(2026, 11, 20, 16, 30, 5, tzinfo=UTC)
    order = SimOrder(
        order_id=sim.new_id(999, created), status="paid", created=created,
        paid=created + timedelta(seconds=40), modified=created + timedelta(seconds=41),
        buyer_id="1234567890", buyer_nick="张小明的小号",
        receiver={"name": "张小明", "phone": "13812345678", "province": "湖北省", "city": "",
                  "district": "仙桃市", "street": "干河街道", "detail": "钱沟路18号2栋301室", "zip": "433000"},
        lines=[SimLine(line_id="", sku_id="4000000013", outer_code="YD-2026-BLK-M", title="羽绒服",
                       quantity=2, unit_price=Decimal("399.00"), discount=Decimal("39.90")),
               SimLine(line_id="", sku_id="4000009012", outer_code="GIFT-SOCKS-3P", title="袜子",
                       quantity=1, unit_price=Decimal("29.90"), refund="refunded")],
        buyer_remark="周末送", presale=True, promised_ship_at=created + timedelta(days=10))
    for i, line in enumerate(order.lines):
        line.line_id = sim.new_line_id(order.order_id, i)
    sim.book.add(order)
    got = connect(sim).fetch(order.order_id).order
    assert got["status"] == "paid" and got["presale"] is True
    assert got["paid_at"] == order.paid.replace(microsecond=0)
    assert got["promised_ship_at"] == order.promised_ship_at
    assert got["created_at"].utcoffset() == timedelta(hours=8)
    assert got["receiver"]["name"] == "张**" and got["receiver"]["phone"] == "*******5678"
    assert got["receiver"]["address"] == "钱*路**号*栋***室" and got["receiver"]["city"] == "仙桃市"
    assert got["receiver"]["encrypted"]["oaid"]
    coat, socks = got["lines"]
    assert (coat["platform_sku"], coat["unit_price"], coat["discount"]) == ("YD-2026-BLK-M", "399.00", "39.90")
    assert (socks["platform_sku"], socks["refund_status"]) == ("GIFT-SOCKS-3P", "refunded")
    assert got["total"] == "788.00" and got["shipping_fee"] == "0.00"
    assert socks["platform_line_id"] == order.lines[1].line_id
    OrderIn(**got, shop="tb")


# --- write-back and stock --------------------------------------------------------------------

def test_confirm_shipment_is_recorded_with_the_top_company_code(sim: TaobaoSim) -> None:
    paid = [o for o in sim.generate(10, unpaid_share=0)]
    conn = connect(sim)
    conn.confirm_shipment(paid[0].order_id, carrier="YUNDA", tracking_no="4312345678901")
    assert sim.book.shipments[-1] == {"order_id": paid[0].order_id, "carrier": "YUNDA",
                                      "tracking_no": "4312345678901", "lines": ""}
    assert sim.book.get(paid[0].order_id).status == "shipped"
    line = paid[1].lines[0].line_id
    conn.confirm_shipment(paid[1].order_id, carrier="SF", tracking_no="SF1234567890", line_ids=[line])
    assert sim.book.shipments[-1]["lines"] == line
    with pytest.raises(Rejected):  # already shipped
        conn.confirm_shipment(paid[0].order_id, carrier="SF", tracking_no="SF1")
    with pytest.raises(Rejected):
        conn.confirm_shipment(paid[2].order_id, carrier="NOPE", tracking_no="1")
    assert sim.calls["taobao.logistics.offline.send"] == 3


def test_push_stock_sets_sku_and_item_quantities_by_merchant_code(sim: TaobaoSim) -> None:
    conn = connect(sim)
    with pytest.raises(Rejected) as caught:
        conn.push_stock([StockLevel("YD-2026-BLK-M", 12), StockLevel("YD-2026-BLK-L", 0),
                         StockLevel("GIFT-SOCKS-3P", 30), StockLevel("NOT-A-CODE", 1)])
    assert "NOT-A-CODE" in caught.value.message
    assert sim.book.stock == {"YD-2026-BLK-M": 12, "YD-2026-BLK-L": 0, "GIFT-SOCKS-3P": 30}
    assert sim.calls["taobao.skus.quantity.update"] == 2  # one per item (num_iid)
    assert sim.calls["taobao.item.quantity.update"] == 1
    conn.push_stock([StockLevel("YD-2026-BLK-M", 7)])  # the code's item is looked up only once
    assert sim.calls["taobao.skus.custom.get"] == 4 and sim.book.stock["YD-2026-BLK-M"] == 7


def test_a_day_under_every_fault_ends_with_the_true_set_when_windows_are_retried(sim: TaobaoSim) -> None:
    made = sim.generate(200, unpaid_share=0.2)
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
    assert seen == {o.order_id for o in made}
    assert {"Throttled", "Unavailable"} <= set(failures)
