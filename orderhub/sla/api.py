"""/api/v1 routes of SLAs: deadline rules and the warning share, teams and people, an order's
current stage and deadline, reassignment, and the work queue in deadline order."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query
from fastapi.responses import JSONResponse

from orderhub.api.deps import requires
from orderhub.api.idempotency import Reply
from orderhub.api.openapi import WRITE_RESPONSES, api_router, json_body
from orderhub.api.writes import Write, writer
from orderhub.core.actor import Actor
from orderhub.core.db import unit_of_work
from orderhub.core.money import to_minor
from orderhub.orders.service import get_order
from orderhub.sla import people, policies, present, queries, service
from orderhub.sla.schemas import PersonIn, ReassignIn, RuleIn, SettingsIn, TeamIn

router = api_router("/sla", tags=["sla"])
order_router = api_router("/orders", tags=["sla"])
routers = (router, order_router)
OrderNo = Annotated[str, Path(max_length=80, description="Order number, or the platform order id")]


def _rule_fields(body: RuleIn) -> dict[str, object]:
    fields = body.model_dump()
    raw = fields.pop("min_total")
    fields["min_total"] = to_minor(raw, "CNY", field="min_total") if raw else None
    return fields


@router.get("/rules")
def list_rules(actor: Annotated[Actor, Depends(requires("sla.read"))]) -> JSONResponse:
    """Every rule, stage by stage in precedence order (presale, channel, vip, high_value,
    category, default: the first that matches an order wins), and the warning share."""
    with unit_of_work() as session:
        return JSONResponse({"items": [present.rule_dict(r) for r in
                                       policies.rules(session, active_only=False)],
                             "warn_share": policies.warn_share(session)})


@router.post("/rules", status_code=201, openapi_extra=json_body(RuleIn), responses=WRITE_RESPONSES)
def create_rule(write: Annotated[Write, Depends(writer("sla.manage"))]) -> JSONResponse:
    fields = _rule_fields(write.parse(RuleIn))
    with unit_of_work() as session:
        def run() -> Reply:
            rule = policies.save_rule(session, rule_id=None, actor=write.actor, **fields)
            return Reply(201, present.rule_dict(rule))
        return write.answer(session, run)


@router.put("/rules/{rule_id}", openapi_extra=json_body(RuleIn), responses=WRITE_RESPONSES)
def replace_rule(rule_id: int,
                 write: Annotated[Write, Depends(writer("sla.manage"))]) -> JSONResponse:
    fields = _rule_fields(write.parse(RuleIn))
    with unit_of_work() as session:
        def run() -> Reply:
            rule = policies.save_rule(session, rule_id=rule_id, actor=write.actor, **fields)
            return Reply(200, present.rule_dict(rule))
        return write.answer(session, run)


@router.delete("/rules/{rule_id}", responses=WRITE_RESPONSES)
def delete_rule(rule_id: int,
                write: Annotated[Write, Depends(writer("sla.manage"))]) -> JSONResponse:
    with unit_of_work() as session:
        def run() -> Reply:
            policies.delete_rule(session, rule_id=rule_id, actor=write.actor)
            return Reply(200, {"deleted": rule_id})
        return write.answer(session, run)


@router.put("/settings", openapi_extra=json_body(SettingsIn), responses=WRITE_RESPONSES)
def save_settings(write: Annotated[Write, Depends(writer("sla.manage"))]) -> JSONResponse:
    """warn_share: the share of a stage's time after which it warns (0.75 by default)."""
    body = write.parse(SettingsIn)
    with unit_of_work() as session:
        def run() -> Reply:
            policies.set_warn_share(session, share=body.warn_share, actor=write.actor)
            return Reply(200, {"warn_share": body.warn_share})
        return write.answer(session, run)


@router.get("/teams")
def list_teams(actor: Annotated[Actor, Depends(requires("sla.read"))]) -> JSONResponse:
    with unit_of_work() as session:
        return JSONResponse({"items": [present.team_dict(t) for t in people.all_teams(session)]})


@router.post("/teams", status_code=201, openapi_extra=json_body(TeamIn), responses=WRITE_RESPONSES)
def create_team(write: Annotated[Write, Depends(writer("sla.manage"))]) -> JSONResponse:
    body = write.parse(TeamIn)
    with unit_of_work() as session:
        def run() -> Reply:
            team = people.save_team(session, team_id=None, actor=write.actor, **body.model_dump())
            return Reply(201, present.team_dict(team))
        return write.answer(session, run)


@router.put("/teams/{team_id}", openapi_extra=json_body(TeamIn), responses=WRITE_RESPONSES)
def replace_team(team_id: int,
                 write: Annotated[Write, Depends(writer("sla.manage"))]) -> JSONResponse:
    body = write.parse(TeamIn)
    with unit_of_work() as session:
        def run() -> Reply:
            team = people.save_team(session, team_id=team_id, actor=write.actor,
                                    **body.model_dump())
            return Reply(200, present.team_dict(team))
        return write.answer(session, run)


@router.get("/people")
def list_people(actor: Annotated[Actor, Depends(requires("sla.read"))]) -> JSONResponse:
    with unit_of_work() as session:
        return JSONResponse({"items": [present.person_dict(p) for p in people.all_people(session)]})


@router.post("/people", status_code=201, openapi_extra=json_body(PersonIn),
             responses=WRITE_RESPONSES)
def create_person(write: Annotated[Write, Depends(writer("sla.manage"))]) -> JSONResponse:
    body = write.parse(PersonIn)
    with unit_of_work() as session:
        def run() -> Reply:
            person = people.save_person(session, person_id=None, actor=write.actor,
                                        **body.model_dump())
            return Reply(201, present.person_dict(person))
        return write.answer(session, run)


@router.put("/people/{person_id}", openapi_extra=json_body(PersonIn), responses=WRITE_RESPONSES)
def replace_person(person_id: int,
                   write: Annotated[Write, Depends(writer("sla.manage"))]) -> JSONResponse:
    body = write.parse(PersonIn)
    with unit_of_work() as session:
        def run() -> Reply:
            person = people.save_person(session, person_id=person_id, actor=write.actor,
                                        **body.model_dump())
            return Reply(200, present.person_dict(person))
        return write.answer(session, run)


@router.get("/queue")
def work_queue(actor: Annotated[Actor, Depends(requires("sla.read"))],
               stage: Annotated[str | None, Query(max_length=20)] = None,
               person_id: int | None = None,
               limit: Annotated[int, Query(ge=1, le=500)] = 100) -> JSONResponse:
    """Open stages, the nearest deadline first: what to work on next."""
    with unit_of_work() as session:
        entries = queries.work_queue(session, stage=stage, person_id=person_id, limit=limit)
        return JSONResponse({"items": [{"order_no": e.order.order_no, "status": e.order.status,
                                        **(present.sla_dict(e.sla) or {})} for e in entries]})


@order_router.get("/{order_no}/sla")
def order_sla(order_no: OrderNo,
              actor: Annotated[Actor, Depends(requires("orders.read"))]) -> JSONResponse:
    """The order's current stage, its deadline and seconds left (negative: late), the rule that
    set it and who answers for it; null before payment."""
    with unit_of_work() as session:
        order = get_order(session, order_no)
        return JSONResponse({"order_no": order.order_no,
                             "sla": present.sla_dict(service.sla_of(session, order.id))})


@order_router.post("/{order_no}/sla/reassign", openapi_extra=json_body(ReassignIn),
                   responses=WRITE_RESPONSES)
def reassign(order_no: OrderNo,
             write: Annotated[Write, Depends(writer("sla.assign"))]) -> JSONResponse:
    body = write.parse(ReassignIn)
    with unit_of_work() as session:
        def run() -> Reply:
            order = get_order(session, order_no)
            service.reassign(session, order_id=order.id, to_person_id=body.person_id,
                             actor=write.actor, reason=body.reason)
            return Reply(200, {"order_no": order.order_no,
                               "sla": present.sla_dict(service.sla_of(session, order.id))})
        return write.answer(session, run)
