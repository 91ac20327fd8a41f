"""Carriers in the console: accounts (secrets never shown) with the orders waiting for a
waybill and why, and carrier rules editable like routing rules."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from orderhub.api.deps import authorize
from orderhub.channels.base import CARRIERS
from orderhub.core.db import unit_of_work
from orderhub.core.errors import InvalidInput
from orderhub.fulfilment.carriers import accounts, breaker, rules, service
from orderhub.fulfilment.carriers.models import SOURCES
from orderhub.inventory.provinces import PROVINCES
from orderhub.web.access import viewer_for
from orderhub.web.actions import run_action
from orderhub.web.errors import ConsoleRoute
from orderhub.web.render import render

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
FormText = Annotated[str, Form()]
FormList = Annotated[list[str], Form()]
ACCOUNTS_URL, RULES_URL = "/carriers", "/carriers/rules"


@router.get("/carriers")
def accounts_page(request: Request) -> HTMLResponse:
    with unit_of_work() as session:
        viewer = viewer_for(session, request, "carriers.read")
        rows = [(a, breaker.for_account(a.id).state) for a in accounts.list_accounts(session)]
        return render(request, "carriers/accounts.html", viewer=viewer, accounts=rows,
                      waiting=service.waiting_orders(session), carriers=CARRIERS, sources=SOURCES,
                      platform_sources=accounts.PLATFORM_SOURCES,
                      can_manage=viewer.can("carriers.manage"))


@router.post("/carriers/accounts")
def create_account(request: Request, name: FormText = "", carrier: FormText = "", source: FormText = "",
                   base_url: FormText = "", app_key: FormText = "", app_secret: FormText = "",
                   access_token: FormText = "", sender_name: FormText = "", sender_mobile: FormText = "",
                   sender_province: FormText = "", sender_city: FormText = "",
                   sender_district: FormText = "", sender_detail: FormText = "",
                   monthly_account: FormText = "", branch: FormText = "",
                   csrf_token: FormText = "") -> RedirectResponse:
    actor = authorize(request, "carriers.manage", form_csrf=csrf_token)
    sender = {"name": sender_name, "mobile": sender_mobile, "province": sender_province,
              "city": sender_city, "district": sender_district, "detail": sender_detail}
    secrets = {k: v for k, v in (("app_secret", app_secret), ("access_token", access_token)) if v}
    return run_action(request, back=ACCOUNTS_URL, done="carriers.account_saved",
                      use_case=lambda s: accounts.create_account(
                          s, actor=actor, name=name, carrier=carrier, source=source, base_url=base_url,
                          app_key=app_key, secrets=secrets, sender=sender,
                          monthly_account=monthly_account, branch=branch))


@router.post("/carriers/accounts/{account_id}")
def toggle_account(request: Request, account_id: int, active: FormText = "",
                   csrf_token: FormText = "") -> RedirectResponse:
    actor = authorize(request, "carriers.manage", form_csrf=csrf_token)
    return run_action(request, back=ACCOUNTS_URL, done="carriers.account_saved",
                      use_case=lambda s: accounts.update_account(
                          s, account_id=account_id, actor=actor, active=active == "on"))


@router.get("/carriers/rules")
def rules_page(request: Request) -> HTMLResponse:
    with unit_of_work() as session:
        viewer = viewer_for(session, request, "carriers.read")
        return render(request, "carriers/rules.html", viewer=viewer, rules=rules.list_rules(session),
                      carriers=CARRIERS, provinces=PROVINCES, can_manage=viewer.can("carriers.manage"))


@router.post("/carriers/rules")
def create_rule(request: Request, name: FormText = "", carrier: FormText = "", priority: FormText = "100",
                provinces: FormList = [], channels: FormText = "", warehouses: FormText = "",  # noqa: B006
                min_weight_g: FormText = "", max_weight_g: FormText = "", min_value: FormText = "",
                max_value: FormText = "", is_default: FormText = "",
                csrf_token: FormText = "") -> RedirectResponse:
    actor = authorize(request, "carriers.manage", form_csrf=csrf_token)
    return run_action(request, back=RULES_URL, done="carriers.rule_saved",
                      use_case=lambda s: rules.create_rule(
                          s, actor=actor, name=name, carrier=carrier, priority=_whole(priority, "priority"),
                          provinces=provinces, channels=_words(channels), warehouses=_words(warehouses),
                          min_weight_g=_optional(min_weight_g, "min_weight_g"),
                          max_weight_g=_optional(max_weight_g, "max_weight_g"),
                          min_value=_yuan(min_value, "min_value"), max_value=_yuan(max_value, "max_value"),
                          is_default=is_default == "on"))


@router.post("/carriers/rules/{rule_id}")
def update_rule(request: Request, rule_id: int, active: FormText = "", priority: FormText = "",
                csrf_token: FormText = "") -> RedirectResponse:
    actor = authorize(request, "carriers.manage", form_csrf=csrf_token)
    changes: dict[str, object] = {}
    if active:
        changes["active"] = active == "on"
    return run_action(request, back=RULES_URL, done="carriers.rule_saved",
                      use_case=lambda s: rules.update_rule(
                          s, rule_id=rule_id, actor=actor, **changes,
                          **({"priority": _whole(priority, "priority")} if priority else {})))


@router.post("/carriers/rules/{rule_id}/delete")
def delete_rule(request: Request, rule_id: int, csrf_token: FormText = "") -> RedirectResponse:
    actor = authorize(request, "carriers.manage", form_csrf=csrf_token)
    return run_action(request, back=RULES_URL, done="carriers.rule_deleted",
                      use_case=lambda s: rules.delete_rule(s, rule_id=rule_id, actor=actor))


def _whole(text: str, field: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise InvalidInput(f"{field}: a whole number, not {text!r}", details={"field": field}) from None


def _optional(text: str, field: str) -> int | None:
    return _whole(text, field) if text.strip() else None


def _yuan(text: str, field: str) -> int | None:
    """Order value bounds are typed in yuan and kept in fen."""
    if not text.strip():
        return None
    try:
        return int((Decimal(text.strip()) * 100).to_integral_value())
    except InvalidOperation:
        raise InvalidInput(f"{field}: an amount in yuan, not {text!r}", details={"field": field}) from None


def _words(text: str) -> list[str]:
    return [w for w in text.replace("，", ",").replace(" ", ",").split(",") if w]
