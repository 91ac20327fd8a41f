"""The warehouse page: per warehouse, allocated and printed orders by ship deadline, printing
the selected ones (or all due before a time) into one PDF, and orders waiting for a waybill."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from orderhub.api.deps import authorize
from orderhub.core.db import get_engine, unit_of_work
from orderhub.core.errors import (
    AuthenticationFailed,
    DomainError,
    InvalidInput,
    PermissionDenied,
)
from orderhub.fulfilment.labels import board, service
from orderhub.web import flash
from orderhub.web.access import viewer_for
from orderhub.web.errors import ConsoleRoute, describe
from orderhub.web.i18n import Translator, pick_locale
from orderhub.web.render import render

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
FormText = Annotated[str, Form()]
FormList = Annotated[list[str], Form()]
PAGE_URL = "/warehouse"


@router.get("/warehouse")
def warehouse_page(request: Request, warehouse: str = "", batch: int | None = None) -> HTMLResponse:
    with unit_of_work() as session:
        viewer = viewer_for(session, request, "labels.read")
        shown = board.board(session, warehouse or None)
        printed = service.get_batch(session, batch) if batch else None
        return render(request, "warehouse/board.html", viewer=viewer, board=shown, batch=printed,
                      can_print=viewer.can("labels.print"))


@router.post("/warehouse/print")
def print_labels(request: Request, warehouse: FormText = "", order_nos: FormList = [],  # noqa: B006
                 due_before: FormText = "", mode: FormText = "selected",
                 csrf_token: FormText = "") -> RedirectResponse:
    """"print selected" sends the ticked order numbers; "print all due before" the warehouse and
    the time. Either way the page comes back with the batch and a link that opens its PDF."""
    actor = authorize(request, "labels.print", form_csrf=csrf_token)
    t = Translator(pick_locale(request))
    back = f"{PAGE_URL}?{urlencode({'warehouse': warehouse})}"
    try:
        if mode == "due":
            result = service.print_labels(get_engine(), actor=actor, warehouse=warehouse,
                                          due_before=_time(due_before))
        else:
            if not order_nos:
                raise InvalidInput("tick the orders to print first", details={"field": "order_nos"})
            result = service.print_labels(get_engine(), actor=actor, order_nos=order_nos)
    except (AuthenticationFailed, PermissionDenied):
        raise
    except DomainError as exc:
        return flash.redirect(back, "error", describe(exc, t))
    return flash.redirect(f"{back}&batch={result.batch_id}", "ok",
                          t("warehouse.printed", count=result.count, waiting=len(result.waiting),
                            skipped=len(result.skipped)))


@router.get("/warehouse/batches/{batch_id}.pdf")
def batch_pdf(request: Request, batch_id: int) -> Response:
    with unit_of_work() as session:
        viewer_for(session, request, "labels.read")
        pdf = service.batch_pdf(session, batch_id)
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="labels-{batch_id}.pdf"'})


def _time(text: str) -> datetime | None:
    if not text.strip():
        return None
    try:
        return datetime.fromisoformat(text.strip())  # <input type="datetime-local">: local time
    except ValueError:
        raise InvalidInput(f"due_before: a date and time, not {text!r}", details={"field": "due_before"}) from None
