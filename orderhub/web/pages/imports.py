"""Import orders (导入订单) in the console: upload a sheet, map its columns (prefilled from a
saved template or our suggestion), preview, import; then a batch page where bad rows are
corrected inline and imported again with the rest of their order.

The upload is kept in the database between the steps (any server process may serve the next
request). Saves are POST-redirect-GET; the preview and a corrected row come back as HTMX fragments.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData, UploadFile

from orderhub.api.deps import authorize
from orderhub.channels.spreadsheets import service, templates
from orderhub.channels.spreadsheets.mapping import FIELDS, REQUIRED, suggest_mapping
from orderhub.core.actor import Actor
from orderhub.core.db import unit_of_work
from orderhub.core.errors import DomainError, InvalidInput
from orderhub.core.spreadsheets import read_sheet
from orderhub.web import flash
from orderhub.web.access import viewer_for
from orderhub.web.errors import ConsoleRoute, describe
from orderhub.web.i18n import Translator, pick_locale
from orderhub.web.render import render

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
URL = "/imports"
READ, WRITE = "orders.read", "orders.create"
STATUSES = templates.STATUSES


@dataclass(frozen=True)
class MappingForm:
    """The mapping step's fields as chosen or typed."""

    template: str
    shop: str
    mapping: dict[str, str]
    date_format: str
    default_status: str

    @classmethod
    def of(cls, form: FormData) -> MappingForm:
        mapping = {f: str(form.get(f"map_{f}", "")) for f in FIELDS}
        return cls(template=str(form.get("template", "")).strip(), shop=str(form.get("shop", "")).strip(),
                   mapping={f: c for f, c in mapping.items() if c},
                   date_format=str(form.get("date_format", "")).strip(),
                   default_status=str(form.get("default_status", "paid")))

    @property
    def options(self) -> dict[str, Any]:
        return {"date_format": self.date_format, "default_status": self.default_status}


async def _write(request: Request) -> tuple[FormData, Actor]:
    form = await request.form()
    return form, authorize(request, WRITE, form_csrf=str(form.get("csrf_token", "")))


@router.get(URL)
def batches(request: Request) -> HTMLResponse:
    with unit_of_work() as session:
        viewer = viewer_for(session, request, READ)
        return render(request, "imports/list.html", viewer=viewer,
                      batches=service.list_batches(session),
                      templates=templates.list_templates(session))


@router.post(URL + "/upload")
async def upload(request: Request) -> Response:
    form, actor = await _write(request)
    t = Translator(pick_locale(request))
    file = form.get("file")
    if not isinstance(file, UploadFile) or not file.filename:
        return flash.redirect(URL, "error", t("imports.no_file"))
    data = await file.read()
    try:
        with unit_of_work() as session:
            stored = templates.store_upload(session, data=data, filename=file.filename, actor=actor)
            upload_id = stored.id
    except InvalidInput as exc:
        return flash.redirect(URL, "error", describe(exc, t))
    chosen = str(form.get("template", ""))
    return flash.redirect(f"{URL}/uploads/{upload_id}" + (f"?{urlencode({'template': chosen})}" if chosen else ""),
                          "ok", t("imports.uploaded", file=file.filename))


@router.get(URL + "/uploads/{upload_id}")
def mapping_step(request: Request, upload_id: int, template: str = "") -> HTMLResponse:
    with unit_of_work() as session:
        viewer = viewer_for(session, request, WRITE)
        stored = templates.get_upload(session, upload_id)
        sheet = read_sheet(stored.content, stored.file_name)
        if template:
            tpl = templates.get_template(session, template)
            form = MappingForm(template=tpl.name, shop=tpl.shop, mapping=dict(tpl.mapping),
                               date_format=tpl.options.get("date_format", ""),
                               default_status=tpl.options.get("default_status", "paid"))
        else:
            form = MappingForm(template="", shop="", mapping=suggest_mapping(sheet.headers),
                               date_format="", default_status="paid")
        return render(request, "imports/mapping.html", viewer=viewer, upload=stored,
                      headers=sheet.headers, sample=[r.cells for r in sheet.rows[:3]],
                      rows=len(sheet.rows), encoding=sheet.encoding, form=form, fields=FIELDS,
                      required=REQUIRED, statuses=STATUSES,
                      templates=templates.list_templates(session))


@router.post(URL + "/uploads/{upload_id}/preview")
async def preview(request: Request, upload_id: int) -> HTMLResponse:
    form, _ = await _write(request)
    chosen = MappingForm.of(form)
    with unit_of_work() as session:
        viewer = viewer_for(session, request, WRITE)
        stored = templates.get_upload(session, upload_id)
        result = service.preview_with(session, data=stored.content, filename=stored.file_name,
                                      mapping=chosen.mapping, shop=chosen.shop,
                                      options=chosen.options, limit=10)
        return render(request, "imports/_preview.html", viewer=viewer, result=result)


@router.post(URL + "/uploads/{upload_id}/import")
async def run_import(request: Request, upload_id: int) -> Response:
    """Save the mapping as the named template, import the file, drop the upload: one unit."""
    form, actor = await _write(request)
    chosen = MappingForm.of(form)
    t = Translator(pick_locale(request))
    service.prepare()
    try:
        with unit_of_work() as session:
            stored = templates.get_upload(session, upload_id)
            templates.save_template(session, name=chosen.template, shop=chosen.shop,
                                    mapping=chosen.mapping, options=chosen.options, actor=actor)
            batch = service.import_file(session, data=stored.content, filename=stored.file_name,
                                        template=chosen.template, actor=actor)
            templates.discard_upload(session, upload_id)
            done = (batch.id, batch.orders_created, batch.orders_updated, batch.bad_rows)
    except DomainError as exc:
        return flash.redirect(f"{URL}/uploads/{upload_id}", "error", describe(exc, t))
    batch_id, created, updated, bad = done
    return flash.redirect(f"{URL}/batches/{batch_id}", "error" if bad else "ok",
                          t("imports.done", created=created, updated=updated, bad=bad))


@router.get(URL + "/batches/{batch_id}")
def batch_page(request: Request, batch_id: int) -> HTMLResponse:
    with unit_of_work() as session:
        viewer = viewer_for(session, request, READ)
        batch = service.get_batch(session, batch_id)
        rows = service.batch_rows(session, batch_id, status="pending") if viewer.can(WRITE) else []
        return render(request, "imports/batch.html", viewer=viewer, batch=batch, rows=rows,
                      columns=_editable(batch.mapping, batch.headers), message=None)


@router.post(URL + "/batches/{batch_id}/rows/{row_number}")
async def fix_row(request: Request, batch_id: int, row_number: int) -> Response:
    """Save the corrected cells and import the row's order with its other rows; answers the
    table of rows still waiting (an imported order's rows leave it together)."""
    form, actor = await _write(request)
    t = Translator(pick_locale(request))
    service.prepare()
    with unit_of_work() as session:
        batch = service.get_batch(session, batch_id)
        values = {h: str(form.get(f"cell_{i}", "")) for i, h in enumerate(batch.headers)
                  if f"cell_{i}" in form}
        service.fix_row(session, batch_id=batch_id, row_number=row_number, values=values,
                        actor=actor)
        rows = service.retry_row(session, batch_id=batch_id, row_number=row_number, actor=actor)
        imported = all(r.status == "imported" for r in rows)
        message = (("ok", t("imports.row_imported", rows=", ".join(str(r.row_number) for r in rows),
                            order_no=rows[0].order_no or ""))
                   if imported else ("error", t("imports.row_still_bad", row=row_number)))
        if request.headers.get("HX-Request") != "true":  # a plain form post: back to the page
            return flash.redirect(f"{URL}/batches/{batch_id}", *message)
        viewer = viewer_for(session, request, WRITE)
        return render(request, "imports/_rows.html", viewer=viewer, batch=batch,
                      rows=service.batch_rows(session, batch_id, status="pending"),
                      columns=_editable(batch.mapping, batch.headers), message=message)


def _editable(mapping: dict[str, str], headers: list[str]) -> list[tuple[int, str, str]]:
    """(index in the file, header, field) of the mapped columns: what a person can correct."""
    field_of = {column: field for field, column in mapping.items()}
    return [(i, h, field_of[h]) for i, h in enumerate(headers) if h in field_of]
