"""/api/v1/orders: receive, search, look up, cancel, hold and release orders.

Handlers parse, call one use case inside the unit of work and render before it commits.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import Depends, Path, Query
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from orderhub import pipeline
from orderhub.api import metrics
from orderhub.api.body import quarantined_on_refusal
from orderhub.api.deps import requires
from orderhub.api.idempotency import REPLAYED_HEADER, Reply
from orderhub.api.openapi import WRITE_RESPONSES, api_router, json_body
from orderhub.api.schemas import CancelIn, HoldIn, ResolveIn
from orderhub.api.writes import Write, writer
from orderhub.core import clock
from orderhub.core.actor import Actor
from orderhub.core.db import unit_of_work
from orderhub.core.settings import get_settings
from orderhub.orders import holds, present, queries, service
from orderhub.orders.lifecycle import STATES
from orderhub.orders.models import CHANNELS, Hold, Order
from orderhub.orders.schemas import OrderIn

router = api_router("/orders", tags=["orders"])

OrderNo = Annotated[str, Path(max_length=80, description="Order number, or the platform order id")]
Status = Literal[STATES]  # type: ignore[valid-type]
Channel = Literal[CHANNELS]  # type: ignore[valid-type]


@router.post("", status_code=201, openapi_extra=json_body(OrderIn), responses={
    **WRITE_RESPONSES, 200: {"description": "Already known: the order was updated in place"}})
def receive_order(write: Annotated[Write, Depends(writer("orders.create"))]) -> JSONResponse:
    """Receive an order in the own-store JSON (SPEC §1): 201 when new, 200 when the same shop and
    platform order id came before (the order is updated and its changes become events).
    Refused input is quarantined; the answer's details carry its `quarantine_id`."""
    source = f"api:{write.actor.kind}:{write.actor.name}"
    with quarantined_on_refusal(write.body, source=source):
        data, raw = write.parse(OrderIn), write.body.document
        with unit_of_work() as session:
            response = write.answer(session, lambda: _received(session, data, raw, write.actor))
    if REPLAYED_HEADER not in response.headers:  # counted after the commit, and only once
        metrics.count_order_received(created=response.status_code == 201)
    return response


@router.get("")
def search_orders(
    actor: Annotated[Actor, Depends(requires("orders.read"))],
    status: Status | None = None,
    channel: Channel | None = None,
    shop: Annotated[str | None, Query(max_length=80)] = None,
    order_no: Annotated[str | None, Query(max_length=20)] = None,
    platform_order_id: Annotated[str | None, Query(max_length=80)] = None,
    phone_tail: Annotated[str | None, Query(pattern=r"^\d{4}$")] = None,
    created_from: Annotated[datetime | None, Query(description="Inclusive; no zone = seller's")] = None,
    created_to: Annotated[datetime | None, Query(description="Exclusive; no zone = seller's")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> JSONResponse:
    """Orders, newest first, one page at a time: pass `next_cursor` back as `cursor`."""
    zone = get_settings().timezone
    flt = queries.OrderFilter(
        status=status, channel=channel, shop=shop, order_no=order_no,
        platform_order_id=platform_order_id, phone_tail=phone_tail,
        created_from=clock.to_utc(created_from, zone) if created_from else None,
        created_to=clock.to_utc(created_to, zone) if created_to else None)
    with unit_of_work() as session:
        page = queries.search_orders(session, flt, cursor=cursor, limit=limit)
        return JSONResponse({"items": [present.order_summary(o, role=_role(actor))
                                       for o in page.items],
                             "next_cursor": page.next_cursor})


@router.get("/{order_no}")
def get_order(order_no: OrderNo,
              actor: Annotated[Actor, Depends(requires("orders.read"))]) -> JSONResponse:
    """One order with its lines, holds, event timeline and audit trail."""
    with unit_of_work() as session:
        return JSONResponse(_detail(session, service.get_order(session, order_no), actor))


@router.post("/{order_no}/cancel", openapi_extra=json_body(CancelIn), responses=WRITE_RESPONSES)
def cancel_order(order_no: OrderNo,
                 write: Annotated[Write, Depends(writer("orders.cancel"))]) -> JSONResponse:
    """Cancel an order; refused with 409 `illegal_transition` once it has shipped or closed."""
    body = write.parse(CancelIn)
    with unit_of_work() as session:
        def cancel() -> Reply:
            order = service.cancel_order(session, order_no=order_no, actor=write.actor,
                                         reason=body.reason)
            return Reply(200, _detail(session, order, write.actor))
        return write.answer(session, cancel)


@router.post("/{order_no}/holds", status_code=201, openapi_extra=json_body(HoldIn),
             responses=WRITE_RESPONSES)
def add_hold(order_no: OrderNo,
             write: Annotated[Write, Depends(writer("holds.manage"))]) -> JSONResponse:
    """Stop an order with a hold; it stays on hold while any hold is open."""
    body = write.parse(HoldIn)
    with unit_of_work() as session:
        def hold() -> Reply:
            added = holds.add_hold(session, order_no=order_no, reason_code=body.reason_code,
                                   reason=body.reason, actor=write.actor)
            return Reply(201, _hold_view(added, write.actor))
        return write.answer(session, hold)


@router.post("/{order_no}/holds/{hold_id}/resolve", openapi_extra=json_body(ResolveIn),
             responses=WRITE_RESPONSES)
def resolve_hold(order_no: OrderNo, hold_id: int,
                 write: Annotated[Write, Depends(writer("holds.manage"))]) -> JSONResponse:
    """Resolve a hold; after the last one the order goes back to where it was held from."""
    body = write.parse(ResolveIn)
    with unit_of_work() as session:
        def resolve() -> Reply:
            resolved = holds.resolve_hold(session, order_no=order_no, hold_id=hold_id,
                                          resolution=body.resolution, actor=write.actor)
            return Reply(200, _hold_view(resolved, write.actor))
        return write.answer(session, resolve)


def _received(session: Session, data: OrderIn, raw: Any, actor: Actor) -> Reply:
    received = pipeline.receive(session, data=data, raw=raw, source="api", actor=actor)
    body = _detail(session, received.order, actor) | {"changes": received.changes,
                                                       "stale": received.stale}
    return Reply(201 if received.created else 200, body)


def _detail(session: Session, order: Order, actor: Actor) -> dict[str, Any]:
    return present.order_detail(order, queries.order_events(session, order),
                                queries.order_audit(session, order), role=_role(actor))


def _hold_view(hold: Hold, actor: Actor) -> dict[str, Any]:
    return {"hold": present.hold_dict(hold),
            "order": present.order_summary(hold.order, role=_role(actor))}


def _role(actor: Actor) -> str:
    return actor.role or ""
