"""Tasks ("待办"): work a rule's create_task action (or a person) gives to a user or a role.

Anyone sees the tasks assigned to them or to their role; supervisors and admins (tasks.manage)
see any role's. Closing needs a note, is audited and announced as `task.closed`. Closing is
allowed to the assignee, to a member of the task's role, and to tasks.manage.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from orderhub.core import audit, clock, outbox
from orderhub.core.actor import Actor
from orderhub.core.auth import ROLES, can
from orderhub.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from orderhub.orders.models import Order
from orderhub.rules.models import Rule, Task

STATUSES = ("open", "done")
NOTE_MAX = 2000
LIMIT_MAX = 200


class TaskNotOpen(Conflict):
    code = "task_not_open"


@dataclass(frozen=True)
class TaskRow:
    task: Task
    order_no: str | None
    rule_name: str | None


def _may_manage(actor: Actor) -> bool:
    return can(actor.role or "", "tasks.manage")


def list_tasks(session: Session, *, actor: Actor, status: str | None = "open",
               role: str | None = None, limit: int = 50, before_id: int | None = None
               ) -> list[TaskRow]:
    """Newest first. Without `role`: the actor's tasks (assigned to them or to their role).
    With `role`: that role's tasks — one's own role, or any role with tasks.manage."""
    if status is not None and status not in STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(STATUSES)}",
                           details={"field": "status", "allowed": list(STATUSES)})
    if not 1 <= limit <= LIMIT_MAX:
        raise InvalidInput(f"limit must be between 1 and {LIMIT_MAX}", details={"field": "limit"})
    if role is not None:
        if role not in ROLES:
            raise InvalidInput(f"unknown role {role!r}", details={"field": "role",
                                                                  "allowed": list(ROLES)})
        if role != actor.role and not _may_manage(actor):
            raise PermissionDenied(f"role {actor.role!r} may not see the tasks of {role!r}",
                                   details={"permission": "tasks.manage", "role": actor.role})
        who = Task.role == role
    else:
        mine = [Task.assignee == actor.name] if actor.kind == "user" else []
        who = or_(Task.role == actor.role, *mine)
    stmt = (select(Task, Order.order_no, Rule.name)
            .outerjoin(Order, Order.id == Task.order_id).outerjoin(Rule, Rule.id == Task.rule_id)
            .where(who).order_by(Task.id.desc()).limit(limit))
    if status is not None:
        stmt = stmt.where(Task.status == status)
    if before_id is not None:
        stmt = stmt.where(Task.id < before_id)
    return [TaskRow(task, order_no, rule_name) for task, order_no, rule_name in session.execute(stmt)]


def may_close(actor: Actor, task: Task) -> bool:
    return (_may_manage(actor) or (task.role is not None and task.role == actor.role)
            or (actor.kind == "user" and task.assignee == actor.name))


def close_task(session: Session, *, task_id: int, note: str, actor: Actor) -> TaskRow:
    note = (note or "").strip()
    if not note:
        raise InvalidInput("write a note saying what was done", details={"field": "note"})
    if len(note) > NOTE_MAX:
        raise InvalidInput(f"the note is longer than {NOTE_MAX} characters",
                           details={"field": "note"})
    task = session.scalar(select(Task).where(Task.id == task_id).with_for_update())
    if task is None:
        raise NotFound(f"no task {task_id}", details={"task_id": task_id})
    if not may_close(actor, task):
        raise PermissionDenied("this task is for another person or role",
                               details={"permission": "tasks.manage", "role": actor.role})
    if task.status != "open":
        raise TaskNotOpen(f"task {task_id} is already {task.status}",
                          details={"task_id": task_id, "status": task.status})
    task.status, task.done_at, task.done_by, task.note = "done", clock.now(), actor.name, note
    audit.record(session, actor=actor, entity_type="task", entity_id=task.id, action="task.closed",
                 before={"status": "open"}, after={"status": "done", "note": note})
    order_no = (session.scalar(select(Order.order_no).where(Order.id == task.order_id))
                if task.order_id is not None else None)
    outbox.emit(session, "task.closed", aggregate_type="order" if task.order_id else "task",
                aggregate_id=task.order_id or task.id, actor=actor,
                payload={"task_id": task.id, "order_no": order_no, "title": task.title,
                         "role": task.role, "user": task.assignee, "note": note})
    session.flush()
    rule = session.get(Rule, task.rule_id) if task.rule_id is not None else None
    return TaskRow(task, order_no, rule.name if rule else None)


def task_dict(row: TaskRow) -> dict:
    t = row.task
    return {"id": t.id, "title": t.title, "status": t.status, "role": t.role, "user": t.assignee,
            "order_no": row.order_no, "rule_id": t.rule_id, "rule": row.rule_name,
            "created_at": t.created_at.isoformat(),
            "done_at": t.done_at.isoformat() if t.done_at else None, "done_by": t.done_by,
            "note": t.note}
