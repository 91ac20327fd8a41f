"""The outbound-scan page (/scan): phone-sized, one input a USB scanner types into, a big green
or red answer with a beep, and this station's last scans. HTMX swaps the answer in without a
reload; without JavaScript the form posts and the page comes back whole."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from orderhub.api.deps import authorize
from orderhub.core.db import unit_of_work
from orderhub.fulfilment.outbound import service
from orderhub.fulfilment.outbound.present import message
from orderhub.fulfilment.outbound.service import ScanResult
from orderhub.web.access import Viewer, viewer_for
from orderhub.web.errors import ConsoleRoute
from orderhub.web.i18n import pick_locale
from orderhub.web.render import render

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
PERMISSION = "waybills.request"
RECENT = 20
FormText = Annotated[str, Form()]
# The station a device last scanned at: a scanner PC opened at plain /scan after a restart is
# still "door-1", and its list still shows that door's scans. A year, this path only.
STATION_COOKIE = "orderhub_scan_station"
STATION_COOKIE_SECONDS = 365 * 24 * 3600


@router.get("/scan")
def scan_page(request: Request,
              station: Annotated[str, Query(max_length=60)] = "") -> HTMLResponse:
    with unit_of_work() as session:
        viewer = viewer_for(session, request, PERMISSION)
        station = station.strip() or request.cookies.get(STATION_COOKIE, "").strip()[:service.MAX_STATION]
        return _render(request, session, viewer, station=station, result=None)


@router.post("/scan")
def scan_code(request: Request, code: FormText = "", station: FormText = "",
              csrf_token: FormText = "") -> HTMLResponse:
    actor = authorize(request, PERMISSION, form_csrf=csrf_token)
    station = station.strip()[:service.MAX_STATION]
    with unit_of_work() as session:
        result = service.scan(session, code=code, actor=actor, station=station)
    with unit_of_work() as session:  # the scan is committed: the list below shows it
        viewer = viewer_for(session, request, PERMISSION)
        response = _render(request, session, viewer, station=station, result=result)
    if station:
        response.set_cookie(STATION_COOKIE, station, max_age=STATION_COOKIE_SECONDS, path="/scan",
                            httponly=True, samesite="lax")
    else:
        response.delete_cookie(STATION_COOKIE, path="/scan")
    return response


def _render(request: Request, session: Session, viewer: Viewer, *, station: str,
            result: ScanResult | None) -> HTMLResponse:
    recent = service.recent_scans(session, station=station or None,
                                  actor=None if station else viewer.actor.name, limit=RECENT)
    fragment = request.headers.get("HX-Request") == "true"
    return render(request, "scan_output.html" if fragment else "scan.html", viewer=viewer,
                  station=station, result=result, recent=recent,
                  said=message(result, pick_locale(request)) if result else "")
