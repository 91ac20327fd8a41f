"""Each rule of the default pack fires on its positive cases and stays quiet on its negatives."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from orderhub.core.models import OutboxEvent
from orderhub.orders.models import Order
from orderhub.rules.models import Approval, Rule, Task
from orderhub.rules.pack import DEFAULT_RULES, install_default_pack
from tests.builders import TEST_ACTOR
from tests.rules.helpers import fired, line, pack, place, sku


def open_reasons(order: Order) -> list[str]:
    return sorted(h.reason_code for h in order.holds if h.status == "open")


def test_pack_has_at_least_17_enabled_rules_and_installs_once(session: Session) -> None:
    assert install_default_pack(session, actor=TEST_ACTOR) == len(DEFAULT_RULES) >= 17
    assert install_default_pack(session, actor=TEST_ACTOR) == 0
    rules = list(session.scalars(select(Rule)))
    assert len(rules) == len(DEFAULT_RULES) and all(r.enabled for r in rules)


def test_a_clean_order_fires_nothing(session: Session) -> None:
    pack(session)
    order = place(session)
    assert fired(session, order) == set()
    assert order.status == "paid" and order.tags == []


def test_vague_address(session: Session) -> None:
    pack(session)
    vague = place(session, receiver={"province": "", "city": "", "district": "",
                                     "address": "学校后面那个小区"})
    assert "vague-address" in fired(session, vague)
    assert open_reasons(vague) == ["address_check"] and vague.status == "on_hold"
    assert "vague-address" not in fired(session, place(session))


def test_rural_address_with_short_phone(session: Session) -> None:
    pack(session)
    rural = {"province": "河北省", "city": "保定市", "district": "清苑区", "address": "李家村3组12号"}
    bad = place(session, receiver={**rural, "phone": "5551234"})
    assert "rural-short-phone" in fired(session, bad)
    tasks = list(session.scalars(select(Task).where(Task.order_id == bad.id)))
    assert [t.role for t in tasks] == ["supervisor"]
    assert "rural-short-phone" not in fired(session, place(session, receiver={**rural, "phone": "13912345678"}))
    assert "rural-short-phone" not in fired(session, place(session, receiver={"phone": "5551234"}))


def test_invalid_phone(session: Session) -> None:
    pack(session)
    assert "invalid-phone" in fired(session, place(session, receiver={"phone": "12345"}))
    assert "invalid-phone" not in fired(session, place(session, receiver={"phone": "0571-88888888"}))
    assert "invalid-phone" not in fired(session, place(session, receiver={"phone": "138****5678"}))


def test_chinese_address_and_phone_checks_leave_cross_border_orders_alone(session: Session) -> None:
    """A Shopify order to Los Angeles has neither a Chinese address nor a Chinese number."""
    pack(session)
    abroad = place(session, receiver={"country": "US", "province": "California", "city": "Los Angeles",
                                      "district": "", "address": "1200 Wilshire Blvd Apt 5",
                                      "phone": "+1 323-555-0187"})
    assert not {"vague-address", "invalid-phone", "rural-short-phone"} & fired(session, abroad)
    assert "address_check" not in open_reasons(abroad) and "phone_check" not in open_reasons(abroad)


def test_unpaid_for_15_minutes(session: Session) -> None:
    pack(session)
    late = place(session, status="unpaid", minutes_ago=20)
    assert fired(session, late, "order.unpaid_timeout") == {"unpaid-15min"}
    fresh = place(session, status="unpaid", minutes_ago=5)
    assert fired(session, fresh, "order.unpaid_timeout") == set()


def test_purchase_limited_sku_more_than_3_times_a_day_by_one_phone(session: Session) -> None:
    pack(session)
    limited = [line(sku(session, "LIM-1", purchase_limited=True))]
    results = [fired(session, place(session, lines=limited)) for _ in range(4)]
    assert ["purchase-limit" in r for r in results] == [False, False, False, True]
    normal = [line(sku(session, "FREE-1"))]
    assert not any("purchase-limit" in fired(session, place(session, lines=normal)) for _ in range(5))
    other_phone = place(session, lines=limited, receiver={"phone": "13911112222"})
    assert "purchase-limit" not in fired(session, other_phone)


def test_presale_goes_to_the_presale_queue(session: Session) -> None:
    pack(session)
    order = place(session, lines=[line(sku(session, "PRE-1", presale=True))])
    assert "presale" in fired(session, order)
    assert "预售" in order.tags and open_reasons(order) == ["presale"]
    flagged = place(session, presale=True)
    assert "presale" in fired(session, flagged)
    assert "presale" not in fired(session, place(session))


def test_mixed_presale_and_in_stock(session: Session) -> None:
    pack(session)
    pre, now = sku(session, "PRE-2", presale=True), sku(session, "NOW-2")
    assert "mixed-presale" in fired(session, place(session, lines=[line(pre), line(now)]))
    assert "mixed-presale" not in fired(session, place(session, lines=[line(pre)]))
    assert "mixed-presale" not in fired(session, place(session, lines=[line(now)]))


def test_high_value_needs_approval(session: Session) -> None:
    pack(session)
    big = place(session, lines=[line(sku(session, "TV-1"), price="2000.00")])
    assert "high-value" in fired(session, big)
    approval = session.scalar(select(Approval).where(Approval.order_id == big.id))
    assert approval.role == "supervisor" and approval.status == "pending"
    assert open_reasons(big) == ["approval_required"] and big.priority == 10
    small = place(session, lines=[line(sku(session, "TV-1"), price="1999.99")])
    assert "high-value" not in fired(session, small)
    unpaid = place(session, lines=[line(sku(session, "TV-1"), price="2500.00")], status="unpaid")
    assert "high-value" not in fired(session, unpaid)


def test_buyer_remark_tags_and_keywords_go_to_cs(session: Session) -> None:
    pack(session)
    plain = place(session, buyer_remark="请周末送货")
    assert fired(session, plain) == {"buyer-remark"} and "有留言" in plain.tags
    for remark in ("我要改地址", "需要开发票", "不要放快递柜", "不想要了能退吗"):
        order = place(session, buyer_remark=remark)
        assert {"buyer-remark", "remark-keywords"} <= fired(session, order), remark
        assert "buyer_remark" in open_reasons(order)
    assert not {"buyer-remark", "remark-keywords"} & fired(session, place(session))


def test_address_changed_after_payment(session: Session) -> None:
    pack(session)
    paid = place(session)
    assert "address-changed-after-payment" in fired(session, paid, "order.address_changed")
    assert open_reasons(paid) == ["address_changed"]
    unpaid = place(session, status="unpaid")
    assert "address-changed-after-payment" not in fired(session, unpaid, "order.address_changed")


def test_unmapped_sku(session: Session) -> None:
    pack(session)
    assert "unmapped-sku" in fired(session, place(session, lines=[line(None)]))
    assert "unmapped-sku" in fired(session, place(session, lines=[line("NOT-IN-CATALOG")]))
    assert "unmapped-sku" not in fired(session, place(session))


def test_duplicate_looking_order(session: Session) -> None:
    pack(session)
    items = [line(sku(session, "DUP-1"), quantity=2)]
    assert "duplicate-order" not in fired(session, place(session, lines=items))
    assert "duplicate-order" in fired(session, place(session, lines=items))
    other_items = [line(sku(session, "DUP-1"), quantity=3)]
    assert "duplicate-order" not in fired(session, place(session, lines=other_items))
    old = [line(sku(session, "DUP-2"))]
    place(session, lines=old, minutes_ago=25 * 60)
    assert "duplicate-order" not in fired(session, place(session, lines=old))


def test_refund_before_shipment_is_intercepted(session: Session) -> None:
    pack(session)
    order = place(session, lines=[line(sku(session, "R-1"), refund_status="requested")])
    assert "refund-before-shipment" in fired(session, order)
    assert open_reasons(order) == ["refund_requested"]
    assert "refund-before-shipment" not in fired(session, place(session))


def test_suspicious_buyer(session: Session) -> None:
    pack(session)
    code = sku(session, "S-1")
    for n in range(16):
        refund = "refunded" if n < 12 else "none"
        place(session, lines=[line(code, refund_status=refund)], buyer={"id": "u-fast", "nick": "x"})
    assert "suspicious-buyer" in fired(session, place(session, buyer={"id": "u-fast", "nick": "x"}))
    for n in range(16):
        refund = "refunded" if n < 2 else "none"
        place(session, lines=[line(code, refund_status=refund)], buyer={"id": "u-calm", "nick": "y"})
    assert "suspicious-buyer" not in fired(session, place(session, buyer={"id": "u-calm", "nick": "y"}))


def test_one_address_used_by_five_accounts(session: Session) -> None:
    pack(session)
    for n in range(4):
        assert "shared-address" not in fired(session, place(session, buyer={"id": f"acct-{n}"}))
    fifth = place(session, buyer={"id": "acct-4"})
    assert "shared-address" in fired(session, fifth)
    assert session.scalar(select(Approval).where(Approval.order_id == fifth.id)) is not None


def test_same_receiver_bought_same_category_recently(session: Session) -> None:
    pack(session)
    coat, coat2, tea = (sku(session, "COAT-1", category="羽绒服"), sku(session, "COAT-2", category="羽绒服"),
                        sku(session, "TEA-1", category="茶叶"))
    place(session, lines=[line(coat)], minutes_ago=3 * 24 * 60)
    again = place(session, lines=[line(coat2)])
    assert "repeat-category" in fired(session, again) and "近期已购同类" in again.tags
    alert = session.scalar(select(OutboxEvent).where(OutboxEvent.topic == "alert.requested",
                                                     OutboxEvent.aggregate_id == str(again.id)))
    assert alert.payload["role"] == "cs" and alert.payload["severity"] == "info"
    assert "repeat-category" not in fired(session, place(session, lines=[line(tea)]))


def test_address_outside_a_carriers_area_overrides_the_carrier(session: Session) -> None:
    pack(session)
    tibet = place(session, receiver={"province": "西藏自治区", "city": "拉萨市", "district": "城关区",
                                     "address": "北京中路10号"})
    assert "carrier-area" in fired(session, tibet)
    assert tibet.attributes["carrier"] == "EMS" and "改派EMS" in tibet.tags
    zhejiang = place(session)
    assert "carrier-area" not in fired(session, zhejiang)
    assert "carrier" not in (zhejiang.attributes or {})


def test_evaluation_is_idempotent_per_event(session: Session) -> None:
    pack(session)
    order = place(session, receiver={"phone": "12345"}, buyer_remark="改地址")
    first = fired(session, order)
    assert first and fired(session, order) == set()
    assert fired(session, order, "order.paid") == set()  # created and paid are one event here
    assert open_reasons(order) == ["buyer_remark", "phone_check"]  # each once
    again = fired(session, order, "order.address_changed")
    assert {"invalid-phone", "address-changed-after-payment"} <= again
    # invalid-phone fired again on the new event but its hold is still open: not raised twice.
    assert open_reasons(order) == ["address_changed", "buyer_remark", "phone_check"]
    count = session.scalar(select(func.count()).select_from(OutboxEvent)
                           .where(OutboxEvent.topic == "rule.fired"))
    assert count == len(first) + len(again)
