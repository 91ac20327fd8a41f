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

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, make_transient_to_detached, selectinload

from orderhub.core import clock, outbox
from orderhub.core.actor import Actor
from orderhub.core.errors import InvalidInput
from orderhub.orders.models import Order
from orderhub.rules import actions as act
from orderhub.rules import context, lookup, ruleset
from orderhub.rules.editing import TRIGGERS, check_triggers
from orderhub.rules.expressions import InvalidExpression, compile_condition, match_all
from orderhub.rules.models import Rule, RuleFiring, RuleVersion

log = logging.getLogger("orderhub.rules")
# Triggers that happen once in an order's life: one firing per rule version, whatever the key.
ONCE = frozenset({"order.created", "order.paid", "order.unpaid_timeout"})
Firing = RuleFiring
Loaded = ruleset.Loaded
DRY_RUN_MAX_ORDERS = 2000
_FIRINGS = RuleFiring.__table__
_DONE = (select(RuleFiring.rule_id, RuleFiring.rule_version)
         .where(RuleFiring.order_id == bindparam("order_id"),
                RuleFiring.event_key == bindparam("key"),
                RuleFiring.trigger.in_(bindparam("triggers", expanding=True))))
_SET_DID = update(_FIRINGS).where(_FIRINGS.c.id == bindparam("firing_id")).values(did=bindparam("did"))
_RECORD: dict[str, Any] = {}  # per dialect: INSERT ... ON CONFLICT DO NOTHING RETURNING id


def rules_for(session: Session, trigger: str) -> list[Loaded]:
    """Enabled rules listening to `trigger`, compiled, in run order (see ruleset.py)."""
    return list(ruleset.current(session)[0].for_trigger(trigger))


def event_key_for(trigger: str, order: Order) -> str:
    return "once" if trigger in ONCE else f"v{order.version}"


def evaluate(session: Session, *, order: Order, trigger: str, actor: Actor,
             event_key: str | None = None) -> list[Firing]:
    """Run the rules for `trigger` on `order`; returns the firings this call recorded.

    `actor` is who caused the evaluation (kept on the firing event); each rule's actions act as
    Actor.rule(rule). Pass the triggering event's id as `event_key` when there is one, so two
    different changes of the same kind are two events; without it, once-in-a-life triggers are
    keyed "once" and the others by the order's version.

    Every condition is evaluated against one context; only when some match are the firings
    already recorded for this event looked up (conditions have no side effects, so this is the
    same as skipping the done rules first), so an order no rule matches writes nothing."""
    if trigger not in TRIGGERS:
        return []  # an event no rule can listen to (order.shipped, platform_status_ignored…)
    loaded, ctx = _context(session, order, trigger)
    matched = []
    for item, result in zip(loaded, match_all([item.compiled for item in loaded], ctx),
                            strict=True):
        if isinstance(result, InvalidExpression):
            log.warning("rule %s on order %s: %s", item.rule.id, order.order_no, result.message)
        elif result:
            matched.append(item)
    if not matched:
        return []
    key = (event_key or event_key_for(trigger, order))[:80]
    # Once-in-a-life triggers share their key: a rule listening to both order.created and
    # order.paid acts once per version on an order that arrives paid.
    same_event = sorted(ONCE) if key == "once" else [trigger]
    done = {tuple(row) for row in session.connection().execute(
        _DONE, {"order_id": order.id, "key": key, "triggers": same_event})}
    dids: list[dict[str, Any]] = []  # what each firing did, written in one batch at the end
    firings = [firing for item in matched if (item.rule.id, item.rule.version) not in done
               for firing in [_fire(session, item, order, ctx, trigger, key, actor, dids)]
               if firing is not None]
    if dids:
        session.connection().execute(_SET_DID, dids)
    if firings:
        session.flush()
    return firings


def _context(session: Session, order: Order,
             trigger: str) -> tuple[tuple[Loaded, ...], context.RuleContext | None]:
    """The current rules for `trigger` and the order's context, read in one statement.

    The history that statement reads is what the rule set this process last ran references; the
    stamp read with it says which rule set is current. When that is another set (a rule saved
    since), the history it needs beyond the guess costs a second statement — never a stale
    rule, never a missing field."""
    session.flush()  # the statements run on the connection, past the ORM's autoflush
    guess = ruleset.latest(session)
    guessed = guess.for_trigger(trigger) if guess is not None else ()
    parts = guess.history_parts(trigger) if guessed else lookup.NO_PARTS
    found = lookup.fetch(session, order, stamp=True, skus=bool(guessed), parts=parts)
    current = ruleset.for_stamp(session, found.stamp)
    loaded = current.for_trigger(trigger)
    if not loaded:
        return (), None
    missing = current.history_parts(trigger) - parts
    if missing or found.skus is None:
        more = lookup.fetch(session, order, skus=found.skus is None, parts=missing)
        found.skus = found.skus if more.skus is None else more.skus
        found.history = found.history | more.history
    return loaded, context.assemble(order, trigger=trigger, skus=found.skus,
                                    past=found.history, areas=ruleset.areas_of(found.areas),
                                    shop=found.shop_name)


def _record(session: Session, values: dict[str, Any]) -> int | None:
    """Insert the firing unless this event's firing exists (a concurrent evaluation recorded it
    first: the unique key makes this statement wait for it, then do nothing). The id, or None."""
    dialect = session.get_bind().dialect.name
    if dialect not in _RECORD:
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        _RECORD[dialect] = (insert(_FIRINGS).on_conflict_do_nothing()
                            .returning(_FIRINGS.c.id))
    return session.connection().execute(_RECORD[dialect], values).scalar()


def _fire(session: Session, item: Loaded, order: Order, ctx: context.RuleContext, trigger: str,
          key: str, actor: Actor, dids: list[dict[str, Any]]) -> Firing | None:
    """Record the firing, apply the actions; what they did is appended to `dids` for the
    caller's one UPDATE (the row is written before the actions run: see _record)."""
    rule = item.rule
    values = {"rule_id": rule.id, "rule_version": rule.version, "order_id": order.id,
              "trigger": trigger, "event_key": key, "severity": rule.severity,
              "saw": seen(ctx, item.compiled.paths), "did": [], "at": clock.now()}
    firing_id = _record(session, values)
    if firing_id is None:
        return None
    rule_actor = Actor.rule(rule.id, rule.name)
    did = [act.apply(session, order=order, rule=rule, action=a, actor=rule_actor)
           for a in item.actions]
    dids.append({"firing_id": firing_id, "did": did})
    outbox.emit(session, "rule.fired", aggregate_type="order", aggregate_id=order.id,
                actor=rule_actor,
                payload={"order_no": order.order_no, "rule_id": rule.id, "rule": rule.name,
                         "reason": rule.name,
                         "version": rule.version, "trigger": trigger, "severity": rule.severity,
                         "did": did, "caused_by": actor.as_dict()})
    # The row exists already: put it in the session as loaded (no second INSERT, no SELECT).
    firing = RuleFiring(id=firing_id, **(values | {"did": did}))
    make_transient_to_detached(firing)
    return session.merge(firing, load=False)


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


def firings_of_order(session: Session, order_id: int) -> list[tuple[RuleFiring, str]]:
    """The order's firings, oldest first, each with its rule's name (as of that version)."""
    rows = session.execute(select(RuleFiring, RuleVersion.snapshot["name"].as_string(), Rule.name)
                           .join(Rule, Rule.id == RuleFiring.rule_id)
                           .outerjoin(RuleVersion, (RuleVersion.rule_id == RuleFiring.rule_id)
                                      & (RuleVersion.version == RuleFiring.rule_version))
                           .where(RuleFiring.order_id == order_id).order_by(RuleFiring.id))
    return [(firing, then or now) for firing, then, now in rows]
