"""/api/v1/orders/{order_no}/address: change an order's receiver address; and its history.

Who may: the roles that may cancel an order (admin, ops, cs, supervisor) — an address change
is the same kind of decision about an order nobody has shipped yet. After the change window
only admin and supervisor (policy.OVERRIDE_ROLES); the use case decides that.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path
from fastapi.responses import JSONResponse

from orderhub.api.deps import requires
from orderhub.api.idempotency import Reply
from orderhub.api.openapi import WRITE_RESPONSES, api_router, json_body
from orderhub.api.writes import Write, writer
from orderhub.core.actor import Actor
from orderhub.core.db import unit_of_work
from orderhub.fulfilment.changes import service
from orderhub.fulfilment.changes.policy import CHANGE_PERMISSION
from orderhub.fulfilment.changes.present import allowance_dict, change_dict
from orderhub.fulfilment.changes.schemas import AddressChangeIn
from orderhub.orders.service import get_order

router = api_router("/orders", tags=["address changes"])
routers = (router,)

OrderNo = Annotated[str, Path(max_length=80, description="Order number, or the platform order id")]


@router.post("/{order_no}/address", status_code=201, openapi_extra=json_body(AddressChangeIn),
             responses=WRITE_RESPONSES)
def change_address(order_no: OrderNo,
                   write: Annotated[Write, Depends(writer(CHANGE_PERMISSION))]) -> JSONResponse:
    """Change the receiver address. Inside the window (15 minutes after creation) anyone who may
    edit orders; afterwards admin and supervisor (an override). An order whose waybill was taken
    has it voided at the carrier and goes back to `allocated` to be printed again; if the carrier
    refuses the void, nothing changes (409 with the carrier's reason). Shipped orders: 409."""
    body = write.parse(AddressChangeIn)
    with unit_of_work() as session:
        def run() -> Reply:
            change = service.change_address(
                session, order_no=order_no, address=body.address.model_dump(), actor=write.actor,
                reason=body.reason,
                compensation=body.compensation.model_dump() if body.compensation else None)
            return Reply(201, change_dict(change, role=write.actor.role or ""))
        return write.answer(session, run)


@router.get("/{order_no}/address-changes")
def address_changes(order_no: OrderNo,
                    actor: Annotated[Actor, Depends(requires("orders.read"))]) -> JSONResponse:
    """The order's address changes, newest first, and whether the caller may change it now."""
    with unit_of_work() as session:
        order = get_order(session, order_no)
        return JSONResponse({"order_no": order.order_no,
                             "now": allowance_dict(service.allowance_for(session, order, actor=actor)),
                             "items": [change_dict(c, role=actor.role or "") for c in service.history(session, order_no=order_no)]})
