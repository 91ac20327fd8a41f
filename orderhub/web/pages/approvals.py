"""Approvals (phone-sized cards: approve or reject with a comment) and the exception queue
(open holds grouped by reason, filters, bulk resolve)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.datastructures import QueryParams

from orderhub.api.deps import authorize
from orderhub.core.db import unit_of_work
from orderhub.core.errors import (
    AuthenticationFailed,
    DomainError,
    InvalidInput,
    PermissionDenied,
)
from orderhub.orders.models import CHANNELS
from orderhub.rules import approvals, exceptions
from orderhub.web import flash
from orderhub.web.access import viewer_for
from orderhub.web.actions import run_action
from orderhub.web.errors import ConsoleRoute, describe
from orderhub.web.i18n import Translator, pick_locale
from orderhub.web.render import render

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
FormText = Annotated[str, Form()]
PAGE_SIZE = 50
RAISED_BY = ("rule", "user", "api_key", "system")


@router.get("/approvals")
def approval_list(request: Request, status: str = "pending") -> HTMLResponse:
    with unit_of_work() as session:
        viewer = viewer_for(session, request, "orders.read")
        status = status if status in approvals.STATUSES else "pending"
        role = None if viewer.role in ("admin", "supervisor") else viewer.role
        rows = approvals.list_approvals(session, status=status, role=role, limit=PAGE_SIZE)
        return render(request, "approvals/list.html", viewer=viewer, rows=rows, current=status,
                      statuses=approvals.STATUSES)


@router.post("/approvals/{approval_id}/decide")
def decide(request: Request, approval_id: int, decision: FormText = "", comment: FormText = "",
           csrf_token: FormText = "") -> RedirectResponse:
    actor = authorize(request, "approvals.decide", form_csrf=csrf_token)
    if decision not in ("approve", "reject"):
        raise InvalidInput("choose approve or reject", details={"field": "decision"})
    return run_action(request, back="/approvals", done=f"approvals.done.{decision}",
                      use_case=lambda s: approvals.decide(s, approval_id=approval_id,
                                                          approve=decision == "approve",
                                                          comment=comment, actor=actor))


@dataclass(frozen=True)
class QueueForm:
    reason_code: str = ""
    channel: str = ""
    shop: str = ""
    raised_by_kind: str = ""

    @classmethod
    def from_query(cls, params: QueryParams) -> QueueForm:
        return cls(**{f.name: params.get(f.name, "").strip()[:80] for f in fields(cls)})

    def to_filter(self) -> exceptions.QueueFilter:
        return exceptions.QueueFilter(reason_code=self.reason_code or None,
                                      channel=self.channel or None, shop=self.shop or None,
                                      raised_by_kind=self.raised_by_kind or None)

    def url(self, **changes: str) -> str:
        values = {k: v for k, v in (asdict(self) | changes).items() if v}
        return "/exceptions" + (f"?{urlencode(values)}" if values else "")


@router.get("/exceptions")
def queue(request: Request, before: int | None = None) -> HTMLResponse:
    form = QueueForm.from_query(request.query_params)
    with unit_of_work() as session:
        viewer = viewer_for(session, request, "orders.read")
        flt = form.to_filter()
        groups = exceptions.groups(session, exceptions.QueueFilter(
            channel=flt.channel, shop=flt.shop, raised_by_kind=flt.raised_by_kind))
        rows = exceptions.open_holds(session, flt, limit=PAGE_SIZE, before_id=before)
        more = len(rows) == PAGE_SIZE
        return render(request, "exceptions/list.html", viewer=viewer, form=form, groups=groups,
                      total=sum(n for _, n in groups), rows=rows, channels=CHANNELS,
                      raised_by=RAISED_BY,
                      next_url=(form.url() + ("&" if "?" in form.url() else "?")
                                + f"before={rows[-1].hold.id}") if more else None,
                      back=form.url())


@router.post("/exceptions/resolve")
def bulk_resolve(request: Request, hold_ids: Annotated[list[int], Form()] = [],  # noqa: B006
                 resolution: FormText = "", back: FormText = "/exceptions",
                 csrf_token: FormText = "") -> RedirectResponse:
    actor = authorize(request, "holds.manage", form_csrf=csrf_token)
    t = Translator(pick_locale(request))
    back = back if back.startswith("/exceptions") else "/exceptions"
    if not hold_ids:
        return flash.redirect(back, "error", t("queue.none_selected"))
    try:
        with unit_of_work() as session:
            done = exceptions.bulk_resolve(session, hold_ids=hold_ids, resolution=resolution,
                                           actor=actor)
    except (AuthenticationFailed, PermissionDenied):
        raise
    except DomainError as exc:
        return flash.redirect(back, "error", describe(exc, t))
    return flash.redirect(back, "ok", t("queue.resolved", count=len(done.resolved),
                                        skipped=len(done.skipped)))
