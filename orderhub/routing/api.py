"""/api/v1 routes of routing: an order's routing decision, a person's pick, region rules,
routing settings, the manual routing queue and the backorder queue."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Path, Query
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from orderhub.api.deps import requires
from orderhub.api.idempotency import Reply
from orderhub.api.openapi import WRITE_RESPONSES, api_router, json_body
from orderhub.api.writes import Write, writer
from orderhub.core.actor import Actor
from orderhub.core.db import unit_of_work
from orderhub.orders.models import Order
from orderhub.orders.service import get_order
from orderhub.routing import config, decisions, present, queue, regions, service
from orderhub.routing.schemas import (
    AssignIn,
    RegionRuleIn,
    RegionRulePatch,
    RetryIn,
    SettingsPatch,
)

order_router = api_router("/orders", tags=["routing"])
router = api_router("/routing", tags=["routing"])
routers = (order_router, router)

OrderNo = Annotated[str, Path(max_length=80, description="Order number, or the platform order id")]
Limit = Annotated[int, Query(ge=1, le=500)]


def routing_view(session: Session, order: Order) -> dict[str, Any]:
    history = decisions.history(session, order.id)
    entry = queue.entry_for(session, order.id)
    manual = decisions.open_manual(session, order.id)
    return {"order_no": order.order_no, "status": order.status,
            "current": present.decision_dict(history[0]) if history else None,
            "history": [present.decision_dict(d) for d in history[1:]],
            "backorder": present.backorder_dict(entry, order) if entry else None,
            "manual": present.manual_dict(manual, order) if manual else None,
            "promised_date": (order.attributes or {}).get("promised_date")}


@order_router.get("/{order_no}/routing")
def order_routing(order_no: OrderNo,
                  actor: Annotated[Actor, Depends(requires("orders.read"))]) -> JSONResponse:
    """The warehouse chosen for the order, every candidate's factor scores and total, the
    earlier decisions, and its place in the backorder or manual queue if any."""
    with unit_of_work() as session:
        return JSONResponse(routing_view(session, get_order(session, order_no)))


@order_router.post("/{order_no}/routing/assign", openapi_extra=json_body(AssignIn),
                   responses=WRITE_RESPONSES)
def assign(order_no: OrderNo,
           write: Annotated[Write, Depends(writer("routing.assign"))]) -> JSONResponse:
    """A person picks the warehouse: the order is reserved there whole (409 `warehouse_short`
    with the shortfall otherwise) and allocated."""
    body = write.parse(AssignIn)
    with unit_of_work() as session:
        def run() -> Reply:
            service.assign(session, order_no=order_no, warehouse_code=body.warehouse,
                           actor=write.actor)
            return Reply(200, routing_view(session, get_order(session, order_no)))
        return write.answer(session, run)


@order_router.post("/{order_no}/routing/retry", openapi_extra=json_body(RetryIn),
                   responses=WRITE_RESPONSES)
def retry(order_no: OrderNo,
          write: Annotated[Write, Depends(writer("routing.assign"))]) -> JSONResponse:
    """Route the order again now (after fixing its address or SKU mapping, or new stock)."""
    write.parse(RetryIn)
    with unit_of_work() as session:
        def run() -> Reply:
            result = service.reroute(session, order_no=order_no, actor=write.actor)
            return Reply(200, {"outcome": result.outcome, "warehouse": result.warehouse,
                               **routing_view(session, get_order(session, order_no))})
        return write.answer(session, run)


@router.get("/region-rules")
def list_region_rules(actor: Annotated[Actor, Depends(requires("orders.read"))]) -> JSONResponse:
    """Region rules in the order they are tried (lower priority number first)."""
    with unit_of_work() as session:
        return JSONResponse({"items": [present.rule_dict(r) for r in regions.list_rules(session)]})


@router.post("/region-rules", status_code=201, openapi_extra=json_body(RegionRuleIn),
             responses=WRITE_RESPONSES)
def create_region_rule(write: Annotated[Write, Depends(writer("routing.manage"))]) -> JSONResponse:
    body = write.parse(RegionRuleIn)
    with unit_of_work() as session:
        def run() -> Reply:
            rule = regions.create_rule(session, actor=write.actor, **body.model_dump())
            return Reply(201, present.rule_dict(rule))
        return write.answer(session, run)


@router.patch("/region-rules/{rule_id}", openapi_extra=json_body(RegionRulePatch),
              responses=WRITE_RESPONSES)
def update_region_rule(rule_id: int,
                       write: Annotated[Write, Depends(writer("routing.manage"))]) -> JSONResponse:
    body = write.parse(RegionRulePatch)
    with unit_of_work() as session:
        def run() -> Reply:
            rule = regions.update_rule(session, actor=write.actor, rule_id=rule_id,
                                       **body.model_dump(exclude_none=True))
            return Reply(200, present.rule_dict(rule))
        return write.answer(session, run)


@router.delete("/region-rules/{rule_id}", responses=WRITE_RESPONSES)
def delete_region_rule(rule_id: int,
                       write: Annotated[Write, Depends(writer("routing.manage"))]) -> JSONResponse:
    with unit_of_work() as session:
        def run() -> Reply:
            regions.delete_rule(session, actor=write.actor, rule_id=rule_id)
            return Reply(200, {"deleted": rule_id})
        return write.answer(session, run)


@router.get("/settings")
def get_settings(actor: Annotated[Actor, Depends(requires("orders.read"))]) -> JSONResponse:
    with unit_of_work() as session:
        return JSONResponse(config.load_config(session).as_dict())


@router.patch("/settings", openapi_extra=json_body(SettingsPatch), responses=WRITE_RESPONSES)
def update_settings(write: Annotated[Write, Depends(writer("routing.manage"))]) -> JSONResponse:
    """Change the score weights (summing to 1), whether orders may be split, transfer days."""
    body = write.parse(SettingsPatch)
    with unit_of_work() as session:
        def run() -> Reply:
            changed = config.update_config(session, actor=write.actor, **body.model_dump())
            return Reply(200, changed.as_dict())
        return write.answer(session, run)


@router.get("/manual-queue")
def manual_queue(actor: Annotated[Actor, Depends(requires("orders.read"))],
                 limit: Limit = 200) -> JSONResponse:
    """Orders the router could not decide, oldest first, waiting for a person."""
    with unit_of_work() as session:
        rows = decisions.manual_queue(session, limit=limit)
        return JSONResponse({"items": [present.manual_dict(e, o) for e, o in rows]})


@router.get("/backorders")
def backorders(actor: Annotated[Actor, Depends(requires("orders.read"))],
               sku: Annotated[str | None, Query(max_length=120)] = None,
               limit: Limit = 200) -> JSONResponse:
    """Orders waiting for stock in the order they will be served: VIP first, then paid time."""
    with unit_of_work() as session:
        rows = queue.waiting(session, sku=sku, limit=limit)
        return JSONResponse({"items": [present.backorder_dict(e, o, position=i)
                                       for i, (e, o) in enumerate(rows, start=1)]})
