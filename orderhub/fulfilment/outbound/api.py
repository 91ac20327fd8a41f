"""/api/v1 routes of the outbound scan: scan one code, and the recent scans."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.responses import JSONResponse

from orderhub.api.deps import requires
from orderhub.api.idempotency import Reply
from orderhub.api.openapi import WRITE_RESPONSES, api_router, json_body
from orderhub.api.writes import Write, writer
from orderhub.core.actor import Actor
from orderhub.core.db import unit_of_work
from orderhub.fulfilment.outbound import service
from orderhub.fulfilment.outbound.present import log_dict, result_dict
from orderhub.fulfilment.outbound.schemas import ScanIn
from orderhub.web.i18n import pick_locale

PERMISSION = "waybills.request"  # the warehouse that takes waybills also ships the parcels
router = api_router("/outbound", tags=["outbound"])
routers = (router,)


@router.post("/scan", openapi_extra=json_body(ScanIn), responses=WRITE_RESPONSES)
def scan(request: Request, write: Annotated[Write, Depends(writer(PERMISSION))]) -> JSONResponse:
    """Ship the parcel with this tracking number, order number or platform order id. A wrong
    scan is an answer too (200, `ok: false`, `kind` and `message`)."""
    body = write.parse(ScanIn)
    locale = pick_locale(request)
    with unit_of_work() as session:
        def run() -> Reply:
            result = service.scan(session, code=body.code, actor=write.actor, station=body.station)
            return Reply(200, result_dict(result, locale))
        return write.answer(session, run)


@router.get("/scans")
def recent(actor: Annotated[Actor, Depends(requires(PERMISSION))],
           limit: Annotated[int, Query(ge=1, le=500)] = 20,
           station: Annotated[str | None, Query(max_length=60)] = None) -> JSONResponse:
    """The newest scans first, of one station when given."""
    with unit_of_work() as session:
        rows = service.recent_scans(session, station=station, limit=limit)
        return JSONResponse({"items": [log_dict(r) for r in rows]})
