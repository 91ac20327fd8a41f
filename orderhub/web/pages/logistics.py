"""The logistics report in the console: a date range, then per carrier, per warehouse and per
carrier × warehouse tables, with CSV links. A bad date shows as a message on the page."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from orderhub.channels.base import CARRIERS
from orderhub.core.db import unit_of_work
from orderhub.core.errors import InvalidInput
from orderhub.fulfilment.report import service
from orderhub.web.access import viewer_for
from orderhub.web.errors import ConsoleRoute
from orderhub.web.render import render

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)


@router.get("/logistics")
def logistics_page(request: Request) -> HTMLResponse:
    form = {"from": request.query_params.get("from", ""), "to": request.query_params.get("to", "")}
    with unit_of_work() as session:
        viewer = viewer_for(session, request, "carriers.read")
        error, reports, when = None, {}, None
        try:
            when = service.period(form["from"] or None, form["to"] or None)
            reports = service.logistics_reports(session, when=when)
        except InvalidInput as exc:
            error = exc.message
        if when is not None:
            form = {"from": when.first.isoformat(), "to": when.last.isoformat()}
        csv_links = {group: "/api/v1/logistics/report.csv?" + urlencode({**form, "group": group})
                     for group in service.GROUPS}
        return render(request, "logistics/report.html", viewer=viewer, form=form, error=error,
                      reports=reports, period=when, csv_links=csv_links, carriers=CARRIERS)
