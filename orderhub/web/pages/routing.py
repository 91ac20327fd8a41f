"""Routing in the console: an order's routing decision (loaded into the order page over HTMX),
the manual routing queue with the backorder queue, and region rules with routing settings."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from orderhub.api.deps import authorize
from orderhub.core.db import unit_of_work
from orderhub.core.errors import InvalidInput
from orderhub.inventory.catalog import warehouses
from orderhub.inventory.provinces import PROVINCES
from orderhub.orders.service import get_order
from orderhub.routing import config, decisions, queue, regions, service
from orderhub.routing.scoring import FACTORS
from orderhub.web.access import safe_next, viewer_for
from orderhub.web.actions import run_action
from orderhub.web.errors import ConsoleRoute
from orderhub.web.render import is_fragment_request, render

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
FormText = Annotated[str, Form()]
FormList = Annotated[list[str], Form()]
CARD_ID = "routing"  # the order page's section the decision is loaded into
QUEUE_URL, RULES_URL = "/routing", "/routing/rules"


def _order_url(order_no: str) -> str:
    return f"/orders/{quote(order_no, safe='')}"


@router.get("/orders/{order_no}/routing")
def order_routing(request: Request, order_no: str) -> HTMLResponse:
    """The decision card alone for the order page's HTMX request; a page of its own otherwise."""
    with unit_of_work() as session:
        viewer = viewer_for(session, request, "orders.read")
        order = get_order(session, order_no)
        history = decisions.history(session, order.id)
        template = ("routing/_decision_card.html" if is_fragment_request(request, CARD_ID)
                    else "routing/order.html")
        return render(request, template, viewer=viewer, order=order,
                      current=history[0] if history else None, history=history[1:],
                      backorder=queue.entry_for(session, order.id),
                      manual=decisions.open_manual(session, order.id),
                      warehouses=warehouses(session), factors=FACTORS,
                      can_assign=viewer.can("routing.assign"),
                      back=_order_url(order.order_no))


@router.get("/routing")
def queue_page(request: Request) -> HTMLResponse:
    with unit_of_work() as session:
        viewer = viewer_for(session, request, "orders.read")
        return render(request, "routing/queue.html", viewer=viewer,
                      manual=decisions.manual_queue(session),
                      waiting=queue.waiting(session, limit=200), warehouses=warehouses(session),
                      can_assign=viewer.can("routing.assign"), back=QUEUE_URL)


@router.post("/routing/orders/{order_no}/assign")
def assign(request: Request, order_no: str, warehouse: FormText = "", back: FormText = "",
           csrf_token: FormText = "") -> RedirectResponse:
    actor = authorize(request, "routing.assign", form_csrf=csrf_token)
    return run_action(request, back=safe_next(back or QUEUE_URL), done="routing.assigned",
                      order_no=order_no, warehouse=warehouse,
                      use_case=lambda s: service.assign(s, order_no=order_no,
                                                        warehouse_code=warehouse, actor=actor))


@router.post("/routing/orders/{order_no}/retry")
def retry(request: Request, order_no: str, back: FormText = "",
          csrf_token: FormText = "") -> RedirectResponse:
    actor = authorize(request, "routing.assign", form_csrf=csrf_token)
    return run_action(request, back=safe_next(back or QUEUE_URL), done="routing.retried",
                      order_no=order_no,
                      use_case=lambda s: service.reroute(s, order_no=order_no, actor=actor))


@router.get("/routing/rules")
def rules_page(request: Request) -> HTMLResponse:
    with unit_of_work() as session:
        viewer = viewer_for(session, request, "orders.read")
        return render(request, "routing/rules.html", viewer=viewer,
                      rules=regions.list_rules(session), settings=config.load_config(session),
                      warehouses=warehouses(session), provinces=PROVINCES, factors=FACTORS,
                      can_manage=viewer.can("routing.manage"))


@router.post("/routing/rules")
def create_rule(request: Request, name: FormText = "", warehouse_code: FormText = "",
                priority: FormText = "100", provinces: FormList = [],  # noqa: B006
                csrf_token: FormText = "") -> RedirectResponse:
    actor = authorize(request, "routing.manage", form_csrf=csrf_token)
    return run_action(request, back=RULES_URL, done="routing.rule_saved",
                      use_case=lambda s: regions.create_rule(
                          s, actor=actor, name=name, provinces=provinces,
                          warehouse_code=warehouse_code, priority=_whole(priority, "priority")))


@router.post("/routing/rules/{rule_id}")
def update_rule(request: Request, rule_id: int, enabled: FormText = "", priority: FormText = "",
                csrf_token: FormText = "") -> RedirectResponse:
    actor = authorize(request, "routing.manage", form_csrf=csrf_token)
    return run_action(request, back=RULES_URL, done="routing.rule_saved",
                      use_case=lambda s: regions.update_rule(
                          s, actor=actor, rule_id=rule_id,
                          enabled={"on": True, "off": False}.get(enabled),
                          priority=_whole(priority, "priority") if priority else None))


@router.post("/routing/rules/{rule_id}/delete")
def delete_rule(request: Request, rule_id: int, csrf_token: FormText = "") -> RedirectResponse:
    actor = authorize(request, "routing.manage", form_csrf=csrf_token)
    return run_action(request, back=RULES_URL, done="routing.rule_deleted",
                      use_case=lambda s: regions.delete_rule(s, actor=actor, rule_id=rule_id))


@router.post("/routing/settings")
def update_settings(request: Request, stock: FormText = "", delivery: FormText = "",
                    load: FormText = "", error: FormText = "", allow_split: FormText = "",
                    transfer_days: FormText = "", csrf_token: FormText = "") -> RedirectResponse:
    actor = authorize(request, "routing.manage", form_csrf=csrf_token)
    typed = {"stock": stock, "delivery": delivery, "load": load, "error": error}
    return run_action(request, back=RULES_URL, done="routing.settings_saved",
                      use_case=lambda s: config.update_config(
                          s, actor=actor,
                          weights={k: _number(v, f"weights.{k}") for k, v in typed.items()},
                          allow_split=allow_split == "on",
                          transfer_days=_whole(transfer_days, "transfer_days")))


def _whole(text: str, field: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise InvalidInput(f"{field}: a whole number, not {text!r}", details={"field": field}) from None


def _number(text: str, field: str) -> float:
    try:
        return float(text.strip())
    except ValueError:
        raise InvalidInput(f"{field}: a number such as 0.4, not {text!r}",
                           details={"field": field}) from None
