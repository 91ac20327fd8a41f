"""The inventory board (every SKU x warehouse figure with its alert state, each warehouse's load),
replenishment suggestions with their CSV, and stocktakes with supervisor approval."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from starlette.datastructures import (
    UploadFile,  # what request.form() gives (FastAPI's is a subclass)
)

from orderhub.api.deps import authorize
from orderhub.core.db import unit_of_work
from orderhub.core.errors import InvalidInput
from orderhub.inventory import board, replenishment, stocktake
from orderhub.inventory.catalog import warehouses
from orderhub.inventory.models import Warehouse
from orderhub.web.access import viewer_for
from orderhub.web.actions import run_action
from orderhub.web.errors import ConsoleRoute
from orderhub.web.render import render

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
FormText = Annotated[str, Form()]
STATES = ("ok", "low", "out")
BOARD_URL, TAKES_URL = "/inventory", "/inventory/stocktakes"
MAX_UPLOAD = 2_000_000


@router.get("/inventory")
def board_page(request: Request, sku: str = "", warehouse: str = "", state: str = "") -> HTMLResponse:
    state = state if state in STATES else ""
    with unit_of_work() as session:
        viewer = viewer_for(session, request, "inventory.read")
        rows = board.board(session, sku=sku[:120], warehouse=warehouse[:40], state=state)
        return render(request, "inventory/board.html", viewer=viewer, rows=rows,
                      totals=board.totals(rows), loads=board.warehouse_load(session),
                      warehouses=warehouses(session), states=STATES,
                      form={"sku": sku, "warehouse": warehouse, "state": state})


@router.get("/inventory/replenishment")
def replenishment_page(request: Request) -> HTMLResponse:
    with unit_of_work() as session:
        viewer = viewer_for(session, request, "inventory.read")
        return render(request, "inventory/replenishment.html", viewer=viewer,
                      rows=replenishment.suggestions(session), lead_days=replenishment.LEAD_DAYS,
                      cover_days=replenishment.COVER_DAYS)


@router.get("/inventory/replenishment.csv")
def replenishment_csv(request: Request) -> Response:
    with unit_of_work() as session:
        viewer_for(session, request, "inventory.read")
        text = replenishment.to_csv(replenishment.suggestions(session))
    # A BOM so that Excel on Chinese Windows opens the UTF-8 file with the right characters.
    return Response("\ufeff" + text, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="replenishment.csv"'})


@router.get("/inventory/stocktakes")
def stocktakes_page(request: Request) -> HTMLResponse:
    with unit_of_work() as session:
        viewer = viewer_for(session, request, "inventory.read")
        names = dict(session.execute(select(Warehouse.id, Warehouse.code)).all())
        return render(request, "inventory/stocktakes.html", viewer=viewer,
                      takes=stocktake.recent(session), names=names, warehouses=warehouses(session))


@router.post("/inventory/stocktakes")
def start_stocktake(request: Request, warehouse: FormText = "", note: FormText = "",
                    csrf_token: FormText = "") -> RedirectResponse:
    actor = authorize(request, "inventory.manage", form_csrf=csrf_token)
    return run_action(request, back=TAKES_URL, done="stocktake.started",
                      use_case=lambda s: stocktake.start(s, warehouse=warehouse, actor=actor,
                                                         note=note.strip()))


@router.get("/inventory/stocktakes/{take_id}")
def stocktake_page(request: Request, take_id: int) -> HTMLResponse:
    with unit_of_work() as session:
        viewer = viewer_for(session, request, "inventory.read")
        take = stocktake.get(session, take_id)
        return render(request, "inventory/stocktake.html", viewer=viewer, take=take,
                      warehouse=session.get(Warehouse, take.warehouse_id),
                      lines=stocktake.lines(session, take_id))


def _counts_from_text(text: str) -> list[tuple[str, int, str]]:
    body = text.strip()
    if not body:
        raise InvalidInput("enter one line per SKU: sku,counted,reason", details={"field": "counts"})
    if not body.lower().startswith("sku"):
        body = "sku,counted,reason\n" + body
    return stocktake.parse_counts_csv(body.replace("，", ",").encode())


@router.post("/inventory/stocktakes/{take_id}/counts")
async def record_counts(request: Request, take_id: int) -> RedirectResponse:
    form = await request.form()
    actor = authorize(request, "inventory.manage", form_csrf=str(form.get("csrf_token", "")))
    upload, text = form.get("file"), str(form.get("counts", ""))
    data = await upload.read(MAX_UPLOAD + 1) if isinstance(upload, UploadFile) and upload.filename else b""
    back = f"{TAKES_URL}/{take_id}"

    def use_case(session):
        if len(data) > MAX_UPLOAD:
            raise InvalidInput("the file is larger than 2 MB", details={"field": "file"})
        counts = stocktake.parse_counts_csv(data) if data else _counts_from_text(text)
        return stocktake.record_counts(session, stocktake_id=take_id, counts=counts, actor=actor)

    return run_action(request, back=back, done="stocktake.saved", use_case=use_case)


@router.post("/inventory/stocktakes/{take_id}/{decision}")
def decide(request: Request, take_id: int, decision: str, comment: FormText = "",
           csrf_token: FormText = "") -> RedirectResponse:
    permission = "inventory.manage" if decision == "submit" else "stocktake.approve"
    actor = authorize(request, permission, form_csrf=csrf_token)
    actions = {
        "submit": lambda s: stocktake.submit(s, stocktake_id=take_id, actor=actor),
        "approve": lambda s: stocktake.approve(s, stocktake_id=take_id, actor=actor, comment=comment),
        "reject": lambda s: stocktake.reject(s, stocktake_id=take_id, actor=actor, comment=comment),
    }
    if decision not in actions:
        raise InvalidInput(f"unknown stocktake action {decision!r}", details={"allowed": list(actions)})
    return run_action(request, back=f"{TAKES_URL}/{take_id}", done=f"stocktake.{decision}_done",
                      use_case=actions[decision])
