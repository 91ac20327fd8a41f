"""通知渠道 / Notifiers: each channel's settings (secrets are write-only: the page shows only
whether one is set), switching a channel on or off, and sending a test message."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from orderhub.alerts.notifiers import service, settings
from orderhub.api.deps import authorize
from orderhub.core.actor import Actor
from orderhub.core.db import unit_of_work
from orderhub.core.errors import DomainError
from orderhub.web import flash
from orderhub.web.access import viewer_for
from orderhub.web.errors import ConsoleRoute, describe
from orderhub.web.i18n import Translator, pick_locale
from orderhub.web.render import render

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
URL = "/notifiers"
PERMISSION = "notifiers.manage"
# Which recipient field a test message of each channel asks for.
TEST_FIELDS = {"inapp": (), "wecom": ("to_wecom_userid",), "dingtalk": ("to_dingtalk_mobile",),
               "sms": ("to_phone",), "email": ("to_email",)}


@router.get(URL)
def notifiers_page(request: Request) -> HTMLResponse:
    with unit_of_work() as session:
        viewer = viewer_for(session, request, PERMISSION)
        return render(request, "notifiers/list.html", viewer=viewer,
                      channels=[s.public() for s in settings.load_all(session)],
                      specs=settings.SPECS, test_fields=TEST_FIELDS)


async def _form(request: Request) -> tuple[dict[str, str], Actor]:
    form = await request.form()
    actor = authorize(request, PERMISSION, form_csrf=str(form.get("csrf_token", "")))
    return {k: str(v) for k, v in form.items() if isinstance(v, str)}, actor


@router.post(URL + "/{channel}")
async def save_channel(request: Request, channel: str) -> Response:
    form, actor = await _form(request)
    t = Translator(pick_locale(request))
    try:
        spec = settings.spec(channel)
        # A checkbox sends nothing when unticked, so booleans are read as "present or not".
        config = {k: (f"config.{k}" in form) if isinstance(default, bool) else form[f"config.{k}"]
                  for k, default in spec.config.items()
                  if isinstance(default, bool) or f"config.{k}" in form}
        # A blank secret field keeps the stored secret; "clear" removes it.
        secrets = {name: "" if form.get(f"clear.{name}") else form[f"secret.{name}"]
                   for name in spec.secrets if form.get(f"secret.{name}") or form.get(f"clear.{name}")}
        with unit_of_work() as session:
            settings.configure(session, channel=channel, actor=actor, enabled="enabled" in form,
                               config=config, secrets=secrets)
    except DomainError as exc:
        return flash.redirect(f"{URL}#{channel}", "error", describe(exc, t))
    return flash.redirect(f"{URL}#{channel}", "ok", t("notifiers.saved", channel=t.of("notifier", channel)))


@router.post(URL + "/{channel}/test")
async def test_channel(request: Request, channel: str) -> Response:
    form, actor = await _form(request)
    t = Translator(pick_locale(request))
    recipients = {k: form.get(k, "").strip() for k in TEST_FIELDS.get(channel, ())}
    try:
        with unit_of_work() as session:
            provider_id = service.send_test(session, channel=channel, actor=actor,
                                            to_user_id=actor.id, **recipients)
    except DomainError as exc:
        return flash.redirect(f"{URL}#{channel}", "error", describe(exc, t))
    return flash.redirect(f"{URL}#{channel}", "ok", t("notifiers.test_sent",
                                                      channel=t.of("notifier", channel),
                                                      id=provider_id))
