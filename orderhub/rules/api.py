"""/api/v1/rules, /api/v1/approvals, /api/v1/exceptions, /api/v1/tasks: rules CRUD with
validation and dry run, approval decisions, the exception queue, and tasks (list, close). Handlers parse, call one use case inside the
unit of work and render before it commits."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Depends, Query
from fastapi.responses import JSONResponse

from orderhub.api.deps import requires
from orderhub.api.idempotency import Reply
from orderhub.api.openapi import WRITE_RESPONSES, api_router, json_body
from orderhub.api.writes import Write, writer
from orderhub.core.actor import Actor
from orderhub.core.db import unit_of_work
from orderhub.core.errors import InvalidInput
from orderhub.orders.models import Order
from orderhub.rules import approvals, editing, exceptions, expressions, present, service, todo
from orderhub.rules.schemas import (
    BulkResolveIn,
    CloseTaskIn,
    DecisionIn,
    DryRunIn,
    EnableIn,
    RuleIn,
    ValidateIn,
)

router = api_router("/rules", tags=["rules"])
approvals_router = api_router("/approvals", tags=["approvals"])
queue_router = api_router("/exceptions", tags=["exceptions"])
tasks_router = api_router("/tasks", tags=["tasks"])
routers = (router, approvals_router, queue_router, tasks_router)
Text80 = Annotated[str | None, Query(max_length=80)]


@router.get("")
def list_rules(actor: Annotated[Actor, Depends(requires("rules.read"))]) -> JSONResponse:
    """Every rule, in the order they run (higher priority first)."""
    with unit_of_work() as session:
        return JSONResponse({"items": [present.rule_dict(r) for r in editing.list_rules(session)],
                             "triggers": list(editing.TRIGGERS)})


@router.post("", status_code=201, openapi_extra=json_body(RuleIn), responses=WRITE_RESPONSES)
def create_rule(write: Annotated[Write, Depends(writer("rules.manage"))]) -> JSONResponse:
    """Save a new rule. A bad condition is refused (422 `invalid_expression`) with `details`
    position/line/column."""
    body = write.parse(RuleIn)
    with unit_of_work() as session:
        return write.answer(session, lambda: Reply(201, present.rule_dict(
            editing.create_rule(session, data=body, actor=write.actor))))


@router.post("/validate", openapi_extra=json_body(ValidateIn), responses=WRITE_RESPONSES)
def validate(write: Annotated[Write, Depends(writer("rules.read"))]) -> JSONResponse:
    """Check a condition without saving: `{"valid": true, "paths"}` or the message and position."""
    body = write.parse(ValidateIn)
    return JSONResponse(expressions.validate(body.condition))


@router.post("/dry-run", openapi_extra=json_body(DryRunIn), responses=WRITE_RESPONSES)
def dry_run(write: Annotated[Write, Depends(writer("rules.manage"))]) -> JSONResponse:
    """Run a saved rule (`rule_id`) or a draft against the last `days` days of orders: which
    would match and what the rule would do. Nothing is changed."""
    body = write.parse(DryRunIn)
    with unit_of_work() as session:
        if body.rule_id is not None:
            rule = editing.get_rule(session, body.rule_id)
            condition, actions, triggers = rule.condition, rule.actions, rule.triggers
        elif body.condition and body.actions:
            condition, actions, triggers = body.condition, body.actions, body.triggers or []
        else:
            raise InvalidInput("give rule_id, or condition and actions",
                               details={"field": "rule_id"})
        result = service.dry_run(session, condition=condition, actions=actions,
                                 triggers=triggers, days=body.days, limit=body.limit)
        return JSONResponse(present.dry_run_dict(result))


@router.get("/{rule_id}")
def get_rule(rule_id: int, actor: Annotated[Actor, Depends(requires("rules.read"))]) -> JSONResponse:
    """One rule with all its versions (newest first)."""
    with unit_of_work() as session:
        rule = editing.get_rule(session, rule_id)
        return JSONResponse(present.rule_dict(rule) | {
            "versions": [present.version_dict(v) for v in editing.versions(session, rule_id)]})


@router.put("/{rule_id}", openapi_extra=json_body(RuleIn), responses=WRITE_RESPONSES)
def update_rule(rule_id: int, write: Annotated[Write, Depends(writer("rules.manage"))]) -> JSONResponse:
    """Save a rule again: a new version (the old one is kept), audited."""
    body = write.parse(RuleIn)
    with unit_of_work() as session:
        return write.answer(session, lambda: Reply(200, present.rule_dict(
            editing.update_rule(session, rule_id=rule_id, data=body, actor=write.actor))))


@router.post("/{rule_id}/enabled", openapi_extra=json_body(EnableIn), responses=WRITE_RESPONSES)
def set_enabled(rule_id: int, write: Annotated[Write, Depends(writer("rules.manage"))]) -> JSONResponse:
    """Switch a rule on or off (a new version)."""
    body = write.parse(EnableIn)
    with unit_of_work() as session:
        return write.answer(session, lambda: Reply(200, present.rule_dict(
            editing.set_enabled(session, rule_id=rule_id, enabled=body.enabled, actor=write.actor))))


@approvals_router.get("")
def list_approvals(actor: Annotated[Actor, Depends(requires("orders.read"))],
                   status: Literal["pending", "approved", "rejected"] = "pending",
                   role: Text80 = None,
                   limit: Annotated[int, Query(ge=1, le=200)] = 50,
                   before_id: int | None = None) -> JSONResponse:
    """Approvals, newest first; pass the last id as `before_id` for the next page."""
    with unit_of_work() as session:
        rows = approvals.list_approvals(session, status=status, role=role, limit=limit,
                                        before_id=before_id)
        return JSONResponse({"items": [present.approval_dict(r) for r in rows]})


@approvals_router.post("/{approval_id}/decide", openapi_extra=json_body(DecisionIn),
                       responses=WRITE_RESPONSES)
def decide(approval_id: int,
           write: Annotated[Write, Depends(writer("approvals.decide"))]) -> JSONResponse:
    """Approve (the order goes on once no hold is left) or reject (with a comment: the order is
    cancelled or returned to customer service, as the rule said)."""
    body = write.parse(DecisionIn)
    with unit_of_work() as session:
        def run() -> Reply:
            approval = approvals.decide(session, approval_id=approval_id,
                                        approve=body.decision == "approve", comment=body.comment,
                                        actor=write.actor)
            order = session.get(Order, approval.order_id)
            return Reply(200, present.approval_dict(approvals.ApprovalRow(approval, order)))
        return write.answer(session, run)


@queue_router.get("")
def queue(actor: Annotated[Actor, Depends(requires("orders.read"))],
          reason_code: Text80 = None, channel: Text80 = None, shop: Text80 = None,
          raised_by_kind: Literal["rule", "user", "api_key", "system"] | None = None,
          limit: Annotated[int, Query(ge=1, le=500)] = 100,
          before_id: int | None = None) -> JSONResponse:
    """Open holds grouped by reason with counts, and the holds themselves (newest first)."""
    flt = exceptions.QueueFilter(reason_code=reason_code, channel=channel, shop=shop,
                                 raised_by_kind=raised_by_kind)
    with unit_of_work() as session:
        groups = exceptions.groups(session, flt)
        rows = exceptions.open_holds(session, flt, limit=limit, before_id=before_id)
        return JSONResponse({"groups": [{"reason_code": c, "count": n} for c, n in groups],
                             "items": [present.queue_row_dict(r) for r in rows]})


@queue_router.post("/resolve", openapi_extra=json_body(BulkResolveIn), responses=WRITE_RESPONSES)
def bulk_resolve(write: Annotated[Write, Depends(writer("holds.manage"))]) -> JSONResponse:
    """Resolve many holds at once; holds already resolved or unknown are listed as skipped."""
    body = write.parse(BulkResolveIn)
    with unit_of_work() as session:
        def run() -> Reply:
            result = exceptions.bulk_resolve(session, hold_ids=body.hold_ids,
                                             resolution=body.resolution, actor=write.actor)
            return Reply(200, {"resolved": result.resolved,
                               "skipped": {str(k): v for k, v in result.skipped.items()}})
        return write.answer(session, run)


@tasks_router.get("")
def list_tasks(actor: Annotated[Actor, Depends(requires("tasks.read"))],
               status: Literal["open", "done", "all"] = "open",
               role: Annotated[str | None, Query(max_length=20)] = None,
               limit: Annotated[int, Query(ge=1, le=200)] = 50,
               before_id: int | None = None) -> JSONResponse:
    """Tasks newest first: without `role`, yours (assigned to you or to your role); with
    `role`, that role's (another role's needs tasks.manage). `before_id` pages on."""
    with unit_of_work() as session:
        rows = todo.list_tasks(session, actor=actor, status=None if status == "all" else status,
                               role=role, limit=limit, before_id=before_id)
        return JSONResponse({"items": [todo.task_dict(r) for r in rows]})


@tasks_router.post("/{task_id}/close", openapi_extra=json_body(CloseTaskIn),
                   responses=WRITE_RESPONSES)
def close_task(task_id: int, write: Annotated[Write, Depends(writer("tasks.read"))]) -> JSONResponse:
    """Close a task with a note (audited, event `task.closed`). Allowed to its assignee, to its
    role, and to tasks.manage; a task already closed answers 409 `task_not_open`."""
    body = write.parse(CloseTaskIn)
    with unit_of_work() as session:
        def run() -> Reply:
            row = todo.close_task(session, task_id=task_id, note=body.note, actor=write.actor)
            return Reply(200, todo.task_dict(row))
        return write.answer(session, run)
