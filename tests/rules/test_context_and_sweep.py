"""History is only queried for the fields enabled rules read; the unpaid sweep reminds once."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from orderhub.address import classify_phone, parse_address
from orderhub.core import audit
from orderhub.core.models import OutboxEvent, ScheduledJob
from orderhub.rules import context, history
from orderhub.rules.editing import create_rule
from orderhub.rules.pack import install_default_pack
from orderhub.rules.service import evaluate
from orderhub.rules.tasks import UNPAID_TASK, unpaid_sweep
from tests.builders import TEST_ACTOR
from tests.rules.helpers import line, place, sku


def boom(*args: object, **kwargs: object) -> None:
    raise AssertionError("history queried although no rule reads it")


def test_history_is_not_queried_unless_a_rule_reads_it(session: Session,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    create_rule(session, actor=TEST_ACTOR, data={
        "key": "plain", "name": "plain", "triggers": ["order.created"],
        "condition": "order.total > 1", "actions": [{"type": "tag", "tag": "t"}]})
    monkeypatch.setattr(history, "values", boom)  # every history read goes through it
    assert len(evaluate(session, order=place(session), trigger="order.created", actor=TEST_ACTOR)) == 1
    create_rule(session, actor=TEST_ACTOR, data={
        "key": "dup", "name": "dup", "triggers": ["order.created"],
        "condition": "history.duplicates_24h > 0", "actions": [{"type": "tag", "tag": "d"}]})
    with pytest.raises(AssertionError, match="history queried"):
        evaluate(session, order=place(session), trigger="order.created", actor=TEST_ACTOR)


def test_context_describes_the_order(session: Session) -> None:
    order = place(session, lines=[line(sku(session, "C-1", category="茶叶", purchase_limited=True),
                                       quantity=2, price="50.00"), line(None)],
                  receiver={"phone": "138****5678"}, total="100.00")
    ctx = context.build(session, order, trigger="order.created")
    assert ctx.order.total == 100.0 and ctx.order.item_count == 3 and ctx.order.unmapped_lines == 1
    assert ctx.order.categories == ["茶叶"] and ctx.order.limited_lines == 1
    assert ctx.receiver.phone_kind == "masked" and ctx.receiver.parsed.confidence >= 0.7
    assert ctx.lines[0].amount == 100.0 and ctx.lines[1].mapped is False
    assert 0 <= ctx.order.minutes_since_created < 5 and ctx.order.paid


def test_carrier_areas_are_a_setting(session: Session) -> None:
    audit.put_setting(session, actor=TEST_ACTOR, key=context.CARRIER_SETTING, value={
        "default_carrier": "SF", "exclusions": [{"carrier": "SF", "province": "浙江省",
                                                "city": "杭州市", "district": ""}]})
    ctx = context.build(session, place(session), trigger="order.created")
    assert ctx.order.carrier == "SF" and ctx.receiver.excluded_carriers == ["SF"]


def test_unpaid_sweep_reminds_each_order_once(session: Session) -> None:
    install_default_pack(session, actor=TEST_ACTOR)
    assert session.scalar(select(ScheduledJob).where(ScheduledJob.name == UNPAID_TASK)) is not None
    late = place(session, status="unpaid", minutes_ago=30)
    place(session, status="unpaid", minutes_ago=3)
    place(session, minutes_ago=30)  # paid
    assert unpaid_sweep(session) == 1
    assert unpaid_sweep(session) == 0
    alerts = list(session.scalars(select(OutboxEvent).where(OutboxEvent.topic == "alert.requested")))
    assert [a.payload["order_no"] for a in alerts] == [late.order_no]
    assert session.scalar(select(func.count()).select_from(OutboxEvent)
                          .where(OutboxEvent.topic == "rule.fired")) == 1


ADDRESSES = [("文三路90号东部软件园3号楼", "浙江省", "杭州市", "西湖区"),
             ("广东深圳南山区科技园", "", "", ""), ("幸福村三组后面", "河北省", "保定市", "涞源县"),
             ("文三路90号东部软件园3号楼", "浙江省", "杭州市", "滨江区"), ("", "", "", "")]


@pytest.mark.parametrize(("text", "province", "city", "district"), ADDRESSES)
def test_the_address_memo_returns_what_the_parser_does(text: str, province: str, city: str,
                                                       district: str) -> None:
    context.forget_parsed()
    for _ in range(2):  # computed, then remembered
        assert context.parsed_address(text, province=province, city=city, district=district) \
            == parse_address(text, province=province, city=city, district=district)
    assert context.parsed_address.cache_info().hits == 1


@pytest.mark.parametrize("phone", ["13800138000", "138****5678", "13800138000-1234",
                                   "0571-88888888", "12345", ""])
def test_the_phone_memo_returns_what_the_classifier_does(phone: str) -> None:
    assert context.phone_info(phone) == context.phone_info(phone) == classify_phone(phone)


def test_one_street_in_two_districts_is_two_memo_entries(session: Session) -> None:
    """The memo is keyed by every part of the address, not only the written text."""
    context.forget_parsed()
    west = context.build(session, place(session), trigger="order.created").receiver
    east = context.build(session, place(session, receiver={"district": "滨江区"}),
                         trigger="order.created").receiver
    assert (west.parsed.district, east.parsed.district) == ("西湖区", "滨江区")
    assert context.parsed_address.cache_info().currsize == 2
