"""收件箱 / Inbox: the logged-in user's in-app alert messages, newest first, with a link to the
alert, mark one read, mark all read. The header shows the unread count on every page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from orderhub.alerts.notifiers import inapp
from orderhub.api.deps import authorize
from orderhub.core.db import unit_of_work
from orderhub.web.access import viewer_for
from orderhub.web.actions import run_action
from orderhub.web.errors import ConsoleRoute
from orderhub.web.render import render

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
URL = "/inbox"
PAGE_SIZE = 50
PERMISSION = "inbox.read"


@router.get(URL)
def inbox_page(request: Request, unread: bool = False, before: int | None = None) -> HTMLResponse:
    with unit_of_work() as session:
        viewer = viewer_for(session, request, PERMISSION)
        rows = inapp.messages(session, user_id=viewer.actor.id, unread_only=unread,
                              before_id=before, limit=PAGE_SIZE)
        here = f"{URL}?unread=1" if unread else URL
        more = len(rows) == PAGE_SIZE
        return render(request, "inbox/list.html", viewer=viewer, rows=rows, unread_only=unread,
                      next_url=f"{here}{'&' if unread else '?'}before={rows[-1].id}" if more else None,
                      first_url=here if before else None)


@router.post(URL + "/{message_id}/read")
def mark_read(request: Request, message_id: int,
              csrf_token: Annotated[str, Form()] = "") -> RedirectResponse:
    actor = authorize(request, PERMISSION, form_csrf=csrf_token)
    return run_action(request, back=URL, done="inbox.marked_read",
                      use_case=lambda s: inapp.mark_read(s, user_id=actor.id, message_id=message_id))


@router.post(URL + "/read-all")
def mark_all_read(request: Request, csrf_token: Annotated[str, Form()] = "") -> RedirectResponse:
    actor = authorize(request, PERMISSION, form_csrf=csrf_token)
    return run_action(request, back=URL, done="inbox.marked_all_read",
                      use_case=lambda s: inapp.mark_all_read(s, user_id=actor.id))
