"""Pinduoduo connector against the Pinduoduo simulator over real HTTP (no database)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

import orderhub.sim.pdd as pdd_sim
from orderhub.channels.base import (
    AuthFailed,
    Credentials,
    Rejected,
    StockLevel,
    Throttled,
    Unavailable,
    windows,
)
from orderhub.channels.paging import read_backwards
from orderhub.channels.pdd import LOGISTICS_IDS, PddConnector, sign
from orderhub.channels.pdd_map import spread, to_order, yuan
from orderhub.orders.schemas import OrderIn
from orderhub.sim.pdd import PddSim
from orderhub.sim.pdd_render import risk_controlled

SAMPLE = Path("/work/shared/fixtures/platforms/pdd_orders_sample.json")
BEIJING = timezone(timedelta(hours=8))


@pytest.fixture
def sim() -> Iterator[PddSim]:
    s = PddSim(seed=5)
    s.start()
    yield s
    s.stop()


def connect(sim: PddSim, *, secret: str | None = None, timeout: float | None = None) -> PddConnector:
    creds = Credentials(app_key=sim.app_key, app_secret=secret or sim.app_secret,
                        access_token=sim.access_token, base_url=sim.url)
    return PddConnector(creds, client=httpx.Client(timeout=timeout) if timeout else None)


def day() -> tuple[datetime, datetime]:
    end = datetime.now(UTC).replace(microsecond=0)
    return end - timedelta(hours=24), end


def pull(conn: PddConnector, start: datetime, end: datetime) -> list:
    orders = []
    for a, b in windows(start, end + timedelta(seconds=1), conn.max_window):
        for page in conn.pull(a, b):
            assert not page.bad, page.bad
            orders += page.orders
    return orders


def listed(sim: PddSim) -> set[str]:
    """The truth as PDD shows it: paid orders only."""
    return {o.order_id for o in sim.book.orders.values() if sim.visible(o)}


def generate_with_a_risky_order(sim: PddSim, count: int, **window: datetime) -> None:
    """`count` paid orders, and more until one is held by risk control: about one order in
    forty is, by a hash of its number, and the numbers follow the clock, so 200 orders made at
    an unlucky minute may hold none."""
    sim.generate(count, unpaid_share=0, **window)
    while not any(risk_controlled(oid) for oid in listed(sim)):
        sim.generate(20, unpaid_share=0, **window)


# --- signing -------------------------------------------------------------------------------

def test_sign_matches_a_hand_computed_vector() -> None:
    # Recipe: sort the params by key (sign itself and nulls left out), concatenate key+value
    # with booleans as true/false, wrap in the client secret, MD5, upper case:
    # pdd-secret-0001 access_tokentok client_idabc123 data_typeJSON
    #   order_sn240518-093247165830512 timestamp1700000000 typepdd.order.information.get
    #   use_has_nexttrue pdd-secret-0001   (without the spaces)
    # printf '%s' "$that" | md5sum | tr a-f A-F
    params = {"type": "pdd.order.information.get", "client_id": "abc123", "access_token": "tok",
              "timestamp": "1700000000", "data_type": "JSON",
              "order_sn": "240518-093247165830512", "use_has_next": True, "version": None,
              "sign": "ignored"}
    assert sign(params, "pdd-secret-0001") == "E7B9FFCA92F3C379AD5E8E9AA6C6C01F"


def test_wrong_secret_is_auth_failed_with_20004(sim: PddSim) -> None:
    sim.generate(5)
    with pytest.raises(AuthFailed) as err:
        list(connect(sim, secret="nope").pull(*day()))
    assert err.value.platform_code == "20004"
    assert sim.refused["bad_sign"] == 1


def signed(sim: PddSim, **business: object) -> dict[str, object]:
    params = {"type": "pdd.order.number.list.increment.get", "client_id": sim.app_key,
              "access_token": sim.access_token, "data_type": "JSON",
              "timestamp": str(int(datetime.now(UTC).timestamp())), **business}
    return {**params, "sign": sign(params, sim.app_secret)}


def test_sim_accepts_a_json_body_and_refuses_a_tampered_one(sim: PddSim) -> None:
    now = int(datetime.now(UTC).timestamp())
    params = signed(sim, start_updated_at=now - 600, end_updated_at=now, use_has_next=True)
    answer = httpx.post(f"{sim.url}/api/router", json=params).json()
    assert answer["order_sn_increment_get_response"]["has_next"] is False
    tampered = {**params, "end_updated_at": now - 1}
    error = httpx.post(f"{sim.url}/api/router", json=tampered).json()["error_response"]
    assert error["error_code"] == 20004 and error["error_msg"] == "签名验证失败"


# --- pulling -------------------------------------------------------------------------------

def test_a_full_day_is_pulled_exactly_once_and_every_order_validates(sim: PddSim) -> None:
    start, end = day()
    sim.generate(300, start=start, end=end)
    orders = pull(connect(sim), start, end)
    ids = [p.order["platform_order_id"] for p in orders]
    assert len(ids) == len(set(ids)) and set(ids) == listed(sim)
    assert len(listed(sim)) < 300  # unpaid orders never show on PDD
    truth = sim.book.truth()
    assert set(truth["orders"]) == listed(sim) and truth["unlisted"] == 300 - len(listed(sim))
    for pulled in orders:
        OrderIn(**pulled.order, shop="pdd-shop")
    assert sim.calls["pdd.order.number.list.increment.get"] >= 48  # 30-minute windows


def test_paying_makes_an_order_appear(sim: PddSim) -> None:
    start, end = day()
    sim.generate(40, start=start, end=end, unpaid_share=0.5)
    conn = connect(sim)
    before = {p.order["platform_order_id"] for p in pull(conn, start, end)}
    paid = sim.modify("pay")[0].order_id
    assert paid not in before
    now = datetime.now(UTC)
    again = {p.order["platform_order_id"]: p.order for p in pull(conn, now - timedelta(minutes=5), now)}
    assert again[paid]["status"] == "paid"


def test_pages_are_read_from_the_last_backwards(sim: PddSim) -> None:
    end = datetime.now(UTC).replace(microsecond=0)
    sim.generate(280, start=end - timedelta(minutes=25), end=end, unpaid_share=0)
    seen = []
    original = sim.increment

    def spy(params: dict):
        seen.append((params["page"], params["use_has_next"]))
        return original(params)

    sim.increment = spy  # type: ignore[method-assign]
    ids = [p.order["platform_order_id"] for page in connect(sim).pull(
        end - timedelta(minutes=29), end + timedelta(seconds=1)) for p in page.orders]
    # the first read learns total_count; the rest go from the last page back with has_next
    assert seen == [("1", "false"), ("3", "true"), ("2", "true"), ("1", "true")]
    assert set(ids) == listed(sim)


def test_backward_paging_loses_nothing_when_rows_leave_the_window_midway() -> None:
    # Rows sorted by modified time; after the first read two early rows are modified and leave
    # the window, so every later row moves forward. Forward paging would skip rows.
    rows = list(range(250))
    reads = []

    def read(page: int):
        if reads:
            for gone in (5, 6):
                if gone in rows:
                    rows.remove(gone)
        reads.append(page)
        return rows[(page - 1) * 100:page * 100], len(rows), None

    got = {r for chunk in read_backwards(read, first=1, size=100) for r in chunk}
    assert got >= set(range(250)) - {5, 6}


def test_without_a_total_count_paging_goes_forward_by_has_next() -> None:
    rows = list(range(230))
    reads = []

    def read(page: int):
        reads.append(page)
        return rows[(page - 1) * 100:page * 100], None, page * 100 < len(rows)

    got = [r for chunk in read_backwards(read, first=1, size=100) for r in chunk]
    assert got == rows and reads == [1, 2, 3]


def test_duplicates_fault_repeats_rows_but_the_set_is_the_truth(sim: PddSim) -> None:
    start, end = day()
    sim.generate(300, start=end - timedelta(minutes=28), end=end)
    sim.faults.duplicates = True
    ids = [p.order["platform_order_id"] for p in pull(connect(sim), start, end)]
    assert set(ids) == listed(sim)


def test_faults_raise_the_right_errors_and_a_long_window_is_refused(sim: PddSim) -> None:
    start, end = day()
    sim.generate(10, start=start, end=end)
    conn = connect(sim)
    window = (end - timedelta(minutes=30), end)
    sim.faults.throttle = 1
    with pytest.raises(Throttled) as throttled:
        list(conn.pull(*window))
    assert throttled.value.platform_code == "70031"
    sim.faults.errors = 1
    with pytest.raises(Unavailable):
        list(conn.pull(*window))
    sim.faults.update({"timeouts": 1, "hang_seconds": 1.5})
    with pytest.raises(Unavailable):
        list(connect(sim, timeout=0.3).pull(*window))
    with pytest.raises(Rejected) as too_long:  # HTTP 200 with error_response
        conn.call("pdd.order.number.list.increment.get",
                  {"start_updated_at": int(start.timestamp()), "end_updated_at": int(end.timestamp())},
                  answer="order_sn_increment_get_response")
    assert too_long.value.platform_code == "50001" and "30分钟" in too_long.value.message
    with pytest.raises(Rejected) as unknown:
        conn.call("pdd.no.such.api", {}, answer="x")
    assert unknown.value.platform_code == "10000"
    assert {p.order["platform_order_id"] for p in pull(conn, start, end)} == listed(sim)


def test_orders_modified_after_payment_come_back_changed(sim: PddSim) -> None:
    start, end = day()
    sim.generate(60, start=start, end=end, unpaid_share=0)
    conn = connect(sim)
    pull(conn, start, end)
    changed = {kind: sim.modify(kind)[0].order_id for kind in ("address", "refund", "cancel", "remark")}
    now = datetime.now(UTC)
    by_id = {p.order["platform_order_id"]: p.order for p in pull(conn, now - timedelta(minutes=5), now)}
    assert set(changed.values()) <= set(by_id)
    assert by_id[changed["address"]]["receiver"]["address"].endswith("（改）")
    assert {line["refund_status"] for line in by_id[changed["refund"]]["lines"]} == {"requested"}
    assert by_id[changed["cancel"]]["status"] == "closed"
    assert by_id[changed["remark"]]["buyer_remark"] == "麻烦改成周末送货，谢谢"


# --- mapping -------------------------------------------------------------------------------

def test_mapping_units_times_masking_and_lines(sim: PddSim) -> None:
    start, end = day()
    generate_with_a_risky_order(sim, 200, start=start, end=end)
    orders = {p.order["platform_order_id"]: p for p in pull(connect(sim), start, end)}
    for oid in listed(sim):
        truth, pulled = sim.book.orders[oid], orders[oid]
        order = pulled.order
        assert isinstance(pulled.raw["pay_amount"], float)  # yuan doubles on the wire
        assert order["total"] == str(truth.total.quantize(Decimal("0.01")))
        assert sum(Decimal(line["discount"]) for line in order["lines"]) == truth.discount_total
        assert order["created_at"].utcoffset() == timedelta(hours=8)
        assert order["created_at"] == truth.created.replace(microsecond=0)
        assert [line["platform_sku"] for line in order["lines"]] == [l.outer_code for l in truth.lines]
        assert [Decimal(line["unit_price"]) for line in order["lines"]] == \
            [l.unit_price for l in truth.lines]
        receiver = order["receiver"]
        assert receiver["district"] == truth.receiver["district"]  # from `town`
        assert receiver["name"] != truth.receiver["name"] and "*" in receiver["name"]
        assert receiver["encrypted"]["name"].startswith("~") and receiver["encrypted"]["name"].endswith("~0~~")
        assert receiver["encrypted"]["phone"].startswith("$") and receiver["encrypted"]["phone"].endswith("$0$$")
        assert order["presale"] is truth.presale
        assert ("risk_control" in order["tags"]) is risk_controlled(oid)
    assert any(len(p.order["lines"]) > 1 for p in orders.values())
    assert any(p.order["presale"] for p in orders.values())
    assert any("risk_control" in p.order["tags"] for p in orders.values())


def test_the_published_sample_maps() -> None:
    raw = json.loads(SAMPLE.read_text())["order_list_get_response"]["order_list"][0]
    order = to_order(raw)
    OrderIn(**order, shop="sample")
    assert order["status"] == "paid" and order["tags"] == []
    assert order["total"] == "89.80" and order["shipping_fee"] == "0.00"
    assert order["lines"][0]["unit_price"] == "49.90" and order["lines"][0]["discount"] == "10.00"
    assert order["created_at"] == datetime(2024, 5, 18, 9, 32, 47, tzinfo=BEIJING)
    assert order["receiver"]["name"] == "周*明" and order["receiver"]["district"] == "洪山区"
    assert order["receiver"]["address"] == "珞喻路***号华中小区*栋****"
    assert order["receiver"]["encrypted"]["phone"] == raw["receiver_phone"]
    assert order["promised_ship_at"] == datetime(2024, 5, 20, 9, 32, 55, tzinfo=BEIJING)


def test_statuses_refunds_risk_control_and_money_conversion() -> None:
    raw = json.loads(SAMPLE.read_text())["order_list_get_response"]["order_list"][0]
    cases = [({"order_status": 2}, "shipped"), ({"order_status": 3}, "delivered"),
             ({"refund_status": 4}, "closed"), ({"group_status": 0}, "pending_payment"),
             ({"group_status": 2}, "closed"), ({"refund_status": 2}, "paid"),
             ({"trade_type": 1, "step_order_info": {"step_trade_status": 1}}, "pending_payment")]
    for change, status in cases:
        assert to_order({**raw, **change})["status"] == status, change
    assert to_order({**raw, "refund_status": 3})["lines"][0]["refund_status"] == "refunding"
    assert to_order({**raw, "risk_control_status": 1})["tags"] == ["risk_control"]
    assert yuan(0.1 + 0.2) == Decimal("0.30") and yuan(19.99) == Decimal("19.99")
    assert spread(Decimal("10.00"), [Decimal("33.33"), Decimal("33.33"), Decimal("33.34")]) == \
        [Decimal("3.33"), Decimal("3.33"), Decimal("3.34")]
    with pytest.raises(ValueError):
        to_order({**raw, "order_status": 9})


def test_a_payload_with_a_missing_field_is_a_bad_payload_and_the_page_goes_on(
        sim: PddSim, monkeypatch: pytest.MonkeyPatch) -> None:
    end = datetime.now(UTC).replace(microsecond=0)
    sim.generate(10, start=end - timedelta(minutes=20), end=end, unpaid_share=0)
    broken = sorted(listed(sim))[4]
    real_render = pdd_sim.render

    def render(order):  # the platform leaves a field out of one order
        rendered = real_render(order)
        if order.order_id == broken:
            del rendered["created_time"]
        return rendered

    monkeypatch.setattr(pdd_sim, "render", render)
    pages = list(connect(sim).pull(end - timedelta(minutes=29), end + timedelta(seconds=1)))
    bad = [b for page in pages for b in page.bad]
    good = {p.order["platform_order_id"] for page in pages for p in page.orders}
    assert [b.platform_order_id for b in bad] == [broken] and "created_time" in bad[0].reason
    assert good == listed(sim) - {broken}


# --- write-back and stock ------------------------------------------------------------------

def test_confirm_shipment_is_recorded_with_the_pdd_logistics_id(sim: PddSim) -> None:
    sim.generate(60, unpaid_share=0)
    conn = connect(sim)
    ok = next(oid for oid in sorted(listed(sim)) if not risk_controlled(oid)
              and all(line.refund == "none" for line in sim.book.orders[oid].lines))
    conn.confirm_shipment(ok, carrier="ZTO", tracking_no="ZT123456789")
    assert sim.book.shipments[-1] == {"order_id": ok, "carrier": str(LOGISTICS_IDS["ZTO"]),
                                      "tracking_no": "ZT123456789"}
    shipped = conn.fetch(ok)
    assert shipped.order["status"] == "shipped" and shipped.raw["tracking_number"] == "ZT123456789"
    with pytest.raises(Rejected):  # not awaiting shipment any more
        conn.confirm_shipment(ok, carrier="ZTO", tracking_no="ZT123456789")


def test_a_risk_controlled_order_cannot_be_shipped(sim: PddSim) -> None:
    generate_with_a_risky_order(sim, 200)
    risky = next(oid for oid in sorted(listed(sim)) if risk_controlled(oid))
    with pytest.raises(Rejected) as err:
        connect(sim).confirm_shipment(risky, carrier="SF", tracking_no="SF100")
    assert err.value.platform_code == "50001" and "风控" in err.value.message


def test_push_stock_finds_the_goods_once_and_is_recorded(sim: PddSim) -> None:
    conn = connect(sim)
    conn.push_stock([StockLevel("YD-2026-BLK-M", 130), StockLevel("MY-CASH-GRY", 7)])
    conn.push_stock([StockLevel("YD-2026-BLK-M", 129)])
    assert sim.book.stock == {"YD-2026-BLK-M": 129, "MY-CASH-GRY": 7}
    assert sim.calls["pdd.goods.list.get"] == 2 and sim.calls["pdd.goods.quantity.update"] == 3
    with pytest.raises(Rejected):
        conn.push_stock([StockLevel("NO-SUCH-SKU", 1)])


def test_a_skewed_client_clock_is_refused_by_the_platform(sim: PddSim) -> None:
    creds = Credentials(app_key=sim.app_key, app_secret=sim.app_secret,
                        access_token=sim.access_token, base_url=sim.url)
    late = PddConnector(creds, now=lambda: datetime.now(UTC) - timedelta(minutes=11))
    with pytest.raises(Rejected) as err:
        list(late.pull(*day()))
    assert err.value.platform_code == "10000" and "timestamp" in err.value.message


def test_an_expired_token_is_auth_failed(sim: PddSim) -> None:
    creds = Credentials(app_key=sim.app_key, app_secret=sim.app_secret,
                        access_token="expired", base_url=sim.url)
    with pytest.raises(AuthFailed) as err:
        list(PddConnector(creds).pull(*day()))
    assert err.value.platform_code == "10019"
