"""隔离区 / Quarantine in the console: input OrderHub refused, kept verbatim, with the reason;
a person fixes the payload (or the mapping) and sends it through intake again."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from orderhub.api.deps import authorize
from orderhub.channels.reprocess import reprocess
from orderhub.core.db import get_engine, unit_of_work
from orderhub.core.errors import DomainError
from orderhub.core.quarantine import get_quarantined, list_quarantined
from orderhub.web import flash
from orderhub.web.access import viewer_for
from orderhub.web.errors import ConsoleRoute, describe
from orderhub.web.i18n import Translator, pick_locale
from orderhub.web.render import render

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
URL = "/quarantine"
PAGE_SIZE = 50


@router.get(URL)
def quarantine_list(request: Request, before: int | None = None) -> HTMLResponse:
    with unit_of_work() as session:
        viewer = viewer_for(session, request, "outbox.manage")
        rows = list_quarantined(session, before_id=before, limit=PAGE_SIZE)
        more = len(rows) == PAGE_SIZE
        return render(request, "quarantine/list.html", viewer=viewer, rows=rows,
                      next_url=f"{URL}?before={rows[-1].id}" if more else None,
                      first_url=URL if before else None)


@router.get(URL + "/{quarantine_id}")
def quarantine_detail(request: Request, quarantine_id: int) -> HTMLResponse:
    with unit_of_work() as session:
        viewer = viewer_for(session, request, "outbox.manage")
        return render(request, "quarantine/detail.html", viewer=viewer,
                      row=get_quarantined(session, quarantine_id))


@router.post(URL + "/{quarantine_id}/reprocess")
async def reprocess_row(request: Request, quarantine_id: int) -> Response:
    form = await request.form()
    actor = authorize(request, "outbox.manage", form_csrf=str(form.get("csrf_token", "")))
    t = Translator(pick_locale(request))
    raw = form.get("raw")
    back = f"{URL}/{quarantine_id}"
    try:
        order = reprocess(get_engine(), quarantine_id=quarantine_id, actor=actor,
                          raw_text=raw if isinstance(raw, str) and raw.strip() else None)
    except DomainError as exc:
        return flash.redirect(back, "error", describe(exc, t) + _detail(exc))
    return flash.redirect(f"/orders/{order.order_no}", "ok",
                          t("quarantine.reprocessed", order_no=order.order_no))


def _detail(exc: DomainError) -> str:
    errors = exc.details.get("errors")
    if not errors:
        return ""
    return " — " + "; ".join(f"{'.'.join(str(p) for p in e.get('loc', []))}: {e.get('msg')}"
                             for e in errors[:5])
