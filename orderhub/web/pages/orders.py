"""The order list (filters, HTMX-refreshed results) and one order's page with its actions."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from orderhub.api.deps import authorize
from orderhub.core.db import unit_of_work
from orderhub.core.settings import get_settings
from orderhub.fulfilment.changes import service as address_changes
from orderhub.fulfilment.changes.policy import CHANGE_PERMISSION as ADDRESS_PERMISSION
from orderhub.fulfilment.tracking.service import order_tracking
from orderhub.orders import holds, lifecycle
from orderhub.orders.models import CHANNELS
from orderhub.orders.queries import order_audit, order_events, search_orders
from orderhub.orders.service import cancel_order, get_order
from orderhub.sla.queries import search_by_deadline
from orderhub.web import views
from orderhub.web.access import viewer_for
from orderhub.web.actions import run_action
from orderhub.web.errors import ConsoleRoute
from orderhub.web.forms import OrderFilterForm
from orderhub.web.i18n import Translator, pick_locale
from orderhub.web.pages import sla as sla_pages
from orderhub.web.render import is_fragment_request, render

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
FormText = Annotated[str, Form()]
PAGE_SIZE = 50
RESULTS_ID = "order-results"  # the element the filter form re-renders over HTMX
# Offered in the add-hold form; any other code may be typed (rules raise their own).
HOLD_REASONS = ("address_check", "buyer_remark", "address_changed", "high_value", "risk_review",
                "presale", "refund_requested", "stock_check", "manual")


def _order_url(order_no: str) -> str:
    return f"/orders/{quote(order_no, safe='')}"


@router.get("/orders")
def order_list(request: Request) -> HTMLResponse:
    form = OrderFilterForm.from_query(request.query_params)
    fragment = is_fragment_request(request, RESULTS_ID)
    with unit_of_work() as session:
        viewer = viewer_for(session, request, "orders.read")
        flt = form.to_filter(get_settings().timezone, Translator(pick_locale(request)))
        search = search_by_deadline if form.sort == "deadline" else search_orders
        page = search(session, flt, cursor=form.cursor or None, limit=PAGE_SIZE)
        return render(request, "orders/_results.html" if fragment else "orders/list.html",
                      viewer=viewer, form=form, rows=views.order_rows(page.items, viewer),
                      countdowns=sla_pages.countdowns_for(session, (o.id for o in page.items)),
                      next_url=form.url(cursor=page.next_cursor) if page.next_cursor else None,
                      first_url=form.url() if form.cursor else None,
                      statuses=lifecycle.STATES, channels=CHANNELS, page_size=PAGE_SIZE,
                      results_id=RESULTS_ID)


@router.get("/orders/{order_no}")
def order_page(request: Request, order_no: str) -> HTMLResponse:
    with unit_of_work() as session:
        viewer = viewer_for(session, request, "orders.read")
        order = get_order(session, order_no)
        return render(request, "orders/detail.html", viewer=viewer, order=order,
                      receiver=views.receiver_of(order, viewer),
                      actions=views.actions_for(order, viewer),
                      timeline=views.timeline(order_events(session, order)),
                      audit=views.audit_rows(order_audit(session, order), viewer),
                      hold_reasons=HOLD_REASONS,
                      sla_card=sla_pages.order_card(session, order, viewer),
                      tracking=order_tracking(session, order_id=order.id),
                      address_panel=address_changes.panel(session, order, actor=viewer.actor),
                      address_form_ok=viewer.can(ADDRESS_PERMISSION))


@router.post("/orders/{order_no}/holds")
def add_hold(request: Request, order_no: str, reason_code: FormText = "", reason: FormText = "",
             csrf_token: FormText = "") -> RedirectResponse:
    actor = authorize(request, "holds.manage", form_csrf=csrf_token)
    return run_action(request, back=_order_url(order_no), done="holds.added",
                      use_case=lambda s: holds.add_hold(s, order_no=order_no,
                                                        reason_code=reason_code,
                                                        reason=reason.strip(), actor=actor))


@router.post("/orders/{order_no}/holds/{hold_id}/resolve")
def resolve_hold(request: Request, order_no: str, hold_id: int, resolution: FormText = "",
                 csrf_token: FormText = "") -> RedirectResponse:
    actor = authorize(request, "holds.manage", form_csrf=csrf_token)
    return run_action(request, back=_order_url(order_no), done="holds.released",
                      use_case=lambda s: holds.resolve_hold(s, order_no=order_no, hold_id=hold_id,
                                                            resolution=resolution.strip(),
                                                            actor=actor))


@router.post("/orders/{order_no}/cancel")
def cancel(request: Request, order_no: str, reason: FormText = "",
           csrf_token: FormText = "") -> RedirectResponse:
    actor = authorize(request, "orders.cancel", form_csrf=csrf_token)
    reason = reason.strip() or Translator(pick_locale(request))("order.cancel.default_reason")
    return run_action(request, back=_order_url(order_no), done="order.cancelled",
                      use_case=lambda s: cancel_order(s, order_no=order_no, actor=actor,
                                                      reason=reason))


@router.post("/orders/{order_no}/address")
def change_address(request: Request, order_no: str, name: FormText = "", phone: FormText = "",
                   province: FormText = "", city: FormText = "", district: FormText = "",
                   street: FormText = "", detail: FormText = "", zip: FormText = "",
                   reason: FormText = "", compensation: FormText = "", compensation_note: FormText = "",
                   csrf_token: FormText = "") -> RedirectResponse:
    actor = authorize(request, ADDRESS_PERMISSION, form_csrf=csrf_token)
    address = {"name": name, "phone": phone, "province": province, "city": city, "district": district,
               "street": street, "detail": detail, "zip": zip}
    return run_action(request, back=_order_url(order_no) + "#address-change", done="address_change.saved",
                      use_case=lambda s: address_changes.change_address(
                          s, order_no=order_no, address=address, actor=actor, reason=reason,
                          compensation=address_changes.form_compensation(
                              s, order_no=order_no, amount=compensation, note=compensation_note)))
