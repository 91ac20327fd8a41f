"""Kuaishou connector against the Kuaishou simulator over real HTTP (no database)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

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
from orderhub.channels.kuaishou import (
    EXPRESS_CODES,
    KuaishouConnector,
    sign,
    sign_string,
)
from orderhub.orders.schemas import OrderIn
from orderhub.sim.kuaishou import KuaishouSim

SIGN_SECRET = "sim-sign-secret"


@pytest.fixture
def sim() -> Iterator[KuaishouSim]:
    s = KuaishouSim(seed=7, extra={"sign_secret": SIGN_SECRET})
    s.start()
    yield s
    s.stop()


def connect(sim: KuaishouSim, **extra: str) -> KuaishouConnector:
    secrets = {"sign_secret": SIGN_SECRET, **extra}
    return KuaishouConnector(Credentials(app_key=sim.app_key, app_secret=sim.app_secret,
                                         access_token=sim.access_token, base_url=sim.url,
                                         extra=secrets))


def pull_all(conn: KuaishouConnector, start: datetime, end: datetime) -> list:
    pages = [page for a, b in windows(start, end, conn.max_window) for page in conn.pull(a, b)]
    return pages


def day() -> tuple[datetime, datetime]:
    now = datetime.now(UTC)
    return now - timedelta(hours=25), now + timedelta(seconds=1)


# --- signing -------------------------------------------------------------------------------

PARAMS = {"appkey": "ks-app", "method": "open.order.cursor.list", "version": "1",
          "param": '{"cursor":"","pageSize":100}', "access_token": "tok-1",
          "timestamp": "1716001263000", "sign": "ignored", "extra": "not signed"}


def test_sign_string_takes_the_seven_keys_sorted_then_the_sign_secret() -> None:
    params = dict(PARAMS, signMethod="MD5")
    assert sign_string(params, "sec-XYZ") == (
        'access_token=tok-1&appkey=ks-app&method=open.order.cursor.list'
        '&param={"cursor":"","pageSize":100}&signMethod=MD5&timestamp=1716001263000&version=1'
        '&signSecret=sec-XYZ')


def test_sign_md5_and_hmac_against_hand_computed_vectors() -> None:
    # Recipe: the string above, hashed outside Python with
    #   printf '%s' "<string>" | openssl dgst -md5                             (lower-case hex)
    #   printf '%s' "<string>" | openssl dgst -sha256 -hmac sec-XYZ -binary | base64
    # (the HMAC string has signMethod=HMAC_SHA256 in it, since signMethod itself is signed).
    assert sign(dict(PARAMS, signMethod="MD5"), "sec-XYZ", "MD5") == \
        "83088448ce0ffb97d4d31caa8d4f0971"
    assert sign(dict(PARAMS, signMethod="HMAC_SHA256"), "sec-XYZ", "HMAC_SHA256") == \
        "nBSwC0nOGjmRo9ryFAIEe2lUG7T/AvX7wri8NfGMmy0="
    with pytest.raises(ValueError):
        sign(PARAMS, "x", "SHA1")


@pytest.mark.parametrize("method", ["MD5", "HMAC_SHA256"])
def test_both_sign_methods_accepted_by_the_simulator(sim: KuaishouSim, method: str) -> None:
    sim.generate(5)
    conn = connect(sim, sign_method=method)
    start, end = day()
    assert sum(len(p.orders) for p in conn.pull(start, end)) == 5
    assert sim.refused["bad_sign"] == 0


# --- pulling -------------------------------------------------------------------------------

def test_full_day_pulled_exactly_once_and_every_order_validates(sim: KuaishouSim) -> None:
    sim.generate(300)
    conn = connect(sim)
    start, end = day()
    pages = pull_all(conn, start, end)
    ids = [o.order["platform_order_id"] for p in pages for o in p.orders]
    assert len(ids) == len(set(ids)) == 300
    assert set(ids) == set(sim.book.orders)
    assert len(pages) == 3 and all(not p.bad for p in pages)  # 100 a page, then the end marker
    for pulled in (o for p in pages for o in p.orders):
        OrderIn(**pulled.order, shop="ks-shop")


def test_adjacent_windows_split_the_day_without_overlap(sim: KuaishouSim) -> None:
    sim.generate(120)
    conn = connect(sim)
    start, end = day()
    ids = [o.order["platform_order_id"]
           for a, b in windows(start, end, timedelta(hours=1)) for p in conn.pull(a, b)
           for o in p.orders]
    assert len(ids) == len(set(ids)) == 120


def test_duplicates_fault_repeats_rows_but_the_set_is_the_truth(sim: KuaishouSim) -> None:
    sim.generate(250)
    sim.faults.duplicates = True
    pages = pull_all(connect(sim), *day())
    ids = [o.order["platform_order_id"] for p in pages for o in p.orders]
    assert len(ids) > 250
    assert set(ids) == set(sim.book.orders)


def test_window_longer_than_seven_days_is_refused_in_the_platform_shape(sim: KuaishouSim) -> None:
    conn = connect(sim)
    now = datetime.now(UTC)
    with pytest.raises(ValueError):
        next(conn.pull(now - timedelta(days=8), now))
    with pytest.raises(Rejected) as err:  # the connector's guard bypassed: the sim refuses too
        conn.call("open.order.cursor.list", {"queryType": 2, "pageSize": 100, "cursor": "",
                                             "beginTime": 0, "endTime": 0 + 8 * 86_400_000})
    assert err.value.platform_code == "4"


# --- faults --------------------------------------------------------------------------------

def test_throttle_5xx_and_timeout(sim: KuaishouSim) -> None:
    sim.generate(3)
    conn = connect(sim)
    start, end = day()
    sim.faults.throttle = 1
    with pytest.raises(Throttled) as err:
        list(conn.pull(start, end))
    assert err.value.platform_code == "1016"
    sim.faults.errors = 1
    with pytest.raises(Unavailable):
        list(conn.pull(start, end))
    sim.faults.update({"timeouts": 1, "hang_seconds": 1.5})
    quick = KuaishouConnector(conn.credentials, client=httpx.Client(timeout=0.3))
    with pytest.raises(Unavailable):
        list(quick.pull(start, end))
    assert sum(len(p.orders) for p in conn.pull(start, end)) == 3  # and it recovers


def test_wrong_sign_secret_token_or_app_key_is_auth_failed(sim: KuaishouSim) -> None:
    start, end = day()
    with pytest.raises(AuthFailed) as err:
        list(connect(sim, sign_secret="wrong").pull(start, end))
    assert err.value.platform_code == "27"
    assert sim.refused["bad_sign"] == 1
    expired = KuaishouConnector(Credentials(app_key=sim.app_key, access_token="old-token",
                                            base_url=sim.url, extra={"sign_secret": SIGN_SECRET}))
    with pytest.raises(AuthFailed) as err:
        list(expired.pull(start, end))
    assert err.value.platform_code == "21"


def test_sign_secret_falls_back_to_the_app_secret() -> None:
    with KuaishouSim(seed=2) as sim:  # no separate sign secret: the app secret signs
        sim.generate(4)
        conn = KuaishouConnector(Credentials(app_key=sim.app_key, app_secret=sim.app_secret,
                                             access_token=sim.access_token, base_url=sim.url))
        assert sum(len(p.orders) for p in conn.pull(*day())) == 4
        assert conn.sign_secret == sim.sign_secret == sim.app_secret


def test_unknown_method_is_an_error_body(sim: KuaishouSim) -> None:
    with pytest.raises(Rejected) as err:
        connect(sim).call("open.order.nothing", {})
    assert err.value.platform_code == "3"


# --- changes after payment -----------------------------------------------------------------

def test_orders_modified_after_payment_come_back_changed(sim: KuaishouSim) -> None:
    sim.generate(60, unpaid_share=0.0)
    conn = connect(sim)
    start, end = day()
    before = {o.order["platform_order_id"]: o.order for p in conn.pull(start, end) for o in p.orders}
    changed = {kind: sim.modify(kind)[0].order_id for kind in ("address", "refund", "cancel",
                                                               "remark")}
    later = datetime.now(UTC) + timedelta(seconds=2)
    seen = {o.order["platform_order_id"]: o.order for p in conn.pull(start, later)
            for o in p.orders}
    address, old = seen[changed["address"]]["receiver"], before[changed["address"]]["receiver"]
    assert address["address"] != old["address"]  # the masked copy shows the new tail
    assert address["encrypted"]["address"] != old["encrypted"]["address"]
    assert seen[changed["refund"]]["lines"][0]["refund_status"] == "requested"
    assert seen[changed["cancel"]]["status"] == "closed"
    assert seen[changed["remark"]]["buyer_remark"] == "麻烦改成周末送货，谢谢"


# --- mapping -------------------------------------------------------------------------------

def test_mapping_units_times_masking_and_flags(sim: KuaishouSim) -> None:
    sim.generate(200)
    truth = {o.order_id: o for o in sim.book.orders.values()}
    pulled = {o.order["platform_order_id"]: o for p in pull_all(connect(sim), *day())
              for o in p.orders}
    for oid, order in truth.items():
        got = pulled[oid].order
        line = got["lines"][0]
        assert Decimal(got["total"]) == order.total
        assert Decimal(line["unit_price"]) == order.lines[0].unit_price
        assert Decimal(line["discount"]) == order.lines[0].discount
        assert got["created_at"].utcoffset() == timedelta(hours=8)
        assert got["created_at"] == order.created.replace(
            microsecond=order.created.microsecond // 1000 * 1000)
        assert got["receiver"]["name"] == order.receiver["name"][0] + "**"
        assert "****" in got["receiver"]["phone"] and got["receiver"]["phone"][-4:] == \
            order.receiver["phone"][-4:]
        assert got["receiver"]["encrypted"]["mobile"].startswith("#")
        assert got["receiver"]["province"] == order.receiver["province"]
        assert got["presale"] == order.presale
        assert got["status"] == ("paid" if order.paid else "pending_payment")
        assert line["platform_sku"] == order.lines[0].outer_code
    assert any("risk_control" in o.order["tags"] for o in pulled.values())
    presale = next(o for o in truth.values() if o.presale)
    assert pulled[presale.order_id].order["promised_ship_at"] is not None
    raw = pulled[presale.order_id].raw
    assert isinstance(raw["orderBaseInfo"]["totalFee"], int)  # fen on the wire


def test_a_payload_missing_a_field_becomes_bad_payload_and_the_page_goes_on(sim: KuaishouSim) -> None:
    made = sim.generate(10)
    sim.break_order(made[3].order_id, "orderItemInfo.price")
    pages = list(connect(sim).pull(*day()))
    assert sum(len(p.orders) for p in pages) == 9
    bad = [b for p in pages for b in p.bad]
    assert len(bad) == 1 and bad[0].platform_order_id == made[3].order_id
    assert "price" in bad[0].reason and "orderItemInfo" in bad[0].raw


def test_fetch_one_order(sim: KuaishouSim) -> None:
    order = sim.generate(3)[1]
    pulled = connect(sim).fetch(order.order_id)
    assert pulled.order["platform_order_id"] == order.order_id
    with pytest.raises(Rejected):
        connect(sim).fetch("1")


# --- write-back and stock ------------------------------------------------------------------

def test_confirm_shipment_records_the_numeric_express_code_and_repeats_idempotently(
        sim: KuaishouSim) -> None:
    sim.generate(30, unpaid_share=0.0)
    order = next(o for o in sim.book.orders.values()
                 if int(o.order_id) % 47 and o.lines[0].refund == "none")
    conn = connect(sim)
    conn.confirm_shipment(order.order_id, carrier="ZTO", tracking_no="78000111222")
    conn.confirm_shipment(order.order_id, carrier="ZTO", tracking_no="78000111222")
    assert sim.book.shipments == [{"order_id": order.order_id, "carrier": EXPRESS_CODES["ZTO"],
                                   "tracking_no": "78000111222"}]
    assert sim.book.get(order.order_id).status == "shipped"
    pulled = conn.fetch(order.order_id)
    assert pulled.order["status"] == "shipped"
    with pytest.raises(Rejected):  # a different number on a shipped order is refused
        conn.confirm_shipment(order.order_id, carrier="SF", tracking_no="SF000")
    with pytest.raises(Rejected):
        conn.confirm_shipment(order.order_id, carrier="UPS", tracking_no="1Z")


def test_push_stock_sets_levels_through_deltas(sim: KuaishouSim) -> None:
    conn = connect(sim)
    conn.push_stock([StockLevel("YD-2026-BLK-M", 130), StockLevel("MY-CASH-GRY", 7),
                     StockLevel("GIFT-SOCKS-3P", 100)])
    assert sim.book.stock == {"YD-2026-BLK-M": 130, "MY-CASH-GRY": 7}
    assert sim.calls["open.item.sku.stock.update"] == 2  # unchanged SKU not sent
    conn.push_stock([StockLevel("MY-CASH-GRY", 0)])
    assert sim.book.stock["MY-CASH-GRY"] == 0
    with pytest.raises(Rejected):
        conn.push_stock([StockLevel("NO-SUCH-SKU", 1), StockLevel("ST-GLOVE-TOUCH", 3)])
    assert sim.book.stock["ST-GLOVE-TOUCH"] == 3  # the known SKU still went through
