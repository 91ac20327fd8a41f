"""Carrier rules as data, and choosing an order's carrier and account.

Precedence: (1) the order's `attributes["carrier"]`, left by the rules capability's "choose
carrier" action; (2) the active non-default rules, lowest priority number first (ties: lowest
id); (3) the default rule. The account then follows the platform e-waybill rule (accounts.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from orderhub.channels.base import CARRIERS
from orderhub.core import audit
from orderhub.core.actor import Actor
from orderhub.core.errors import InvalidInput, NotFound
from orderhub.fulfilment.carriers.accounts import active_accounts, pick_account
from orderhub.fulfilment.carriers.models import CarrierAccount, CarrierRule
from orderhub.inventory.models import Sku
from orderhub.orders.models import Order, OrderLine
from orderhub.routing.models import RoutingDecision

RULE_FIELDS = ("name", "priority", "carrier", "provinces", "channels", "warehouses", "min_weight_g",
               "max_weight_g", "min_value", "max_value", "is_default", "active")
# Province names are compared without their administrative suffix: "浙江" matches "浙江省".
SUFFIXES = ("维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "自治区", "省", "市")


class CarrierRuleNotFound(NotFound):
    code = "carrier_rule_not_found"


@dataclass(frozen=True)
class Facts:
    province: str
    weight_g: int
    value: int  # order total, minor units
    channel: str
    warehouse: str | None


@dataclass(frozen=True)
class Choice:
    carrier: str | None
    account: CarrierAccount | None
    rule: str  # which rule (or override) chose the carrier
    reason: str  # why this carrier and account, or why there is none


def short_province(name: str) -> str:
    name = (name or "").strip()
    for suffix in SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def matches(rule: CarrierRule, facts: Facts) -> bool:
    if rule.provinces and short_province(facts.province) not in {short_province(p) for p in rule.provinces}:
        return False
    if rule.channels and facts.channel not in rule.channels:
        return False
    if rule.warehouses and facts.warehouse not in rule.warehouses:
        return False
    if rule.min_weight_g is not None and facts.weight_g < rule.min_weight_g:
        return False
    if rule.max_weight_g is not None and facts.weight_g > rule.max_weight_g:
        return False
    if rule.min_value is not None and facts.value < rule.min_value:
        return False
    return rule.max_value is None or facts.value <= rule.max_value


def facts_for(session: Session, order: Order) -> Facts:
    return batch_facts(session, [order]).facts[order.id]


@dataclass
class BatchFacts:
    """What choosing carriers for many orders reads, each kind of row in one query per 500
    orders: every order's lines (by line number) and facts, the rules and the active accounts."""

    lines: dict[int, list[OrderLine]]
    facts: dict[int, Facts]
    rules: list[CarrierRule]
    accounts: list[CarrierAccount]


CHUNK = 500


def batch_facts(session: Session, orders: list[Order]) -> BatchFacts:
    lines: dict[int, list[OrderLine]] = {o.id: [] for o in orders}
    warehouses: dict[int, str | None] = {}
    ids = list(lines)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        for line in session.scalars(select(OrderLine).where(OrderLine.order_id.in_(chunk))
                                    .order_by(OrderLine.order_id, OrderLine.line_no)):
            lines[line.order_id].append(line)
        # Newest decision last, so it wins: what routing.decisions.latest answers per order.
        warehouses.update(session.execute(
            select(RoutingDecision.order_id, RoutingDecision.warehouse_code)
            .where(RoutingDecision.order_id.in_(chunk)).order_by(RoutingDecision.id)).all())
    codes = sorted({line.sku for found in lines.values() for line in found if line.sku})
    weights: dict[str, int] = {}
    for start in range(0, len(codes), CHUNK):
        weights.update(session.execute(select(Sku.code, Sku.weight_g)
                                       .where(Sku.code.in_(codes[start:start + CHUNK]))).all())
    facts = {o.id: facts_of(o, lines[o.id], weights, warehouses.get(o.id)) for o in orders}
    return BatchFacts(lines=lines, facts=facts, rules=list_rules(session),
                      accounts=active_accounts(session))


def facts_of(order: Order, lines: list[OrderLine], weights: dict[str, int], warehouse: str | None) -> Facts:
    """An order's facts from its lines, its SKUs' weights (unknown SKUs weigh nothing) and the
    warehouse of its newest routing decision."""
    weight = sum(weights[line.sku] * line.quantity for line in lines if line.sku in weights)
    return Facts(province=order.receiver_province, weight_g=weight, value=order.total,
                 channel=order.channel, warehouse=warehouse)


def pick_rule(rules: list[CarrierRule], facts: Facts) -> CarrierRule | None:
    ordered = sorted((r for r in rules if r.active), key=lambda r: (r.is_default, r.priority, r.id))
    return next((r for r in ordered if r.is_default or matches(r, facts)), None)


def choose_carrier(session: Session, order: Order) -> Choice:
    """One order's carrier and account (the API and console ask this for a single order)."""
    known = batch_facts(session, [order])
    return choose(order, known.facts[order.id], rules=known.rules, accounts=known.accounts)


def choose(order: Order, facts: Facts, *, rules: list[CarrierRule],
           accounts: list[CarrierAccount]) -> Choice:
    """The choice for one order from what was read already (no queries): `choose_carrier` for
    one order and `carriers.service.prepare` for a batch both decide here."""
    override = str((order.attributes or {}).get("carrier") or "").upper()
    if override:
        if override not in CARRIERS:
            return Choice(None, None, "order attribute", f"order asks for unknown carrier {override!r}")
        carrier, rule_name = override, "order attribute (choose-carrier action)"
    else:
        rule = pick_rule(rules, facts)
        if rule is None:
            return Choice(None, None, "", "no carrier rule matches and there is no default rule")
        carrier, rule_name = rule.carrier, f"rule {rule.name}"
    account, why = pick_account(accounts, carrier=carrier, channel=order.channel)
    return Choice(carrier, account, rule_name, f"{carrier} by {rule_name}; {why}")


def list_rules(session: Session) -> list[CarrierRule]:
    return list(session.scalars(select(CarrierRule).order_by(
        CarrierRule.is_default, CarrierRule.priority, CarrierRule.id)))


def create_rule(session: Session, *, actor: Actor | None = None, **values: Any) -> CarrierRule:
    rule = CarrierRule(**_clean(values, creating=True))
    _one_default(session, rule)
    session.add(rule)
    session.flush()
    _audit(session, actor, rule, "carriers.rule_created", None)
    return rule


def update_rule(session: Session, *, rule_id: int, actor: Actor | None = None,
                **values: Any) -> CarrierRule:
    rule = get_rule(session, rule_id)
    before = rule_dict(rule)
    for key, value in _clean(values, creating=False).items():
        setattr(rule, key, value)
    _one_default(session, rule)
    session.flush()
    _audit(session, actor, rule, "carriers.rule_changed", before)
    return rule


def delete_rule(session: Session, *, rule_id: int, actor: Actor | None = None) -> None:
    rule = get_rule(session, rule_id)
    if actor is not None:
        audit.record(session, actor=actor, entity_type="carrier_rule", entity_id=rule.id,
                     action="carriers.rule_deleted", before=rule_dict(rule))
    session.delete(rule)
    session.flush()


def rule_dict(rule: CarrierRule) -> dict[str, Any]:
    return {"id": rule.id, **{name: getattr(rule, name) for name in RULE_FIELDS}}


def _audit(session: Session, actor: Actor | None, rule: CarrierRule, action: str,
           before: dict[str, Any] | None) -> None:
    if actor is None:
        return
    after = rule_dict(rule)
    if before is not None:
        before, after = audit.changed_fields(before, after)
    audit.record(session, actor=actor, entity_type="carrier_rule", entity_id=rule.id, action=action,
                 before=before, after=after)


def get_rule(session: Session, rule_id: int) -> CarrierRule:
    rule = session.get(CarrierRule, rule_id)
    if rule is None:
        raise CarrierRuleNotFound(f"no carrier rule {rule_id}")
    return rule


def _one_default(session: Session, rule: CarrierRule) -> None:
    """Making a rule the default takes the flag from the previous default."""
    if rule.is_default:
        for other in session.scalars(select(CarrierRule).where(CarrierRule.is_default.is_(True))):
            if other is not rule:
                other.is_default = False


def _clean(values: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    unknown = set(values) - set(RULE_FIELDS)
    if unknown:
        raise InvalidInput(f"unknown rule fields {sorted(unknown)}", details={"fields": sorted(unknown)})
    clean = {k: v for k, v in values.items() if v is not None or k.startswith(("min_", "max_"))}
    if creating and not str(clean.get("name", "")).strip():
        raise InvalidInput("a carrier rule needs a name", details={"field": "name"})
    if "carrier" in clean or creating:
        if str(clean.get("carrier", "")).upper() not in CARRIERS:
            raise InvalidInput(f"unknown carrier {clean.get('carrier')!r}; one of {sorted(CARRIERS)}",
                               details={"field": "carrier"})
        clean["carrier"] = str(clean["carrier"]).upper()
    for key in ("provinces", "channels", "warehouses"):
        if key in clean:
            clean[key] = [str(v).strip() for v in clean[key] if str(v).strip()]
    for low, high in (("min_weight_g", "max_weight_g"), ("min_value", "max_value")):
        if clean.get(low) is not None and clean.get(high) is not None and clean[low] > clean[high]:
            raise InvalidInput(f"{low} is above {high}", details={"field": low})
    return clean
