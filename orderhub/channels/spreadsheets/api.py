"""/api/v1/imports: import templates, preview and import of a spreadsheet (multipart upload,
field `file`, plus `template`), batches, their rows, and correcting and retrying bad rows.

Rows hold receivers' phones and addresses as typed, so they are for the roles that import
(orders.create); batch counts and templates are readable by everyone who reads orders.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Depends, Path, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from orderhub.api.body import quarantined_on_refusal
from orderhub.api.deps import requires
from orderhub.api.idempotency import Reply
from orderhub.api.openapi import WRITE_RESPONSES, api_router, json_body
from orderhub.api.writes import Write, writer
from orderhub.channels.spreadsheets import service, templates
from orderhub.channels.spreadsheets.models import ImportBatch, ImportRow, ImportTemplate
from orderhub.channels.spreadsheets.schemas import FixIn, TemplateIn
from orderhub.core.actor import Actor
from orderhub.core.db import unit_of_work
from orderhub.core.errors import InvalidInput

router = api_router("/imports", tags=["imports"])
routers = (router,)
READ, WRITE = "orders.read", "orders.create"
SOURCE = "api:spreadsheet"
TemplateName = Annotated[str, Path(max_length=80)]
UPLOAD_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file", "template"],
    "properties": {"file": {"type": "string", "format": "binary",
                            "description": "XLSX, or CSV in UTF-8 / UTF-8 with BOM / GBK"},
                   "template": {"type": "string", "description": "Import template name"}}}}}}}


def template_dict(tpl: ImportTemplate) -> dict[str, Any]:
    return {"name": tpl.name, "shop": tpl.shop, "mapping": tpl.mapping, "options": tpl.options,
            "updated_at": tpl.updated_at.isoformat(), "updated_by": tpl.updated_by}


def batch_dict(batch: ImportBatch) -> dict[str, Any]:
    return {"id": batch.id, "file_name": batch.file_name, "encoding": batch.encoding,
            "template": batch.template, "shop": batch.shop, "rows": batch.rows,
            "orders_created": batch.orders_created, "orders_updated": batch.orders_updated,
            "bad_rows": batch.bad_rows, "created_by": batch.created_by,
            "created_at": batch.created_at.isoformat()}


def row_dict(row: ImportRow) -> dict[str, Any]:
    return {"row": row.row_number, "order_id": row.order_key, "status": row.status,
            "error": row.error, "order_no": row.order_no, "values": row.raw}


async def _upload(request: Request, *, needs_template: bool = True) -> tuple[bytes, str, str]:
    """The file and template name of a multipart upload (the body was read by `writer`)."""
    form = await request.form()
    upload, template = form.get("file"), str(form.get("template", "")).strip()
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise InvalidInput("send the spreadsheet as multipart/form-data field 'file'",
                           details={"field": "file"})
    if needs_template and not template:
        raise InvalidInput("name the import template in the form field 'template'",
                           details={"field": "template"})
    return await upload.read(), upload.filename, template


@router.get("/templates")
def list_templates(actor: Annotated[Actor, Depends(requires(READ))]) -> JSONResponse:
    """Saved column mappings, by name."""
    with unit_of_work() as session:
        return JSONResponse({"items": [template_dict(t) for t in templates.list_templates(session)]})


@router.get("/templates/{name}")
def get_template(actor: Annotated[Actor, Depends(requires(READ))], name: TemplateName) -> JSONResponse:
    with unit_of_work() as session:
        return JSONResponse(template_dict(templates.get_template(session, name)))


@router.post("/templates", openapi_extra=json_body(TemplateIn), responses=WRITE_RESPONSES)
def save_template(write: Annotated[Write, Depends(writer(WRITE))]) -> JSONResponse:
    """Create a template (201) or replace the one with this name (200)."""
    body = write.parse(TemplateIn)
    with unit_of_work() as session:
        def run() -> Reply:
            tpl, created = templates.save_template(
                session, name=body.name, shop=body.shop, mapping=body.mapping,
                options=dict(body.options), actor=write.actor)
            return Reply(201 if created else 200, template_dict(tpl))
        return write.answer(session, run)


@router.delete("/templates/{name}", responses=WRITE_RESPONSES)
def delete_template(write: Annotated[Write, Depends(writer(WRITE))],
                    name: TemplateName) -> JSONResponse:
    with unit_of_work() as session:
        def run() -> Reply:
            templates.delete_template(session, name=name, actor=write.actor)
            return Reply(200, {"deleted": name})
        return write.answer(session, run)


@router.post("/suggest", openapi_extra=UPLOAD_BODY, responses=WRITE_RESPONSES)
async def suggest(request: Request, write: Annotated[Write, Depends(writer(WRITE))]) -> JSONResponse:
    """The file's headers and the mapping we would suggest for them (writes nothing)."""
    data, filename, _ = await _upload(request, needs_template=False)
    found = templates.suggest(data=data, filename=filename)
    return JSONResponse({"file_name": found.file_name, "encoding": found.encoding,
                         "headers": found.headers, "mapping": found.mapping,
                         "sample": found.sample})


@router.post("/preview", openapi_extra=UPLOAD_BODY, responses=WRITE_RESPONSES)
async def preview(request: Request, write: Annotated[Write, Depends(writer(WRITE))],
                  limit: Annotated[int, Query(ge=1, le=200)] = 20) -> JSONResponse:
    """The first orders as they would be imported and every row's error; writes nothing."""
    data, filename, template = await _upload(request)

    def run() -> JSONResponse:
        with unit_of_work() as session:
            result = service.preview(session, data=data, filename=filename, template=template,
                                     limit=limit)
        return JSONResponse({
            "file_name": result.file_name, "encoding": result.encoding, "rows": result.rows,
            "orders": result.orders, "bad_rows": len(result.errors),
            "orders_shown": result.orders_shown,
            "errors": [{"row": e.row, "order_id": e.order_id, "reason": e.reason}
                       for e in result.errors]})
    return await run_in_threadpool(run)


@router.post("", status_code=201, openapi_extra=UPLOAD_BODY, responses=WRITE_RESPONSES)
async def import_orders(request: Request,
                        write: Annotated[Write, Depends(writer(WRITE))]) -> JSONResponse:
    """Import the good orders, keep the bad rows (201 with the batch and its bad rows). A file
    refused whole (unreadable, a mapped column missing) is quarantined."""
    data, filename, template = await _upload(request)

    def run() -> JSONResponse:
        service.prepare()
        with quarantined_on_refusal(write.body, source=SOURCE), unit_of_work() as session:
            def imported() -> Reply:
                batch = service.import_file(session, data=data, filename=filename,
                                            template=template, actor=write.actor)
                bad = service.batch_rows(session, batch.id, status="bad")
                return Reply(201, {**batch_dict(batch), "errors": [row_dict(r) for r in bad]})
            return write.answer(session, imported)
    return await run_in_threadpool(run)


@router.get("/batches")
def list_batches(actor: Annotated[Actor, Depends(requires(READ))],
                 limit: Annotated[int, Query(ge=1, le=500)] = 50) -> JSONResponse:
    """Newest first: file, template, who, when and the counts."""
    with unit_of_work() as session:
        return JSONResponse({"items": [batch_dict(b) for b in service.list_batches(session, limit=limit)]})


@router.get("/batches/{batch_id}")
def get_batch(actor: Annotated[Actor, Depends(requires(READ))], batch_id: int) -> JSONResponse:
    with unit_of_work() as session:
        return JSONResponse(batch_dict(service.get_batch(session, batch_id)))


@router.get("/batches/{batch_id}/rows")
def batch_rows(actor: Annotated[Actor, Depends(requires(WRITE))], batch_id: int,
               status: Literal["bad", "fixed", "imported", "pending"] | None = None,
               limit: Annotated[int, Query(ge=1, le=5000)] = 1000) -> JSONResponse:
    """The batch's rows as read; `pending` = bad and fixed rows not imported yet."""
    with unit_of_work() as session:
        rows = service.batch_rows(session, batch_id, status=status, limit=limit)
        return JSONResponse({"items": [row_dict(r) for r in rows]})


@router.post("/batches/{batch_id}/rows/{row_number}/fix", openapi_extra=json_body(FixIn),
             responses=WRITE_RESPONSES)
def fix_row(write: Annotated[Write, Depends(writer(WRITE))], batch_id: int,
            row_number: int) -> JSONResponse:
    """Correct cells of a bad row; with `retry` its order is imported in the same request."""
    body = write.parse(FixIn)
    service.prepare()
    with unit_of_work() as session:
        def run() -> Reply:
            row = service.fix_row(session, batch_id=batch_id, row_number=row_number,
                                  values=body.values, actor=write.actor)
            rows = [row]
            if body.retry:
                rows = service.retry_row(session, batch_id=batch_id, row_number=row_number,
                                         actor=write.actor)
            return Reply(200, {"rows": [row_dict(r) for r in rows]})
        return write.answer(session, run)


@router.post("/batches/{batch_id}/rows/{row_number}/retry", responses=WRITE_RESPONSES)
def retry_row(write: Annotated[Write, Depends(writer(WRITE))], batch_id: int,
              row_number: int) -> JSONResponse:
    """Import the row's order again, with every row of that order in the batch."""
    service.prepare()
    with unit_of_work() as session:
        def run() -> Reply:
            rows = service.retry_row(session, batch_id=batch_id, row_number=row_number,
                                     actor=write.actor)
            return Reply(200, {"rows": [row_dict(r) for r in rows]})
        return write.answer(session, run)
