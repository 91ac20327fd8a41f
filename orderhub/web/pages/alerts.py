"""Alerts in the console: the list with acknowledge buttons, one alert with its full log, the
acknowledge link from a message (no login: the token is the authority), the performance review
with its CSV, and the escalation policy editor."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from orderhub.alerts import escalation, performance, queries, service
from orderhub.alerts.escalation import CHANNELS
from orderhub.alerts.models import STATUSES
from orderhub.api.deps import authorize
from orderhub.core import clock
from orderhub.core.db import unit_of_work
from orderhub.core.errors import InvalidInput
from orderhub.core.settings import get_settings
from orderhub.sla import people
from orderhub.web.access import viewer_for
from orderhub.web.actions import run_action
from orderhub.web.errors import ConsoleRoute
from orderhub.web.render import render

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
FormText = Annotated[str, Form()]
PAGE_SIZE = 50
TARGETS = ("assignee", "supervisor", "manager")


@router.get("/alerts")
def alert_list(request: Request, status: str = "open", before: int | None = None) -> HTMLResponse:
    with unit_of_work() as session:
        viewer = viewer_for(session, request, "alerts.read")
        status = status if status in STATUSES else "open"
        rows = queries.list_alerts(session, status=status, limit=PAGE_SIZE, before_id=before)
        return render(request, "alerts/list.html", viewer=viewer, rows=rows, current=status,
                      statuses=STATUSES, names=_names(session),
                      next_url=f"/alerts?status={status}&before={rows[-1].id}"
                      if len(rows) == PAGE_SIZE else None)


@router.get("/alerts/performance")
def performance_page(request: Request, start: str = "", end: str = "") -> HTMLResponse:
    with unit_of_work() as session:
        viewer = viewer_for(session, request, "alerts.read")
        first, last = _period(start, end)
        rows = performance.report(session, start=_utc(first), end=_utc(last + timedelta(days=1)))
        return render(request, "alerts/performance.html", viewer=viewer, rows=rows,
                      start=first.isoformat(), end=last.isoformat())


@router.get("/alerts/performance.csv")
def performance_csv(request: Request, start: str = "", end: str = "") -> Response:
    with unit_of_work() as session:
        viewer_for(session, request, "alerts.read")
        first, last = _period(start, end)
        rows = performance.report(session, start=_utc(first), end=_utc(last + timedelta(days=1)))
    name = f"alert-performance-{first:%Y%m%d}-{last:%Y%m%d}.csv"
    return Response(performance.to_csv(rows), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/alerts/policy")
def policy_page(request: Request) -> HTMLResponse:
    with unit_of_work() as session:
        viewer = viewer_for(session, request, "alerts.read")
        return render(request, "alerts/policy.html", viewer=viewer,
                      policy=escalation.load_policy(session), channels=CHANNELS,
                      targets=TARGETS, may_edit=viewer.can("alerts.manage"))


@router.post("/alerts/policy")
async def save_policy(request: Request) -> RedirectResponse:
    form = await request.form()
    actor = authorize(request, "alerts.manage", form_csrf=str(form.get("csrf_token", "")))
    return run_action(request, back="/alerts/policy", done="alerts.policy_saved",
                      use_case=lambda s: escalation.save_policy(s, actor=actor,
                                                                data=policy_from_form(form)))


# --- the acknowledge link: no login, the token decides ----------------------------------------


@router.get("/alerts/ack/{token}")
def ack_link(request: Request, token: str) -> HTMLResponse:
    """Shows what would be acknowledged and a button: link scanners and previews only GET."""
    with unit_of_work() as session:
        alert = service.alert_for_token(session, token)
        return render(request, "alerts/ack.html", viewer=None, alert=alert, token=token,
                      done=False)


@router.post("/alerts/ack/{token}")
def ack_link_confirm(request: Request, token: str) -> HTMLResponse:
    """Acknowledges once; a second press (or a forwarded link) says who did it and when."""
    done = True
    try:
        with unit_of_work() as session:
            service.acknowledge_by_token(session, token=token)
    except service.AlertNotOpen:
        done = False
    with unit_of_work() as session:
        alert = service.alert_for_token(session, token)
        return render(request, "alerts/ack.html", viewer=None, alert=alert, token=token,
                      done=done, status=200 if done else 409)


# --- one alert --------------------------------------------------------------------------------


@router.get("/alerts/{alert_id}")
def alert_detail(request: Request, alert_id: int) -> HTMLResponse:
    with unit_of_work() as session:
        viewer = viewer_for(session, request, "alerts.read")
        alert = service.get_alert(session, alert_id)
        return render(request, "alerts/detail.html", viewer=viewer, alert=alert,
                      deliveries=queries.deliveries_of(session, alert_id),
                      log=queries.log_of(session, alert_id), names=_names(session))


@router.post("/alerts/{alert_id}/acknowledge")
def acknowledge(request: Request, alert_id: int, back: FormText = "/alerts",
                note: FormText = "", csrf_token: FormText = "") -> RedirectResponse:
    actor = authorize(request, "alerts.acknowledge", form_csrf=csrf_token)
    back = back if back.startswith("/alerts") else "/alerts"
    return run_action(request, back=back, done="alerts.acknowledged", id=alert_id,
                      use_case=lambda s: service.acknowledge(s, alert_id=alert_id, actor=actor,
                                                             via="console", note=note))


# --- helpers ----------------------------------------------------------------------------------


def _names(session) -> dict[int, str]:
    return {p.id: p.name for p in people.all_people(session)}


def _zone() -> ZoneInfo:
    return ZoneInfo(get_settings().timezone)


def _utc(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=_zone())


def _period(start: str, end: str) -> tuple[date, date]:
    """Days in the seller's zone, both included; default the last 30 days."""
    today = clock.now().astimezone(_zone()).date()
    try:
        last = date.fromisoformat(end) if end else today
        first = date.fromisoformat(start) if start else last - timedelta(days=29)
    except ValueError:
        raise InvalidInput("dates are YYYY-MM-DD", details={"from": start, "to": end}) from None
    if first > last:
        raise InvalidInput("the period ends after it starts", details={"from": start, "to": end})
    return first, last


def policy_from_form(form: Any) -> dict[str, Any]:
    """The editor's fields as the policy document; escalation.save_policy checks it."""
    steps = []
    for n in range(len(form.getlist("after_minutes"))):
        minutes = form.getlist("after_minutes")[n].strip()
        if minutes == "":
            continue  # an empty row: the step is removed
        steps.append({"after_minutes": _int(minutes, f"steps.{n}.after_minutes"),
                      "to": form.getlist("to")[n],
                      "channels": [c for c in CHANNELS if f"{n}" in form.getlist(f"ch_{c}")],
                      "reassign_to_backup": f"{n}" in form.getlist("reassign")})
    quiet = None
    if form.get("quiet_enabled"):
        quiet = {"start": str(form.get("quiet_start", "")), "end": str(form.get("quiet_end", ""))}
    return {"steps": steps,
            "top_step": {s: _int(str(form.get(f"top_{s}", "0")), f"top_step.{s}")
                         for s in ("info", "warning", "critical")},
            "fallback": [c.strip() for c in str(form.get("fallback", "")).split(",") if c.strip()],
            "quiet_hours": quiet,
            "recipients": {k.removeprefix("role_"): str(v).strip() for k, v in form.items()
                           if k.startswith("role_") and str(v).strip()},
            "public_url": str(form.get("public_url", "")).strip()}


def _int(value: str, field: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise InvalidInput(f"{field}: a whole number", details={"field": field}) from None

