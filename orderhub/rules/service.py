"""Rules use cases: save (validated, versioned, audited), evaluate on a trigger, dry run.

`evaluate` runs inside the caller's transaction: the matching enabled rules for the trigger in
priority order (higher first, then oldest), each firing recorded with what the condition saw and
what the actions did. It is idempotent per (rule version, order, trigger event): the firing row
is unique on that key and is written before the actions run, so a repeated evaluation of the
same event (a redelivered event, the pipeline and a handler both reacting) does nothing twice.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, is_dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from orderhub.core import clock, outbox
from orderhub.core.actor import Actor
from orderhub.core.errors import InvalidInput
from orderhub.orders.models import Order
from orderhub.rules import actions as act
from orderhub.rules import context
from orderhub.rules.editing import TRIGGERS, check_triggers
from orderhub.rules.expressions import Compiled, InvalidExpression, compile_condition
from orderhub.rules.models import Rule, RuleFiring

log = logging.getLogger("orderhub.rules")
# Triggers that happen once in an order's life: one firing per rule version, whatever the key.
ONCE = frozenset({"order.created", "order.paid", "order.unpaid_timeout"})
UPDATED = "order.updated"
CHANGES = frozenset({"order.address_changed", "order.remark_changed", "order.refund_changed",
                     "order.lines_changed"})
Firing = RuleFiring
DRY_RUN_MAX_ORDERS = 2000


@dataclass(frozen=True)
class Loaded:
    rule: Rule
    compiled: Compiled
    actions: list[Any]


def rules_for(session: Session, trigger: str) -> list[Loaded]:
    """Enabled rules listening to `trigger`, compiled (cached by text), in run order. Rules on
    "order.updated" listen to every kind of change (address, remark, refund, lines)."""
    rules = session.scalars(select(Rule).where(Rule.enabled.is_(True))
                            .order_by(Rule.priority.desc(), Rule.id))
    listening = {trigger, UPDATED} if trigger in CHANGES else {trigger}
    loaded = []
    for rule in rules:
        if not listening & set(rule.triggers or []):
            continue
        try:
            loaded.append(Loaded(rule, compile_condition(rule.condition),
                                 act.parse_actions(rule.actions)))
        except Exception as exc:  # noqa: BLE001 — a rule saved by an older version: skip, say so
            log.error("rule %s (%s) cannot run: %s", rule.id, rule.name, exc)
    return loaded


def event_key_for(trigger: str, order: Order) -> str:
    return "once" if trigger in ONCE else f"v{order.version}"


def evaluate(session: Session, *, order: Order, trigger: str, actor: Actor,
             event_key: str | None = None) -> list[Firing]:
    """Run the rules for `trigger` on `order`; returns the firings this call recorded.

    `actor` is who caused the evaluation (kept on the firing event); each rule's actions act as
    Actor.rule(rule). Pass the triggering event's id as `event_key` when there is one, so two
    different changes of the same kind are two events; without it, once-in-a-life triggers are
    keyed "once" and the others by the order's version."""
    if trigger not in TRIGGERS:
        return []  # an event no rule can listen to (order.shipped, platform_status_ignored…)
    loaded = rules_for(session, trigger)
    if not loaded:
        return []
    key = (event_key or event_key_for(trigger, order))[:80]
    # Once-in-a-life triggers share their key: a rule listening to both order.created and
    # order.paid acts once per version on an order that arrives paid.
    same_event = RuleFiring.trigger.in_(ONCE) if key == "once" else RuleFiring.trigger == trigger
    done = {(r.rule_id, r.rule_version) for r in session.execute(
        select(RuleFiring.rule_id, RuleFiring.rule_version)
        .where(RuleFiring.order_id == order.id, same_event, RuleFiring.event_key == key))}
    todo = [item for item in loaded if (item.rule.id, item.rule.version) not in done]
    if not todo:
        return []
    wanted = frozenset().union(*(item.compiled.history_fields for item in todo))
    ctx = context.build(session, order, trigger=trigger, history_fields=wanted)
    firings = []
    for item in todo:
        try:
            matched = item.compiled.matches(ctx)
        except InvalidExpression as exc:
            log.warning("rule %s on order %s: %s", item.rule.id, order.order_no, exc.message)
            continue
        if matched:
            firing = _fire(session, item, order, ctx, trigger, key, actor)
            if firing is not None:
                firings.append(firing)
    return firings


def _fire(session: Session, item: Loaded, order: Order, ctx: context.RuleContext, trigger: str,
          key: str, actor: Actor) -> Firing | None:
    rule = item.rule
    firing = RuleFiring(rule_id=rule.id, rule_version=rule.version, order_id=order.id,
                        trigger=trigger, event_key=key, severity=rule.severity,
                        saw=seen(ctx, item.compiled.paths), did=[], at=clock.now())
    try:
        with session.begin_nested():
            session.add(firing)
    except IntegrityError:
        return None  # a concurrent evaluation of the same event recorded it first
    rule_actor = Actor.rule(rule.id, rule.name)
    firing.did = [act.apply(session, order=order, rule=rule, action=a, actor=rule_actor)
                  for a in item.actions]
    outbox.emit(session, "rule.fired", aggregate_type="order", aggregate_id=order.id,
                actor=rule_actor,
                payload={"order_no": order.order_no, "rule_id": rule.id, "rule": rule.name,
                         "reason": rule.name,
                         "version": rule.version, "trigger": trigger, "severity": rule.severity,
                         "did": firing.did, "caused_by": actor.as_dict()})
    session.flush()
    return firing


def seen(ctx: context.RuleContext, paths: tuple[str, ...]) -> dict[str, Any]:
    """The context values the condition referenced, as JSON."""
    out: dict[str, Any] = {}
    for path in paths:
        value: Any = ctx
        for part in path.split("."):
            if part == "length" and isinstance(value, (str, list, tuple)):
                value = len(value)
            elif isinstance(value, str) and part in ("is_empty",):
                value = not value
            elif is_dataclass(value) and hasattr(value, part):
                value = getattr(value, part)
            else:
                break  # a string method or similar: keep the value it applies to
        out[path] = _jsonable(value)
    return out


def _jsonable(value: Any) -> Any:
    if is_dataclass(value):
        return _jsonable(asdict(value))
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value[:50]]
    if isinstance(value, datetime):
        return value.isoformat()
    return value


# --- dry run ------------------------------------------------------------------------------


@dataclass
class DryRunMatch:
    order_no: str
    status: str
    created_at: datetime
    saw: dict[str, Any]
    would_do: list[dict[str, Any]]


@dataclass
class DryRun:
    checked: int
    matched: list[DryRunMatch]
    errors: int
    days: int


def dry_run(session: Session, *, condition: str, actions: list[Any], triggers: list[str],
            days: int = 7, limit: int = 500) -> DryRun:
    """Which of the last `days` days' orders (newest first, up to `limit`) the rule would match,
    and what it would do — changing nothing: nothing is applied, nothing is recorded."""
    if not 1 <= days <= 90:
        raise InvalidInput("days must be between 1 and 90", details={"field": "days"})
    if not 1 <= limit <= DRY_RUN_MAX_ORDERS:
        raise InvalidInput(f"limit must be between 1 and {DRY_RUN_MAX_ORDERS}",
                               details={"field": "limit"})
    compiled = compile_condition(condition)
    parsed = act.parse_actions(actions)
    check_triggers(triggers)
    trigger = triggers[0] if triggers else TRIGGERS[0]
    since = clock.now() - timedelta(days=days)
    orders = session.scalars(select(Order).options(selectinload(Order.lines))
                             .where(Order.created_at >= since).order_by(Order.id.desc()).limit(limit))
    result = DryRun(checked=0, matched=[], errors=0, days=days)
    for order in orders:
        result.checked += 1
        ctx = context.build(session, order, trigger=trigger, history_fields=compiled.history_fields)
        try:
            if not compiled.matches(ctx):
                continue
        except InvalidExpression:
            result.errors += 1
            continue
        result.matched.append(DryRunMatch(order_no=order.order_no, status=order.status,
                                          created_at=order.created_at,
                                          saw=seen(ctx, compiled.paths),
                                          would_do=[act.describe(a) for a in parsed]))
    return result


def firings_for(session: Session, order_id: int) -> list[RuleFiring]:
    return list(session.scalars(select(RuleFiring).where(RuleFiring.order_id == order_id)
                                .order_by(RuleFiring.id)))
