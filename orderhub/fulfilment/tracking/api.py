"""/api/v1/tracking: an order's parcels and scans, "refresh now" (Kuaidi100 query), the Kuaidi100
account, and the push callback Kuaidi100 calls (authenticated by its signature, not a key)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import Depends, Path, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from orderhub.api.body import read_body
from orderhub.api.deps import requires
from orderhub.api.idempotency import Reply
from orderhub.api.openapi import WRITE_RESPONSES, api_router, json_body
from orderhub.api.writes import Write, writer
from orderhub.core.actor import Actor
from orderhub.core.db import get_engine, unit_of_work
from orderhub.core.errors import InvalidInput
from orderhub.fulfilment.tracking import push, service
from orderhub.fulfilment.tracking.kuaidi100 import PUSH_REPLY
from orderhub.fulfilment.tracking.present import applied_dict, tracking_dict
from orderhub.orders.service import get_order

router = api_router("/tracking", tags=["tracking"])
routers = (router,)

OrderNo = Annotated[str, Path(max_length=80, description="Order number or platform order id")]


class Kuaidi100In(BaseModel):
    base_url: str = Field(max_length=300, examples=["https://poll.kuaidi100.com"])
    customer: str = Field(min_length=1, max_length=120)
    key: str = Field(min_length=1, max_length=200)


class RefreshIn(BaseModel):
    pass


@router.get("/orders/{order_no}")
def order_tracking(order_no: OrderNo,
                   actor: Annotated[Actor, Depends(requires("tracking.read"))]) -> JSONResponse:
    """The order's parcels and their scans, newest scan first."""
    with unit_of_work() as session:
        order = get_order(session, order_no)
        return JSONResponse(tracking_dict(
            order.order_no, service.order_shipments(session, order_id=order.id),
            service.order_tracking(session, order_id=order.id)))


@router.post("/orders/{order_no}/refresh", openapi_extra=json_body(RefreshIn),
             responses=WRITE_RESPONSES)
def refresh(order_no: OrderNo,
            write: Annotated[Write, Depends(writer("tracking.manage"))]) -> JSONResponse:
    """Query Kuaidi100 now for the order's undelivered parcels (when a push went missing)."""
    write.parse(RefreshIn)
    with unit_of_work() as session:
        def run() -> Reply:
            return Reply(200, {"items": [applied_dict(a) for a in
                                         service.refresh(session, order_no=order_no)]})
        return write.answer(session, run)


@router.put("/kuaidi100", openapi_extra=json_body(Kuaidi100In), responses=WRITE_RESPONSES)
def configure(write: Annotated[Write, Depends(writer("tracking.manage"))]) -> JSONResponse:
    """Set the Kuaidi100 account (the key is stored encrypted and never shown again)."""
    body = write.parse(Kuaidi100In)
    with unit_of_work() as session:
        def run() -> Reply:
            account = service.configure_kuaidi100(session, actor=write.actor, **body.model_dump())
            return Reply(200, {"base_url": account.base_url, "customer": account.customer,
                               "key_set": True})
        return write.answer(session, run)


@router.post("/kuaidi100/callback", responses={401: {"description": "Sign does not match"}})
async def kuaidi100_callback(request: Request) -> JSONResponse:
    """Kuaidi100's push: form `param` (JSON) and `sign` = UPPER(MD5(param + salt)). No API key:
    the parcel's salt is the authentication. Answers Kuaidi100's success reply."""
    body = await read_body(request)
    if body.too_large is not None:
        raise body.too_large
    form = _form(body.data)
    await run_in_threadpool(push.receive_push, get_engine(), param=form.get("param", ""),
                            sign=form.get("sign", ""), raw=body.data,
                            content_type=body.content_type)
    return JSONResponse(PUSH_REPLY)


def _form(data: bytes) -> dict[str, Any]:
    try:
        fields = parse_qs(data.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError as exc:
        raise InvalidInput("the push is not UTF-8 form data") from exc
    return {name: values[0] for name, values in fields.items()}
