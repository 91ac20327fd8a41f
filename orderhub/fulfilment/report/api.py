"""/api/v1/logistics: the logistics report per carrier / warehouse, as JSON or CSV."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query
from fastapi.responses import JSONResponse, Response

from orderhub.api.deps import requires
from orderhub.api.openapi import api_router
from orderhub.core.actor import Actor
from orderhub.core.db import unit_of_work
from orderhub.fulfilment.report import service
from orderhub.fulfilment.report.present import report_dict, to_csv

router = api_router("/logistics", tags=["logistics"])
routers = (router,)

Reader = Annotated[Actor, Depends(requires("carriers.read"))]
From = Annotated[str | None, Query(alias="from", max_length=20,
                                   description="First day, YYYY-MM-DD in the seller's zone (default: 29 days before `to`)")]
To = Annotated[str | None, Query(alias="to", max_length=20, description="Last day, inclusive (default: today)")]
GroupBy = Annotated[str, Query(max_length=20, description="carrier | warehouse | both")]


def _report(start: str | None, end: str | None, group: str) -> service.Report:
    when = service.period(start, end)
    with unit_of_work() as session:
        return service.logistics_report(session, when=when, group=group)


@router.get("/report")
def logistics_report(actor: Reader, start: From = None, end: To = None, group: GroupBy = "carrier") -> JSONResponse:
    """Parcels shipped in the period (by ship time): delivered rate, transit hours (mean,
    median), exception rate and platform write-back rate per carrier, warehouse or both."""
    return JSONResponse(report_dict(_report(start, end, group)))


@router.get("/report.csv", responses={200: {"content": {"text/csv": {}}}})
def logistics_report_csv(actor: Reader, start: From = None, end: To = None,
                         group: GroupBy = "carrier") -> Response:
    report = _report(start, end, group)
    name = f"logistics-{report.group}-{report.period.first}-{report.period.last}.csv"
    return Response(to_csv(report), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
