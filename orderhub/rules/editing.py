"""Saving rules: validated (condition and actions), versioned (every save is a new version, old
ones kept) and audited; export and import as plain dicts (the CLI writes them as YAML)."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from orderhub.core import audit, clock, outbox
from orderhub.core.actor import Actor
from orderhub.core.errors import InvalidInput, NotFound
from orderhub.rules import actions as act
from orderhub.rules import ruleset
from orderhub.rules.expressions import compile_condition
from orderhub.rules.models import Rule, RuleVersion
from orderhub.rules.schemas import RuleIn

# The events the order pipeline evaluates rules on (orderhub/pipeline.py), plus the unpaid
# sweep's own (rules/tasks.py). "order.updated" is any of the four kinds of change.
TRIGGERS = ("order.created", "order.paid", "order.updated", "order.address_changed",
            "order.remark_changed", "order.refund_changed", "order.lines_changed",
            "order.unpaid_timeout")
FIELDS = ("key", "name", "description", "triggers", "condition", "actions", "severity",
          "priority", "enabled")


class RuleNotFound(NotFound):
    code = "rule_not_found"


def check_triggers(triggers: list[str]) -> None:
    unknown = [t for t in triggers if t not in TRIGGERS]
    if unknown:
        raise InvalidInput(f"unknown trigger {unknown[0]!r}",
                           details={"field": "triggers", "allowed": list(TRIGGERS)})


def parse_rule(data: dict[str, Any] | RuleIn) -> RuleIn:
    """Check everything about a rule before anything is stored."""
    if not isinstance(data, RuleIn):
        try:
            data = RuleIn.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "(rule)"
            raise InvalidInput(f"{where}: {first['msg']}", details={"field": where}) from None
    check_triggers(data.triggers)
    compile_condition(data.condition)  # raises InvalidExpression with the position
    act.parse_actions(data.actions)
    return data


def snapshot(rule: Rule) -> dict[str, Any]:
    return {f: getattr(rule, f) for f in FIELDS}


def create_rule(session: Session, *, data: dict[str, Any] | RuleIn, actor: Actor) -> Rule:
    rule_in = parse_rule(data)
    if rule_in.key and find_by_key(session, rule_in.key) is not None:
        raise InvalidInput(f"a rule with key {rule_in.key!r} exists already", details={"field": "key"})
    now = clock.now()
    values = rule_in.model_dump()
    values["actions"] = act.dump(act.parse_actions(rule_in.actions))
    values["key"] = rule_in.key or f"rule-{now.strftime('%Y%m%d%H%M%S%f')}"
    rule = Rule(**values, version=1, created_at=now, updated_at=now, updated_by=actor.name)
    session.add(rule)
    session.flush()
    if not rule_in.key:
        rule.key = f"rule-{rule.id}"
    _record(session, rule, actor, "rule.created", before=None)
    return rule


def update_rule(session: Session, *, rule_id: int, data: dict[str, Any] | RuleIn,
                actor: Actor) -> Rule:
    """A new version; the old one stays in rule_versions for the firings that point at it."""
    rule = get_rule(session, rule_id, for_update=True)
    rule_in = parse_rule(data)
    values = rule_in.model_dump()
    values["actions"] = act.dump(act.parse_actions(rule_in.actions))
    values["key"] = rule_in.key or rule.key
    if values["key"] != rule.key and find_by_key(session, values["key"]) is not None:
        raise InvalidInput(f"a rule with key {values['key']!r} exists already", details={"field": "key"})
    before = snapshot(rule)
    if all(before[f] == values[f] for f in FIELDS):
        return rule  # nothing changed: no new version
    for name, value in values.items():
        setattr(rule, name, value)
    rule.version += 1
    rule.updated_at, rule.updated_by = clock.now(), actor.name
    _record(session, rule, actor, "rule.updated", before=before)
    return rule


def set_enabled(session: Session, *, rule_id: int, enabled: bool, actor: Actor) -> Rule:
    rule = get_rule(session, rule_id, for_update=True)
    values = snapshot(rule) | {"enabled": enabled}
    return update_rule(session, rule_id=rule.id, data=values, actor=actor)


def _record(session: Session, rule: Rule, actor: Actor, action: str,
            before: dict[str, Any] | None) -> None:
    after = snapshot(rule)
    ruleset.invalidate()  # other processes see the new version in the rules table's stamp
    session.add(RuleVersion(rule_id=rule.id, version=rule.version, snapshot=after,
                            created_at=clock.now(), created_by=actor.name))
    changed_before, changed_after = audit.changed_fields(before or {}, after)
    audit.record(session, actor=actor, entity_type="rule", entity_id=rule.id, action=action,
                 before=changed_before if before else None, after=changed_after | {"version": rule.version})
    outbox.emit(session, action, aggregate_type="rule", aggregate_id=rule.id, actor=actor,
                payload={"rule_id": rule.id, "key": rule.key, "version": rule.version})
    session.flush()


def get_rule(session: Session, rule_id: int, *, for_update: bool = False) -> Rule:
    stmt = select(Rule).where(Rule.id == rule_id)
    if for_update:
        stmt = stmt.with_for_update()
    rule = session.scalar(stmt)
    if rule is None:
        raise RuleNotFound(f"no rule {rule_id}", details={"rule_id": rule_id})
    return rule


def find_by_key(session: Session, key: str) -> Rule | None:
    return session.scalar(select(Rule).where(Rule.key == key))


def list_rules(session: Session) -> list[Rule]:
    return list(session.scalars(select(Rule).order_by(Rule.priority.desc(), Rule.id)))


def versions(session: Session, rule_id: int) -> list[RuleVersion]:
    return list(session.scalars(select(RuleVersion).where(RuleVersion.rule_id == rule_id)
                                .order_by(RuleVersion.version.desc())))


# --- export / import --------------------------------------------------------------------------


def export_rules(session: Session) -> list[dict[str, Any]]:
    return [snapshot(rule) for rule in list_rules(session)]


def import_rules(session: Session, *, items: Any, actor: Actor) -> dict[str, int]:
    """Create rules whose key is new, update (as a new version) those whose key exists.
    Everything is checked first: one bad rule refuses the whole import, naming it."""
    if not isinstance(items, list):
        raise InvalidInput("the file must hold a list of rules", details={"field": "(file)"})
    parsed = []
    for index, item in enumerate(items):
        if not isinstance(item, dict) or not item.get("key"):
            raise InvalidInput(f"rule #{index + 1} needs a key", details={"index": index})
        try:
            parsed.append(parse_rule(item))
        except InvalidInput as exc:
            raise type(exc)(f"rule {item.get('key')!r}: {exc.message}",
                            details={**exc.details, "index": index, "key": item.get("key")}) from None
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    for rule_in in parsed:
        existing = find_by_key(session, rule_in.key or "")
        if existing is None:
            create_rule(session, data=rule_in, actor=actor)
            counts["created"] += 1
        else:
            version = existing.version
            update_rule(session, rule_id=existing.id, data=rule_in, actor=actor)
            counts["updated" if existing.version != version else "unchanged"] += 1
    return counts
