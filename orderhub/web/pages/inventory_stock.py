"""Stock across warehouses and channels in the console: sellable stock per shop (its rule: which
warehouses feed it, the share, whether safety stock is held back; the current figure per SKU)
and transfer requests between warehouses (request, ship, receive, cancel)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from orderhub.api.deps import authorize
from orderhub.core.db import unit_of_work
from orderhub.core.errors import InvalidInput
from orderhub.core.settings import get_settings
from orderhub.inventory import masterdata, sellable, transfers
from orderhub.inventory.models import TRANSFER_STATUSES
from orderhub.web.access import viewer_for
from orderhub.web.actions import run_action
from orderhub.web.errors import ConsoleRoute
from orderhub.web.render import render

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
FormText = Annotated[str, Form()]
FormList = Annotated[list[str], Form()]
SELLABLE_URL, TRANSFERS_URL = "/inventory/sellable", "/inventory/transfers"
PAGE_SIZE = 50
STEPS = {"ship": transfers.ship, "receive": transfers.receive, "cancel": transfers.cancel}


def _page_url(q: str, page: int) -> str:
    params = {k: v for k, v in (("q", q), ("page", page if page > 1 else "")) if v}
    return SELLABLE_URL + (f"?{urlencode(params)}" if params else "")


@router.get(SELLABLE_URL)
def sellable_page(request: Request, q: str = "", page: int = 1) -> HTMLResponse:
    q, page = q.strip()[:120], max(page, 1)
    with unit_of_work() as session:
        viewer = viewer_for(session, request, "inventory.read")
        shops, rows, more = sellable.sellable_grid(session, q=q, limit=PAGE_SIZE,
                                                   offset=(page - 1) * PAGE_SIZE)
        return render(request, "inventory/sellable.html", viewer=viewer,
                      rules=sellable.channel_rules(session), shops=shops, rows=rows, q=q, page=page,
                      warehouses=masterdata.all_warehouses(session),
                      next_url=_page_url(q, page + 1) if more else None,
                      prev_url=_page_url(q, page - 1) if page > 1 else None)


def _share(value: str) -> int:
    try:
        return int(value.strip())
    except ValueError:
        raise InvalidInput(f"share: {value!r} is not a whole percentage",
                           details={"field": "share_pct"}) from None


@router.post(SELLABLE_URL)
def save_rule(request: Request, shop: FormText = "", share_pct: FormText = "100",
              warehouses: FormList = [], use_safety_stock: FormText = "",  # noqa: B006
              active: FormText = "", csrf_token: FormText = "") -> RedirectResponse:
    actor = authorize(request, "inventory.manage", form_csrf=csrf_token)
    return run_action(request, back=SELLABLE_URL, done="sellable.saved", shop=shop.strip(),
                      use_case=lambda s: sellable.upsert_channel_rule(
                          s, shop=shop, warehouse_codes=warehouses, share_pct=_share(share_pct),
                          use_safety_stock=use_safety_stock == "on", active=active == "on",
                          actor=actor))


@router.get(TRANSFERS_URL)
def transfers_page(request: Request, status: str = "open") -> HTMLResponse:
    status = status if status in ("open", "", *TRANSFER_STATUSES) else "open"
    with unit_of_work() as session:
        viewer = viewer_for(session, request, "inventory.read")
        return render(request, "inventory/transfers.html", viewer=viewer,
                      rows=transfers.listing(session, status=status, limit=200), shown=status,
                      statuses=("open", *TRANSFER_STATUSES),
                      warehouses=[w for w in masterdata.all_warehouses(session) if w.active])


ARRIVAL_HOUR = 18  # a day typed alone means that day's end of business in the seller's zone


def _expected(value: str) -> datetime:
    """'2026-11-26' (the date picker) or '2026-11-26T14:00', in the seller's zone."""
    text = value.strip()
    if len(text) == 10:
        text += f"T{ARRIVAL_HOUR:02d}:00"
    try:
        local = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"expected arrival: {value!r} is not a date and time",
                           details={"field": "expected_at"}) from None
    return local.replace(tzinfo=ZoneInfo(get_settings().timezone)) if local.tzinfo is None else local


@router.post(TRANSFERS_URL)
def request_transfer(request: Request, sku: FormText = "", from_warehouse: FormText = "",
                     to_warehouse: FormText = "", quantity: FormText = "", expected_at: FormText = "",
                     note: FormText = "", csrf_token: FormText = "") -> RedirectResponse:
    actor = authorize(request, "inventory.manage", form_csrf=csrf_token)

    def use_case(session):
        if not quantity.strip().isdigit():
            raise InvalidInput(f"quantity: {quantity!r} is not a whole number above 0",
                               details={"field": "quantity"})
        return transfers.request_transfer(session, sku=sku.strip(), from_warehouse=from_warehouse,
                                          to_warehouse=to_warehouse, quantity=int(quantity),
                                          expected_at=_expected(expected_at), actor=actor, note=note)

    return run_action(request, back=TRANSFERS_URL, done="transfers.requested", use_case=use_case)


@router.post(TRANSFERS_URL + "/{transfer_id}/{step}")
def transfer_step(request: Request, transfer_id: int, step: str,
                  csrf_token: FormText = "") -> RedirectResponse:
    actor = authorize(request, "inventory.manage", form_csrf=csrf_token)
    if step not in STEPS:
        raise InvalidInput(f"unknown transfer step {step!r}", details={"allowed": list(STEPS)})
    return run_action(request, back=TRANSFERS_URL, done=f"transfers.{step}_done", id=transfer_id,
                      use_case=lambda s: STEPS[step](s, transfer_id=transfer_id, actor=actor))
