"""Tasks ("待办": open work for my role or assigned to me, close with a note) and the rule
firings card of the order page (rule, version, what it saw, what it did)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from orderhub.api.deps import authorize
from orderhub.core.auth import ROLES
from orderhub.core.db import unit_of_work
from orderhub.orders.service import get_order
from orderhub.rules import service, todo
from orderhub.web.access import viewer_for
from orderhub.web.actions import run_action
from orderhub.web.errors import ConsoleRoute
from orderhub.web.render import is_fragment_request, render

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
FormText = Annotated[str, Form()]
PAGE_SIZE = 50
FIRINGS_ID = "rule-firings"  # the order page's section the firings load into


@router.get("/tasks")
def task_list(request: Request, status: str = "open", role: str = "",
              before: int | None = None) -> HTMLResponse:
    with unit_of_work() as session:
        viewer = viewer_for(session, request, "tasks.read")
        status = status if status in todo.STATUSES else "open"
        manage = viewer.can("tasks.manage")
        role = role if manage and role in ROLES else ""
        rows = todo.list_tasks(session, actor=viewer.actor, status=status, role=role or None,
                               limit=PAGE_SIZE, before_id=before)
        query = f"/tasks?status={status}" + (f"&role={role}" if role else "")
        return render(request, "tasks/list.html", viewer=viewer, rows=rows, current=status,
                      statuses=todo.STATUSES, role=role, roles=ROLES if manage else (),
                      may_close=lambda task: todo.may_close(viewer.actor, task),
                      next_url=f"{query}&before={rows[-1].task.id}" if len(rows) == PAGE_SIZE
                      else None, back=query)


@router.post("/tasks/{task_id}/close")
def close(request: Request, task_id: int, note: FormText = "", back: FormText = "/tasks",
          csrf_token: FormText = "") -> RedirectResponse:
    actor = authorize(request, "tasks.read", form_csrf=csrf_token)
    back = back if back.startswith("/tasks") else "/tasks"
    return run_action(request, back=back, done="tasks.closed",
                      use_case=lambda s: todo.close_task(s, task_id=task_id, note=note,
                                                         actor=actor))


@router.get("/orders/{order_no}/rule-firings")
def order_firings(request: Request, order_no: str) -> HTMLResponse:
    """The firings card alone for the order page's HTMX request; a page of its own otherwise."""
    with unit_of_work() as session:
        viewer = viewer_for(session, request, "orders.read")
        order = get_order(session, order_no)
        template = ("tasks/_firings_card.html" if is_fragment_request(request, FIRINGS_ID)
                    else "tasks/firings.html")
        return render(request, template, viewer=viewer, order=order,
                      firings=service.firings_of_order(session, order.id))
