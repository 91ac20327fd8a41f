"""商品对应 / SKU mapping in the console: the platform SKUs orders wait on (待匹配商品), each with
a SKU picker (mapping it releases the waiting orders), the existing mappings with delete, a form
for a mapping made ahead of time, and a mapping file import. Writes are POST-redirect-GET."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData, UploadFile

from orderhub.api.deps import authorize
from orderhub.channels.sku_mapping import service
from orderhub.core.actor import Actor
from orderhub.core.db import unit_of_work
from orderhub.core.errors import DomainError, InvalidInput
from orderhub.inventory import importer, masterdata
from orderhub.web import flash
from orderhub.web.access import viewer_for
from orderhub.web.errors import ConsoleRoute, describe
from orderhub.web.i18n import Translator, pick_locale
from orderhub.web.render import render

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
URL = "/sku-mapping"
PICKER_SIZE = 50
MAX_UPLOAD = 5_000_000


def _page(request: Request, *, q: str = "", error: str | None = None,
          import_errors: list | None = None, status: int = 200) -> HTMLResponse:
    q = q.strip()[:120]
    with unit_of_work() as session:
        viewer = viewer_for(session, request, "inventory.read")
        skus, _ = masterdata.search_skus(session, limit=PICKER_SIZE)
        return render(request, "sku_mapping/page.html", viewer=viewer, q=q,
                      waiting=service.waiting(session), mappings=service.mappings(session, q=q),
                      skus=skus, shops=service.shop_names(session), error=error, import_errors=import_errors or [],
                      status=status)


@router.get(URL)
def sku_mapping_page(request: Request, q: str = "") -> HTMLResponse:
    return _page(request, q=q)


@router.get(URL + "/skus")
def sku_options(request: Request, sku: str = "") -> HTMLResponse:
    """The picker's choices as <option>s: HTMX sends what was typed in a picker (`sku`) and
    fills the page's shared datalist with our SKUs whose code or name contains it."""
    with unit_of_work() as session:
        viewer = viewer_for(session, request, "inventory.read")
        skus, _ = masterdata.search_skus(session, q=sku.strip()[:120], limit=PICKER_SIZE)
        return render(request, "sku_mapping/_options.html", viewer=viewer, skus=skus)


async def _manage(request: Request) -> tuple[FormData, Actor]:
    form = await request.form()
    return form, authorize(request, "inventory.manage", form_csrf=str(form.get("csrf_token", "")))


@router.post(URL + "/map")
async def map_sku(request: Request) -> Response:
    form, actor = await _manage(request)
    t = Translator(pick_locale(request))
    platform_sku, sku = str(form.get("platform_sku", "")), str(form.get("sku", ""))
    # The waiting list offers "this shop only" (default) or every shop; the form at the foot
    # of the page picks a shop or none.
    shop = str(form.get("shop", "")).strip() if form.get("scope", "shop") == "shop" else ""
    try:
        with unit_of_work() as session:
            done = service.map_sku(session, platform_sku=platform_sku, sku=sku, shop=shop or None,
                                   actor=actor)
            lines, released = done.lines, len(done.released)
    except DomainError as exc:
        return _page(request, error=describe(exc, t), status=422)
    return flash.redirect(URL, "ok", t("sku_mapping.mapped", platform_sku=platform_sku.strip(),
                                       sku=sku.strip(), lines=lines, released=released))


@router.post(URL + "/{mapping_id}/delete")
async def delete_mapping(request: Request, mapping_id: int) -> Response:
    _, actor = await _manage(request)
    t = Translator(pick_locale(request))
    try:
        with unit_of_work() as session:
            service.unmap_by_id(session, mapping_id=mapping_id, actor=actor)
    except DomainError as exc:
        return _page(request, error=describe(exc, t), status=404)
    return flash.redirect(URL, "ok", t("sku_mapping.deleted"))


@router.post(URL + "/import")
async def import_mappings(request: Request) -> Response:
    """The SKU importer with mapping rows: the whole file or nothing, bad rows listed."""
    form, actor = await _manage(request)
    t = Translator(pick_locale(request))
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _page(request, error=t("skus.import.no_file"), status=422)
    data = await upload.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        return _page(request, error=t("skus.import.too_big"), status=422)
    try:
        with unit_of_work() as session:
            result = importer.import_skus(session, data=data, filename=upload.filename, actor=actor,
                                          map_platform_sku=service.map_sku)
    except InvalidInput as exc:
        return _page(request, error=describe(exc, t), status=422,
                     import_errors=exc.details.get("errors", []))
    return flash.redirect(URL, "ok", t("sku_mapping.imported", mappings=result.mappings,
                                       created=result.created, updated=result.updated))
