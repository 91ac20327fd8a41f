"""Events whose handlers failed every try: listed for ops, and sent again after a fix."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from orderhub.api.deps import authorize
from orderhub.core.db import unit_of_work
from orderhub.core.deadletters import list_dead_letters, retry_dead_letter
from orderhub.web import views
from orderhub.web.access import viewer_for
from orderhub.web.actions import run_action
from orderhub.web.errors import ConsoleRoute
from orderhub.web.render import render

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
PAGE_SIZE = 50


@router.get("/dead-letters")
def dead_letter_list(request: Request, after: int | None = None) -> HTMLResponse:
    with unit_of_work() as session:
        viewer = viewer_for(session, request, "outbox.manage")
        events = list_dead_letters(session, after_id=after, limit=PAGE_SIZE)
        more = len(events) == PAGE_SIZE
        return render(request, "dead_letters.html", viewer=viewer,
                      rows=views.dead_letter_rows(events),
                      next_url=f"/dead-letters?after={events[-1].id}" if more else None,
                      first_url="/dead-letters" if after else None)


@router.post("/dead-letters/{event_id}/retry")
def retry(request: Request, event_id: int,
          csrf_token: Annotated[str, Form()] = "") -> RedirectResponse:
    actor = authorize(request, "outbox.manage", form_csrf=csrf_token)
    return run_action(request, back="/dead-letters", done="dead.retried", id=event_id,
                      use_case=lambda s: retry_dead_letter(s, event_id=event_id, actor=actor))
