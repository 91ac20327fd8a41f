"""Which rule sets an order's deadline: precedence of overrides, modes, and refused rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from orderhub.core.errors import InvalidInput
from orderhub.inventory.masterdata import upsert_sku
from orderhub.sla import policies
from tests.builders import TEST_ACTOR, make_order

START = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


@pytest.fixture
def rules(session, fake_clock):
    policies.install_defaults(session, actor=TEST_ACTOR)
    upsert_sku(session, code="GLASS-1", actor=TEST_ACTOR, name="玻璃花瓶", category="fragile")
    policies.save_rule(session, rule_id=None, stage="print", kind="category", match="fragile",
                       minutes=30, actor=TEST_ACTOR)
    policies.save_rule(session, rule_id=None, stage="accept", kind="category", match="fragile",
                       minutes=20, actor=TEST_ACTOR)
    policies.save_rule(session, rule_id=None, stage="ship", kind="channel", match="taobao",
                       minutes=48 * 60, actor=TEST_ACTOR)
    return session


def _glass_order(session, **overrides):
    order = make_order(session, **overrides)
    order.lines[0].sku = "GLASS-1"
    session.flush()
    return order


def test_defaults_per_stage(rules) -> None:
    order = make_order(rules)
    accept = policies.deadline_for(rules, order=order, stage="accept", started_at=START)
    assert (accept.deadline, accept.warn_at, accept.note) == (
        START + timedelta(hours=4), START + timedelta(hours=3), "default 240 min")
    assert policies.deadline_for(rules, order=order, stage="print",
                                 started_at=START).deadline == START + timedelta(hours=2)
    assert policies.deadline_for(rules, order=order, stage="first_scan",
                                 started_at=START).deadline == START + timedelta(hours=24)


@pytest.mark.parametrize("overrides, note", [
    ({"tags": ["VIP"]}, "vip 60 min"),                              # tag, any case
    ({"total": "1000.00"}, "high_value 60 min"),                    # ≥ ¥1000
    ({"total": "999.99"}, "default 240 min"),
    ({"tags": ["vip"], "total": "2000.00"}, "vip 60 min"),          # vip before high value
])
def test_accept_overrides(rules, overrides, note) -> None:
    order = make_order(rules, **overrides)
    due = policies.deadline_for(rules, order=order, stage="accept", started_at=START)
    assert due.note == note
    minutes = 240 if note.startswith("default") else 60
    assert due.deadline == START + timedelta(minutes=minutes)


def test_category_comes_from_the_lines_skus_and_vip_outranks_it(rules) -> None:
    plain = _glass_order(rules)
    assert policies.deadline_for(rules, order=plain, stage="print",
                                 started_at=START).note == "category fragile 30 min"
    assert policies.deadline_for(rules, order=plain, stage="accept",
                                 started_at=START).note == "category fragile 20 min"
    vip = _glass_order(rules, tags=["vip"])
    # Precedence, not the tightest: vip (60 min) is more specific than the category (20 min).
    assert policies.deadline_for(rules, order=vip, stage="accept",
                                 started_at=START).note == "vip 60 min"


def test_channel_promise_counts_from_payment_and_presale_outranks_it(rules) -> None:
    order = make_order(rules, shop="tb-shop", paid_at="2026-11-23T08:00:00+08:00")
    order.channel = "taobao"
    due = policies.deadline_for(rules, order=order, stage="ship", started_at=START)
    assert (due.note, due.deadline) == ("channel taobao 2880 min",
                                        datetime(2026, 11, 25, 0, 0, tzinfo=UTC))
    promised = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)
    order.presale, order.promised_ship_at = True, promised
    due = policies.deadline_for(rules, order=order, stage="ship", started_at=START)
    assert (due.note, due.deadline) == ("presale promised date", promised)


def test_same_day_ends_at_midnight_in_the_sellers_zone(rules) -> None:
    order = make_order(rules)
    late_evening = datetime(2026, 11, 23, 15, 30, tzinfo=UTC)  # 23:30 Beijing
    due = policies.deadline_for(rules, order=order, stage="ship", started_at=late_evening)
    assert due.deadline == datetime(2026, 11, 23, 15, 59, 59, tzinfo=UTC)


def test_inactive_rules_and_warn_share(rules) -> None:
    vip_rule = next(r for r in policies.rules(rules) if r.kind == "vip")
    policies.save_rule(rules, rule_id=vip_rule.id, stage="accept", kind="vip", minutes=60,
                       active=False, actor=TEST_ACTOR)
    policies.set_warn_share(rules, share=0.5, actor=TEST_ACTOR)
    order = make_order(rules, tags=["vip"])
    due = policies.deadline_for(rules, order=order, stage="accept", started_at=START)
    assert (due.note, due.warn_at) == ("default 240 min", START + timedelta(hours=2))


@pytest.mark.parametrize("fields, field", [
    ({"stage": "pack", "kind": "default", "minutes": 5}, "stage"),
    ({"stage": "accept", "kind": "default", "minutes": 0}, "minutes"),
    ({"stage": "accept", "kind": "category", "minutes": 5}, "match"),
    ({"stage": "accept", "kind": "high_value", "minutes": 5}, "min_total"),
    ({"stage": "ship", "kind": "default", "mode": "tomorrow"}, "mode"),
])
def test_incomplete_rules_are_refused(session, fields, field) -> None:
    with pytest.raises(InvalidInput) as err:
        policies.save_rule(session, rule_id=None, actor=TEST_ACTOR, **fields)
    assert field in err.value.details


def test_warn_share_must_be_a_share(session) -> None:
    with pytest.raises(InvalidInput):
        policies.set_warn_share(session, share=1.5, actor=TEST_ACTOR)
