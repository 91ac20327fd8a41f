"""渠道 / Channels in the console: every shop's health (last good pull, lag, orders per hour,
errors, throttling), pull now, a shop's settings and recent pulls, adding a shop."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from orderhub.api.deps import authorize
from orderhub.channels import health, service, sync
from orderhub.channels.registry import PLATFORMS
from orderhub.core.db import get_engine, unit_of_work
from orderhub.core.errors import DomainError
from orderhub.orders.service import find_shop
from orderhub.web import flash
from orderhub.web.access import viewer_for
from orderhub.web.errors import ConsoleRoute, describe
from orderhub.web.i18n import Translator, pick_locale
from orderhub.web.render import render

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
URL = "/channels"


@router.get(URL)
def channels_page(request: Request) -> HTMLResponse:
    with unit_of_work() as session:
        viewer = viewer_for(session, request, "channels.read")
        return render(request, "channels/list.html", viewer=viewer,
                      shops=health.channel_health(session), channels=service.SHOP_CHANNELS)


@router.get(URL + "/{shop}")
def shop_page(request: Request, shop: str) -> HTMLResponse:
    with unit_of_work() as session:
        viewer = viewer_for(session, request, "channels.read")
        row, account = service.shop_account(session, shop)
        [state] = health.channel_health(session, shop=shop) or [None]
        return render(request, "channels/shop.html", viewer=viewer, shop=row, account=account,
                      state=state, creds=service.credentials(account), pulls=health.recent_pulls(
                          session, shop_id=row.id), pulled=row.channel in PLATFORMS)


async def _form(request: Request) -> tuple[dict[str, str], object]:
    form = await request.form()
    actor = authorize(request, "channels.manage", form_csrf=str(form.get("csrf_token", "")))
    return {k: str(v).strip() for k, v in form.items() if isinstance(v, str)}, actor


@router.post(URL + "/add")
async def add_shop(request: Request) -> Response:
    form, actor = await _form(request)
    t = Translator(pick_locale(request))
    try:
        with unit_of_work() as session:
            new = service.add_shop(
                session, name=form.get("name", ""), channel=form.get("channel", ""),
                actor=actor, display_name=form.get("display_name", ""),
                app_key=form.get("app_key", ""), app_secret=form.get("app_secret", ""),
                access_token=form.get("access_token", ""), base_url=form.get("base_url", ""),
                pull_interval_seconds=int(form.get("interval") or 600))
            name, secret = new.shop.name, new.webhook_secret
    except (DomainError, ValueError) as exc:
        return flash.redirect(URL, "error", describe(exc, t) or str(exc))
    text = t("channels.added", shop=name) + (f" {t('channels.webhook_secret')}: {secret}"
                                             if secret else "")
    return flash.redirect(f"{URL}/{name}", "ok", text)


@router.post(URL + "/{shop}/update")
async def update_shop(request: Request, shop: str) -> Response:
    form, actor = await _form(request)
    t = Translator(pick_locale(request))
    changes: dict = {k: form[k] for k in ("app_key", "app_secret", "access_token", "base_url")
                     if form.get(k)}
    try:
        if "field_overrides" in form:
            changes["field_overrides"] = json.loads(form["field_overrides"] or "{}")
        with unit_of_work() as session:
            service.update_shop(session, name=shop, actor=actor,
                                pull_interval_seconds=int(form["interval"]) if form.get("interval")
                                else None, **changes)
    except (DomainError, ValueError, TypeError) as exc:
        return flash.redirect(f"{URL}/{shop}", "error", describe(exc, t) or str(exc))
    return flash.redirect(f"{URL}/{shop}", "ok", t("channels.updated", shop=shop))


@router.post(URL + "/{shop}/sync")
async def sync_now(request: Request, shop: str) -> RedirectResponse:
    await _form(request)
    t = Translator(pick_locale(request))
    back = str(request.query_params.get("back") or URL)
    back = back if back.startswith("/") and not back.startswith("//") else URL
    try:
        with unit_of_work() as session:
            shop_id = find_shop(session, shop).id
    except DomainError as exc:
        return flash.redirect(back, "error", describe(exc, t))
    report = sync.pull_shop(get_engine(), shop_id=shop_id, trigger="manual")
    if report.outcome != "ok":
        return flash.redirect(back, "error", t("channels.sync_failed", shop=shop,
                                               error=report.error or report.outcome))
    s = report.stored
    return flash.redirect(back, "ok", t("channels.synced", shop=shop, created=s.created,
                                        updated=s.updated, unchanged=s.unchanged))
