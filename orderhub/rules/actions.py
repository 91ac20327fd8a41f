"""What a matching rule does to an order. Actions are data (JSON in the rule), validated on save.

Each `apply` returns a small dict saying what it did (or why it did nothing), recorded on the
firing. Applying is idempotent per rule: an open hold or pending approval the rule raised before
is not raised again, a tag is not added twice.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationError,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

from orderhub.core import audit, clock, outbox
from orderhub.core.actor import Actor
from orderhub.core.auth import ROLES
from orderhub.core.errors import InvalidInput
from orderhub.orders import holds
from orderhub.orders import lifecycle as lc
from orderhub.orders.models import Order
from orderhub.rules import approvals
from orderhub.rules.models import Rule, Task

Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
Role = Literal[ROLES]  # type: ignore[valid-type]


class _Action(BaseModel):
    model_config = ConfigDict(extra="forbid")


class HoldAction(_Action):
    type: Literal["hold"]
    reason_code: Code
    reason: Text = ""


class ApprovalAction(_Action):
    type: Literal["require_approval"]
    role: Role = "supervisor"
    reason: Text = ""
    on_reject: Literal["cancel", "return_to_cs"] = "cancel"


class TagAction(_Action):
    type: Literal["tag"]
    tag: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]


class PriorityAction(_Action):
    type: Literal["set_priority"]
    priority: Annotated[int, Field(ge=-1000, le=1000)]


class ShipDeadlineAction(_Action):
    type: Literal["set_ship_deadline"]
    hours: Annotated[float, Field(gt=0, le=24 * 60)]  # after payment (or creation if unpaid)


class WarehouseAction(_Action):
    type: Literal["choose_warehouse"]
    warehouse: Code


class CarrierAction(_Action):
    type: Literal["choose_carrier"]
    carrier: Code


class NotifyAction(_Action):
    type: Literal["notify"]
    message: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
    role: Role = "cs"
    severity: Literal["info", "warning", "critical"] | None = None  # default: the rule's


class TaskAction(_Action):
    type: Literal["create_task"]
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
    role: Role | None = None
    user: Annotated[str, StringConstraints(strip_whitespace=True, max_length=80)] | None = None


Action = Annotated[HoldAction | ApprovalAction | TagAction | PriorityAction | ShipDeadlineAction
                   | WarehouseAction | CarrierAction | NotifyAction | TaskAction,
                   Field(discriminator="type")]
_ACTIONS = TypeAdapter(list[Action])
TYPES = ("hold", "require_approval", "tag", "set_priority", "set_ship_deadline",
         "choose_warehouse", "choose_carrier", "notify", "create_task")


def parse_actions(raw: Any) -> list[Any]:
    """The rule's actions, checked; refused with the first problem's place and message."""
    if not isinstance(raw, list) or not raw:
        raise InvalidInput("a rule needs at least one action", details={"field": "actions"})
    try:
        parsed = _ACTIONS.validate_python(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = "actions" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in first["loc"])
        raise InvalidInput(f"{where}: {first['msg']}",
                           details={"field": where, "allowed_types": list(TYPES)}) from None
    for action in parsed:
        if isinstance(action, TaskAction) and not (action.role or action.user):
            raise InvalidInput("create_task needs a role or a user", details={"field": "actions"})
    return parsed


def dump(actions: list[Any]) -> list[dict[str, Any]]:
    return [a.model_dump(exclude_none=True) for a in actions]


def apply(session: Session, *, order: Order, rule: Rule, action: Any, actor: Actor) -> dict[str, Any]:
    handler = _HANDLERS[type(action)]
    return {"type": action.type, **handler(session, order, rule, action, actor)}


def _hold(session: Session, order: Order, rule: Rule, a: HoldAction, actor: Actor) -> dict:
    if any(h.status == "open" and h.reason_code == a.reason_code and h.raised_by_kind == "rule"
           and h.raised_by == actor.name for h in order.holds):
        return {"reason_code": a.reason_code, "skipped": "already_open"}
    if order.status != lc.ON_HOLD and order.status not in lc.HOLDABLE:
        return {"reason_code": a.reason_code, "skipped": f"not_holdable:{order.status}"}
    hold = holds.add_hold(session, order_no=order.order_no, reason_code=a.reason_code,
                          reason=a.reason or rule.name, actor=actor)
    return {"reason_code": a.reason_code, "hold_id": hold.id}


def _approval(session: Session, order: Order, rule: Rule, a: ApprovalAction, actor: Actor) -> dict:
    approval = approvals.request_approval(session, order=order, role=a.role,
                                          reason=a.reason or rule.name, on_reject=a.on_reject,
                                          rule_id=rule.id, actor=actor)
    if approval is None:
        return {"role": a.role, "skipped": "already_pending_or_not_holdable"}
    return {"role": a.role, "approval_id": approval.id, "hold_id": approval.hold_id}


def _change(session: Session, order: Order, actor: Actor, field: str, before: Any, after: Any) -> None:
    audit.record(session, actor=actor, entity_type="order", entity_id=order.order_no,
                 action="order.rule_changed", before={field: before}, after={field: after})
    order.updated_at = clock.now()


def _tag(session: Session, order: Order, rule: Rule, a: TagAction, actor: Actor) -> dict:
    tags = list(order.tags or [])
    if a.tag in tags:
        return {"tag": a.tag, "skipped": "already_tagged"}
    order.tags = [*tags, a.tag]
    _change(session, order, actor, "tags", tags, order.tags)
    return {"tag": a.tag}


def _priority(session: Session, order: Order, rule: Rule, a: PriorityAction, actor: Actor) -> dict:
    before = order.priority
    if before == a.priority:
        return {"priority": a.priority, "skipped": "unchanged"}
    order.priority = a.priority
    _change(session, order, actor, "priority", before, a.priority)
    return {"priority": a.priority}


def _attribute(session: Session, order: Order, actor: Actor, key: str, value: str) -> dict:
    attrs = dict(order.attributes or {})
    before = attrs.get(key)
    if before == value:
        return {key: value, "skipped": "unchanged"}
    attrs[key] = value
    order.attributes = attrs  # a new dict, so the JSON column is seen as changed
    _change(session, order, actor, f"attributes.{key}", before, value)
    return {key: value}


def _deadline(session: Session, order: Order, rule: Rule, a: ShipDeadlineAction, actor: Actor) -> dict:
    base = order.paid_at or order.created_at
    ship_by = (base + timedelta(hours=a.hours)).astimezone(clock.now().tzinfo)
    return _attribute(session, order, actor, "ship_by", ship_by.isoformat())


def _warehouse(session: Session, order: Order, rule: Rule, a: WarehouseAction, actor: Actor) -> dict:
    return _attribute(session, order, actor, "warehouse", a.warehouse)


def _carrier(session: Session, order: Order, rule: Rule, a: CarrierAction, actor: Actor) -> dict:
    return _attribute(session, order, actor, "carrier", a.carrier)


def _notify(session: Session, order: Order, rule: Rule, a: NotifyAction, actor: Actor) -> dict:
    severity = a.severity or rule.severity
    event = outbox.emit(session, "alert.requested", aggregate_type="order", aggregate_id=order.id,
                        actor=actor, payload={"order_no": order.order_no, "severity": severity,
                                              "message": a.message, "role": a.role,
                                              "rule_id": rule.id, "rule": rule.name})
    session.flush()
    return {"severity": severity, "role": a.role, "event_id": event.id}


def _task(session: Session, order: Order, rule: Rule, a: TaskAction, actor: Actor) -> dict:
    if any(t for t in open_tasks(session, order.id, rule.id) if t.title == a.title):
        return {"title": a.title, "skipped": "already_open"}
    task = Task(order_id=order.id, rule_id=rule.id, title=a.title, role=a.role, assignee=a.user,
                status="open", created_at=clock.now())
    session.add(task)
    session.flush()
    outbox.emit(session, "task.created", aggregate_type="order", aggregate_id=order.id, actor=actor,
                payload={"order_no": order.order_no, "task_id": task.id, "title": a.title,
                         "role": a.role, "user": a.user})
    return {"task_id": task.id, "role": a.role, "user": a.user}


def open_tasks(session: Session, order_id: int, rule_id: int) -> list[Task]:
    return list(session.scalars(select(Task).where(Task.order_id == order_id,
                                                   Task.rule_id == rule_id, Task.status == "open")))


_HANDLERS = {HoldAction: _hold, ApprovalAction: _approval, TagAction: _tag,
             PriorityAction: _priority, ShipDeadlineAction: _deadline,
             WarehouseAction: _warehouse, CarrierAction: _carrier, NotifyAction: _notify,
             TaskAction: _task}


def describe(action: Any) -> dict[str, Any]:
    """What the action would do, for a dry run."""
    return action.model_dump(exclude_none=True)
