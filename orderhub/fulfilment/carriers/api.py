"""/api/v1 routes of carriers: the carrier list, carrier accounts, carrier rules, an order's
waybill, taking waybills for orders and voiding one."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path
from fastapi.responses import JSONResponse

from orderhub.api.deps import requires
from orderhub.api.idempotency import Reply
from orderhub.api.openapi import WRITE_RESPONSES, api_router, json_body
from orderhub.api.writes import Write, writer
from orderhub.channels.base import CARRIERS
from orderhub.core.actor import Actor
from orderhub.core.db import get_engine, unit_of_work
from orderhub.fulfilment.carriers import accounts, rules, service
from orderhub.fulfilment.carriers.present import report_dict, wait_dict, waybill_dict
from orderhub.fulfilment.carriers.schemas import (
    AccountIn,
    AccountPatch,
    RuleIn,
    RulePatch,
    WaybillsIn,
)
from orderhub.orders.service import get_order

router = api_router("/carriers", tags=["carriers"])
routers = (router,)

Reader = Annotated[Actor, Depends(requires("carriers.read"))]
Id = Annotated[int, Path(ge=1)]
OrderNo = Annotated[str, Path(max_length=80, description="Order number, or the platform order id")]


@router.get("")
def list_carriers(actor: Reader) -> JSONResponse:
    """The carriers OrderHub knows, the e-waybill source each platform requires, and accounts."""
    with unit_of_work() as session:
        rows = [accounts.account_dict(a) for a in accounts.list_accounts(session)]
    return JSONResponse({"carriers": [{"code": c, "name": n} for c, n in CARRIERS.items()],
                         "platform_sources": accounts.PLATFORM_SOURCES, "accounts": rows})


@router.get("/accounts")
def list_accounts(actor: Reader) -> JSONResponse:
    with unit_of_work() as session:
        return JSONResponse({"items": [accounts.account_dict(a) for a in accounts.list_accounts(session)]})


@router.post("/accounts", status_code=201, openapi_extra=json_body(AccountIn), responses=WRITE_RESPONSES)
def create_account(write: Annotated[Write, Depends(writer("carriers.manage"))]) -> JSONResponse:
    body = write.parse(AccountIn)
    with unit_of_work() as session:
        def run() -> Reply:
            account = accounts.create_account(session, actor=write.actor, **body.model_dump())
            return Reply(201, accounts.account_dict(account))
        return write.answer(session, run)


@router.patch("/accounts/{account_id}", openapi_extra=json_body(AccountPatch), responses=WRITE_RESPONSES)
def update_account(account_id: Id, write: Annotated[Write, Depends(writer("carriers.manage"))]) -> JSONResponse:
    body = write.parse(AccountPatch)
    with unit_of_work() as session:
        def run() -> Reply:
            account = accounts.update_account(session, account_id=account_id, actor=write.actor,
                                              **body.model_dump(exclude_none=True))
            return Reply(200, accounts.account_dict(account))
        return write.answer(session, run)


@router.get("/rules")
def list_rules(actor: Reader) -> JSONResponse:
    """Carrier rules in the order they are tried (lower priority number first, default last)."""
    with unit_of_work() as session:
        return JSONResponse({"items": [rules.rule_dict(r) for r in rules.list_rules(session)]})


@router.post("/rules", status_code=201, openapi_extra=json_body(RuleIn), responses=WRITE_RESPONSES)
def create_rule(write: Annotated[Write, Depends(writer("carriers.manage"))]) -> JSONResponse:
    body = write.parse(RuleIn)
    with unit_of_work() as session:
        def run() -> Reply:
            return Reply(201, rules.rule_dict(rules.create_rule(session, actor=write.actor, **body.model_dump())))
        return write.answer(session, run)


@router.patch("/rules/{rule_id}", openapi_extra=json_body(RulePatch), responses=WRITE_RESPONSES)
def update_rule(rule_id: Id, write: Annotated[Write, Depends(writer("carriers.manage"))]) -> JSONResponse:
    body = write.parse(RulePatch)
    with unit_of_work() as session:
        def run() -> Reply:
            rule = rules.update_rule(session, rule_id=rule_id, actor=write.actor,
                                     **body.model_dump(exclude_unset=True))
            return Reply(200, rules.rule_dict(rule))
        return write.answer(session, run)


@router.delete("/rules/{rule_id}", responses=WRITE_RESPONSES)
def delete_rule(rule_id: Id, write: Annotated[Write, Depends(writer("carriers.manage"))]) -> JSONResponse:
    with unit_of_work() as session:
        def run() -> Reply:
            rules.delete_rule(session, rule_id=rule_id, actor=write.actor)
            return Reply(200, {"deleted": rule_id})
        return write.answer(session, run)


@router.get("/orders/{order_no}/waybill")
def order_waybill(order_no: OrderNo, actor: Reader) -> JSONResponse:
    """The order's current waybill, earlier (voided) ones, why it waits, and the carrier the
    rules would choose now."""
    with unit_of_work() as session:
        order = get_order(session, order_no)
        current = service.current_waybill(session, order.id)
        wait = service.waiting(session, order.id)
        choice = rules.choose_carrier(session, order)
        return JSONResponse({
            "order_no": order.order_no, "waybill": waybill_dict(current) if current else None,
            "history": [waybill_dict(w) for w in service.waybill_history(session, order.id)],
            "waiting": wait_dict(wait) if wait else None,
            "choice": {"carrier": choice.carrier, "account_id": choice.account.id if choice.account else None,
                       "rule": choice.rule, "reason": choice.reason}})


@router.post("/waybills", openapi_extra=json_body(WaybillsIn), responses=WRITE_RESPONSES)
def request_waybills(write: Annotated[Write, Depends(writer("waybills.request"))]) -> JSONResponse:
    """Waybills for these orders, from the carriers at once. Not replayed by Idempotency-Key:
    asking again is harmless, orders that have a waybill keep it."""
    body = write.parse(WaybillsIn)
    with unit_of_work() as session:
        orders = [get_order(session, no) for no in body.order_nos]
        numbers = {order.id: order.order_no for order in orders}
    report = service.request_waybills(get_engine(), order_ids=list(numbers))
    return JSONResponse(report_dict(report, numbers))


@router.post("/orders/{order_no}/waybill/void", responses=WRITE_RESPONSES)
def void_waybill(order_no: OrderNo, write: Annotated[Write, Depends(writer("waybills.request"))]) -> JSONResponse:
    with unit_of_work() as session:
        def run() -> Reply:
            order = get_order(session, order_no)
            return Reply(200, waybill_dict(service.void_waybill(session, order_id=order.id)))
        return write.answer(session, run)
