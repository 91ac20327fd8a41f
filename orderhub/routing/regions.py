"""Region rules as data: which warehouse ships to which provinces. Every change is audited and
announced (routing.region_rule_changed)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from orderhub.core import audit, clock, outbox
from orderhub.core.actor import Actor
from orderhub.core.errors import InvalidInput, NotFound
from orderhub.inventory import service as inventory
from orderhub.inventory.provinces import PROVINCES
from orderhub.routing import policy
from orderhub.routing.models import RegionRule
from orderhub.routing.scoring import province_key

FIELDS = ("name", "priority", "provinces", "warehouse_code", "enabled")
MAX_PROVINCES = 40
_PROVINCE_BY_KEY = {province_key(p): p for p in PROVINCES}


class RegionRuleNotFound(NotFound):
    code = "region_rule_not_found"


def list_rules(session: Session, *, enabled_only: bool = False) -> list[RegionRule]:
    stmt = select(RegionRule).order_by(RegionRule.priority, RegionRule.id)
    if enabled_only:
        stmt = stmt.where(RegionRule.enabled.is_(True))
    return list(session.scalars(stmt))


_ENABLED = (select(RegionRule.id, RegionRule.priority, RegionRule.provinces, RegionRule.warehouse_code,
                   RegionRule.name).where(RegionRule.enabled.is_(True))
            .order_by(RegionRule.priority, RegionRule.id))


def enabled_for_routing(session: Session) -> list[policy.RegionRule]:
    """The enabled rules as the router uses them (one prebuilt statement: the hot path)."""
    return [policy.RegionRule(id=i, priority=p, provinces=tuple(provinces or ()), warehouse_code=w,
                              name=n) for i, p, provinces, w, n in session.execute(_ENABLED)]


def as_policy(rules: list[RegionRule]) -> list[policy.RegionRule]:
    return [policy.RegionRule(id=r.id, priority=r.priority, provinces=tuple(r.provinces or ()),
                              warehouse_code=r.warehouse_code, enabled=r.enabled, name=r.name)
            for r in rules]


def get_rule(session: Session, rule_id: int) -> RegionRule:
    rule = session.get(RegionRule, rule_id)
    if rule is None:
        raise RegionRuleNotFound(f"no region rule {rule_id}", details={"rule_id": rule_id})
    return rule


def create_rule(session: Session, *, actor: Actor, name: str, provinces: list[str],
                warehouse_code: str, priority: int = 100, enabled: bool = True) -> RegionRule:
    values = _clean(session, {"name": name, "provinces": provinces, "warehouse_code": warehouse_code,
                              "priority": priority, "enabled": enabled})
    now = clock.now()
    rule = RegionRule(**values, created_at=now, updated_at=now, version=1)
    session.add(rule)
    session.flush()
    _announce(session, rule, actor, "routing.region_rule_created", None, snapshot(rule))
    return rule


def update_rule(session: Session, *, actor: Actor, rule_id: int, **changes: Any) -> RegionRule:
    unknown = sorted(set(changes) - set(FIELDS))
    if unknown:
        raise InvalidInput(f"unknown field {unknown[0]!r}", details={"unknown": unknown})
    rule = get_rule(session, rule_id)
    before = snapshot(rule)
    changes = {k: v for k, v in changes.items() if v is not None}
    # A rule whose warehouse was closed can still be renamed or switched off.
    check = "warehouse_code" in changes or changes.get("enabled") is True
    values = _clean(session, {**before, **changes}, check_warehouse=check)
    for key, value in values.items():
        setattr(rule, key, value)
    b, a = audit.changed_fields(before, snapshot(rule))
    if a:
        rule.updated_at = clock.now()
        rule.version += 1
        session.flush()
        _announce(session, rule, actor, "routing.region_rule_changed", b, a)
    return rule


def delete_rule(session: Session, *, actor: Actor, rule_id: int) -> None:
    rule = get_rule(session, rule_id)
    before = snapshot(rule)
    session.delete(rule)
    session.flush()
    _announce(session, rule, actor, "routing.region_rule_deleted", before, None)


def snapshot(rule: RegionRule) -> dict[str, Any]:
    return {"name": rule.name, "priority": rule.priority, "provinces": list(rule.provinces or []),
            "warehouse_code": rule.warehouse_code, "enabled": rule.enabled}


def _announce(session: Session, rule: RegionRule, actor: Actor, action: str,
              before: dict[str, Any] | None, after: dict[str, Any] | None) -> None:
    audit.record(session, actor=actor, entity_type="region_rule", entity_id=rule.id, action=action,
                 before=before, after=after)
    outbox.emit(session, action, aggregate_type="region_rule", aggregate_id=rule.id, actor=actor,
                payload={"rule_id": rule.id, "before": before, "after": after})


def _clean(session: Session, data: dict[str, Any], *, check_warehouse: bool = True) -> dict[str, Any]:
    name = data.get("name")
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > 120:
        raise InvalidInput("a region rule needs a name of 1 to 120 characters",
                           details={"field": "name"})
    priority = data.get("priority")
    if isinstance(priority, bool) or not isinstance(priority, int) or not 0 <= priority <= 1_000_000:
        raise InvalidInput("priority is a whole number from 0 to 1000000 (lower goes first)",
                           details={"field": "priority", "value": priority})
    enabled = data.get("enabled")
    if not isinstance(enabled, bool):
        raise InvalidInput("enabled is true or false", details={"field": "enabled"})
    provinces = data.get("provinces")
    if not isinstance(provinces, list) or not provinces or len(provinces) > MAX_PROVINCES \
            or not all(isinstance(p, str) for p in provinces):
        raise InvalidInput(f"provinces is a list of 1 to {MAX_PROVINCES} province names",
                           details={"field": "provinces"})
    unknown = [p for p in provinces if province_key(p) not in _PROVINCE_BY_KEY]
    if unknown:
        raise InvalidInput(f"not a province: {', '.join(unknown[:5])}",
                           details={"field": "provinces", "unknown": unknown[:20]})
    cleaned = list(dict.fromkeys(_PROVINCE_BY_KEY[province_key(p)] for p in provinces))
    code = data.get("warehouse_code")
    if not isinstance(code, str) or not code.strip():
        raise InvalidInput("a region rule names a warehouse code", details={"field": "warehouse_code"})
    known = {w.code for w in inventory.warehouses(session)} if check_warehouse else {code.strip()}
    if code.strip() not in known:
        raise InvalidInput(f"no active warehouse {code.strip()!r}",
                           details={"field": "warehouse_code", "known": sorted(known)})
    return {"name": name.strip(), "priority": priority, "provinces": cleaned,
            "warehouse_code": code.strip(), "enabled": enabled}
