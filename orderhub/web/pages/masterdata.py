"""Master data in the console: SKUs (search, pages, create/edit, bundle components, CSV/XLSX
import through the importer) and warehouses (create/edit with the provinces they serve and the
delivery days to each). Saves are POST-redirect-GET; a refused save shows the form again, as
typed, with the error."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData, UploadFile

from orderhub.api.deps import authorize
from orderhub.core.actor import Actor
from orderhub.core.db import unit_of_work
from orderhub.core.errors import DomainError, InvalidInput
from orderhub.inventory import importer, masterdata
from orderhub.inventory.provinces import PROVINCES
from orderhub.web import flash
from orderhub.web.access import viewer_for
from orderhub.web.errors import ConsoleRoute, describe
from orderhub.web.i18n import Translator, pick_locale
from orderhub.web.render import render

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
SKUS_URL, WAREHOUSES_URL = "/inventory/skus", "/inventory/warehouses"
PAGE_SIZE = 50
MAX_UPLOAD = 5_000_000
SKU_FLAGS = ("purchase_limited", "presale", "active")


def _int(value: str, field: str, *, default: int = 0) -> int:
    text = value.strip()
    if not text:
        return default
    try:
        return int(text)
    except ValueError:
        raise InvalidInput(f"{field}: {text!r} is not a whole number", details={"field": field}) from None


def sku_form(form: FormData | None = None, sku: Any = None) -> dict[str, Any]:
    """The editor's fields as text (from the database or exactly as typed)."""
    if form is not None:
        out = {k: str(form.get(k, "")).strip() for k in ("code", "name", "category", "barcode", "weight_g")}
        return out | {f: form.get(f) == "on" for f in SKU_FLAGS}
    if sku is not None:
        return {"code": sku.code, "name": sku.name, "category": sku.category, "barcode": sku.barcode or "",
                "weight_g": str(sku.weight_g), **{f: getattr(sku, f) for f in SKU_FLAGS}}
    return {"code": "", "name": "", "category": "", "barcode": "", "weight_g": "0",
            "purchase_limited": False, "presale": False, "active": True}


def _sku_fields(values: dict[str, Any]) -> dict[str, Any]:
    return {"name": values["name"], "category": values["category"], "barcode": values["barcode"],
            "weight_g": _int(values["weight_g"], "weight_g"), **{f: values[f] for f in SKU_FLAGS}}


def _list_url(q: str, page: int) -> str:
    params = {k: v for k, v in (("q", q), ("page", page if page > 1 else "")) if v}
    return SKUS_URL + (f"?{urlencode(params)}" if params else "")


def _sku_list(request: Request, *, q: str = "", page: int = 1, import_errors: list | None = None,
              error: str | None = None, status: int = 200) -> HTMLResponse:
    q, page = q.strip()[:120], max(page, 1)
    with unit_of_work() as session:
        viewer = viewer_for(session, request, "inventory.read")
        skus, more = masterdata.search_skus(session, q=q, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
        return render(request, "inventory/skus.html", viewer=viewer, skus=skus, q=q, page=page,
                      bundles=masterdata.bundle_ids(session, [s.id for s in skus]),
                      next_url=_list_url(q, page + 1) if more else None,
                      prev_url=_list_url(q, page - 1) if page > 1 else None,
                      import_errors=import_errors or [], error=error, status=status)


@router.get(SKUS_URL)
def sku_list(request: Request, q: str = "", page: int = 1) -> HTMLResponse:
    return _sku_list(request, q=q, page=page)


def _sku_editor(request: Request, *, permission: str, sku_id: int | None, values: dict[str, Any],
                error: DomainError | None = None, parts: list | None = None,
                status: int = 200) -> HTMLResponse:
    t = Translator(pick_locale(request))
    with unit_of_work() as session:
        viewer = viewer_for(session, request, permission)
        sku = masterdata.get_sku(session, sku_id) if sku_id is not None else None
        if parts is None:
            parts = masterdata.bundle_parts(session, sku.id) if sku else []
        return render(request, "inventory/sku_edit.html", viewer=viewer, sku=sku, form=values,
                      parts=parts, error=describe(error, t) if error else None,
                      error_field=error.details.get("field") if error else None, status=status)


@router.get(SKUS_URL + "/new")
def new_sku(request: Request) -> HTMLResponse:
    return _sku_editor(request, permission="inventory.manage", sku_id=None, values=sku_form())


@router.get(SKUS_URL + "/{sku_id}")
def edit_sku(request: Request, sku_id: int) -> HTMLResponse:
    with unit_of_work() as session:
        values = sku_form(sku=masterdata.get_sku(session, sku_id))
    return _sku_editor(request, permission="inventory.read", sku_id=sku_id, values=values)


async def _manage(request: Request) -> tuple[FormData, Actor]:
    form = await request.form()
    return form, authorize(request, "inventory.manage", form_csrf=str(form.get("csrf_token", "")))


@router.post(SKUS_URL)
async def create_sku(request: Request) -> Response:
    return await _save_sku(request, None)


@router.post(SKUS_URL + "/import")
async def import_skus(request: Request) -> Response:
    """The whole file or nothing: every bad row is listed on the page again."""
    form, actor = await _manage(request)
    t = Translator(pick_locale(request))
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _sku_list(request, error=t("skus.import.no_file"), status=422)
    data = await upload.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        return _sku_list(request, error=t("skus.import.too_big"), status=422)
    try:
        with unit_of_work() as session:
            result = importer.import_skus(session, data=data, filename=upload.filename, actor=actor)
    except InvalidInput as exc:
        return _sku_list(request, error=describe(exc, t), status=422,
                         import_errors=exc.details.get("errors", []))
    return flash.redirect(SKUS_URL, "ok", t("skus.import.done", created=result.created,
                                            updated=result.updated, bundles=result.bundles))


@router.post(SKUS_URL + "/{sku_id}")
async def update_sku(request: Request, sku_id: int) -> Response:
    return await _save_sku(request, sku_id)


async def _save_sku(request: Request, sku_id: int | None) -> Response:
    form, actor = await _manage(request)
    t = Translator(pick_locale(request))
    values = sku_form(form)
    try:
        with unit_of_work() as session:
            code = values["code"] if sku_id is None else masterdata.get_sku(session, sku_id).code
            if sku_id is None and code and masterdata.sku_by_code(session, code) is not None:
                raise InvalidInput(t("skus.exists", code=code), details={"field": "code"})
            sku, _ = masterdata.upsert_sku(session, code=code, actor=actor, **_sku_fields(values))
            saved = sku.id
    except DomainError as exc:
        return _sku_editor(request, permission="inventory.manage", sku_id=sku_id, values=values,
                           error=exc, status=422)
    return flash.redirect(f"{SKUS_URL}/{saved}", "ok", t("skus.saved", code=code))


@router.post(SKUS_URL + "/{sku_id}/components")
async def save_components(request: Request, sku_id: int) -> Response:
    """Rows of (component code, ratio); a ticked 'remove' or an empty code drops the row."""
    form, actor = await _manage(request)
    t = Translator(pick_locale(request))
    codes, ratios = form.getlist("component"), form.getlist("ratio")
    removed = set(form.getlist("remove"))
    rows = [(str(c).strip(), str(r).strip()) for i, (c, r) in enumerate(zip(codes, ratios, strict=False))
            if str(i) not in removed and str(c).strip()]
    values = sku_form()
    try:
        with unit_of_work() as session:
            sku = masterdata.get_sku(session, sku_id)
            values = sku_form(sku=sku)
            parts = [(c, _int(r, "ratio", default=1)) for c, r in rows]
            if parts:
                masterdata.set_bundle(session, code=sku.code, parts=parts, actor=actor)
            else:
                masterdata.clear_bundle(session, code=sku.code, actor=actor)
    except DomainError as exc:
        return _sku_editor(request, permission="inventory.manage", sku_id=sku_id,
                           values=values, error=exc, parts=rows, status=422)
    return flash.redirect(f"{SKUS_URL}/{sku_id}", "ok", t("skus.components_saved"))


# Warehouses ---------------------------------------------------------------------------------

def warehouse_form(form: FormData | None = None, wh: Any = None) -> dict[str, Any]:
    if form is not None:
        out = {k: str(form.get(k, "")).strip()
               for k in ("code", "name", "province", "city", "daily_capacity", "error_rate")}
        days = {p: str(form.get(f"days_{i}", "")).strip() for i, p in enumerate(PROVINCES)}
        return out | {"serves": list(form.getlist("serves")), "days": days, "active": form.get("active") == "on"}
    if wh is not None:
        return {"code": wh.code, "name": wh.name, "province": wh.province, "city": wh.city,
                "daily_capacity": str(wh.daily_capacity), "error_rate": f"{wh.error_rate * 100:g}",
                "serves": list(wh.serves_provinces),
                "days": {p: str(wh.delivery_days.get(p, "")) for p in PROVINCES}, "active": wh.active}
    return {"code": "", "name": "", "province": "", "city": "", "daily_capacity": "0", "error_rate": "0",
            "serves": [], "days": dict.fromkeys(PROVINCES, ""), "active": True}


def _warehouse_fields(values: dict[str, Any]) -> dict[str, Any]:
    try:
        rate = float(values["error_rate"] or 0) / 100
    except ValueError:
        raise InvalidInput(f"error_rate: {values['error_rate']!r} is not a number",
                           details={"field": "error_rate"}) from None
    days = {p: _int(d, "delivery_days") for p, d in values["days"].items() if d}
    return {"name": values["name"], "province": values["province"], "city": values["city"],
            "daily_capacity": _int(values["daily_capacity"], "daily_capacity"),
            "serves_provinces": values["serves"], "delivery_days": days, "error_rate": rate,
            "active": values["active"]}


@router.get(WAREHOUSES_URL)
def warehouse_list(request: Request) -> HTMLResponse:
    with unit_of_work() as session:
        viewer = viewer_for(session, request, "inventory.read")
        return render(request, "inventory/warehouses.html", viewer=viewer,
                      warehouses=masterdata.all_warehouses(session), province_count=len(PROVINCES))


def _warehouse_editor(request: Request, *, permission: str, wh_id: int | None, values: dict[str, Any],
                      error: DomainError | None = None, status: int = 200) -> HTMLResponse:
    t = Translator(pick_locale(request))
    with unit_of_work() as session:
        viewer = viewer_for(session, request, permission)
        wh = masterdata.get_warehouse(session, wh_id) if wh_id is not None else None
        return render(request, "inventory/warehouse_edit.html", viewer=viewer, wh=wh, form=values,
                      provinces=PROVINCES, error=describe(error, t) if error else None,
                      error_field=error.details.get("field") if error else None, status=status)


@router.get(WAREHOUSES_URL + "/new")
def new_warehouse(request: Request) -> HTMLResponse:
    return _warehouse_editor(request, permission="inventory.manage", wh_id=None, values=warehouse_form())


@router.get(WAREHOUSES_URL + "/{wh_id}")
def edit_warehouse(request: Request, wh_id: int) -> HTMLResponse:
    with unit_of_work() as session:
        values = warehouse_form(wh=masterdata.get_warehouse(session, wh_id))
    return _warehouse_editor(request, permission="inventory.read", wh_id=wh_id, values=values)


@router.post(WAREHOUSES_URL)
async def create_warehouse(request: Request) -> Response:
    return await _save_warehouse(request, None)


@router.post(WAREHOUSES_URL + "/{wh_id}")
async def update_warehouse(request: Request, wh_id: int) -> Response:
    return await _save_warehouse(request, wh_id)


async def _save_warehouse(request: Request, wh_id: int | None) -> Response:
    form, actor = await _manage(request)
    t = Translator(pick_locale(request))
    values = warehouse_form(form)
    try:
        with unit_of_work() as session:
            if wh_id is None:
                if any(w.code == values["code"] for w in masterdata.all_warehouses(session)):
                    raise InvalidInput(t("warehouses.exists", code=values["code"]), details={"field": "code"})
                code = values["code"]
            else:
                code = masterdata.get_warehouse(session, wh_id).code
            wh, _ = masterdata.upsert_warehouse(session, code=code, actor=actor, **_warehouse_fields(values))
            saved = wh.id
    except DomainError as exc:
        return _warehouse_editor(request, permission="inventory.manage", wh_id=wh_id, values=values,
                                 error=exc, status=422)
    return flash.redirect(f"{WAREHOUSES_URL}/{saved}", "ok", t("warehouses.saved", code=code))
