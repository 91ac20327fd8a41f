"""SLAs in the console: the deadline policy editor, teams and people, the work queue in deadline
order, and an order's countdown (履约倒计时, loaded into the order page over HTMX)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session

from orderhub.api.deps import authorize
from orderhub.core import clock
from orderhub.core.db import unit_of_work
from orderhub.core.errors import InvalidInput
from orderhub.core.money import to_major, to_minor
from orderhub.orders.models import CHANNELS, Order
from orderhub.orders.service import get_order
from orderhub.sla import people, policies, queries, service
from orderhub.sla.models import OrderSla
from orderhub.web.access import Viewer, viewer_for
from orderhub.web.actions import run_action
from orderhub.web.errors import ConsoleRoute
from orderhub.web.render import is_fragment_request, render

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
FormText = Annotated[str, Form()]
FormList = Annotated[list[str], Form()]
RULES_URL, PEOPLE_URL, QUEUE_URL = "/sla", "/sla/people", "/sla/queue"
CARD_ID = "sla-countdown"  # the order page's section the countdown is loaded into
WEEKDAYS = (1, 2, 3, 4, 5, 6, 7)


# --- the countdown --------------------------------------------------------------------------


@dataclass(frozen=True)
class Countdown:
    """What the list and the order page show for an order's current stage."""

    sla: OrderSla
    state: str  # ok | warning | late | done
    hours: int
    minutes: int

    @property
    def badge(self) -> str:
        return {"ok": "badge-ok", "warning": "badge-warn", "late": "badge-danger"}.get(
            self.state, "badge-muted")


def countdown(row: OrderSla | None, now: datetime | None = None) -> Countdown | None:
    if row is None:
        return None
    now = now or clock.now()
    if row.closed_at is not None:
        return Countdown(sla=row, state="done", hours=0, minutes=0)
    left = int((row.deadline - now).total_seconds())
    state = "late" if left < 0 else "warning" if now >= row.warn_at else "ok"
    minutes = abs(left) // 60
    return Countdown(sla=row, state=state, hours=minutes // 60, minutes=minutes % 60)


def countdowns_for(session: Session, order_ids: Iterable[int]) -> dict[int, Countdown]:
    now = clock.now()
    found = queries.deadlines_for(session, order_ids)
    return {oid: cd for oid, row in found.items() if (cd := countdown(row, now)) is not None}


def _order_url(order_no: str) -> str:
    return f"/orders/{quote(order_no, safe='')}"


@dataclass(frozen=True)
class OrderCard:
    """The countdown card of the order page: stage, deadline, assignee, and whom to give it to."""

    countdown: Countdown | None
    person: people.Person | None
    people: list[people.Person]
    card_id: str = CARD_ID


def order_card(session: Session, order: Order, viewer: Viewer) -> OrderCard:
    row = service.sla_of(session, order.id)
    person = session.get(people.Person, row.person_id) if row and row.person_id else None
    can_move = viewer.can("sla.assign") and row is not None and row.closed_at is None
    return OrderCard(countdown=countdown(row), person=person,
                     people=people.all_people(session) if can_move else [])


@router.get("/orders/{order_no}/sla")
def order_countdown(request: Request, order_no: str) -> HTMLResponse:
    """The countdown card alone for the order page's refresh (HTMX); a page of its own otherwise."""
    with unit_of_work() as session:
        viewer = viewer_for(session, request, "orders.read")
        order = get_order(session, order_no)
        template = ("sla/_countdown_card.html" if is_fragment_request(request, CARD_ID)
                    else "sla/order.html")
        return render(request, template, viewer=viewer, order=order,
                      sla_card=order_card(session, order, viewer))


@router.post("/orders/{order_no}/sla/reassign")
def reassign(request: Request, order_no: str, person_id: FormText = "", reason: FormText = "",
             csrf_token: FormText = "") -> RedirectResponse:
    actor = authorize(request, "sla.assign", form_csrf=csrf_token)

    def use_case(session: Session) -> None:
        order = get_order(session, order_no)
        service.reassign(session, order_id=order.id, to_person_id=_int(person_id, "person_id"),
                         actor=actor, reason=reason.strip())
    return run_action(request, back=_order_url(order_no), done="sla.reassigned",
                      use_case=use_case)


@router.get("/sla/queue")
def queue_page(request: Request, stage: str = "") -> HTMLResponse:
    with unit_of_work() as session:
        viewer = viewer_for(session, request, "sla.read")
        entries = queries.work_queue(session, stage=stage or None, limit=200)
        names = {p.id: p.name for p in people.all_people(session)}
        now = clock.now()
        return render(request, "sla/queue.html", viewer=viewer, stage=stage,
                      stages=policies.STAGES, names=names,
                      rows=[(e.order, countdown(e.sla, now)) for e in entries])


# --- the policy editor ----------------------------------------------------------------------


@router.get("/sla")
def rules_page(request: Request) -> HTMLResponse:
    with unit_of_work() as session:
        viewer = viewer_for(session, request, "sla.read")
        return render(request, "sla/rules.html", viewer=viewer,
                      rules=policies.rules(session, active_only=False),
                      warn_share=policies.warn_share(session), stages=policies.STAGES,
                      kinds=policies.KINDS, modes=policies.MODES, channels=CHANNELS,
                      can_manage=viewer.can("sla.manage"), money=_money)


def _money(minor: int | None) -> str:
    return to_major(minor, "CNY") if minor is not None else ""


@router.post("/sla/rules")
def save_rule(request: Request, stage: FormText = "", kind: FormText = "", match: FormText = "",
              mode: FormText = "minutes", minutes: FormText = "", min_total: FormText = "",
              active: FormText = "", rule_id: FormText = "",
              csrf_token: FormText = "") -> RedirectResponse:
    actor = authorize(request, "sla.manage", form_csrf=csrf_token)

    def use_case(session: Session) -> None:
        policies.save_rule(session, rule_id=_int(rule_id, "rule_id") if rule_id else None,
                           stage=stage, kind=kind, match=match, mode=mode,
                           minutes=_int(minutes, "minutes") if minutes.strip() else None,
                           min_total=to_minor(min_total, "CNY", field="min_total")
                           if min_total.strip() else None,
                           active=active != "off", actor=actor)
    return run_action(request, back=RULES_URL, done="sla.rule_saved", use_case=use_case)


@router.post("/sla/rules/{rule_id}/delete")
def delete_rule(request: Request, rule_id: int, csrf_token: FormText = "") -> RedirectResponse:
    actor = authorize(request, "sla.manage", form_csrf=csrf_token)
    return run_action(request, back=RULES_URL, done="sla.rule_deleted",
                      use_case=lambda s: policies.delete_rule(s, rule_id=rule_id, actor=actor))


@router.post("/sla/settings")
def save_settings(request: Request, warn_percent: FormText = "",
                  csrf_token: FormText = "") -> RedirectResponse:
    actor = authorize(request, "sla.manage", form_csrf=csrf_token)
    return run_action(request, back=RULES_URL, done="sla.settings_saved",
                      use_case=lambda s: policies.set_warn_share(
                          s, share=_int(warn_percent, "warn_percent") / 100, actor=actor))


# --- teams and people -----------------------------------------------------------------------


@router.get("/sla/people")
def people_page(request: Request) -> HTMLResponse:
    with unit_of_work() as session:
        viewer = viewer_for(session, request, "sla.read")
        everyone, teams = people.all_people(session), people.all_teams(session)
        return render(request, "sla/people.html", viewer=viewer, teams=teams, people=everyone,
                      names={p.id: p.name for p in everyone},
                      team_names={team.id: team.name for team in teams},
                      stages=policies.STAGES, strategies=people.STRATEGIES, weekdays=WEEKDAYS,
                      can_manage=viewer.can("sla.manage"))


@router.post("/sla/teams")
def save_team(request: Request, name: FormText = "", stages: FormList = [],  # noqa: B006
              strategy: FormText = "round_robin", manager_id: FormText = "", team_id: FormText = "",
              csrf_token: FormText = "") -> RedirectResponse:
    actor = authorize(request, "sla.manage", form_csrf=csrf_token)
    return run_action(request, back=PEOPLE_URL, done="sla.team_saved",
                      use_case=lambda s: people.save_team(
                          s, team_id=_opt_int(team_id, "team_id"), name=name, stages=stages,
                          strategy=strategy, manager_id=_opt_int(manager_id, "manager_id"),
                          actor=actor))


@router.post("/sla/people")
def save_person(request: Request, name: FormText = "", role: FormText = "agent",
                phone: FormText = "", email: FormText = "", wecom_userid: FormText = "",
                dingtalk_mobile: FormText = "", team_id: FormText = "", backup_id: FormText = "",
                supervisor_id: FormText = "", user_id: FormText = "",
                shift_days: FormList = [], shift_start: FormText = "",  # noqa: B006
                shift_end: FormText = "", active: FormText = "", person_id: FormText = "",
                csrf_token: FormText = "") -> RedirectResponse:
    actor = authorize(request, "sla.manage", form_csrf=csrf_token)
    fields: dict[str, Any] = {
        "name": name, "role": role or "agent", "phone": phone, "email": email,
        "wecom_userid": wecom_userid, "dingtalk_mobile": dingtalk_mobile,
        "active": active != "off", "shift": _shift(shift_days, shift_start, shift_end)}

    def use_case(session: Session) -> None:
        for key, raw in (("team_id", team_id), ("backup_id", backup_id),
                         ("supervisor_id", supervisor_id), ("user_id", user_id)):
            fields[key] = _opt_int(raw, key)
        people.save_person(session, person_id=_opt_int(person_id, "person_id"), actor=actor,
                           **fields)
    return run_action(request, back=PEOPLE_URL, done="sla.person_saved", use_case=use_case)


def _shift(days: list[str], start: str, end: str) -> dict[str, Any] | None:
    """No times: always on duty. The service checks the values."""
    if not start.strip() and not end.strip():
        return None
    return {"days": [d for d in days if d.strip()] or list(WEEKDAYS), "start": start.strip(),
            "end": end.strip()}


def _int(raw: str, field: str) -> int:
    try:
        return int(raw.strip())
    except ValueError:
        raise InvalidInput(f"{field}: {raw!r} is not a whole number",
                           details={"field": field, "value": raw}) from None


def _opt_int(raw: str, field: str) -> int | None:
    return _int(raw, field) if raw.strip() else None
