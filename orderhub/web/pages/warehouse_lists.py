"""Warehouse lists (拣货单 / 发货单) in the console: choose a warehouse and which orders, download
the pick and shipping lists (PDF, XLSX) and the WMS sheet from the API, and upload the WMS's
answer; the import's page shows what shipped and every bad row with its reason."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from orderhub.api.deps import authorize
from orderhub.core.actor import Actor
from orderhub.core.db import unit_of_work
from orderhub.core.errors import InvalidInput
from orderhub.fulfilment.lists import service, wms
from orderhub.inventory import catalog
from orderhub.web import flash
from orderhub.web.access import viewer_for
from orderhub.web.errors import ConsoleRoute, describe
from orderhub.web.i18n import Translator, pick_locale
from orderhub.web.render import render

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
URL, API = "/warehouse/lists", "/api/v1/lists"
READ, IMPORT = "carriers.read", "waybills.request"
DOWNLOADS = ("pick.pdf", "pick.xlsx", "shipping.pdf", "shipping.xlsx")


@router.get(URL)
def lists_page(request: Request, warehouse: str = "", status: str = "both",
               import_id: int | None = None) -> HTMLResponse:
    status = status if status in service.STATUSES else "both"
    query = urlencode({k: v for k, v in (("warehouse", warehouse), ("status", status)) if v})
    with unit_of_work() as session:
        viewer = viewer_for(session, request, READ)
        can_import = viewer.can(IMPORT)
        shown = wms.get_import(session, import_id) if import_id and can_import else None
        return render(request, "warehouse_lists.html", viewer=viewer,
                      warehouses=catalog.warehouses(session), warehouse=warehouse, chosen_status=status,
                      statuses=list(service.STATUSES), downloads=[(d, f"{API}/{d}?{query}") for d in DOWNLOADS],
                      wms_export=f"{API}/wms-export.xlsx" + (f"?{urlencode({'warehouse': warehouse})}" if warehouse else ""),
                      can_import=can_import, shown=shown, errors=wms.errors(shown) if shown else [],
                      imports=wms.list_imports(session) if can_import else [])


@router.post(URL + "/wms-import")
async def wms_import(request: Request) -> Response:
    form = await request.form()
    actor = authorize(request, IMPORT, form_csrf=str(form.get("csrf_token", "")))
    t = Translator(pick_locale(request))
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return flash.redirect(URL, "error", t("lists.no_file"))
    data, filename = await upload.read(), upload.filename
    try:
        record_id, shipped, bad = await run_in_threadpool(_import, data, filename, actor)
    except InvalidInput as exc:
        return flash.redirect(URL, "error", describe(exc, t))
    return flash.redirect(f"{URL}?import_id={record_id}", "error" if bad else "ok",
                          t("lists.imported", shipped=shipped, bad=bad))


def _import(data: bytes, filename: str, actor: Actor) -> tuple[int, int, int]:
    with unit_of_work() as session:
        record = wms.import_xlsx(session, data=data, filename=filename, actor=actor)
        return record.id, record.shipped, record.bad_rows
