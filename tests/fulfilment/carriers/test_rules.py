"""Carrier rules: precedence table-driven, and the platform e-waybill rule."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from orderhub.core.errors import InvalidInput
from orderhub.fulfilment.carriers import rules
from orderhub.fulfilment.carriers.rules import (
    Facts,
    choose_carrier,
    create_rule,
    pick_rule,
)
from orderhub.inventory.models import Sku
from orderhub.orders.models import OrderLine
from orderhub.routing.models import RoutingDecision
from tests.fulfilment.carriers.support import Sims, add_account, order


def _rules(session: Session) -> None:
    create_rule(session, name="江浙沪 → ZTO", priority=10, carrier="ZTO", provinces=["江苏", "浙江", "上海"])
    create_rule(session, name="广东 → YUNDA", priority=20, carrier="YUNDA", provinces=["广东省"])
    create_rule(session, name="heavy → DBKD", priority=5, carrier="DBKD", min_weight_g=20_000)
    create_rule(session, name="valuable → SF", priority=1, carrier="SF", min_value=100_000)
    create_rule(session, name="JD shop → JD", priority=3, carrier="JD", channels=["jd"])
    create_rule(session, name="Beijing warehouse → EMS", priority=15, carrier="EMS", warehouses=["WH-BJ"],
                max_weight_g=1000)
    create_rule(session, name="inactive", priority=0, carrier="STO", active=False)
    create_rule(session, name="default → YTO", priority=999, carrier="YTO", is_default=True)


CASES = [
    # province, weight, value (fen), channel, warehouse -> carrier, why
    ("浙江省", 500, 37_900, "webhook", "WH-HZ", "ZTO"),  # province rule, suffix ignored
    ("上海市", 500, 37_900, "webhook", None, "ZTO"),
    ("广东省", 500, 37_900, "webhook", None, "YUNDA"),
    ("四川省", 500, 37_900, "webhook", None, "YTO"),  # nothing matches -> default
    ("浙江省", 25_000, 37_900, "webhook", None, "DBKD"),  # heavy (5) beats province (10)
    ("浙江省", 25_000, 150_000, "webhook", None, "SF"),  # valuable (1) beats heavy (5)
    ("广东省", 500, 37_900, "jd", None, "JD"),  # channel (3) beats province (20)
    ("四川省", 800, 37_900, "webhook", "WH-BJ", "EMS"),  # warehouse + weight bound
    ("四川省", 1200, 37_900, "webhook", "WH-BJ", "YTO"),  # over the weight bound -> default
    ("江苏省", 500, 100_000, "webhook", None, "SF"),  # min_value is inclusive
]


@pytest.mark.parametrize(("province", "weight", "value", "channel", "warehouse", "carrier"), CASES)
def test_rule_precedence(session: Session, province: str, weight: int, value: int, channel: str,
                         warehouse: str | None, carrier: str) -> None:
    _rules(session)
    rule = pick_rule(rules.list_rules(session), Facts(province, weight, value, channel, warehouse))
    assert rule is not None and rule.carrier == carrier


def test_choose_carrier_reads_order_weight_warehouse_and_attribute_override(session: Session) -> None:
    _rules(session)
    with Sims() as sims:
        for carrier in ("ZTO", "DBKD", "EMS", "SF"):
            add_account(session, sims, carrier=carrier, source="direct")
        heavy = order(session, province="浙江省")
        session.add(Sku(code="SOFA-1", name="沙发", weight_g=30_000))
        line = session.query(OrderLine).filter_by(order_id=heavy.id).one()
        line.sku = "SOFA-1"
        session.flush()
        assert choose_carrier(session, heavy).carrier == "DBKD"

        light = order(session, province="四川省")
        session.add(RoutingDecision(order_id=light.id, outcome="allocated", policy="rule", reason="t",
                                    warehouse_code="WH-BJ", actor_kind="system", actor_name="t"))
        session.flush()
        choice = choose_carrier(session, light)
        assert (choice.carrier, choice.rule) == ("EMS", "rule Beijing warehouse → EMS")
        assert choice.account is not None and choice.account.source == "direct"

        override = order(session, province="浙江省", carrier="SF")  # the rules' choose-carrier action
        choice = choose_carrier(session, override)
        assert choice.carrier == "SF" and choice.rule.startswith("order attribute")


def test_no_rule_and_no_default_says_so(session: Session) -> None:
    create_rule(session, name="only 广东", carrier="YUNDA", provinces=["广东"])
    choice = choose_carrier(session, order(session, province="浙江省"))
    assert choice.carrier is None and "no default rule" in choice.reason


def test_platform_e_waybill_rule(session: Session) -> None:
    """Taobao orders must use a Cainiao account, PDD orders a PDD one, others direct first."""
    create_rule(session, name="default → ZTO", carrier="ZTO", is_default=True)
    with Sims() as sims:
        add_account(session, sims, carrier="ZTO", source="direct")
        add_account(session, sims, carrier="ZTO", source="cainiao")
        add_account(session, sims, carrier="ZTO", source="pdd")
        expected = {"taobao": "cainiao", "pdd": "pdd", "webhook": "direct", "jd": "direct"}
        for channel, source in expected.items():
            choice = choose_carrier(session, order(session, channel=channel))
            assert choice.account is not None and choice.account.source == source, channel
        douyin = choose_carrier(session, order(session, channel="douyin"))
        assert douyin.account is None and "douyin e-waybill account" in douyin.reason


def test_rules_refuse_bad_input(session: Session) -> None:
    with pytest.raises(InvalidInput, match="unknown carrier"):
        create_rule(session, name="x", carrier="NOPE")
    with pytest.raises(InvalidInput, match="above"):
        create_rule(session, name="y", carrier="SF", min_weight_g=10, max_weight_g=5)
    first = create_rule(session, name="d1", carrier="SF", is_default=True)
    create_rule(session, name="d2", carrier="ZTO", is_default=True)
    assert first.is_default is False  # one default at a time
