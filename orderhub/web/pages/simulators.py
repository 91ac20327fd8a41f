"""模拟器收件箱 / Simulators' inboxes: what the simulators running in this process (`orderhub
demo`) received — the messages escalation sent, the waybills the carriers issued, the tracking
subscriptions, and the tracking numbers written back to the platforms."""

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
                           for m in reversed(got[-SHOWN:])], len(got))
                   for name, got in ((n, _received(sim)) for n, sim in RUNNING.items())]
        return render(request, "simulators/page.html", viewer=viewer, inboxes=inboxes)


def _received(sim: object) -> list:
    """A service simulator's requests, or a platform simulator's shipment write-backs."""
    found = getattr(sim, "received", None)
    if found is None:
        found = getattr(getattr(sim, "book", None), "shipments", [])
    return list(found)
