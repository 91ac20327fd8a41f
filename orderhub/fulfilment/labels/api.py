"""/api/v1/labels: print a batch of labels, read a batch, download its PDF."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path
from fastapi.responses import JSONResponse, Response

from orderhub.api.deps import requires
from orderhub.api.openapi import WRITE_RESPONSES, api_router, json_body
from orderhub.api.writes import Write, writer
from orderhub.core.actor import Actor
from orderhub.core.db import get_engine, unit_of_work
from orderhub.fulfilment.labels import service
from orderhub.fulfilment.labels.present import batch_dict
from orderhub.fulfilment.labels.schemas import PrintIn

router = api_router("/labels", tags=["labels"])
routers = (router,)

Reader = Annotated[Actor, Depends(requires("labels.read"))]
BatchId = Annotated[int, Path(ge=1)]


@router.post("/print", openapi_extra=json_body(PrintIn), responses=WRITE_RESPONSES)
def print_labels(write: Annotated[Write, Depends(writer("labels.print"))]) -> JSONResponse:
    """Waybills and labels for the orders given, or for a warehouse's allocated orders due
    before a time. Not replayed by Idempotency-Key: printing again is a reprint of the same
    waybills, recorded as a new batch."""
    body = write.parse(PrintIn)
    result = service.print_labels(get_engine(), actor=write.actor, order_nos=body.order_nos,
                                  warehouse=body.warehouse, due_before=body.due_before, limit=body.limit)
    with unit_of_work() as session:
        return JSONResponse(batch_dict(service.get_batch(session, result.batch_id)))


# Before /batches/{batch_id}: that route would otherwise take "7.pdf" as an id and refuse it.
@router.get("/batches/{batch_id}.pdf", response_class=Response,
            responses={200: {"content": {"application/pdf": {}}}})
def batch_pdf(batch_id: BatchId, actor: Reader) -> Response:
    """The batch's labels (100×180 mm pages), rendered again from its stored waybills."""
    with unit_of_work() as session:
        pdf = service.batch_pdf(session, batch_id)
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="labels-{batch_id}.pdf"'})


@router.get("/batches/{batch_id}")
def get_batch(batch_id: BatchId, actor: Reader) -> JSONResponse:
    with unit_of_work() as session:
        return JSONResponse(batch_dict(service.get_batch(session, batch_id)))
