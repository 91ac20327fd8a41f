"""Saving rules (validated, versioned, audited), export/import, and the dry run."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from orderhub.core.errors import InvalidInput
from orderhub.core.models import AuditEntry, OutboxEvent
from orderhub.orders.models import Hold
from orderhub.rules import editing
from orderhub.rules.expressions import InvalidExpression
from orderhub.rules.models import RuleFiring, RuleVersion
from orderhub.rules.service import dry_run, evaluate
from tests.builders import TEST_ACTOR
from tests.rules.helpers import place

RULE = {"key": "rural", "name": "rural phone", "triggers": ["order.created"],
        "condition": 'receiver.address =~ ".*(村|屯|组).*" and receiver.phone_digits.length != 11',
        "actions": [{"type": "hold", "reason_code": "address_check"},
                    {"type": "create_task", "role": "supervisor", "title": "核实地址"}],
        "severity": "critical", "priority": 10}


def test_saving_creates_versions_and_audits(session: Session) -> None:
    rule = editing.create_rule(session, data=RULE, actor=TEST_ACTOR)
    assert rule.version == 1
    editing.update_rule(session, rule_id=rule.id, data={**RULE, "priority": 20}, actor=TEST_ACTOR)
    editing.update_rule(session, rule_id=rule.id, data={**RULE, "priority": 20}, actor=TEST_ACTOR)
    editing.set_enabled(session, rule_id=rule.id, enabled=False, actor=TEST_ACTOR)
    assert rule.version == 3 and rule.enabled is False
    snaps = [v.snapshot["priority"] for v in editing.versions(session, rule.id)]
    assert snaps == [20, 20, 10]
    audit = list(session.scalars(select(AuditEntry).where(AuditEntry.entity_type == "rule")
                                 .order_by(AuditEntry.id)))
    assert [a.action for a in audit] == ["rule.created", "rule.updated", "rule.updated"]
    assert audit[1].before == {"priority": 10} and audit[1].after == {"priority": 20, "version": 2}


def test_bad_rules_are_refused_with_the_position(session: Session) -> None:
    with pytest.raises(InvalidExpression) as caught:
        editing.create_rule(session, data={**RULE, "condition": "order.totl > 1"}, actor=TEST_ACTOR)
    assert caught.value.details == {"position": 6, "line": 1, "column": 7}
    with pytest.raises(InvalidInput, match="unknown trigger"):
        editing.create_rule(session, data={**RULE, "triggers": ["order.exploded"]}, actor=TEST_ACTOR)
    with pytest.raises(InvalidInput, match=r"actions\[0\]"):
        editing.create_rule(session, data={**RULE, "actions": [{"type": "launch_rocket"}]},
                            actor=TEST_ACTOR)
    with pytest.raises(InvalidInput, match="role or a user"):
        editing.create_rule(session, data={**RULE, "actions": [{"type": "create_task", "title": "x"}]},
                            actor=TEST_ACTOR)
    assert session.scalar(select(func.count()).select_from(RuleVersion)) == 0


def test_a_firing_records_version_what_it_saw_and_did(session: Session) -> None:
    rule = editing.create_rule(session, data=RULE, actor=TEST_ACTOR)
    order = place(session, receiver={"province": "河北省", "city": "保定市", "district": "清苑区",
                                     "address": "李家村3组", "phone": "12345"})
    [firing] = evaluate(session, order=order, trigger="order.created", actor=TEST_ACTOR)
    assert (firing.rule_id, firing.rule_version) == (rule.id, 1)
    assert firing.saw == {"receiver.address": "河北省保定市清苑区李家村3组",
                          "receiver.phone_digits.length": 5}
    assert [d["type"] for d in firing.did] == ["hold", "create_task"]
    assert session.get(Hold, firing.did[0]["hold_id"]).raised_by_kind == "rule"


def test_priority_orders_the_run_and_disabled_rules_do_not_run(session: Session) -> None:
    low = editing.create_rule(session, data={**RULE, "key": "low", "priority": 1,
                                             "condition": "true"}, actor=TEST_ACTOR)
    high = editing.create_rule(session, data={**RULE, "key": "high", "priority": 99,
                                              "condition": "true"}, actor=TEST_ACTOR)
    editing.create_rule(session, data={**RULE, "key": "off", "condition": "true",
                                       "enabled": False}, actor=TEST_ACTOR)
    firings = evaluate(session, order=place(session), trigger="order.created", actor=TEST_ACTOR)
    assert [f.rule_id for f in firings] == [high.id, low.id]


def test_what_each_firing_did_is_stored(session: Session) -> None:
    """The firings of one evaluation write what they did in one batch: each row gets its own."""
    tagging = {**RULE, "condition": "true", "triggers": ["order.created"]}
    for key in ("t1", "t2", "t3"):
        editing.create_rule(session, actor=TEST_ACTOR, data={
            **tagging, "key": key, "actions": [{"type": "tag", "tag": key}]})
    firings = evaluate(session, order=place(session), trigger="order.created", actor=TEST_ACTOR)
    assert len(firings) == 3
    session.expire_all()  # read the rows back, not the objects evaluate returned
    stored = session.execute(select(RuleFiring.id, RuleFiring.did)
                             .where(RuleFiring.id.in_([f.id for f in firings]))).all()
    assert sorted((row.did for row in stored), key=str) == [
        [{"type": "tag", "tag": key}] for key in ("t1", "t2", "t3")]


def test_export_and_import_round_trip(session: Session) -> None:
    editing.create_rule(session, data=RULE, actor=TEST_ACTOR)
    exported = editing.export_rules(session)
    assert exported[0]["key"] == "rural"
    changed = [{**exported[0], "priority": 5}, {**RULE, "key": "second", "name": "2nd"}]
    assert editing.import_rules(session, items=changed, actor=TEST_ACTOR) == \
        {"created": 1, "updated": 1, "unchanged": 0}
    assert editing.import_rules(session, items=changed, actor=TEST_ACTOR) == \
        {"created": 0, "updated": 0, "unchanged": 2}
    with pytest.raises(InvalidInput, match="'bad'"):
        editing.import_rules(session, items=[{**RULE, "key": "bad", "condition": "nope"}],
                             actor=TEST_ACTOR)
    assert editing.find_by_key(session, "bad") is None


def test_dry_run_shows_matches_and_changes_nothing(session: Session) -> None:
    hit = place(session, buyer_remark="要发票")
    place(session, buyer_remark="")
    before = {t: session.scalar(select(func.count()).select_from(t))
              for t in (Hold, RuleFiring, OutboxEvent, AuditEntry)}
    result = dry_run(session, condition='order.buyer_remark =~ ".*发票.*"',
                     actions=[{"type": "hold", "reason_code": "buyer_remark"}],
                     triggers=["order.created"], days=7)
    assert result.checked == 2 and [m.order_no for m in result.matched] == [hit.order_no]
    assert result.matched[0].saw == {"order.buyer_remark": "要发票"}
    assert result.matched[0].would_do == [{"type": "hold", "reason_code": "buyer_remark",
                                           "reason": ""}]
    after = {t: session.scalar(select(func.count()).select_from(t))
             for t in (Hold, RuleFiring, OutboxEvent, AuditEntry)}
    assert after == before and hit.status == "paid"
    old = dry_run(session, condition="true", actions=[{"type": "tag", "tag": "x"}],
                  triggers=["order.created"], days=1)
    assert old.checked == 2
    with pytest.raises(InvalidExpression):
        dry_run(session, condition="order.", actions=[{"type": "tag", "tag": "x"}],
                triggers=["order.created"])


def test_updated_listens_to_every_change_and_unknown_events_run_nothing(session: Session) -> None:
    editing.create_rule(session, data={**RULE, "key": "any", "triggers": ["order.updated"],
                                       "condition": "true"}, actor=TEST_ACTOR)
    order = place(session)
    assert evaluate(session, order=order, trigger="order.created", actor=TEST_ACTOR) == []
    assert len(evaluate(session, order=order, trigger="order.remark_changed", actor=TEST_ACTOR)) == 1
    assert evaluate(session, order=order, trigger="order.shipped", actor=TEST_ACTOR) == []
    assert evaluate(session, order=order, trigger="order.platform_status_ignored",
                    actor=TEST_ACTOR) == []
