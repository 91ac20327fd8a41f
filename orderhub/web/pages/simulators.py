"""模拟器收件箱 / Simulators' inboxes: what the WeCom, DingTalk, SMS and mail simulators running
in this process (`orderhub demo`) received, so a newcomer sees the messages escalation sent."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from orderhub.alerts.demo import RUNNING
from orderhub.core.db import unit_of_work
from orderhub.web.access import viewer_for
from orderhub.web.errors import ConsoleRoute
from orderhub.web.render import render

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
SHOWN = 30


@router.get("/simulators")
def simulators_page(request: Request) -> HTMLResponse:
    with unit_of_work() as session:
        viewer = viewer_for(session, request, "alerts.read")
        inboxes = [(name, [json.dumps(m, ensure_ascii=False, indent=1, default=str)
                           for m in reversed(sim.received[-SHOWN:])], len(sim.received))
                   for name, sim in RUNNING.items()]
        return render(request, "simulators/page.html", viewer=viewer, inboxes=inboxes)
