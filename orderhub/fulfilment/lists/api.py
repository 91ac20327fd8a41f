"""/api/v1/lists: the pick and shipping lists as PDF or XLSX, the WMS export, and the WMS import
(multipart field `file`) with its row errors.

Lists are read with carriers.read, like waybills; the import ships orders, so it needs the
warehouse permission that takes waybills (waybills.request).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import Depends, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from orderhub.api.deps import requires
from orderhub.api.idempotency import Reply
from orderhub.api.openapi import WRITE_RESPONSES, api_router
from orderhub.api.writes import Write, writer
from orderhub.core.actor import Actor
from orderhub.core.db import unit_of_work
from orderhub.core.errors import InvalidInput
from orderhub.fulfilment.lists import render, wms
from orderhub.fulfilment.lists.models import WmsImport

router = api_router("/lists", tags=["lists"])
routers = (router,)
READ, IMPORT = "carriers.read", "waybills.request"
PDF, XLSX = render.PDF, render.XLSX

Reader = Annotated[Actor, Depends(requires(READ))]
Warehouse = Annotated[str | None, Query(max_length=40, description="Warehouse code; all when absent")]
Status = Annotated[Literal["allocated", "label_printed", "both"], Query()]
UPLOAD_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"],
    "properties": {"file": {"type": "string", "format": "binary",
                            "description": "The sheet from wms-export.xlsx with shipped_* filled in"}}}}}}}


def _file(content: bytes, media: str, filename: str) -> Response:
    return Response(content, media_type=media,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _list_route(kind: str) -> Callable[..., Response]:
    def route(actor: Reader, warehouse: Warehouse = None, status: Status = "both") -> Response:
        with unit_of_work() as session:
            content, media = render.document(kind, session, warehouse=warehouse or None, status=status)
        name, fmt = kind.split(".")
        return _file(content, media, f"{name}-{warehouse or 'all'}.{fmt}")
    route.__name__ = kind.replace(".", "_")
    route.__doc__ = f"The {kind.split('.')[0]} list as {kind.split('.')[1].upper()}, soonest ship deadline first."
    return route


for _kind in render.KINDS:
    router.add_api_route(f"/{_kind}", _list_route(_kind), methods=["GET"],
                         responses={200: {"content": {PDF if _kind.endswith("pdf") else XLSX: {}}}})


@router.get("/wms-export.xlsx", responses={200: {"content": {XLSX: {}}}})
def wms_export(actor: Reader, warehouse: Warehouse = None) -> Response:
    """Every to-ship order line; the WMS fills shipped_carrier, shipped_tracking_no, shipped_at."""
    with unit_of_work() as session:
        content = wms.export_xlsx(session, warehouse=warehouse or None)
    return _file(content, XLSX, f"wms-export-{warehouse or 'all'}.xlsx")


def import_dict(record: WmsImport) -> dict[str, Any]:
    return {"id": record.id, "file_name": record.file_name, "rows": record.row_count,
            "shipped": record.shipped, "already_shipped": record.already_shipped,
            "skipped_rows": record.skipped_rows, "bad_rows": record.bad_rows,
            "created_by": record.created_by, "created_at": record.created_at.isoformat(),
            "errors": [{"row": e.row, "order_no": e.order_no, "reason": e.reason}
                       for e in wms.errors(record)],
            "outcomes": [{"row": r["row"], "order_no": r["order_no"], "status": r["status"]}
                         for r in record.rows]}


@router.post("/wms-import", status_code=201, openapi_extra=UPLOAD_BODY, responses=WRITE_RESPONSES)
async def wms_import(request: Request, write: Annotated[Write, Depends(writer(IMPORT))]) -> JSONResponse:
    """Ship the orders whose rows carry a tracking number; 201 with each bad row and its reason.
    A file that is not the WMS sheet (not XLSX, a required column missing) is refused whole (422)."""
    form = await request.form()
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise InvalidInput("send the sheet as multipart/form-data field 'file'", details={"field": "file"})
    data, filename = await upload.read(), upload.filename

    def run() -> JSONResponse:
        with unit_of_work() as session:
            def imported() -> Reply:
                record = wms.import_xlsx(session, data=data, filename=filename, actor=write.actor)
                return Reply(201, import_dict(record))
            return write.answer(session, imported)
    return await run_in_threadpool(run)


@router.get("/wms-imports/{import_id}")
def get_wms_import(actor: Annotated[Actor, Depends(requires(IMPORT))],
                   import_id: Annotated[int, Path(ge=1)]) -> JSONResponse:
    """One import: counts, each row's outcome and the bad rows with their reasons."""
    with unit_of_work() as session:
        return JSONResponse(import_dict(wms.get_import(session, import_id)))
